"""Run an export: select, split, write into a temporary sibling folder, check, rename.

Nothing half-written ever looks complete: the files go into ``.<NAME>.tmp-<pid>`` beside the
destination, which is synced and renamed only after every file is written and the checks
pass (a full disk, a crash or a failed check leave at most that temporary folder, removed on
the way out when possible).  An existing destination is replaced only with ``force`` or on a
refresh, and only at that final rename.

The episodes come from the store (``run_export``) or from a canonical export
(``annotator.export.convert``); ``write_export`` writes either the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import os
import shutil
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from annotator import __version__
from annotator.export import cards, checks, upstream
from annotator.export.base import Context, Writer
from annotator.export.canonical import CanonicalWriter
from annotator.export.chatsft import DIALECTS, ChatSFTWriter
from annotator.export.computeruse import ComputerUseWriter
from annotator.export.errors import BadSubmission, CheckFailed, ExportError, as_bad
from annotator.export.filter import compile_filter
from annotator.export.images import (
    FORMATS,
    PNG_SETTINGS,
    WEBP_SETTINGS,
    Encoded,
    ImageError,
    encode_frame,
    strip_png,
)
from annotator.export.opencua import OpenCUAWriter
from annotator.export.schema import SCHEMA_VERSION
from annotator.export.source import (
    BlobReader,
    SourceEpisode,
    approved_episodes,
    package_hashes,
    withdrawn_since,
)
from annotator.export.splits import assign, parse_split
from annotator.export.steps import canonical_steps, episode_row, scale_step
from annotator.export.wds import WebDatasetWriter
from annotator.fsutil import publish_folder, remove_folder
from annotator.jobs import Progress
from annotator.store import Store

WRITERS: dict[str, type[Writer]] = {
    "canonical": CanonicalWriter,
    "opencua": OpenCUAWriter,
    "chat-sft": ChatSFTWriter,
    "computer-use": ComputerUseWriter,
    "webdataset": WebDatasetWriter,
}
FORMAT_NAMES = tuple(WRITERS)
MANIFEST = "manifest.json"
WORKERS = max(1, min(4, os.cpu_count() or 1))
WHOLE_EPISODE_STEPS = 100  # longer episodes are verified first, then streamed
SUMS = "SHA256SUMS"


@dataclass
class ExportRequest:
    out: Path
    format: str
    dialect: str | None = None
    filter: str | None = None
    split: str | None = None
    image_format: str = "png"
    max_side: int | None = None
    force: bool = False
    skip_bad: bool = False
    redaction_key: bytes | None = None
    # Episodes withdrawn that the export must leave out and list (a newer list than the
    # store's own, e.g. given to --refresh or --convert): [{episode_id, withdrawn_at}].
    withdrawn: list[dict[str, Any]] | None = None
    # set by refresh: only these submissions, in these splits
    only_ids: set[int] | None = None
    fixed_splits: dict[int, str] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    replace: bool = False
    recorded_filter: str | None = None  # refresh: the filter the export was first made with


@dataclass
class ExportResult:
    out: Path
    episodes: int
    steps: int
    by_action: dict[str, int]
    skipped: list[dict[str, Any]]
    check: checks.Report
    manifest: dict[str, Any]


@dataclass
class Item:
    """One episode ready to write: its canonical episode row (``split`` set), its manifest
    entry, its canonical step rows and their images (encoded for the target, with SHA-256),
    in order."""

    episode: dict[str, Any]
    entry: dict[str, Any]
    rows: list[dict[str, Any]]
    images: Iterator[tuple[Encoded, str]]
    scale: float = 1.0


def validate_request(req: ExportRequest) -> None:
    validate_target(req.format, req.dialect, req.image_format, req.max_side)
    compile_filter(req.filter)
    parse_split(req.split)


def validate_target(fmt: str, dialect: str | None, image_format: str,
                    max_side: int | None) -> None:
    if fmt not in WRITERS:
        raise ExportError(f"Unknown export format {fmt!r}.",
                          "Known formats: " + ", ".join(FORMAT_NAMES) + ".")
    if fmt == "chat-sft":
        if dialect is None:
            raise ExportError("chat-sft needs a --dialect.",
                              "Known dialects: " + ", ".join(DIALECTS) + ".")
        if dialect not in DIALECTS:
            raise ExportError(f"Unknown chat-sft dialect {dialect!r}.",
                              "Known dialects: " + ", ".join(DIALECTS) + ".")
    elif dialect is not None:
        raise ExportError(f"--dialect is for --format chat-sft, not {fmt}.",
                          "Leave --dialect out, or use --format chat-sft.")
    if image_format not in FORMATS:
        raise ExportError(f"Unknown image format {image_format!r}.",
                          "Known image formats: " + ", ".join(FORMATS) + ".")
    if max_side is not None and max_side < 64:
        raise ExportError(f"--max-side {max_side} is too small.",
                          "Give at least 64 pixels, or leave it out to keep the frames' size.")


def temp_sibling(out: Path) -> Path:
    return out.parent / f".{out.name}.tmp-{os.getpid()}"


def check_destination(out: Path, replace: bool) -> None:
    if out.exists() and not replace:
        raise ExportError(f"{out} exists already.",
                          "Choose another --out, add --force to replace it, or use "
                          f"`annotator export --refresh {out}` to update it.")
    if out.exists() and not (out / MANIFEST).is_file() and any(out.iterdir()):
        raise ExportError(f"{out} exists and is not an export (no {MANIFEST}).",
                          "Choose another --out: only an export folder is ever replaced.")


def known_withdrawn(store: Store) -> list[dict[str, Any]]:
    """Every demonstration withdrawn from the store, once each (earliest time)."""
    out: dict[str, str] = {}
    for t in withdrawn_since(store, None):
        out.setdefault(t["episode_id"], t["withdrawn_at"])
    return [{"episode_id": k, "withdrawn_at": v} for k, v in sorted(out.items())]


def merge_withdrawn(*lists: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out: dict[str, Any] = {}
    for lst in lists:
        for w in lst or ():
            at = w.get("withdrawn_at")
            if w["episode_id"] not in out or (at and (out[w["episode_id"]] or "~") > at):
                out[w["episode_id"]] = at
    return [{"episode_id": k, "withdrawn_at": v} for k, v in sorted(out.items())]


def run_export(store: Store, req: ExportRequest, *, progress: Progress | None = None,
               warn: Callable[[str], None] = lambda s: None,
               now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
               ) -> ExportResult:
    validate_request(req)
    check_destination(req.out, req.force or req.replace)
    accept = compile_filter(req.filter)
    spec = parse_split(req.split)
    reader = BlobReader(store)
    skipped: list[dict[str, Any]] = []
    dropped: Counter[str] = Counter()
    withdrawn = merge_withdrawn(known_withdrawn(store), req.withdrawn)
    gone = {w["episode_id"] for w in withdrawn}

    def bad(exc: BadSubmission) -> None:
        skipped.append({"submission_id": exc.submission_id, "reason": exc.message})
        warn(f"skipped {exc.message}")

    # 1. Select.
    chosen: list[tuple[SourceEpisode, list[dict[str, Any]]]] = []
    for ep in approved_episodes(store, only_ids=req.only_ids):
        if ep.episode_id in gone:
            continue  # withdrawn by a list newer than the store (a refresh's --withdrawn)
        # Whatever one submission holds, it can only skip itself (reported), never stop
        # the export: any error reading it is a BadSubmission.
        try:
            reader.load(ep)
        except Exception as exc:  # noqa: BLE001
            with contextlib.suppress(Exception):
                if accept(ep.filter_row()):
                    bad(as_bad(ep.submission_id, exc))
            continue
        try:
            if not accept(ep.filter_row()):
                continue
            rows = canonical_steps(ep, dropped)
            if not rows:
                continue
            found = checks.screen_episode(ep.episode_id, ep.goal, rows, _redaction(
                ep.redactions_doc), req.redaction_key)
        except Exception as exc:  # noqa: BLE001
            bad(as_bad(ep.submission_id, exc))
            continue
        if found:
            bad(BadSubmission(ep.submission_id, "its text holds what must not be exported: "
                              + "; ".join(found[:3])
                              + (f" and {len(found) - 3} more" if len(found) > 3 else ""),
                              "Ask the contributor to redact it (or accept it as not "
                              "sensitive) and submit again."))
            continue
        chosen.append((ep, rows))
    if not chosen:
        if skipped:
            raise ExportError(f"Every submission that matched is unreadable ({len(skipped)}); "
                              "nothing was written.", "Run `annotator db check`.")
        what = f"the filter {req.filter!r}" if req.filter else "the selection"
        raise ExportError(f"No approved submission with valid consent matches {what}: "
                          "nothing was written.",
                          "Loosen --filter, or approve submissions first (annotator review).")

    # 2. Split by contributor.
    weights: Counter[str] = Counter()
    for ep, rows in chosen:
        weights[ep.contributor] += len(rows)
    by_contrib = assign(spec, weights)

    def split_of(ep: SourceEpisode) -> str:
        if req.fixed_splits and ep.submission_id in req.fixed_splits:
            return req.fixed_splits[ep.submission_id]
        return by_contrib[ep.contributor]

    # 3. Write.
    fit = WRITERS[req.format].fit
    pool = ThreadPoolExecutor(max_workers=WORKERS)  # Pillow and hashlib release the GIL
    try:
        items = _store_items(chosen, reader, req, fit, split_of, pool, bad)
        return write_export(
            req.out, req.format, req.dialect, req.image_format, req.max_side, items,
            total=sum(len(r) for _, r in chosen), redaction_key=req.redaction_key,
            progress=progress, now=now,
            settings={"filter": req.recorded_filter or req.filter, "split": spec.describe()},
            skipped=skipped, dropped=dropped, withdrawn=withdrawn, history=req.history,
            source={"store": "the workspace store"})
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _store_items(chosen: list[tuple[SourceEpisode, list[dict[str, Any]]]], reader: BlobReader,
                 req: ExportRequest, fit: tuple[int, int] | None,
                 split_of: Callable[[SourceEpisode], str], pool: ThreadPoolExecutor,
                 bad: Callable[[BadSubmission], None]) -> Iterator[Item]:
    def encode_one(ep: SourceEpisode, row: dict[str, Any]) -> tuple[Encoded, str]:
        f = ep.files[row["_frame"]]
        data = reader.read(ep, f)  # SHA-256 checked
        try:
            img = encode_frame(data, req.image_format, max_side=req.max_side, fit=fit)
        except ImageError as exc:
            raise BadSubmission(ep.submission_id, f"{f.path} is not a readable frame "
                                f"({exc}).") from None
        return img, hashlib.sha256(img.data).hexdigest()

    def verify_one(ep: SourceEpisode, row: dict[str, Any]) -> None:
        f = ep.files[row["_frame"]]
        try:
            strip_png(reader.read(ep, f))
        except ImageError as exc:
            raise BadSubmission(ep.submission_id, f"{f.path} is not a readable PNG "
                                f"({exc}).") from None

    for ep, rows in chosen:
        # Every frame is read, checked and encoded (short episodes) or verified (long
        # ones) before any of the episode is written, so a bad blob skips the episode.
        try:
            if len(rows) <= WHOLE_EPISODE_STEPS:
                futures = [pool.submit(encode_one, ep, r) for r in rows]
                try:
                    stream: Iterator[tuple[Encoded, str]] = iter([fu.result()
                                                                   for fu in futures])
                finally:
                    for fu in futures:
                        fu.cancel()
            else:
                list(pool.map(lambda r, ep=ep: verify_one(ep, r), rows))
                stream = _windowed(pool, functools.partial(encode_one, ep), rows)
        except Exception as exc:  # noqa: BLE001 - skips this submission only
            bad(as_bad(ep.submission_id, exc))
            continue
        split = split_of(ep)
        scale = float((ep.steps_doc.get("screen") or ep.steps_doc.get("frame") or {})
                      .get("scale") or 1.0)
        entry = {
            "episode_id": ep.episode_id, "submission_id": ep.submission_id,
            "version": ep.version, "consent_record_id": ep.consent_record_id,
            "consent_sha256": ep.consent_sha256, "manifest_sha256": ep.manifest_sha256,
            "contributor": ep.contributor, "reviewer": ep.reviewer, "quality": ep.quality,
            "approved": ep.decided_at.date().isoformat() if ep.decided_at else None,
            "split": split, "redaction": _redaction(ep.redactions_doc),
            "signals": ep.signals}
        yield Item(episode_row(ep, rows, split, []), entry, rows, stream, scale)


def write_export(out: Path, fmt: str, dialect: str | None, image_format: str,
                 max_side: int | None, items: Iterable[Item], *, total: int,
                 redaction_key: bytes | None, progress: Progress | None,
                 now: Callable[[], dt.datetime], settings: dict[str, Any],
                 skipped: list[dict[str, Any]], dropped: Counter[str],
                 withdrawn: list[dict[str, Any]], history: list[dict[str, Any]],
                 source: dict[str, Any]) -> ExportResult:
    """Write the episodes as ``fmt`` into a temporary sibling of ``out``, with the manifest,
    the card, the licence and SHA256SUMS; check; publish."""
    tmp = temp_sibling(out)
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        ctx = Context(out=tmp, name=out.name, image_format=image_format, max_side=max_side,
                      dialect=dialect)
        writer = WRITERS[fmt](ctx)
        writer.begin()
        episodes: list[dict[str, Any]] = []
        entries: list[dict[str, Any]] = []
        done = 0
        for item in items:
            done = _write_episode(item, writer, episodes, entries, progress, done, total)
        if not episodes:
            raise ExportError("Every submission that matched is unreadable; nothing was "
                              "written.", "Run `annotator db check`; the skipped submissions "
                              "are named above.")
        writer.finish(episodes)
        manifest = {
            "format": "annotator-export", "format_version": 1,
            "tool": "annotator", "tool_version": __version__,
            "schema_version": SCHEMA_VERSION,
            "created_utc": now().isoformat(timespec="seconds"),
            "export": {"format": fmt, "dialect": dialect, **settings,
                       "image_format": image_format, "max_side": max_side,
                       "image_settings": _image_settings(image_format)},
            "source": source,
            "upstream": upstream.for_export(fmt, dialect),
            "options": ctx.options,
            "counts": totals(entries, dropped),
            "episodes": entries,
            "withdrawn": withdrawn,
            "skipped": skipped,
            "refreshes": history,
        }
        report = finalize(writer, manifest, out, redaction_key,
                          "The export failed its checks; nothing was written",
                          "This is a bug or damaged input: report it with the lines above.")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    counts = cast(dict[str, Any], manifest["counts"])
    return ExportResult(out, len(episodes), counts["steps"], dict(counts["by_action_type"]),
                        skipped, report, manifest)


def finalize(writer: Writer, manifest: dict[str, Any], out: Path,
             redaction_key: bytes | None, failed: str, hint: str) -> checks.Report:
    """The card, licence, manifest and sums of the folder ``writer`` filled; then the checks,
    and, if they pass, the folder synced and renamed to ``out``."""
    tmp = writer.ctx.out
    write_cards(writer, manifest)
    write_manifest(tmp, manifest)
    write_sums(tmp)
    report = checks.check_export(tmp, key=redaction_key, deep=False)
    if not report.ok:
        raise CheckFailed(f"{failed}:\n" + report.text(limit=20), hint)
    sync_tree(tmp)
    publish(tmp, out)
    return report


def _image_settings(fmt: str) -> Any:
    return {"png": "source bytes kept at the source size, else " + str(PNG_SETTINGS),
            "webp": WEBP_SETTINGS, "jpeg": {"quality": 90, "subsampling": "4:4:4"}}[fmt]


def write_cards(writer: Writer, manifest: dict[str, Any]) -> None:
    extra = []
    if manifest["export"]["format"] == "chat-sft":
        extra.append("The prompts in the rows are quoted verbatim from "
                     + "; ".join(f"{u['repository']} ({u['licence']})"
                                 for u in manifest["upstream"])
                     + ", as those models expect them.")
    writer.write_text(cards.CARD_FILE, cards.card(writer, manifest))
    writer.write_text(cards.LICENCE_FILE, cards.licence_text(writer.ctx.name,
                                                             manifest["episodes"], extra))


def totals(entries: list[dict[str, Any]], dropped: Counter[str]) -> dict[str, Any]:
    """The manifest's counts, from its episode entries (so a refresh can recount)."""
    by_action: Counter[str] = Counter()
    left_out: Counter[str] = Counter()
    simplified: Counter[str] = Counter()
    for e in entries:
        by_action.update(e.get("actions") or {})
        left_out.update(e.get("left_out") or {})
        simplified.update(e.get("simplified") or {})
    return {"episodes": len(entries), "steps": sum(e["steps"] for e in entries),
            "by_action_type": dict(sorted(by_action.items())),
            "by_split": _by_split(entries),
            "unsupported": dict(sorted(left_out.items())),
            "simplified": dict(sorted(simplified.items())),
            "dropped": dict(sorted(dropped.items()))}


def _windowed(pool: ThreadPoolExecutor, fn: Callable[[Any], Any], items: list[Any],
              window: int | None = None) -> Iterator[Any]:
    """``fn`` over ``items`` in the pool, in order, with at most ``window`` in flight (so a
    long episode never holds all its images in memory)."""
    window = window or 2 * WORKERS
    pending: deque[Any] = deque()
    it = iter(items)
    for item in it:
        pending.append(pool.submit(fn, item))
        if len(pending) >= window:
            break
    while pending:
        yield pending.popleft().result()
        nxt = next(it, None)
        if nxt is not None:
            pending.append(pool.submit(fn, nxt))


def _write_episode(item: Item, writer: Writer, episodes: list[dict[str, Any]],
                   entries: list[dict[str, Any]], progress: Progress | None, done: int,
                   total: int) -> int:
    ctx = writer.ctx
    episode = dict(item.episode)
    displays: dict[str, dict[str, Any]] = {}
    before_u, before_s = Counter(ctx.unsupported), Counter(ctx.simplified)
    actions: Counter[str] = Counter()
    writer.start_episode(episode)
    for row, (img, sha) in zip(item.rows, item.images, strict=True):
        row = {k: v for k, v in row.items() if k != "obs_image"}
        row["path"] = [dict(p) for p in row["path"]] if row.get("path") else row.get("path")
        row["target"] = dict(row["target"]) if row.get("target") else None
        scale_step(row, img.sx, img.sy)
        row["episode_id"] = episode["episode_id"]
        row["obs_width"], row["obs_height"] = img.width, img.height
        row["obs_sha256"] = sha
        disp = row.get("obs_display_id") or ""
        displays.setdefault(disp, {"id": disp, "origin_x": 0, "origin_y": 0,
                                   "width_px": img.src_width, "height_px": img.src_height,
                                   "scale": item.scale})
        writer.step(row, img)
        actions[row["action_type"]] += 1
        done += 1
        if progress is not None:
            progress.check()
            progress.report(done, total, "Exporting steps")
    if not episode.get("displays"):
        episode["displays"] = list(displays.values())
    writer.end_episode()
    episodes.append(episode)
    entries.append({**item.entry, "split": episode["split"], "steps": len(item.rows),
                    "license": episode.get("license"), "outcome": episode.get("outcome"),
                    "actions": dict(sorted(actions.items())),
                    "left_out": dict(sorted((ctx.unsupported - before_u).items())),
                    "simplified": dict(sorted((ctx.simplified - before_s).items()))})
    return done


def _redaction(red: dict[str, Any]) -> dict[str, Any]:
    kh = red.get("keyed_hashes")
    key_id = None
    if isinstance(kh, dict):  # builder: {algorithm, normalization, key_id, hashes}
        key_id = kh.get("key_id")
        kh = kh.get("hashes")
    return {"keyed_hashes": sorted(str(h) for h in kh or [] if isinstance(h, str)),
            "key_id": key_id, "allow_list": _allow_list(red)}


def _allow_list(red: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for item in red.get("allow_list") or []:
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            out.append({"text": item["text"], "detector": str(item.get("detector") or "")})
        elif isinstance(item, str):
            out.append({"text": item, "detector": ""})
    return sorted(out, key=lambda d: (d["text"], d["detector"]))


def _by_split(entries: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, Any]] = {}
    for e in entries:
        s = out.setdefault(e["split"], {"episodes": 0, "steps": 0, "contributors": set()})
        s["episodes"] += 1
        s["steps"] += e["steps"]
        s["contributors"].add(e["contributor"])
    return {k: {"episodes": v["episodes"], "steps": v["steps"],
                "contributors": len(v["contributors"])} for k, v in sorted(out.items())}


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    import json

    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True,
                                              ensure_ascii=False) + "\n", encoding="utf-8")


def write_sums(folder: Path) -> None:
    """SHA256SUMS of every file but the manifest (whose creation time varies) and itself."""
    lines = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel not in (MANIFEST, SUMS):
            lines.append(f"{_sha_file(p)}  {rel}")
    (folder / SUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _sha_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def sync_tree(folder: Path) -> None:
    """Flush every written file to disk before the rename makes the export visible."""
    for p in folder.rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    for d in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
        fd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def publish(tmp: Path, out: Path) -> None:
    """Rename the finished temporary folder to ``out``, replacing an old export last."""
    publish_folder(tmp, out)


def read_export_manifest(folder: Path) -> dict[str, Any]:
    import json

    p = folder / MANIFEST
    try:
        m = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{folder} is not an export: there is no {MANIFEST}.",
                          "Give the folder an `annotator export --out` wrote.") from None
    except (OSError, ValueError) as exc:
        raise ExportError(f"{p} cannot be read ({exc}).",
                          "The export is damaged: make it again with --force.") from None
    if not isinstance(m, dict) or m.get("format") != "annotator-export":
        raise ExportError(f"{p} is not an annotator export manifest.")
    return m


def _check_made_from(store: Store, folder: Path, episodes: list[dict[str, Any]],
                     ids: set[int]) -> None:
    """Refuse an export another store made: its submission numbers mean other submissions
    here (or none), and refreshing would delete it as "no longer exportable" or fill it with
    this store's work."""
    held = package_hashes(store, ids)
    for e in episodes:
        sid, sha = int(e["submission_id"]), e.get("manifest_sha256")
        if sid not in held or (sha is not None and held[sid] != sha):
            raise ExportError(
                f"{folder} was not made from this store: its episode {e['episode_id']} is "
                f"submission #{sid}, which this store does not hold"
                + ("" if sid not in held else f" (its #{sid} is another package)") + ".",
                "Refresh it against the store it was made from (a team server's: load "
                "server.env first, see docs/server.md), or leave out withdrawn episodes with "
                "--withdrawn FILE (the list of `annotator export --withdrawn-since DATE`).")


def refresh_export(store: Store, folder: Path, *, redaction_key: bytes | None = None,
                   skip_bad: bool = False, progress: Progress | None = None,
                   withdrawn: list[dict[str, Any]] | None = None,
                   warn: Callable[[str], None] = lambda s: None,
                   now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
                   ) -> tuple[ExportResult | None, list[dict[str, Any]]]:
    """Rewrite an export from the store without the submissions withdrawn (or no longer
    exportable) since it was made, with the same options and splits; ``withdrawn`` (a newer
    list) is applied too.  Returns the result and what was removed; the result is None when
    nothing was left, and the export folder was deleted."""
    old = read_export_manifest(folder)
    opts = old.get("export") or {}
    if "converted_from" in (old.get("source") or {}):
        raise ExportError(f"{folder} was converted from a canonical export, not made from "
                          "this store.", "Refresh it with --withdrawn FILE (the newer list of "
                          "withdrawn episodes), or convert the refreshed canonical export.")
    episodes = old.get("episodes") or []
    ids = {int(e["submission_id"]) for e in episodes}
    _check_made_from(store, folder, episodes, ids)
    still = {ep.submission_id for ep in approved_episodes(store, only_ids=ids)}
    listed = {w["episode_id"]: w.get("withdrawn_at") for w in withdrawn or ()}
    still -= {int(e["submission_id"]) for e in episodes if e["episode_id"] in listed}
    at = now()
    when = {t["submission_id"]: t["withdrawn_at"] for t in withdrawn_since(store, None)}
    removed = [{"episode_id": e["episode_id"], "submission_id": e["submission_id"],
                "consent_record_id": e["consent_record_id"],
                "withdrawn_at": when.get(e["submission_id"]) or listed.get(e["episode_id"]),
                "why": "withdrawn" if e["submission_id"] in when or e["episode_id"] in listed
                else "no longer approved with valid consent"}
               for e in episodes if int(e["submission_id"]) not in still]
    if not still:  # nothing may be kept: the whole export goes
        remove_folder(folder)
        return None, removed
    history = list(old.get("refreshes") or [])
    history.append({"at": at.isoformat(timespec="seconds"), "removed": removed})
    req = ExportRequest(
        out=folder, format=str(opts.get("format")), dialect=opts.get("dialect"),
        filter=None, split=opts.get("split"),
        image_format=opts.get("image_format") or "png", max_side=opts.get("max_side"),
        skip_bad=skip_bad, redaction_key=redaction_key, only_ids=still,
        fixed_splits={int(e["submission_id"]): e["split"] for e in episodes},
        history=history, replace=True, recorded_filter=opts.get("filter"),
        withdrawn=merge_withdrawn(old.get("withdrawn"), withdrawn))
    # The filter chose these episodes when the export was made; it is not applied again.
    return run_export(store, req, progress=progress, warn=warn, now=now), removed
