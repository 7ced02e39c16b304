"""Every export's dataset card (``README.md``) and licence (``LICENSE.md``): what the files
are and which upstream contract they follow, the counts, how to load them, the consent and
withdrawal terms, and the permitted uses.  Made from the manifest (its episode entries carry
each episode's contributor and licence), so a conversion or a refresh writes them again with
its own counts."""

from __future__ import annotations

from collections import Counter
from typing import Any

from annotator.export.base import Writer, split_order
from annotator.export.schema import EPISODE_COLUMNS, STEP_COLUMNS

LICENCE_NAME = "annotator-contributor-consent"
LICENCE_FILE = "LICENSE.md"
CARD_FILE = "README.md"

ABOUT = {
    "canonical": "the lossless archive: two Parquet tables, `steps` (one row per action, with "
                 "its observation image embedded) and `episodes`, and a Croissant description "
                 "(`croissant.json`, with the Responsible-AI fields)",
    "opencua": "AgentNet trajectories as OpenCUA's `gen_cot.py` reads them: one JSON line per "
               "episode with its `traj`, actions as AgentNet's PyAutoGUI code (coordinates in "
               "[0, 1], 4 decimals), and the screenshots in `images/`",
    "chat-sft": "supervised fine-tuning rows, one per step, in the `{dialect}` dialect: that "
                "model's own conversation layout, prompts and action language",
    "computer-use": "each episode as an Anthropic computer-tool transcript (`anthropic/`) and "
                    "as OpenAI `computer_call` items (`openai/`), with the screenshots scaled "
                    "to the declared display",
    "webdataset": "tar shards of (observation image, canonical step JSON) samples for "
                  "streaming, with the samples' types in `features.json`",
}

WITHDRAWAL = (
    "Consent and withdrawal: each episode was given with its contributor's explicit consent "
    "(the consent record id is in manifest.json and, in the canonical format, in "
    "episodes.consent_id). A contributor can withdraw at any time. Withdrawn episodes are "
    "listed by id in manifest.json (`withdrawn`, as known when these files were made); "
    "`annotator export --refresh DIR --withdrawn FILE` (or `--convert` with `--withdrawn`) "
    "removes them from a copy, with FILE the newer list the exporting organisation publishes "
    "(`annotator export --withdrawn-since DATE --json`). Whoever holds a copy must delete "
    "withdrawn episodes from it and from anything derived from it where that is feasible.")


def licence(episodes: list[dict[str, Any]]) -> dict[str, str]:
    """The Croissant ``license`` (a CreativeWork) and the card's statement of it."""
    terms = sorted(Counter(e.get("license") or "" for e in episodes).items())
    text = "; ".join(t for t, _ in terms if t)
    return {"name": "Contributor consent terms (annotator)", "url": LICENCE_FILE,
            "description": "Use is limited to the purposes each contributor consented to: "
                           + (text or "see LICENSE.md") + "."}


def licence_text(name: str, episodes: list[dict[str, Any]], extra: list[str]) -> str:
    terms = sorted(Counter(e.get("license") or "(none recorded)" for e in episodes).items())
    lines = [f"# Terms of use of {name}", "",
             "These demonstrations are not under an open licence. Each was given by its "
             "contributor under a consent to specific uses; you may use an episode only for "
             "the purposes its consent permits:", ""]
    lines += [f"- {t} ({n} episode(s))" for t, n in terms]
    lines += ["", "You may not try to identify the contributors (they appear by pseudonym "
              "only), and you must delete every episode that is withdrawn (see README.md, "
              "\"Consent and withdrawal\").", ""]
    for e in extra:
        lines += [e, ""]
    return "\n".join(lines)


def card(writer: Writer, manifest: dict[str, Any]) -> str:
    ctx = writer.ctx
    episodes = manifest["episodes"]
    fmt = manifest["export"]["format"]
    counts = manifest["counts"]
    splits = sorted(counts["by_split"], key=split_order)
    yaml = ["---", *writer.card_yaml(splits), "license: other",
            f"license_name: {LICENCE_NAME}", f"license_link: {LICENCE_FILE}",
            "task_categories:", "- image-text-to-text", "tags:", "- computer-use",
            "- gui-agents", "- demonstrations", "---", ""]
    about = ABOUT[fmt].format(dialect=ctx.dialect)
    ups = "; ".join(f"{u['repository']} at commit {str(u['commit'])[:12]} "
                    f"({', '.join(u['files'])})" for u in manifest.get("upstream") or [])
    contributors = len({e.get("contributor") for e in episodes})
    body = [f"# {ctx.name}", "",
            f"Computer-use demonstrations recorded, redacted and labelled by consenting "
            f"contributors with annotator and approved by a reviewer: {about}.", "",
            f"The files follow {ups}; exports/README.md in annotator quotes the upstream lines "
            "each rule follows.", "",
            "## Counts", "",
            f"{counts['episodes']} episodes, {counts['steps']} steps, {contributors} "
            "contributor(s); split by contributor (no contributor is in two splits).", "",
            "| split | episodes | steps | contributors |", "|---|---|---|---|"]
    body += [f"| {s} | {v['episodes']} | {v['steps']} | {v['contributors']} |"
             for s in splits for v in [counts["by_split"][s]]]
    body += ["", "Actions: " + ", ".join(f"{k} {v}" for k, v in
                                        sorted(counts["by_action_type"].items())) + "."]
    if counts.get("unsupported"):
        body += ["", "Left out because this format has no way to say them (they are in the "
                 "canonical export): " + ", ".join(f"{k}: {v}" for k, v in
                                                    sorted(counts["unsupported"].items()))
                 + "."]
    if counts.get("simplified"):
        body += ["", "Written with less than the canonical step holds: "
                 + ", ".join(f"{k}: {v}" for k, v in sorted(counts["simplified"].items()))
                 + "."]
    body += ["", "## Loading", "", writer.loading, ""]
    if fmt == "canonical":
        body += ["## Fields", "", "Coordinates are pixels of `obs_image`; `scroll_dy > 0` is "
                 "down.", "", "`steps`:", ""]
        body += [f"- `{c.name}`: {c.doc}" for c in STEP_COLUMNS]
        body += ["", "`episodes`:", ""]
        body += [f"- `{c.name}`: {c.doc}" for c in EPISODE_COLUMNS]
        body += [""]
    body += ["## Consent, withdrawal and personal data", "", WITHDRAWAL, "",
             "Contributors appear only by pseudonym. Screens were redacted by the contributor "
             "before consenting (boxes burned into the frames, typed text masked, "
             "password-field typing never recorded), then checked for leaks; the exporter "
             "checks every text field again for personal-data patterns.", "",
             "## Licence", "",
             f"Not an open licence: see {LICENCE_FILE}. " + licence(episodes)["description"],
             ""]
    return "\n".join(yaml + body)
