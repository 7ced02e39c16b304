"""Team server under load, on loopback: N contributors each upload a package of S MB at the
same time (the client library: presigned multipart parts straight to SeaweedFS), while 5
reviewers page through the queue and claim; against a plain boto3 multipart upload of the
same archives to the same store in the same run.  Then the cost of verifying one package:
K more packages sent one at a time, each timed from its ``complete`` to its acceptance.

Packages are real (what the server verifies): an H.264 screen recording at 1920x1080 in
the renderer's form (variable frame rate, a picture only when the screen changed), one PNG
frame and one JPEG thumbnail a step, steps.json; every package's video is the same
recording with its own bytes (its container says which package it is).

Reported: upload throughput (ours / plain boto3, target >= 80 %), p95 latency of queue pages
and claims through the API (target < 100 ms), whether every package arrived intact (each was
re-hashed file by file by the verification job and accepted; a sample is fetched back and
compared), the peak memory of the API's process tree (Uvicorn supervisor + workers), and the
verification time per package.

``--reference DIR`` runs the whole benchmark twice in one invocation: first with the server
of the checkout in DIR (the reference, e.g. a worktree of the commit before a change), then
with this one, on the same packages, and reports both and their ratios.  The server runs in
a child process (benchmarks/server_host.py) with the chosen code.

    .venv/bin/python benchmarks/server_load.py                       # 50 x 50 MB
    .venv/bin/python benchmarks/server_load.py --contributors 10     # a smaller run
    git worktree add /tmp/ref <commit>; .venv/bin/python benchmarks/server_load.py --reference /tmp/ref

The machine is shared and loaded: figures are from one run; the ratio is what to compare.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotator.remote.client import RemoteServices  # noqa: E402
from annotator.remote.upload import send  # noqa: E402
from annotator.server.config import ServerConfig  # noqa: E402
from annotator.server.objects import ObjectStore  # noqa: E402
from annotator.workflow import package as P  # noqa: E402
from benchmarks.harness import OUT as BENCH_OUT  # noqa: E402
from benchmarks.harness import TreeSampler, machine_info, percentile, write_result  # noqa: E402

W, H = 1920, 1080
STEPS = 10
FPS = 5  # pictures a second while the screen changes (the renderer: only on change)


def make_recording(path: Path, target_bytes: int) -> int:
    """A screen recording of about ``target_bytes``: a long document scrolled a few lines a
    picture in a window, with pauses (no picture while nothing changes), encoded as the
    renderer does (libx264 veryfast crf 23, no B-frames, GOP 150, MP4 with a microsecond
    clock).  Returns its duration in microseconds."""
    import av
    import numpy as np

    rng = np.random.default_rng(7)
    tb = Fraction(1, 1_000_000)
    # The document: rows of "words" (dark blocks cut into letters) on white, 12 screens tall.
    doc = np.full((H * 12, W - 200, 3), 245, np.uint8)
    for y in range(20, doc.shape[0] - 20, 22):
        x = 30
        while x < doc.shape[1] - 200:
            w = int(rng.integers(20, 120))
            doc[y + 2:y + 12, x:x + w] = rng.integers(0, 110, 3, dtype=np.uint8)  # a word
            doc[y + 4:y + 10:2, x + 3:x + w:7] = 245  # its letters
            x += w + 12
    img = np.full((H, W, 3), 60, np.uint8)
    img[:40] = (52, 101, 164)
    t, off, written = 0, 0, 0
    with av.open(str(path), "w", format="mp4", options={"movie_timescale": "1000000",
                                                         "movflags": "+faststart"}) as out:
        st = out.add_stream("libx264", rate=FPS)
        st.width, st.height, st.pix_fmt = W, H, "yuv420p"
        st.time_base = st.codec_context.time_base = tb
        st.options = {"preset": "veryfast", "crf": "23", "g": "150",
                      "x264-params": "bframes=0"}
        pending: list[Any] = []

        def mux(packets: Any) -> int:
            n = 0
            for pk in packets:
                if pending:
                    prev = pending.pop()
                    prev.duration = max(1, int(pk.pts) - int(prev.pts))
                    n += prev.size
                    out.mux(prev)
                pending.append(pk)
            return n

        while written < target_bytes:
            off = (off + int(rng.integers(11, 67))) % (doc.shape[0] - H)
            img[40:H, 100:W - 100] = doc[off:off + H - 40]
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = t, tb
            written += mux(st.encode(frame))
            # A picture a fifth of a second while scrolling; now and then a pause.
            t += 1_000_000 // FPS if rng.random() > 0.03 else int(rng.integers(2, 20)) * 1_000_000
        mux(st.encode(None))
        if pending:
            last = pending.pop()
            last.duration = 1_000_000
            out.mux(last)
    return t + 1_000_000 - 1_000_000 // FPS


def make_package(folder: Path, pseudonym: str, terms: dict[str, str], recording: Path,
                 duration_us: int, seed: int) -> Path:
    """A package around ``recording`` (its bytes made this package's own by a container
    title): STEPS steps spread over it, a PNG frame and a JPEG thumbnail of the screen
    for each."""
    import av
    import numpy as np

    from tests.mediafiles import jpeg_bytes, png_bytes

    folder.mkdir(parents=True)
    (folder / "frames").mkdir()
    (folder / "thumbs").mkdir()
    with av.open(str(recording)) as src, av.open(str(folder / "video.mp4"), "w", format="mp4",
                                                 options={"movie_timescale": "1000000"}) as dst:
        dst.metadata["title"] = f"package {seed}"
        s_in = src.streams.video[0]
        s_out = dst.add_stream_from_template(s_in)
        for pk in src.demux(s_in):
            if pk.dts is None:
                continue
            pk.stream = s_out
            dst.mux(pk)
    rng = np.random.default_rng(seed)
    steps = []
    for i in range(STEPS):
        t = duration_us * i // (STEPS + 1)
        img = np.full((H, W, 3), 238, np.uint8)
        img[:40] = (52, 101, 164)
        img[60 + 18 * (i % 50):300, 40:1800] = rng.integers(0, 90, 3, dtype=np.uint8)
        (folder / "frames" / f"{i:04d}.png").write_bytes(png_bytes(img))
        (folder / "thumbs" / f"{i:04d}.jpg").write_bytes(jpeg_bytes(img, 320))
        steps.append({"index": i, "id": f"b{seed}-{i}", "type": "type", "t_start_us": t,
                      "t_end_us": t + 400_000, "text": "<redacted>", "text_masked": True,
                      "observation": {"frame": f"frames/{i:04d}.png",
                                      "thumbnail": f"thumbs/{i:04d}.jpg", "t_us": t}})
    (folder / "steps.json").write_text(json.dumps({
        "format": "annotator-package-steps", "format_version": 1,
        "frame": {"width": W, "height": H}, "duration_us": duration_us,
        "placeholder": "<redacted>", "steps": steps}))
    (folder / "task.json").write_text(json.dumps({"format": "annotator-task",
                                                  "format_version": 1, "goal": "bench",
                                                  "outcome": "success"}))
    (folder / "redactions.json").write_text('{"format": "annotator-redactions"}')
    summary = {"duration_us": duration_us, "steps": STEPS, "redactions": 0,
               "typed_text_included": False, "window_titles_included": False,
               "leak_check": "passed"}
    sha = P.write_manifest(folder, goal="Load test", outcome="success", summary=summary)
    P.write_consent(folder, P.consent_record(
        contributor=pseudonym, terms_version=terms["version"], terms_sha256=terms["sha256"],
        manifest_sha256=sha, method="benchmark"))
    return folder


def reviewers_main(url: str, tokens: list[str], stop, out, think_s: float) -> None:
    """In a child process: each reviewer pages through the queue, claims the next submission
    and releases it, until ``stop``; the samples go back through ``out``."""
    samples: list[tuple[float, str, float, float]] = []
    lock = threading.Lock()

    def own_ms(r: httpx.Response) -> float:
        h = r.headers.get("server-timing", "")
        return float(h.split("dur=")[1]) if "dur=" in h else float("nan")

    def reviewer(token: str) -> None:
        with httpx.Client(base_url=url, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as h:
            offset = 0
            while not stop.is_set():
                t0 = time.monotonic()
                r = h.get("/v1/queue", params={"limit": 50, "offset": offset})
                t1 = time.monotonic()
                r.raise_for_status()
                offset = 0 if len(r.json()) < 50 else offset + 50
                t2 = time.monotonic()
                c = h.post("/v1/queue/claim-next", json={})
                t3 = time.monotonic()
                c.raise_for_status()
                got = [(t0, "queue_page", t1 - t0, own_ms(r)),
                       (t2, "claim_next", t3 - t2, own_ms(c))]
                if c.status_code == 200:
                    t4 = time.monotonic()
                    h.post(f"/v1/submissions/{c.json()['id']}/release").raise_for_status()
                    got.append((t4, "release", time.monotonic() - t4, float("nan")))
                with lock:
                    samples.extend(got)
                time.sleep(think_s)

    threads = [threading.Thread(target=reviewer, args=(tok,), daemon=True) for tok in tokens]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    out.put(samples)


class Server:
    """The team set-up in a child process running the code of ``code_dir`` (None: this
    checkout), with the accounts and seed packages the benchmark asks for."""

    def __init__(self, code_dir: Path | None, args: argparse.Namespace, size: int,
                 tmp: Path, recording: Path, duration_us: int) -> None:
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (
            str(code_dir) if code_dir else "", root, env.get("PYTHONPATH", "")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(root) / "benchmarks" / "server_host.py")], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=str(code_dir or root))
        accounts = ([(f"c{i:03d}", "contributor") for i in range(args.contributors)]
                    + [(f"v{i:03d}", "contributor") for i in range(args.verify_packages)]
                    + [(f"r{i:03d}", "reviewer") for i in range(args.reviewers)]
                    + [("seeder", "contributor")])
        self._send({"api_workers": args.api_workers, "workers": args.workers,
                    "admin_passphrase": "bench admin passphrase", "accounts": accounts,
                    "seeder": "seeder",
                    "overrides": {"max_package_bytes": max(size * 2, 64 << 20),
                                  "upload_rate": "100000/minute",
                                  "login_rate": "100000/minute",
                                  "login_address_rate": "100000/minute"}})
        first = self._read()
        self.accounts, self.terms = first["accounts"], first["terms"]
        seed = [str(make_package(tmp / f"seed{i}", self.accounts["seeder"]["pseudonym"],
                                 self.terms, recording, duration_us, 100_000 + i))
                for i in range(args.seed_queue)]
        self._send({"seed": seed})
        ready = self._read()
        self.url, self.api_pid = ready["url"], ready["api_pid"]
        self.cfg = ServerConfig.from_env(ready["env"])

    def _send(self, obj: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the server host exited ({self.proc.wait()})")
        return json.loads(line)

    def token(self, name: str) -> str:
        r = httpx.post(f"{self.url}/v1/auth/token", timeout=120, json={
            "name": name, "passphrase": self.accounts[name]["passphrase"]})
        r.raise_for_status()
        return r.json()["token"]

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--contributors", type=int, default=50)
    ap.add_argument("--size-mb", type=float, default=50)
    ap.add_argument("--reviewers", type=int, default=5)
    ap.add_argument("--seed-queue", type=int, default=60,
                    help="submissions in the queue before the run (for the reviewers)")
    ap.add_argument("--verify-packages", type=int, default=5,
                    help="packages sent one at a time to time their verification")
    ap.add_argument("--threads", type=int, default=2, help="parallel parts per upload")
    ap.add_argument("--quiet-s", type=float, default=10,
                    help="seconds of reviewers alone (no upload) before the uploads")
    ap.add_argument("--think-s", type=float, default=0.05,
                    help="each reviewer's pause between a page+claim and the next")
    ap.add_argument("--uploader-nice", type=int, default=0,
                    help="CPU niceness of the simulated contributors' upload threads")
    ap.add_argument("--api-workers", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2, help="verification workers")
    ap.add_argument("--reference", metavar="DIR",
                    help="a checkout whose server to measure first, as the reference")
    args = ap.parse_args()
    size = int(args.size_mb * (1 << 20))
    tmp = Path(tempfile.mkdtemp(prefix="annotator-bench-"))
    info = machine_info()
    print(f"machine: {info['cpus']} CPUs, load {info['loadavg_at_start']}", flush=True)
    frames_bytes = STEPS * 200_000  # about what the step frames and thumbnails take
    recording = BENCH_OUT / f"server_load_recording_{size - frames_bytes}.mp4"
    t0 = time.monotonic()
    if not recording.exists():
        print(f"making the screen recording ({(size - frames_bytes) / 2**20:.0f} MB, once; "
              "kept in benchmarks/out)...", flush=True)
        BENCH_OUT.mkdir(parents=True, exist_ok=True)
        part = recording.with_suffix(".partial.mp4")
        duration = make_recording(part, size - frames_bytes)
        part.rename(recording)
        recording.with_suffix(".json").write_text(json.dumps({"duration_us": duration}))
        print(f"  made in {time.monotonic() - t0:.0f} s", flush=True)
    duration = json.loads(recording.with_suffix(".json").read_text())["duration_us"]
    runs: dict[str, dict[str, Any]] = {}
    try:
        for label, code in ([("reference", Path(args.reference))] if args.reference else []) \
                + [("this", None)]:
            print(f"\n== {label}: the server of {code or 'this checkout'}", flush=True)
            t0 = time.monotonic()
            server = Server(code, args, size, tmp / label, recording, duration)
            print(f"team set-up ready in {time.monotonic() - t0:.1f} s at {server.url}",
                  flush=True)
            try:
                runs[label] = run(args, server, tmp / label, size, recording, duration)
            finally:
                server.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res = {"machine": info, "contributors": args.contributors, "package_mb": size / 2**20,
           "reviewers": args.reviewers, "threads_per_upload": args.threads,
           "api_workers": args.api_workers, "verify_workers": args.workers,
           "recording": {"path": recording.name, "duration_s": duration / 1e6},
           "runs": runs, "reference_code": args.reference}
    if "reference" in runs:
        ref, this = runs["reference"], runs["this"]
        res["this_vs_reference"] = {
            "throughput_ratio": this["throughput_ratio"] / ref["throughput_ratio"],
            "verify_s_per_package": this["verify_s_median"] / ref["verify_s_median"],
            "queue_page_p95": this["latency_ms"]["queue_page"]["p95"]
            / ref["latency_ms"]["queue_page"]["p95"],
            "claim_next_p95": this["latency_ms"]["claim_next"]["p95"]
            / ref["latency_ms"]["claim_next"]["p95"]}
    path = write_result("server_load", res)
    for label, r in runs.items():
        report(label, r, args, size)
    if "this_vs_reference" in res:
        v = res["this_vs_reference"]
        print(f"\nthis / reference: upload ratio {v['throughput_ratio']:.2f}, verification "
              f"time per package {v['verify_s_per_package']:.2f}x (target <= 1.5x), queue "
              f"page p95 {v['queue_page_p95']:.2f}x, claim p95 {v['claim_next_p95']:.2f}x")
    print(f"written {path}")
    return 0 if all(r["ok"] for r in runs.values()) else 1


def run(args: argparse.Namespace, server: Server, tmp: Path, size: int, recording: Path,
        duration: int) -> dict[str, Any]:
    contributors = [(server.token(f"c{i:03d}"), server.accounts[f"c{i:03d}"]["pseudonym"])
                    for i in range(args.contributors)]
    reviewers = [server.token(f"r{i:03d}") for i in range(args.reviewers)]

    print(f"preparing {args.contributors} packages of {size / 2**20:.0f} MB...", flush=True)
    states = []
    clients = []
    for i, (token, pseudonym) in enumerate(contributors):
        folder = make_package(tmp / f"pkg{i}", pseudonym, server.terms, recording, duration, i)
        c = RemoteServices(server.url, token=token, outbox=tmp / f"outbox{i}",
                           upload_threads=args.threads)
        clients.append(c)
        states.append(c.outbox.prepare(folder, server=server.url))
    total = sum(st.size for st in states)
    ref_files = []  # the same bytes for the reference (the client deletes its copy once accepted)
    for i, st in enumerate(states):
        ref_files.append(tmp / f"ref{i}.tar")
        os.link(st.archive, ref_files[-1])

    # -- reference: plain boto3 multipart uploads of the same archives -------------------------
    # Long socket timeouts, as the app's own uploads have (httpx, 120 s): urllib3 sends a
    # request body under the *connect* timeout (5 s in ObjectStore), and with 100 parts at
    # once on 2 busy cores the store sometimes reads nothing from one for longer.
    objs = ObjectStore(server.cfg, connect_timeout=120, read_timeout=900)
    from boto3.s3.transfer import TransferConfig

    tc = TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=server.cfg.part_size,
                        max_concurrency=args.threads)

    def ref_upload(i: int) -> None:
        objs.s3.upload_file(str(ref_files[i]), objs.bucket, f"reference/{i}.tar", Config=tc)

    def timed_reference() -> float:
        t = time.monotonic()
        with ThreadPoolExecutor(args.contributors) as pool:
            list(pool.map(ref_upload, range(args.contributors)))
        return time.monotonic() - t

    # -- reviewers page and claim during every phase, from their own process -----------------
    # They are people on other machines: their own process at normal priority keeps the
    # uploaders' threads (this process, lowered below) from adding GIL and CPU waits to the
    # latencies measured.  Each sample: (monotonic time, kind, seconds, the API's own ms).
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    samples_q = ctx.Queue()
    phases: list[tuple[str, float]] = [("quiet", time.monotonic())]
    rev_proc = ctx.Process(target=reviewers_main, daemon=True, args=(
        server.url, reviewers, stop, samples_q, args.think_s))
    sampler = TreeSampler(server.api_pid, interval=0.2).start()
    rev_proc.start()
    # Optionally lower the simulated contributors' priority (threads made from here on).  Off
    # by default: at nice 10, 100 upload threads sharing one GIL starved each other until
    # parts timed out (a client-side artefact, not the server's).
    os.nice(args.uploader_nice)
    print("reviewers alone for a few seconds...", flush=True)
    time.sleep(args.quiet_s)
    phases.append(("reference", time.monotonic()))
    print("reference: plain boto3 multipart uploads...", flush=True)
    ref_s = timed_reference()
    for i in range(args.contributors):
        objs.delete(f"reference/{i}.tar")
    phases.append(("ours", time.monotonic()))
    print("ours: presigned multipart uploads through the API...", flush=True)
    t = time.monotonic()

    def upload(i: int) -> None:
        send(clients[i].api, clients[i].outbox, states[i], threads=args.threads, wait=False)

    with ThreadPoolExecutor(args.contributors) as pool:
        list(pool.map(upload, range(args.contributors)))
    ours_s = time.monotonic() - t
    phases.append(("verification", time.monotonic()))
    print("waiting for the verification of every package...", flush=True)
    t = time.monotonic()
    accepted = 0
    for i, st in enumerate(states):
        send(clients[i].api, clients[i].outbox, st, wait=True, timeout=3600)
        accepted += st.state == "accepted"
    verify_s = time.monotonic() - t
    phases.append(("reference2", time.monotonic()))
    print("reference again (after)...", flush=True)
    ref2_s = timed_reference()
    for i in range(args.contributors):
        objs.delete(f"reference/{i}.tar")
    stop.set()
    samples = samples_q.get(timeout=120)
    rev_proc.join(30)
    sampler.stop()
    lat: dict[str, list[float]] = {"queue_page": [], "claim_next": [], "release": []}
    by_phase: dict[str, dict[str, list[float]]] = {}
    app_ms: dict[str, list[float]] = {"queue_page": [], "claim_next": []}
    for t, kind, d, own in samples:
        lat[kind].append(d)
        if kind == "release":
            continue
        name = next(n for n, start in reversed(phases) if t >= start)
        by_phase.setdefault(name, {"queue_page": [], "claim_next": []})[kind].append(d)
        app_ms[kind].append(own)

    # Intact: verified file by file by the server; fetch a sample back and compare.
    sample_ok = 0
    for i in range(min(3, args.contributors)):
        c = clients[i]
        with c.open_file(submission_id=states[i].submission_id, path="video.mp4") as fh:
            got = hashlib.sha256(fh.read()).hexdigest()
        want = hashlib.sha256((tmp / f"pkg{i}" / "video.mp4").read_bytes()).hexdigest()
        sample_ok += got == want

    # -- verification, one package at a time: from its complete to its acceptance ------------
    print(f"verification time: {args.verify_packages} packages one at a time...", flush=True)
    verify_times = []
    for i in range(args.verify_packages):
        name = f"v{i:03d}"
        c = RemoteServices(server.url, token=server.token(name), outbox=tmp / f"voutbox{i}",
                           upload_threads=args.threads)
        folder = make_package(tmp / f"v{i}", server.accounts[name]["pseudonym"], server.terms,
                              recording, duration, 50_000 + i)
        st = send(c.api, c.outbox, c.outbox.prepare(folder, server=server.url),
                  threads=args.threads, wait=False)
        t = time.monotonic()
        while True:
            up = c.api.request("GET", f"/v1/uploads/{st.upload_id}")
            if up["state"] in ("accepted", "rejected"):
                break
            time.sleep(0.05)
        verify_times.append(time.monotonic() - t)
        assert up["state"] == "accepted", up

    ref_mean = (ref_s + ref2_s) / 2
    mb = total / 2**20
    res = {
        "note": "reviewers page and claim during the reference and our uploads, from their "
                "own process; the uploading threads run at nice "
                f"{args.uploader_nice} (they stand for other machines); verification jobs run "
                "while our uploads go on (they start at each complete)",
        "reviewer_think_s": args.think_s, "uploader_nice": args.uploader_nice,
        "total_mb": mb,
        "reference_s": [ref_s, ref2_s], "ours_s": ours_s,
        "reference_mb_s": mb / ref_mean, "ours_mb_s": mb / ours_s,
        "throughput_ratio": ref_mean / ours_s,
        "verification_s": verify_s, "accepted": accepted,
        "sample_fetched_back_intact": sample_ok,
        "verify_s_each": verify_times,
        "verify_s_median": percentile(verify_times, 50),
        "latency_ms": {k: {"n": len(v), "p50": percentile(v, 50) * 1000,
                           "p95": percentile(v, 95) * 1000} for k, v in lat.items()},
        "latency_ms_by_phase": {p: {k: {"n": len(v), "p50": percentile(v, 50) * 1000,
                                        "p95": percentile(v, 95) * 1000}
                                    for k, v in d.items()} for p, d in by_phase.items()},
        "api_own_time_ms": {k: {"p50": percentile([x for x in v if x == x], 50),
                                "p95": percentile([x for x in v if x == x], 95)}
                            for k, v in app_ms.items()},
        "api_tree_peak_rss_mb": sampler.peak_rss / 2**20,
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    res["ok"] = accepted == args.contributors and sample_ok == min(3, args.contributors)
    return res


def report(label: str, res: dict[str, Any], args: argparse.Namespace, size: int) -> None:
    mb = res["total_mb"]
    ref_s, ref2_s = res["reference_s"]
    print(f"\n{label}: {args.contributors} contributors x {size / 2**20:.0f} MB ({mb:.0f} MB), "
          f"{args.reviewers} reviewers, loopback")
    print(f"  upload: ours {res['ours_mb_s']:.1f} MB/s in {res['ours_s']:.1f} s; plain boto3 "
          f"{res['reference_mb_s']:.1f} MB/s ({ref_s:.1f} s / {ref2_s:.1f} s); "
          f"ratio {res['throughput_ratio'] * 100:.0f} % (target >= 80 %)")
    for k, v in res["latency_ms"].items():
        print(f"  {k}: n={v['n']} p50 {v['p50']:.1f} ms, p95 {v['p95']:.1f} ms"
              + (" (target < 100 ms)" if k != "release" else ""))
    for p, d in res["latency_ms_by_phase"].items():
        print(f"    during {p}: " + ", ".join(
            f"{k} p50 {v['p50']:.1f} / p95 {v['p95']:.1f} ms" for k, v in d.items()))
    print("  the API's own time (Server-Timing): " + ", ".join(
        f"{k} p50 {v['p50']:.1f} / p95 {v['p95']:.1f} ms"
        for k, v in res["api_own_time_ms"].items()))
    print(f"  accepted intact: {res['accepted']}/{args.contributors} (verification took "
          f"{res['verification_s']:.1f} s after the uploads); sample fetched back: "
          f"{res['sample_fetched_back_intact']}")
    print(f"  verification of one package, alone: median {res['verify_s_median']:.2f} s "
          f"({', '.join(f'{x:.2f}' for x in res['verify_s_each'])})")
    print(f"  API process tree peak RSS: {res['api_tree_peak_rss_mb']:.0f} MB")
    print(f"  load average at end: {res['loadavg_at_end']}")


if __name__ == "__main__":
    raise SystemExit(main())
