"""Export throughput, memory and size (issue 7): canonical Parquet with PNG and with WebP.

The store: EPISODES episodes of STEPS steps at 1920x1080 (default 200 x 50 = 10,000 steps),
ingested through the real services and approved.  Frames are realistic UI screens rendered
with Qt offscreen (tests/export/screens.py: editor, project tree, form, table, light and dark
themes), a pool of distinct screens each stamped with a per-step clock and cursor, so every
step's frame is its own blob (PNG, OpenCV level 1, like the renderer's stills).  It is built
once and kept in benchmarks/out/ (``--rebuild`` to make it again).

Measured, each in its own child process (wall time, CPU time, peak RSS):

- ``export``: ``annotator export --format canonical`` through the library (selection, blob
  reads with SHA-256 checks, image encoding, Parquet, card, Croissant, manifest,
  SHA256SUMS, fsync, rename) including the validation that runs after every export (which
  decodes every image again);
- ``reference``: a plain loop over the same frames in the same order that only reads each
  blob, decodes it and encodes it with Pillow (same settings as the export) and writes it
  with pyarrow in the same row groups: the cost any exporter has to pay.

Targets: export >= 80 % of the reference's steps per second; peak RSS < 1 GB; size on disk
per 1,000 steps reported.  The machine is shared with other work: CPU seconds are printed
beside wall seconds, and the ratio is also given on CPU time.

Run:  .venv/bin/python benchmarks/export.py [--episodes 200] [--steps 50] [--formats png,webp]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = Path(__file__).resolve().parent / "out"
W, H = 1920, 1080
POOL = 24  # distinct screens


# -- the store -----------------------------------------------------------------------------------
def recipe(n: int, k: int) -> dict[str, Any]:
    """Step ``k`` of episode ``n``: a mix of desktop actions inside the 1920x1080 frame."""
    x, y = 100 + (n * 131 + k * 97) % 1700, 80 + (n * 53 + k * 71) % 900
    kinds = ["click", "type", "click", "scroll", "hotkey", "double_click", "drag", "key",
             "right_click", "click"]
    t = kinds[k % len(kinds)]
    step: dict[str, Any] = {"type": t, "instruction": f"Step {k} of the task",
                            "thought": "Look at the screen and act."}
    if t in ("click", "double_click", "right_click"):
        step.update(x=x, y=y, button="right" if t == "right_click" else "left",
                    target={"source": "atspi", "role_name": "push button", "name": "OK",
                            "box": [x - 20, y - 10, 40, 20], "window_title": "Editor"})
    elif t == "scroll":
        step.update(x=x, y=y, scroll_dx=0, scroll_dy=3)
    elif t == "drag":
        step.update(x=x, y=y, button="left", path=[{"x": x, "y": y, "t_us": 0},
                                                   {"x": min(x + 80, W - 1), "y": y, "t_us": 0}])
    elif t == "type":
        step.update(text=f"invoice {n}-{k}")
    elif t == "hotkey":
        step.update(keys=["ctrl", "s"])
    elif t == "key":
        step.update(keys=["enter"])
    return step


def build_store(root: Path, episodes: int, steps: int) -> None:
    import cv2  # noqa: F401  (screens)

    from annotator.store import LocalBlobStore, open_store
    from annotator.store.db import create_engine, resolve_url, store_dir, upgrade
    from annotator.workflow import package as P
    from annotator.workflow.auth import Passphrases
    from annotator.workflow.service import Services
    from tests.export.screens import png_bytes, render_screens, unique_frame
    from tests.store.db_fixtures import FAST_HASHER

    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    engine = create_engine(resolve_url(None, root))
    upgrade(engine)
    engine.dispose()
    store = open_store(workspace_root=root,
                       blobs=LocalBlobStore(store_dir(root) / "blobs", durable=False))
    svc = Services(store, passphrases=Passphrases(FAST_HASHER))
    admin = svc.setup_first_admin(name="admin", passphrase="admin passphrase")

    def invite(name: str, role: str):
        inv = svc.invite_user(actor=admin, name=name, role=role)
        return svc.sign_in(name=name, passphrase=inv.passphrase)

    rev = invite("rev", "reviewer")
    people = [invite(f"contrib{i:02d}", "contributor") for i in range(20)]
    print(f"rendering {POOL} screens at {W}x{H}...", file=sys.stderr, flush=True)
    pool = render_screens(POOL, W, H, seed=11)
    terms = svc.get_terms()
    frame_no = 0
    pkgs = root / "packages"
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as ex:
        for n in range(episodes):
            folder = pkgs / f"p{n}"
            (folder / "frames").mkdir(parents=True)
            imgs = [unique_frame(pool[(n * 7 + k) % POOL], frame_no + k) for k in range(steps)]
            frame_no += steps
            datas = list(ex.map(png_bytes, imgs))
            out_steps = []
            t = 1_000_000
            for k, data in enumerate(datas):
                (folder / "frames" / f"{k:04d}.png").write_bytes(data)
                s = {"index": k, "id": f"e{n}-{k}", "t_start_us": t, "t_end_us": t + 100_000,
                     "x": None, "y": None, "button": None, "path": None, "scroll_dx": None,
                     "scroll_dy": None, "text": None, "keys": None, "repeat": 1,
                     "flags": [], "target": None, "window_title": "Editor",
                     "observation": {"frame": f"frames/{k:04d}.png", "t_us": t - 300_000}}
                s.update(recipe(n, k))
                out_steps.append(s)
                t += 1_500_000
            (folder / "video.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + n.to_bytes(4, "big"))
            (folder / "steps.json").write_text(json.dumps({
                "format": "annotator-package-steps", "format_version": 1,
                "frame": {"width": W, "height": H}, "duration_us": t, "steps": out_steps}))
            (folder / "task.json").write_text(json.dumps({
                "goal": f"File invoice batch {n}", "outcome": "success",
                "applications": ["editor"], "tags": ["bench"], "difficulty": "medium"}))
            (folder / "redactions.json").write_text(json.dumps({
                "keyed_hashes": {"key_id": "0" * 16, "hashes": []}, "allow_list": []}))
            who = people[n % len(people)]
            sha = P.write_manifest(folder, goal=f"File invoice batch {n}", outcome="success",
                                   summary={"duration_us": t, "steps": steps, "redactions": 0,
                                            "typed_text_included": True,
                                            "window_titles_included": True,
                                            "leak_check": "passed"})
            P.write_consent(folder, P.consent_record(
                contributor=who.pseudonym, terms_version=terms.version,
                terms_sha256=terms.sha256, manifest_sha256=sha, method="benchmark"))
            info = svc.ingest_package(actor=who, folder=folder)
            svc.claim(actor=rev, submission_id=info.id)
            svc.approve(actor=rev, submission_id=info.id, quality=4)
            shutil.rmtree(folder)
            if n % 10 == 9:
                print(f"  {n + 1}/{episodes} episodes ({time.monotonic() - t0:.0f} s)",
                      file=sys.stderr, flush=True)
    store.dispose()
    (root / "READY").write_text(json.dumps({"episodes": episodes, "steps": steps}))


# -- children ------------------------------------------------------------------------------------
def _dir_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def child_export(store_root: Path, out: Path, fmt: str) -> dict[str, Any]:
    from annotator.export import checks
    from annotator.export import run as R
    from annotator.store import open_store

    check_s = [0.0]
    orig = checks.check_export

    def timed(*a, **k):
        t = time.monotonic()
        try:
            return orig(*a, **k)
        finally:
            check_s[0] += time.monotonic() - t

    R.checks.check_export = timed
    store = open_store(workspace_root=store_root)
    t0, c0 = time.monotonic(), time.process_time()
    res = R.run_export(store, R.ExportRequest(out=out, format="canonical", image_format=fmt))
    wall, cpu = time.monotonic() - t0, time.process_time() - c0
    assert res.check.ok, res.check.text(limit=5)
    return {"steps": res.steps, "wall_s": wall, "cpu_s": cpu, "check_wall_s": check_s[0],
            "bytes": _dir_size(out)}


def child_reference(store_root: Path, out: Path, fmt: str) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import Image

    from annotator.export.images import WEBP_SETTINGS
    from annotator.export.source import approved_episodes
    from annotator.store import open_store

    store = open_store(workspace_root=store_root)
    eps = approved_episodes(store)
    frames = []
    for ep in eps:
        for path in sorted(p for p, f in ep.files.items() if f.role == "frame"):
            frames.append((ep.episode_id, int(path[7:11]), ep.files[path].sha256))
    schema = pa.schema([("episode_id", pa.string()), ("step_index", pa.int32()),
                        ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())]))])
    out.mkdir(parents=True)
    t0, c0 = time.monotonic(), time.process_time()
    writer = pq.ParquetWriter(out / "frames.parquet", schema, compression="none")
    buf: list[dict[str, Any]] = []
    for ep_id, k, sha in frames:
        data = store.blobs.get(sha)
        im = Image.open(io.BytesIO(data))
        im.load()
        o = io.BytesIO()
        if fmt == "webp":
            im.save(o, "WEBP", **WEBP_SETTINGS)
        else:
            im.save(o, "PNG", compress_level=1)
        buf.append({"episode_id": ep_id, "step_index": k,
                    "image": {"bytes": o.getvalue(), "path": f"{ep_id}_{k:05d}.{fmt}"}})
        if len(buf) == 64:
            writer.write_table(pa.Table.from_pylist(buf, schema=schema))
            buf = []
    if buf:
        writer.write_table(pa.Table.from_pylist(buf, schema=schema))
    writer.close()
    wall, cpu = time.monotonic() - t0, time.process_time() - c0
    return {"steps": len(frames), "wall_s": wall, "cpu_s": cpu, "bytes": _dir_size(out)}


def run_child(kind: str, store_root: Path, work: Path, fmt: str) -> dict[str, Any]:
    out = work / f"{kind}-{fmt}"
    if out.exists():
        shutil.rmtree(out)
    p = subprocess.run([sys.executable, __file__, "--child", kind, "--store", str(store_root),
                        "--out", str(out), "--fmt", fmt], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{kind} {fmt} failed:\n{p.stderr[-3000:]}")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    shutil.rmtree(out, ignore_errors=True)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--episodes", type=int, default=200)
    ap.add_argument("--steps", type=int, default=50, help="steps per episode")
    ap.add_argument("--formats", default="png,webp")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--child", choices=["export", "reference"])
    ap.add_argument("--store", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--fmt")
    args = ap.parse_args()
    if args.child:
        fn = child_export if args.child == "export" else child_reference
        res = fn(args.store, args.out, args.fmt)
        # VmHWM: this process's own peak (ru_maxrss would carry the parent's over exec).
        hwm = next(line for line in Path("/proc/self/status").read_text().splitlines()
                   if line.startswith("VmHWM:"))
        res["peak_rss_mb"] = int(hwm.split()[1]) / 1024
        print(json.dumps(res))
        return 0

    OUT.mkdir(exist_ok=True)
    store_root = OUT / f"export-store-{args.episodes}x{args.steps}"
    if args.rebuild or not (store_root / "READY").exists():
        t = time.monotonic()
        build_store(store_root, args.episodes, args.steps)
        print(f"store built in {time.monotonic() - t:.0f} s", file=sys.stderr)
    work = OUT / "export-work"
    work.mkdir(exist_ok=True)
    results: dict[str, Any] = {"episodes": args.episodes, "steps": args.episodes * args.steps,
                               "frame": f"{W}x{H}", "load_before": os.getloadavg(),
                               "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                               "runs": {}}
    for fmt in args.formats.split(","):
        # The reference first for one format, second for the other: load drifts.
        order = ["reference", "export"] if fmt == "png" else ["export", "reference"]
        for kind in order:
            print(f"{kind} {fmt}...", file=sys.stderr, flush=True)
            r = results["runs"][f"{kind}-{fmt}"] = run_child(kind, store_root, work, fmt)
            print(f"  {json.dumps(r)}", file=sys.stderr, flush=True)
    results["load_after"] = os.getloadavg()
    lines = [f"{results['steps']} steps ({args.episodes} episodes) at {W}x{H}; load average "
             f"{results['load_before'][0]:.1f} before, {results['load_after'][0]:.1f} after",
             "", "| run | steps/s (wall) | steps/s (CPU) | peak RSS | MB per 1,000 steps |",
             "|---|---|---|---|---|"]
    for name, r in results["runs"].items():
        r["steps_per_s"] = r["steps"] / r["wall_s"]
        r["steps_per_cpu_s"] = r["steps"] / r["cpu_s"]
        r["mb_per_1000"] = r["bytes"] / r["steps"] * 1000 / 1e6
        extra = f" (check {r['check_wall_s']:.0f} s of {r['wall_s']:.0f} s)" \
            if "check_wall_s" in r else ""
        lines.append(f"| {name}{extra} | {r['steps_per_s']:.1f} | {r['steps_per_cpu_s']:.1f} | "
                     f"{r['peak_rss_mb']:.0f} MB | {r['mb_per_1000']:.0f} |")
    lines.append("")
    for fmt in args.formats.split(","):
        e, ref = results["runs"][f"export-{fmt}"], results["runs"][f"reference-{fmt}"]
        wall = e["steps_per_s"] / ref["steps_per_s"]
        cpu = e["steps_per_cpu_s"] / ref["steps_per_cpu_s"]
        results[f"ratio_{fmt}"] = {"wall": wall, "cpu": cpu}
        lines.append(f"{fmt}: export / reference = {wall:.2f} (wall), {cpu:.2f} (CPU); "
                     f"target >= 0.80: {'met' if min(wall, cpu) >= 0.8 else 'NOT met'}; "
                     f"peak RSS {e['peak_rss_mb']:.0f} MB (< 1024: "
                     f"{'met' if e['peak_rss_mb'] < 1024 else 'NOT met'})")
    text = "\n".join(lines)
    print(text)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (OUT / f"export-{stamp}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
