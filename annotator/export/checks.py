"""Validation of an export (formats.md section 5): run after every export and by
``annotator export --check DIR``.  Every problem names the file and the rule.

Rules (the names printed):

- ``manifest``: manifest.json parses, names a known format, lists the episodes.
- ``sha256sums``: every file is listed in SHA256SUMS with its hash, and nothing else is there.
- ``schema``: the exact Arrow schema (canonical), the keys of each JSON record; each action
  has its required fields (text for type, keys for key, a non-zero scroll, a path of at least
  2 points for drag, one terminate and only last).
- ``image``: the observation exists, decodes, has the recorded size and SHA-256.
- ``order``: ``step_index`` is 0..n-1, timestamps are monotonic, ``t_end >= t_start``.
- ``observation-before-action``: ``obs_ts_ms < t_start_ms``; in transcripts, the screenshot
  of a step is given before its action.
- ``coordinates``: every point (paths included) lies in ``[0, w) x [0, h)`` of its own image;
  normalized values in [0, 1], grid values integers in [0, 999], smart-resized pixels inside
  the recomputed size.
- ``grammar``: every action is read with its dialect's grammar (``annotator.export.actions``:
  AgentNet PyAutoGUI, UI-TARS v1 or 1.5, the Anthropic tool's and OpenAI's actions), never by
  writing the step again and comparing: anything outside the language (a name, argument,
  quoting, key name or call sequence it does not have) is an error.
- ``layout``: the dialect's conversation layout: keys, roles, system and user prompts,
  where the images go; in transcripts, every call answered before the next.
- ``card``: the dataset card (README.md) and the licence (LICENSE.md) are there.
- ``redacted-string``: no n-gram (1-12 words) of a text field has the keyed hash of a string
  the contributor redacted (redactions.json: HMAC-SHA256 of the case-folded, stripped string
  with the workspace key).  The key stays in the contributor's workspace: without it this rule
  cannot run, and the report says so.
- ``pii``: no text field holds a personal-data or secret pattern (annotator.redaction.detect)
  except items the contributor accepted as not sensitive (the allow-list).
- ``splits``: no contributor is in two splits; every episode of the manifest is present.
- ``provenance``: license, consent id and outcome are present.
- ``chat``: the ``<image>`` count equals the number of images.
- ``terminal``: an episode ends with its outcome in the dialect's terminal action (where the
  dialect has one) and has no other.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import tarfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from annotator.export.actions import GrammarError
from annotator.export.schema import ACTION_TYPES

RULES = ("manifest", "sha256sums", "schema", "image", "order", "observation-before-action",
         "coordinates", "grammar", "layout", "card", "redacted-string", "pii", "splits",
         "provenance", "chat", "terminal")
SKIP_TEXT_KEYS = {"image", "images", "url", "image_url", "id", "episode_id", "task_id",
                  "tool_use_id", "call_id", "obs_sha256", "obs_image", "step_id", "type",
                  "action", "name", "role", "media_type", "status", "obs_display_id",
                  "action_type", "button", "split", "dialect", "code"}
MAX_NGRAM = 12


@dataclass
class Problem:
    file: str
    rule: str
    message: str
    level: str = "error"

    def __str__(self) -> str:
        return f"{self.level.upper()} {self.file}: [{self.rule}] {self.message}"


@dataclass
class Report:
    folder: Path
    deep: bool = True  # decode every image (--check); else read headers (after an export)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def ok(self) -> bool:
        return not any(p.level == "error" for p in self.problems)

    def add(self, file: str, rule: str, message: str, level: str = "error") -> None:
        self.problems.append(Problem(file, rule, message, level))

    def text(self, limit: int | None = None) -> str:
        errors = [p for p in self.problems if p.level == "error"]
        warns = [p for p in self.problems if p.level != "error"]
        lines = [str(p) for p in (errors + warns)[: limit or None]]
        more = len(errors) + len(warns) - len(lines)
        if more > 0:
            lines.append(f"... and {more} more")
        lines += [f"note: {n}" for n in self.notes]
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.checked.items()))
        lines.append(f"{'OK' if self.ok else 'FAILED'}: {len(errors)} error(s), "
                     f"{len(warns)} warning(s); checked {counts}.")
        return "\n".join(lines)


# -- text rules --------------------------------------------------------------------------------
class TextRules:
    """The redacted-string and pii rules, per episode (each has its own hashes and allow-list)."""

    def __init__(self, report: Report, manifest: dict[str, Any], key: bytes | None) -> None:
        from annotator.redaction.detect import Detector

        self.report, self.key = report, key
        self._keyed = hmac.new(key, digestmod=hashlib.sha256) if key is not None else None
        self._seen: dict[str, set[str]] = {}
        self.detector = Detector()
        self.hashes: dict[str, set[str]] = {}
        self.allow: dict[str, set[str]] = {}
        key_id = _key_id(key) if key is not None else None
        other_key = []
        for e in manifest.get("episodes") or []:
            red = e.get("redaction") or {}
            hashes = set(red.get("keyed_hashes") or [])
            if key is not None and hashes and red.get("key_id") not in (None, key_id):
                other_key.append(e["episode_id"])
                hashes = set()  # made with another workspace's key: cannot be checked here
            self.hashes[e["episode_id"]] = hashes
            self.allow[e["episode_id"]] = {_fold(a["text"]) for a in red.get("allow_list") or []
                                           if isinstance(a, dict) and a.get("text")}
        n = sum(len(h) for h in self.hashes.values())
        if key is None:
            report.notes.append(
                f"redacted-string: NOT checked ({n} keyed hash(es) in the manifest): the key "
                "stays in the contributor's workspace; give --redaction-key FILE to check")
        else:
            report.notes.append(f"redacted-string: every text field's 1-{MAX_NGRAM}-word "
                                f"n-grams checked against {n} keyed hash(es) with the key")
            if other_key:
                report.notes.append(f"redacted-string: NOT checked for {len(other_key)} "
                                    "episode(s) whose hashes were made with another key "
                                    "(another contributor's workspace)")
        report.notes.append("pii: every text field scanned with annotator.redaction.detect, "
                            "allow-listed items excepted")

    def check(self, file: str, episode_id: str, where: str, text: str) -> None:
        if not text:
            return
        self.report.checked["text fields"] += 1
        if self.key is not None and self.hashes.get(episode_id):
            hashes = self.hashes[episode_id]
            words = text.split()
            seen = self._seen.setdefault(episode_id, set())  # grams repeat across rows
            for i in range(len(words)):
                for j in range(i + 1, min(len(words), i + MAX_NGRAM) + 1):
                    gram = " ".join(words[i:j]).strip().casefold()
                    if gram in seen:
                        continue
                    assert self._keyed is not None  # (hashes are checked with a key only)
                    h = self._keyed.copy()  # = submission.render.keyed_hash(key, gram)
                    h.update(gram.encode("utf-8"))
                    if h.hexdigest() in hashes:
                        self.report.add(file, "redacted-string", f"{where}: holds a string the "
                                        "contributor redacted (its keyed hash matches)")
                        return
                    seen.add(gram)
        allow = self.allow.get(episode_id, set())
        for span in self.detector.detect(text):
            if _fold(span.text) in allow or any(_fold(span.text) in a or a in _fold(span.text)
                                                for a in allow if a):
                continue
            self.report.add(file, "pii", f"{where}: {span.kind} pattern "
                            f"{_clip(span.text)!r}")

    def walk(self, file: str, episode_id: str, where: str, obj: Any) -> None:
        if isinstance(obj, str):
            self.check(file, episode_id, where, obj)
        elif isinstance(obj, dict):
            for k, v in obj.items():
                if k in SKIP_TEXT_KEYS and not isinstance(v, dict | list):
                    continue
                self.walk(file, episode_id, f"{where}.{k}", v)
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                self.walk(file, episode_id, f"{where}[{i}]", v)


def _key_id(key: bytes) -> str:
    # As annotator.submission.builder names the key that made a package's hashes.
    return hmac.new(key, b"annotator key id", hashlib.sha256).hexdigest()[:16]


def _fold(s: str) -> str:
    return s.strip().casefold()


def _clip(s: str, n: int = 6) -> str:
    # Name the pattern without printing the personal data it may be.
    return s[:2] + "…" if len(s) > n else "…"


def screen_episode(episode_id: str, goal: str, rows: list[dict[str, Any]],
                   redaction: dict[str, Any], key: bytes | None) -> list[str]:
    """The redacted-string and pii rules on a submission's own text, before it is exported:
    a submission that would fail them is skipped (and named) rather than failing the
    whole export."""
    report = Report(Path("."))
    rules = TextRules(report, {"episodes": [{"episode_id": episode_id,
                                             "redaction": redaction}]}, key)
    rules.check("task.json", episode_id, "the goal", goal)
    for row in rows:
        where = f"step {row['step_index']}"
        for f in STEP_TEXT:
            rules.walk("steps.json", episode_id, f"{where} {f}", row.get(f))
        rules.walk("steps.json", episode_id, f"{where} target",
                   {k: v for k, v in (row.get("target") or {}).items()
                    if k in ("name", "window_title", "url")})
    return [f"{p.file} {p.message} [{p.rule}]" for p in report.problems if p.level == "error"]


# -- images ------------------------------------------------------------------------------------
def decode(data: bytes | None, deep: bool = True
           ) -> tuple[tuple[int, int] | None, str | None, str | None]:
    """(size, error, sha256) of an image: fully decoded (every pixel) when ``deep``, else
    its header read."""
    if data is None:
        return None, "the image is missing", None
    sha = hashlib.sha256(data).hexdigest()
    try:
        with Image.open(io.BytesIO(data)) as im:
            if deep:
                im.load()
            return im.size, None, sha
    except Exception as exc:  # noqa: BLE001 - any decoder failure is the finding
        return None, f"the image does not decode ({exc})", sha


_POOL: list[ThreadPoolExecutor] = []


def decode_many(datas: list[bytes | None], deep: bool = True) -> list[Any]:
    """Decode in threads (Pillow releases the GIL): the check reads every image again."""
    if len(datas) < 4 or not deep:
        return [decode(d, deep) for d in datas]
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))))
    return list(_POOL[0].map(decode, datas))


def check_image(report: Report, file: str, where: str, data: bytes | None,
                width: int | None = None, height: int | None = None,
                sha256: str | None = None, decoded: Any = None) -> tuple[int, int] | None:
    report.checked["images"] += 1
    size, error, sha = decoded if decoded is not None else decode(data, report.deep)
    if data is None:
        report.add(file, "image", f"{where}: the image is missing")
        return None
    if sha256 is not None and sha != sha256:
        report.add(file, "image", f"{where}: the image does not match its obs_sha256")
    if error is not None:
        report.add(file, "image", f"{where}: {error}")
        return None
    if width is not None and size is not None and (size[0], size[1]) != (width, height):
        report.add(file, "image", f"{where}: the image is {size[0]}x{size[1]}, the row says "
                   f"{width}x{height}")
    return size


# -- canonical rows (canonical and webdataset) ------------------------------------------------
def _pt_inside(x: Any, y: Any, w: int, h: int) -> bool:
    return x is not None and y is not None and 0 <= x < w and 0 <= y < h


def check_step_row(report: Report, file: str, row: dict[str, Any], w: int, h: int) -> None:
    where = f"episode {row.get('episode_id')} step {row.get('step_index')}"
    t = row.get("action_type")
    report.checked["steps"] += 1
    if t not in A_TYPES:
        report.add(file, "schema", f"{where}: unknown action_type {t!r}")
        return
    if t == "type" and not row.get("text"):
        report.add(file, "schema", f"{where}: a type step without text")
    if t == "key" and not row.get("keys"):
        report.add(file, "schema", f"{where}: a key step without keys")
    if t == "scroll" and not (row.get("scroll_dx") or row.get("scroll_dy")):
        report.add(file, "schema", f"{where}: a scroll of (0, 0)")
    if t == "drag" and len(row.get("path") or []) < 2:
        report.add(file, "schema", f"{where}: a drag with fewer than 2 path points")
    if t in POINT_TYPES and not _pt_inside(row.get("x"), row.get("y"), w, h):
        report.add(file, "coordinates", f"{where}: ({row.get('x')}, {row.get('y')}) is outside "
                   f"[0, {w}) x [0, {h})")
    for p in row.get("path") or []:
        if not _pt_inside(p.get("x"), p.get("y"), w, h):
            report.add(file, "coordinates", f"{where}: path point ({p.get('x')}, {p.get('y')}) "
                       f"is outside [0, {w}) x [0, {h})")
            break
    bbox = (row.get("target") or {}).get("bbox_px")
    if bbox and row.get("x") is not None and t in A_CLICKS:
        x0, y0, x1, y1 = bbox
        if not (x0 - 1 <= row["x"] <= x1 + 1 and y0 - 1 <= row["y"] <= y1 + 1):
            report.add(file, "coordinates", f"{where}: the point lies outside target.bbox_px "
                       f"{bbox}", level="warning")
    obs, t0, t1 = row.get("obs_ts_ms"), row.get("t_start_ms"), row.get("t_end_ms")
    if obs is None or t0 is None or not obs < t0:
        report.add(file, "observation-before-action", f"{where}: obs_ts_ms {obs} is not "
                   f"before t_start_ms {t0}")
    elif t0 - obs > 3000:
        report.add(file, "observation-before-action", f"{where}: the observation is "
                   f"{(t0 - obs) / 1000:.1f} s older than the action", level="warning")
    if t0 is not None and t1 is not None and t1 < t0:
        report.add(file, "order", f"{where}: t_end_ms {t1} < t_start_ms {t0}")


A_CLICKS = {"click", "double_click", "triple_click", "right_click", "middle_click"}
POINT_TYPES = A_CLICKS | {"mouse_move", "drag", "scroll", "long_press", "swipe"}
A_TYPES = set(ACTION_TYPES)
STEP_TEXT = ("text", "keys", "low_level_instruction", "thought", "observation_desc",
             "reflection")


class EpisodeOrder:
    """Per episode: contiguous step_index, monotonic times, one terminate, last."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.state: dict[Any, dict[str, Any]] = {}  # by episode id, as the rows give it

    def see(self, file: str, row: dict[str, Any]) -> None:
        ep = row.get("episode_id")
        st = self.state.setdefault(ep, {"next": 0, "t": None, "terminate": None, "n": 0,
                                        "file": file})
        where = f"episode {ep} step {row.get('step_index')}"
        if row.get("step_index") != st["next"]:
            self.report.add(file, "order", f"{where}: step_index is not contiguous (expected "
                            f"{st['next']})")
        st["next"] = (row.get("step_index") or 0) + 1
        t0 = row.get("t_start_ms")
        if st["t"] is not None and t0 is not None and t0 < st["t"]:
            self.report.add(file, "order", f"{where}: t_start_ms goes back in time")
        st["t"] = t0
        if st["terminate"] is not None:
            self.report.add(file, "schema", f"{where}: a step after terminate")
        if row.get("action_type") == "terminate":
            st["terminate"] = row.get("step_index")
            st["status"] = row.get("terminal_status")
        st["n"] += 1


# -- the checks --------------------------------------------------------------------------------
def load_manifest(folder: Path, report: Report) -> dict[str, Any] | None:
    p = folder / "manifest.json"
    try:
        m = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        report.add("manifest.json", "manifest", f"cannot be read ({exc})")
        return None
    if not isinstance(m, dict) or m.get("format") != "annotator-export" \
            or not isinstance(m.get("episodes"), list):
        report.add("manifest.json", "manifest", "is not an annotator export manifest")
        return None
    return m


def check_sums(folder: Path, report: Report) -> None:
    p = folder / "SHA256SUMS"
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        report.add("SHA256SUMS", "sha256sums", f"cannot be read ({exc})")
        return
    listed: dict[str, str] = {}
    for line in lines:
        if not line.strip():
            continue
        sha, _, rel = line.partition("  ")
        listed[rel] = sha
    present = {q.relative_to(folder).as_posix() for q in folder.rglob("*") if q.is_file()}
    present -= {"manifest.json", "SHA256SUMS"}
    for rel in sorted(set(listed) - present):
        report.add(rel, "sha256sums", "is listed in SHA256SUMS but missing")
    for rel in sorted(present - set(listed)):
        report.add(rel, "sha256sums", "is not listed in SHA256SUMS")
    for rel in sorted(present & set(listed)):
        h = hashlib.sha256()
        with open(folder / rel, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        report.checked["files"] += 1
        if h.hexdigest() != listed[rel]:
            report.add(rel, "sha256sums", "does not match its SHA-256 in SHA256SUMS")


def check_export(folder: str | Path, *, key: bytes | None = None, deep: bool = True
                 ) -> Report:
    """Every rule on an export folder.  ``deep=False`` (right after an export, whose images
    were just encoded from decoded pixels) checks each image's SHA-256 and header size but
    does not decode its pixels again; ``annotator export --check`` decodes them all."""
    folder = Path(folder)
    report = Report(folder, deep=deep)
    if not deep:
        report.notes.append("image: SHA-256 and header size of every image (just encoded "
                            "from decoded frames); `annotator export --check` decodes every "
                            "pixel")
    manifest = load_manifest(folder, report)
    if manifest is None:
        return report
    check_sums(folder, report)
    for f in ("README.md", "LICENSE.md"):
        if not (folder / f).is_file():
            report.add(f, "card", "is missing (every export carries its card and licence)")
    text = TextRules(report, manifest, key)
    fmt = (manifest.get("export") or {}).get("format")
    from annotator.export import transcript_checks as tc  # they use this module's rules

    fn = {"canonical": _canonical, "opencua": tc.check_opencua, "chat-sft": tc.check_chat,
          "computer-use": tc.check_computer_use, "webdataset": _webdataset}.get(str(fmt))
    if fn is None:
        report.add("manifest.json", "manifest", f"unknown format {fmt!r}")
        return report
    seen = fn(folder, manifest, report, text)
    _splits(manifest, report, seen)
    return report


def _splits(manifest: dict[str, Any], report: Report, seen: set[str] | None) -> None:
    where: dict[str, set[str]] = defaultdict(set)
    for e in manifest["episodes"]:
        where[e.get("contributor")].add(e.get("split"))
        for k in ("consent_record_id", "manifest_sha256", "submission_id"):
            if not e.get(k):
                report.add("manifest.json", "provenance", f"episode {e.get('episode_id')} has "
                           f"no {k}")
    for c, splits in sorted(where.items()):
        if len(splits) > 1:
            report.add("manifest.json", "splits", f"contributor {c} is in several splits: "
                       f"{', '.join(sorted(splits))}")
    gone = {w.get("episode_id") for w in manifest.get("withdrawn") or ()}
    if seen is not None:
        listed = {e["episode_id"] for e in manifest["episodes"]}
        for ep in sorted(listed - seen):
            report.add("manifest.json", "splits", f"episode {ep} is in the manifest but not in "
                       "the data")
        for ep in sorted(seen - listed):
            report.add("manifest.json", "splits", f"episode {ep} is in the data but not in the "
                       "manifest")
        for ep in sorted(seen & gone):
            report.add("manifest.json", "provenance", f"episode {ep} is listed as withdrawn "
                       "but is still in the data")


def _canonical(folder: Path, manifest: dict[str, Any], report: Report, text: TextRules
               ) -> set[str]:
    import pyarrow.parquet as pq

    from annotator.export.schema import EPISODES, STEPS

    seen: set[str] = set()
    order = EpisodeOrder(report)
    split_of = {e["episode_id"]: e["split"] for e in manifest["episodes"]}
    for p in sorted((folder / "data" / "steps").glob("*.parquet")):
        rel = p.relative_to(folder).as_posix()
        try:
            # Row group by row group, buffered: iter_batches would read far more at once.
            pf = pq.ParquetFile(p, buffer_size=1 << 20)
        except Exception as exc:  # noqa: BLE001
            report.add(rel, "schema", f"is not a readable Parquet file ({exc})")
            continue
        if not pf.schema_arrow.remove_metadata().equals(STEPS):
            report.add(rel, "schema", "the steps schema differs from the canonical schema")
            continue
        for g in range(pf.metadata.num_row_groups):
            rows = pf.read_row_group(g).to_pylist()
            decoded = decode_many([(r.get("obs_image") or {}).get("bytes") for r in rows],
                                  report.deep)
            for row, dec in zip(rows, decoded, strict=True):
                ep = row["episode_id"]
                seen.add(ep)
                if split_of.get(ep) and not rel.startswith(f"data/steps/{split_of[ep]}-"):
                    report.add(rel, "splits", f"episode {ep} is in the wrong split's file")
                img = row.get("obs_image") or {}
                size = check_image(report, rel, f"episode {ep} step {row['step_index']}",
                                   img.get("bytes"), row.get("obs_width"),
                                   row.get("obs_height"), row.get("obs_sha256"), decoded=dec)
                order.see(rel, row)
                if size:
                    check_step_row(report, rel, row, size[0], size[1])
                for f in STEP_TEXT:
                    text.walk(rel, ep, f"episode {ep} step {row['step_index']} {f}", row.get(f))
                text.walk(rel, ep, f"episode {ep} step {row['step_index']} target",
                          {k: v for k, v in (row.get("target") or {}).items()
                           if k in ("name", "window_title", "url")})
    _terminate_last(report, order)
    for p in sorted((folder / "data" / "episodes").glob("*.parquet")):
        rel = p.relative_to(folder).as_posix()
        t = pq.read_table(p)
        if not t.schema.remove_metadata().equals(EPISODES):
            report.add(rel, "schema", "the episodes schema differs from the canonical schema")
            continue
        for e in t.to_pylist():
            for k in ("license", "consent_id", "outcome"):
                if not e.get(k):
                    report.add(rel, "provenance", f"episode {e['episode_id']} has no {k}")
            st = order.state.get(e["episode_id"])
            if st is None or st["n"] != e["step_count"]:
                report.add(rel, "schema", f"episode {e['episode_id']}: step_count "
                           f"{e['step_count']} but {st['n'] if st else 0} step rows")
            status = st and st.get("status")
            if status and status != ("success" if e["outcome"] == "success" else "failure"):
                report.add(rel, "terminal", f"episode {e['episode_id']}: outcome "
                           f"{e['outcome']} but the terminal step says {status}")
            text.walk(rel, e["episode_id"], f"episode {e['episode_id']} task_instruction",
                      e.get("task_instruction"))
    if not (folder / "croissant.json").is_file():
        report.add("croissant.json", "schema", "is missing")
    return seen


def _terminate_last(report: Report, order: EpisodeOrder) -> None:
    for ep, st in order.state.items():
        if st["terminate"] is not None and st["terminate"] != st["next"] - 1:
            report.add(st["file"], "schema", f"episode {ep}: terminate is not the last step")


def read_member(folder: Path, rel: str) -> bytes | None:
    p = folder / rel
    if ".." in Path(rel).parts or not p.is_file():
        return None
    return p.read_bytes()


def jsonl_records(folder: Path, pattern: str, report: Report) -> Iterator[tuple[str, int, Any]]:
    for p in sorted(folder.glob(pattern)):
        rel = p.relative_to(folder).as_posix()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                yield rel, n, json.loads(line)
            except ValueError as exc:
                report.add(rel, "schema", f"line {n} is not JSON ({exc})")


def check_grammar(report: Report, rel: str, where: str, fn: Callable[..., Any], *args: Any
             ) -> Any:
    """Read an action with its grammar; a problem is reported (coordinates or grammar)."""
    report.checked["actions"] += 1
    try:
        return fn(*args)
    except (GrammarError, SyntaxError, ValueError) as exc:
        rule = "coordinates" if "outside" in str(exc) else "grammar"
        report.add(rel, rule, f"{where}: {exc}")
        return None


class Terminal:
    """Per episode: the terminal action is last and says the manifest's outcome; an episode
    whose canonical steps end with one has it, unless the manifest says the dialect left it
    out."""

    def __init__(self, report: Report, manifest: dict[str, Any]) -> None:
        self.report = report
        self.outcome = {e["episode_id"]: e.get("outcome") for e in manifest["episodes"]}
        self.expected = {e["episode_id"]: e for e in manifest["episodes"]
                         if (e.get("actions") or {}).get("terminate")}
        self.seen: dict[str, set[str]] = defaultdict(set)

    def finish(self, rel: str, target: str) -> None:
        for ep, e in self.expected.items():
            left = any(k.startswith(f"{target}:terminate") for k in e.get("left_out") or {})
            if target not in self.seen[ep] and not left:
                self.report.add(rel, "terminal", f"episode {ep} has no terminal action "
                                f"({target}), though it ends with its outcome")

    def see(self, rel: str, ep: str, where: str, status: str | None, last: bool,
            target: str = "") -> None:
        if status is None:
            return
        self.seen[ep].add(target)
        if not last:
            self.report.add(rel, "terminal", f"{where}: a terminal action before the end")
        want = self.outcome.get(ep)
        if want is not None and status != ("success" if want == "success" else "failure"):
            self.report.add(rel, "terminal", f"{where}: ends with {status}, the outcome is "
                            f"{want}")


def _webdataset(folder: Path, manifest: dict[str, Any], report: Report, text: TextRules
                ) -> set[str]:
    seen: set[str] = set()
    order = EpisodeOrder(report)
    if not (folder / "features.json").is_file():
        report.add("features.json", "schema", "is missing (the samples' declared types)")
    for p in sorted((folder / "shards").glob("*.tar")):
        rel = p.relative_to(folder).as_posix()
        samples: dict[str, dict[str, bytes]] = {}
        try:
            with tarfile.open(p) as t:
                for member in t:
                    key, _, ext = member.name.partition(".")
                    fh = t.extractfile(member)
                    samples.setdefault(key, {})[ext] = fh.read() if fh else b""
        except (tarfile.TarError, OSError) as exc:
            report.add(rel, "schema", f"is not a readable tar file ({exc})")
            continue
        for key in sorted(samples):
            parts = samples[key]
            if "json" not in parts or len(parts) != 2:
                report.add(rel, "schema", f"sample {key}: needs an image and a .json")
                continue
            row = json.loads(parts["json"])
            ext = next(e for e in parts if e != "json")
            seen.add(row.get("episode_id"))
            size = check_image(report, rel, f"sample {key}", parts[ext], row.get("obs_width"),
                               row.get("obs_height"), row.get("obs_sha256"))
            order.see(rel, row)
            if size:
                check_step_row(report, rel, row, size[0], size[1])
            for f in STEP_TEXT:
                text.walk(rel, row.get("episode_id"), f"sample {key} {f}", row.get(f))
    _terminate_last(report, order)
    return seen
