"""``croissant.json`` for the canonical export: Croissant 1.0 JSON-LD conforming to the
Responsible-AI vocabulary too (mlcommons/croissant ``docs/croissant-rai-spec.md``: "Croissant
datasets must declare that they conform to this specification by including the following
property, at the dataset level: "dct:conformsTo" : "http://mlcommons.org/croissant/RAI/1.0"").

The record sets ``steps`` and ``episodes`` have a field for every column of the canonical
tables (``schema.py``): structs as sub-fields, lists as repeated fields, ``obs_image`` as an
``sc:ImageObject`` read from the Parquet struct's bytes.  ``mlcroissant`` validates it and
reads every field in the tests.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from annotator.export.schema import EPISODE_COLUMNS, IMAGE_COLUMNS, STEP_COLUMNS, Column

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
CONFORMS_TO = ["http://mlcommons.org/croissant/1.0", "http://mlcommons.org/croissant/RAI/1.0"]

if TYPE_CHECKING:
    from annotator.export.base import Context


def _data_type(t: pa.DataType) -> str:
    if pa.types.is_integer(t):
        return "sc:Integer"
    if pa.types.is_floating(t):
        return "sc:Float"
    if pa.types.is_boolean(t):
        return "sc:Boolean"
    if pa.types.is_timestamp(t):
        return "sc:Date"
    return "sc:Text"


def _field(fid: str, name: str, t: pa.DataType, fileset: str, column: str,
           path: str | None, doc: str = "") -> dict[str, Any]:
    """A field for a value of type ``t`` found in ``column`` (at ``path`` inside a struct)."""
    out: dict[str, Any] = {"@type": "cr:Field", "@id": fid, "name": name}
    if doc:
        out["description"] = doc
    repeated = pa.types.is_list(t)
    if repeated:
        out["repeated"] = True
        t = t.value_type
    if pa.types.is_struct(t):
        out["subField"] = [
            _field(f"{fid}/{t.field(i).name}", t.field(i).name, t.field(i).type, fileset,
                   column, t.field(i).name if path is None or repeated
                   else f"{path}.{t.field(i).name}")
            for i in range(t.num_fields)]
        return out
    source: dict[str, Any] = {"fileSet": {"@id": fileset}, "extract": {"column": column}}
    if path is not None:
        source["transform"] = {"jsonPath": path}
    out["dataType"] = _data_type(t)
    out["source"] = source
    return out


def _record_set(name: str, fileset: str, columns: list[Column]) -> dict[str, Any]:
    fields = []
    for c in columns:
        if c.name in IMAGE_COLUMNS:
            fields.append({"@type": "cr:Field", "@id": f"{name}/{c.name}", "name": c.name,
                           "description": c.doc, "dataType": "sc:ImageObject",
                           "source": {"fileSet": {"@id": fileset},
                                      "extract": {"column": c.name},
                                      "transform": {"jsonPath": "bytes"}}})
        else:
            fields.append(_field(f"{name}/{c.name}", c.name, c.type, fileset, c.name, None,
                                 c.doc))
    return {"@type": "cr:RecordSet", "@id": name, "name": name, "field": fields}


def document(ctx: Context, episodes: list[dict[str, Any]], splits: list[str], *,
             licence: dict[str, str], withdrawal: str) -> str:
    steps = sum(e["step_count"] for e in episodes)
    contributors = len({e["annotator"] for e in episodes})
    doc = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": ctx.name,
        "description": (f"Computer-use demonstrations: {len(episodes)} episodes, {steps} steps "
                        "of screen observations and the actions taken, recorded and labelled "
                        "by consenting contributors, approved by reviewers."),
        "license": {"@type": "sc:CreativeWork", **licence},
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
        "rai:dataAnnotationProtocol": (
            "Steps are derived from the recorded input events (clicks, drags, scrolls, typing "
            "bursts, key combinations), each paired with the last screen before it. The "
            "contributor who performed the task edits the steps (trim, cut, merge, split, "
            "delete), writes an instruction for every step and optionally a thought, marks "
            "mistakes and redundant steps, sets the task's goal, outcome and difficulty (1-5), "
            "then consents; one reviewer approves, requests changes or rejects, and scores "
            "the approved submission 1-5."),
        "rai:dataAnnotationPlatform": "annotator (desktop editor and review queue)",
        "rai:annotationsPerItem": "1 (the contributor's own labels, checked by one reviewer)",
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
            "Coordinates are pixels of the observation image."],
        "rai:dataReleaseMaintenancePlan": withdrawal,
        "rai:dataLimitations": (
            f"Desktop demonstrations from {contributors} contributor(s) and a limited number of "
            "applications; labels are written by contributors and checked by a single "
            "reviewer."),
        "distribution": [
            {"@type": "cr:FileSet", "@id": "steps-parquet", "name": "steps-parquet",
             "encodingFormat": "application/x-parquet", "includes": "data/steps/*.parquet"},
            {"@type": "cr:FileSet", "@id": "episodes-parquet", "name": "episodes-parquet",
             "encodingFormat": "application/x-parquet", "includes": "data/episodes/*.parquet"},
        ],
        "recordSet": [_record_set("steps", "steps-parquet", STEP_COLUMNS),
                      _record_set("episodes", "episodes-parquet", EPISODE_COLUMNS)],
    }
    approved = [e["_approved"] for e in episodes if e.get("_approved")]
    if approved:  # the latest approval: deterministic, unlike the time of the export
        doc["datePublished"] = max(approved).date().isoformat()
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
