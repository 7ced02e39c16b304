"""``croissant.json`` for the canonical export: Croissant 1.0 JSON-LD (distribution, record
sets) with the Responsible-AI (RAI) fields on collection, consent and withdrawal, personal and
sensitive information and the redaction method.  Validated by ``mlcroissant`` in the tests."""

from __future__ import annotations

import json
from typing import Any

CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs",
    "column": "cr:column", "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"}, "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract",
    "field": "cr:field", "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet", "format": "cr:format", "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath", "key": "cr:key",
    "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path",
    "recordSet": "cr:recordSet", "references": "cr:references", "regex": "cr:regex",
    "repeated": "cr:repeated", "replace": "cr:replace", "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/", "separator": "cr:separator", "source": "cr:source",
    "subField": "cr:subField", "transform": "cr:transform",
}

STEP_FIELDS = [
    ("episode_id", "sc:Text"), ("step_index", "sc:Integer"), ("t_start_ms", "sc:Integer"),
    ("t_end_ms", "sc:Integer"), ("obs_ts_ms", "sc:Integer"), ("obs_width", "sc:Integer"),
    ("obs_height", "sc:Integer"), ("obs_sha256", "sc:Text"), ("action_type", "sc:Text"),
    ("button", "sc:Text"), ("x", "sc:Float"), ("y", "sc:Float"), ("text", "sc:Text"),
    ("low_level_instruction", "sc:Text"), ("thought", "sc:Text"),
]
EPISODE_FIELDS = [
    ("episode_id", "sc:Text"), ("task_instruction", "sc:Text"), ("platform", "sc:Text"),
    ("outcome", "sc:Text"), ("annotator", "sc:Text"), ("consent_id", "sc:Text"),
    ("split", "sc:Text"), ("step_count", "sc:Integer"),
]


def _record_set(name: str, fileset: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
    return {"@type": "cr:RecordSet", "@id": name, "name": name,
            "field": [{"@type": "cr:Field", "@id": f"{name}/{f}", "name": f, "dataType": t,
                       "source": {"fileSet": {"@id": fileset}, "extract": {"column": f}}}
                      for f, t in fields]}


def document(ctx, episodes: list[dict[str, Any]], splits: list[str]) -> str:
    steps = sum(e["step_count"] for e in episodes)
    doc = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "name": ctx.name,
        "description": (f"Computer-use demonstrations: {len(episodes)} episodes, {steps} steps "
                        "of screen observations and the actions taken, recorded and labelled "
                        "by consenting contributors, approved by reviewers."),
        "license": "https://spdx.org/licenses/LicenseRef-contributor-consent",
        "url": f"file:{ctx.name}",
        "version": "1.0.0",
        "citeAs": f"{ctx.name}, exported with annotator",
        "rai:dataCollection": (
            "Contributors recorded their own screen, mouse, keyboard and window titles with "
            "annotator while doing tasks, reviewed every step, redacted what was private, "
            "labelled the steps and consented to each demonstration separately; reviewers "
            "approved each submission. Observation images are the lossless step frames of "
            "the redacted rendering, not video frames."),
        "rai:dataCollectionType": ["Manual Human Curator", "Direct measurement"],
        "rai:dataCollectionRawData": (
            "Raw recordings stay on the contributor's computer; only the rendered, redacted "
            "submission package (frames, steps, labels) with its consent record is stored."),
        "rai:dataUseCases": ["Training and evaluating computer-use and GUI agents, within the "
                             "purposes each contributor consented to (episodes.license)."],
        "rai:personalSensitiveInformation": [
            "Screens and typed text can contain personal data. Contributors redacted it before "
            "consenting (boxes burned into the frames, typed text masked, password-field "
            "typing never recorded); a leak check ran on the rendering, and the exporter "
            "checks every text field for e-mail addresses, phone and card numbers, IBANs, IP "
            "addresses, national ids, keys and tokens, except items the contributor accepted "
            "as not sensitive.",
            "Contributors appear only by pseudonym; no name, e-mail address or host name is "
            "stored."],
        "rai:dataPreprocessingProtocol": [
            "Redaction method: rectangles chosen or confirmed by the contributor are filled "
            "on every frame they cover; redacted strings are kept only as keyed hashes "
            "(HMAC-SHA256 with a per-workspace key) so exports can be checked for them "
            "without holding them.",
            "Steps are reduced from raw input events (clicks, drags, scrolls, typing bursts, "
            "key combinations); coordinates are pixels of the observation image."],
        "rai:dataReleaseMaintenancePlan": (
            "Consent and withdrawal: each episode names its consent record (episodes."
            "consent_id). Contributors may withdraw at any time; the exporter lists the "
            "episodes withdrawn since a date (annotator export --withdrawn-since) and "
            "rewrites exports without them (annotator export --refresh). Holders of a copy "
            "must delete withdrawn episodes."),
        "rai:dataLimitations": (
            "Desktop demonstrations from a limited number of contributors and applications; "
            "labels are written by contributors and checked by a single reviewer."),
        "distribution": [
            {"@type": "cr:FileSet", "@id": "steps-parquet", "name": "steps-parquet",
             "encodingFormat": "application/x-parquet", "includes": "data/steps/*.parquet"},
            {"@type": "cr:FileSet", "@id": "episodes-parquet", "name": "episodes-parquet",
             "encodingFormat": "application/x-parquet", "includes": "data/episodes/*.parquet"},
        ],
        "recordSet": [_record_set("steps", "steps-parquet", STEP_FIELDS),
                      _record_set("episodes", "episodes-parquet", EPISODE_FIELDS)],
    }
    approved = [e["_approved"] for e in episodes if e.get("_approved")]
    if approved:  # the latest approval: deterministic, unlike the time of the export
        doc["datePublished"] = max(approved).date().isoformat()
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
