"""Working from export files alone, without the store: what a trainer who received only the
archive can do.

- ``convert_export``: a canonical export (the lossless archive) into any format and dialect;
  the result is the same, byte for byte, as exporting that format from the store (only the
  manifest's time and ``source`` differ).
- ``prune_export``: remove the episodes of a newer withdrawal list from any export, in place
  (through a temporary folder renamed at the end), recording what was removed.

Both apply a withdrawal list (``read_withdrawn``): the one the export carries and a newer one
given, as printed by ``annotator export --withdrawn-since DATE --json``, a newer export's
manifest.json, or a text file with one episode id a line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import tarfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from annotator.export import checks
from annotator.export.base import Context
from annotator.export.errors import ExportError
from annotator.export.images import ImageError, encode_frame
from annotator.export.run import (
    MANIFEST,
    WRITERS,
    ExportResult,
    Item,
    check_destination,
    finalize,
    merge_withdrawn,
    read_export_manifest,
    temp_sibling,
    totals,
    validate_target,
    write_export,
)
from annotator.export.schema import EPISODES_HF
from annotator.fsutil import remove_folder
from annotator.jobs import Progress


def read_withdrawn(path: Path) -> list[dict[str, Any]]:
    """A withdrawal list: ``[{episode_id, withdrawn_at}]``."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"Cannot read the withdrawal list {path}: {exc.strerror or exc}.",
                          "Give the file `annotator export --withdrawn-since DATE --json` "
                          "wrote, a newer export's manifest.json, or one episode id a line.") \
            from None
    try:
        data = json.loads(raw)
    except ValueError:
        ids = [line.strip() for line in raw.splitlines() if line.strip()
               and not line.startswith("#")]
        return [{"episode_id": i, "withdrawn_at": None} for i in ids]
    if isinstance(data, dict):
        data = data.get("withdrawn")
    if not isinstance(data, list) or not all(isinstance(d, dict) and isinstance(
            d.get("episode_id"), str) for d in data):
        raise ExportError(f"{path} is not a withdrawal list.",
                          "Give a JSON list of {episode_id, withdrawn_at} (as --withdrawn-since "
                          "--json prints), a manifest.json, or one episode id a line.")
    return [{"episode_id": d["episode_id"], "withdrawn_at": d.get("withdrawn_at")}
            for d in data]


@dataclass
class ConvertRequest:
    source: Path
    out: Path
    format: str
    dialect: str | None = None
    image_format: str | None = None  # default: the source's
    max_side: int | None = None
    force: bool = False
    withdrawn: list[dict[str, Any]] | None = None
    redaction_key: bytes | None = None


def _canonical_manifest(src: Path) -> dict[str, Any]:
    m = read_export_manifest(src)
    if (m.get("export") or {}).get("format") != "canonical":
        raise ExportError(f"{src} is a {(m.get('export') or {}).get('format')} export; only a "
                          "canonical export holds everything the other formats need.",
                          "Give the canonical export (the lossless archive).")
    report = checks.Report(src)
    checks.check_sums(src, report)
    if not report.ok:
        raise ExportError(f"{src} does not match its SHA256SUMS, so it cannot be trusted:\n"
                          + report.text(limit=5), "Get an intact copy of the archive.")
    return m


def _episodes(src: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for p in sorted((src / "data" / "episodes").glob("*.parquet")):
        for e in pq.read_table(p).to_pylist():
            out[e["episode_id"]] = e
    return out


def _steps_by_episode(files: list[Path]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(episode id, its step rows) in file order; an episode's rows are contiguous."""
    cur: str | None = None
    rows: list[dict[str, Any]] = []
    for p in files:
        pf = pq.ParquetFile(p, buffer_size=1 << 20)
        for g in range(pf.metadata.num_row_groups):
            for row in pf.read_row_group(g).to_pylist():
                if row["episode_id"] != cur:
                    if cur is not None:
                        yield cur, rows
                    cur, rows = row["episode_id"], []
                rows.append(row)
    if cur is not None:
        yield cur, rows


def convert_export(req: ConvertRequest, *, progress: Progress | None = None,
                   now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
                   ) -> ExportResult:
    """Write ``req.format`` from the canonical export ``req.source`` alone."""
    src = req.source
    m = _canonical_manifest(src)
    opts = m.get("export") or {}
    image_format = req.image_format or opts.get("image_format") or "png"
    validate_target(req.format, req.dialect, image_format, req.max_side)
    check_destination(req.out, req.force)
    if req.out.resolve() == src.resolve():
        raise ExportError("--out is the canonical export itself.", "Choose another --out.")
    withdrawn = merge_withdrawn(m.get("withdrawn"), req.withdrawn)
    gone = {w["episode_id"] for w in withdrawn}
    episodes = _episodes(src)
    entries = [e for e in m["episodes"] if e["episode_id"] not in gone]
    if not entries:
        raise ExportError(f"Every episode of {src} is withdrawn: there is nothing to convert.",
                          f"Delete {src} and every copy of it.")
    splits = sorted({e["split"] for e in m["episodes"]})
    streams = {s: _steps_by_episode(sorted((src / "data" / "steps").glob(f"{s}-*.parquet")))
               for s in splits}
    fit = WRITERS[req.format].fit

    def items() -> Iterator[Item]:
        for entry in m["episodes"]:
            ep, rows = next(streams[entry["split"]], (None, []))
            if ep != entry["episode_id"]:
                raise ExportError(f"{src}: the steps of episode {entry['episode_id']} are not "
                                  "where its manifest puts them.",
                                  "The archive was changed: get an intact copy.")
            if ep is None or ep in gone:
                continue
            episode = dict(episodes[ep])
            if entry.get("approved"):  # the Croissant publication date, as in the original
                episode["_approved"] = dt.datetime.fromisoformat(entry["approved"])
            keep = {k: v for k, v in entry.items()
                    if k not in ("steps", "actions", "left_out", "simplified", "license",
                                 "outcome")}
            yield Item(episode, keep, rows, (_image(r, image_format, req.max_side, fit)
                                             for r in rows),
                       scale=float((episode.get("displays") or [{}])[0].get("scale") or 1.0))

    source = {"converted_from": {"name": src.name, "manifest_sha256": hashlib.sha256(
        (src / MANIFEST).read_bytes()).hexdigest(), "created_utc": m.get("created_utc")}}
    settings = {"filter": opts.get("filter"), "split": opts.get("split")}
    return write_export(
        req.out, req.format, req.dialect, image_format, req.max_side, items(),
        total=sum(e["steps"] for e in entries), redaction_key=req.redaction_key,
        progress=progress, now=now, settings=settings, skipped=[],
        dropped=Counter((m.get("counts") or {}).get("dropped") or {}), withdrawn=withdrawn,
        history=[], source=source)


def _image(row: dict[str, Any], fmt: str, max_side: int | None,
           fit: tuple[int, int] | None) -> tuple[Any, str]:
    data = (row.get("obs_image") or {}).get("bytes")
    try:
        img = encode_frame(data or b"", fmt, max_side=max_side, fit=fit)
    except ImageError as exc:
        raise ExportError(f"episode {row['episode_id']} step {row['step_index']}: the "
                          f"observation image is damaged ({exc}).",
                          "Get an intact copy of the archive.") from None
    return img, hashlib.sha256(img.data).hexdigest()


# -- pruning -----------------------------------------------------------------------------------
def prune_export(folder: Path, withdrawn: list[dict[str, Any]], *,
                 redaction_key: bytes | None = None,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
                 ) -> tuple[ExportResult | None, list[dict[str, Any]]]:
    """Rewrite ``folder`` without the episodes the withdrawal lists name (its own and
    ``withdrawn``); returns the result and what was removed (the result is None when every
    episode was withdrawn, and the folder was deleted)."""
    m = read_export_manifest(folder)
    listed = merge_withdrawn(m.get("withdrawn"), withdrawn)
    when = {w["episode_id"]: w.get("withdrawn_at") for w in listed}
    gone = {e["episode_id"] for e in m["episodes"]} & set(when)
    entries = [e for e in m["episodes"] if e["episode_id"] not in gone]
    removed = [{"episode_id": e["episode_id"], "submission_id": e.get("submission_id"),
                "consent_record_id": e.get("consent_record_id"),
                "withdrawn_at": when[e["episode_id"]], "why": "withdrawn"}
               for e in m["episodes"] if e["episode_id"] in gone]
    if not entries:  # nothing may be kept: the whole export goes
        remove_folder(folder)
        return None, removed
    opts = m.get("export") or {}
    tmp = temp_sibling(folder)
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        _copy_without(folder, tmp, gone)
        ctx = Context(out=tmp, name=folder.name, image_format=opts.get("image_format") or "png",
                      max_side=opts.get("max_side"), dialect=opts.get("dialect"))
        writer = WRITERS[opts["format"]](ctx)
        if opts["format"] == "canonical":
            from annotator.export import cards, croissant

            eps = list(_episodes(tmp).values())
            order = {e["episode_id"]: i for i, e in enumerate(entries)}
            eps.sort(key=lambda e: order.get(e["episode_id"], 0))
            for e, entry in zip(eps, entries, strict=True):
                if entry.get("approved"):
                    e["_approved"] = dt.datetime.fromisoformat(entry["approved"])
            splits = sorted({e["split"] for e in eps})
            writer.write_text("croissant.json", croissant.document(
                ctx, eps, splits, licence=cards.licence(eps), withdrawal=cards.WITHDRAWAL))
        history = list(m.get("refreshes") or [])
        history.append({"at": now().isoformat(timespec="seconds"), "removed": removed})
        manifest = {**m, "created_utc": now().isoformat(timespec="seconds"),
                    "episodes": entries, "withdrawn": listed, "refreshes": history,
                    "counts": totals(entries, Counter(m["counts"].get("dropped") or {}))}
        report = finalize(writer, manifest, folder, redaction_key,
                          "The pruned export failed its checks; nothing was changed",
                          "The export was damaged: get an intact copy and prune it again.")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    counts = manifest["counts"]
    return ExportResult(folder, counts["episodes"], counts["steps"],
                        dict(counts["by_action_type"]), [], report, manifest), removed


def _episode_of_line(line: str) -> str | None:
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    return rec.get("episode_id") or rec.get("task_id") if isinstance(rec, dict) else None


def _copy_without(src: Path, dst: Path, gone: set[str]) -> None:
    """Copy an export's files, leaving out every trace of the ``gone`` episodes (images,
    JSON lines, Parquet rows, tar members); the card, licence, Croissant, manifest and sums
    are written afterwards."""
    regenerated = {"README.md", "LICENSE.md", "croissant.json", MANIFEST, "SHA256SUMS"}
    for p in sorted(src.rglob("*")):
        rel = p.relative_to(src)
        q = dst / rel
        if p.is_dir():
            q.mkdir(parents=True, exist_ok=True)
            continue
        if rel.as_posix() in regenerated:
            continue
        q.parent.mkdir(parents=True, exist_ok=True)
        name = p.name
        if any(name.startswith(f"{ep}_") for ep in gone):
            continue  # an image of a withdrawn episode
        if p.suffix == ".jsonl":
            lines = [line for line in p.read_text(encoding="utf-8").splitlines()
                     if line.strip() and _episode_of_line(line) not in gone]
            q.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        elif p.suffix == ".parquet":
            _prune_parquet(p, q, gone)
        elif p.suffix == ".tar":
            _prune_tar(p, q, gone)
        else:
            shutil.copyfile(p, q)


def _prune_parquet(src: Path, dst: Path, gone: set[str]) -> None:
    from annotator.export.canonical import ROWS_PER_GROUP, parquet_options

    pf = pq.ParquetFile(src)
    schema = pf.schema_arrow
    episodes_table = schema.remove_metadata().equals(EPISODES_HF.remove_metadata())
    opts = {"compression": "zstd"} if episodes_table else parquet_options()
    with pq.ParquetWriter(dst, schema, **opts) as w:
        for g in range(pf.metadata.num_row_groups):
            t = pf.read_row_group(g)
            keep = [ep not in gone for ep in t.column("episode_id").to_pylist()]
            t = t.filter(pa.array(keep))
            if t.num_rows:
                w.write_table(t, row_group_size=ROWS_PER_GROUP)


def _prune_tar(src: Path, dst: Path, gone: set[str]) -> None:
    with tarfile.open(src) as t, open(dst, "wb") as fh, \
            tarfile.open(fileobj=fh, mode="w", format=tarfile.USTAR_FORMAT) as out:
        for member in t:
            if any(member.name.startswith(f"{ep}_") for ep in gone):
                continue
            data = t.extractfile(member)
            out.addfile(member, io.BytesIO(data.read()) if data else None)
