"""Team server under load, on loopback: N contributors each upload a package of S MB at the
same time (the client library: presigned multipart parts straight to SeaweedFS), while 5
reviewers page through the queue and claim; against a plain boto3 multipart upload of the
same archives to the same store in the same run.

Reported: upload throughput (ours / plain boto3, target >= 80 %), p95 latency of queue pages
and claims through the API (target < 100 ms), whether every package arrived intact (each was
re-hashed file by file by the verification job and accepted; a sample is fetched back and
compared), and the peak memory of the API's process tree (Uvicorn supervisor + workers).

    .venv/bin/python benchmarks/server_load.py                       # 50 x 50 MB
    .venv/bin/python benchmarks/server_load.py --contributors 10     # a smaller run

The machine is shared and loaded: figures are from one run; the ratio is what to compare.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotator.remote.client import RemoteServices  # noqa: E402
from annotator.remote.upload import send  # noqa: E402
from annotator.server.launcher import TeamSetup  # noqa: E402
from annotator.server.objects import ObjectStore  # noqa: E402
from annotator.workflow import package as P  # noqa: E402
from annotator.workflow.service import Services  # noqa: E402
from benchmarks.harness import TreeSampler, machine_info, percentile, write_result  # noqa: E402

SUMMARY = {"duration_us": 60_000_000, "steps": 3, "redactions": 0,
           "typed_text_included": False, "window_titles_included": False,
           "leak_check": "passed"}


def make_package(folder: Path, pseudonym: str, terms, size: int) -> Path:
    """A package of about ``size`` bytes: one video, a few frames, the JSON files."""
    (folder / "frames").mkdir(parents=True)
    frame = 256 << 10
    n_frames = 3
    (folder / "video.mp4").write_bytes(os.urandom(max(1, size - n_frames * frame)))
    for i in range(n_frames):
        (folder / "frames" / f"{i:04d}.png").write_bytes(os.urandom(frame))
    (folder / "steps.json").write_text('{"steps": [1, 2, 3]}')
    (folder / "task.json").write_text('{"goal": "bench"}')
    (folder / "redactions.json").write_text('{"keyed_hashes": []}')
    sha = P.write_manifest(folder, goal="Load test", outcome="success", summary=SUMMARY)
    P.write_consent(folder, P.consent_record(
        contributor=pseudonym, terms_version=terms.version, terms_sha256=terms.sha256,
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--contributors", type=int, default=50)
    ap.add_argument("--size-mb", type=float, default=50)
    ap.add_argument("--reviewers", type=int, default=5)
    ap.add_argument("--seed-queue", type=int, default=60,
                    help="small submissions in the queue before the run (for the reviewers)")
    ap.add_argument("--threads", type=int, default=2, help="parallel parts per upload")
    ap.add_argument("--quiet-s", type=float, default=10,
                    help="seconds of reviewers alone (no upload) before the uploads")
    ap.add_argument("--think-s", type=float, default=0.05,
                    help="each reviewer's pause between a page+claim and the next")
    ap.add_argument("--uploader-nice", type=int, default=0,
                    help="CPU niceness of the simulated contributors' upload threads")
    ap.add_argument("--api-workers", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2, help="verification workers")
    args = ap.parse_args()
    size = int(args.size_mb * (1 << 20))
    tmp = Path(tempfile.mkdtemp(prefix="annotator-bench-"))
    info = machine_info()
    print(f"machine: {info['cpus']} CPUs, load {info['loadavg_at_start']}", flush=True)
    setup = TeamSetup(api_workers=args.api_workers, workers=args.workers, reconciler=False,
                      max_package_bytes=max(size * 2, 64 << 20), upload_rate="100000/minute",
                      login_rate="100000/minute")
    t0 = time.monotonic()
    setup.start(admin="admin", admin_passphrase="bench admin passphrase")
    print(f"team set-up ready in {time.monotonic() - t0:.1f} s at {setup.url}", flush=True)
    try:
        return run(args, setup, tmp, size, info)
    finally:
        setup.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, setup: TeamSetup, tmp: Path, size: int, info: dict) -> int:
    from annotator.server.objects import S3BlobStore
    from annotator.store import open_store

    store = open_store(database_url=setup.cfg.database_url,
                       blobs=S3BlobStore(ObjectStore(setup.cfg)), migrate="check")
    svc = Services(store)
    admin = svc.sign_in(name="admin", passphrase="bench admin passphrase")
    terms = svc.get_terms()

    def user(name: str, role: str) -> tuple[str, str]:
        inv = svc.invite_user(actor=admin, name=name, role=role)
        r = httpx.post(f"{setup.url}/v1/auth/token",
                       json={"name": name, "passphrase": inv.passphrase}, timeout=60)
        r.raise_for_status()
        return r.json()["token"], r.json()["user"]["pseudonym"]

    contributors = [user(f"c{i:03d}", "contributor") for i in range(args.contributors)]
    reviewers = [user(f"r{i:03d}", "reviewer") for i in range(args.reviewers)]

    print(f"seeding the queue with {args.seed_queue} small submissions...", flush=True)
    seeder = svc.sign_in(name="admin", passphrase="bench admin passphrase")
    s_inv = svc.invite_user(actor=seeder, name="seeder", role="contributor")
    seed_actor = svc.sign_in(name="seeder", passphrase=s_inv.passphrase)
    for i in range(args.seed_queue):
        svc.ingest_package(actor=seed_actor, folder=make_package(
            tmp / f"seed{i}", seed_actor.pseudonym, terms, 64 << 10))

    print(f"preparing {args.contributors} packages of {size / 2**20:.0f} MB...", flush=True)
    states = []
    clients = []
    for i, (token, pseudonym) in enumerate(contributors):
        folder = make_package(tmp / f"pkg{i}", pseudonym, terms, size)
        c = RemoteServices(setup.url, token=token, outbox=tmp / f"outbox{i}",
                           upload_threads=args.threads)
        clients.append(c)
        states.append(c.outbox.prepare(folder, server=setup.url))
    total = sum(st.size for st in states)
    ref_files = []  # the same bytes for the reference (the client deletes its copy once accepted)
    for i, st in enumerate(states):
        ref_files.append(tmp / f"ref{i}.tar")
        os.link(st.archive, ref_files[-1])

    # -- reference: plain boto3 multipart uploads of the same archives -------------------------
    # Long socket timeouts, as the app's own uploads have (httpx, 120 s): urllib3 sends a
    # request body under the *connect* timeout (5 s in ObjectStore), and with 100 parts at
    # once on 2 busy cores the store sometimes reads nothing from one for longer.
    objs = ObjectStore(setup.cfg, connect_timeout=120, read_timeout=900)
    from boto3.s3.transfer import TransferConfig

    tc = TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=setup.cfg.part_size,
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
        setup.url, [tok for tok, _p in reviewers], stop, samples_q, args.think_s))
    sampler = TreeSampler(setup.api.proc.pid, interval=0.2).start()
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
    store.dispose()

    ref_mean = (ref_s + ref2_s) / 2
    mb = total / 2**20
    res = {
        "machine": info, "contributors": args.contributors, "package_mb": size / 2**20,
        "reviewers": args.reviewers, "threads_per_upload": args.threads,
        "note": "reviewers page and claim during the reference and our uploads, from their "
                "own process; the uploading threads run at nice "
                f"{args.uploader_nice} (they stand for other machines); verification jobs run "
                "while our uploads go on (they start at each complete)",
        "reviewer_think_s": args.think_s, "uploader_nice": args.uploader_nice,
        "api_workers": args.api_workers, "verify_workers": args.workers,
        "total_mb": mb,
        "reference_s": [ref_s, ref2_s], "ours_s": ours_s,
        "reference_mb_s": mb / ref_mean, "ours_mb_s": mb / ours_s,
        "throughput_ratio": ref_mean / ours_s,
        "verification_s": verify_s, "accepted": accepted,
        "sample_fetched_back_intact": sample_ok,
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
    path = write_result("server_load", res)
    print(f"\n{args.contributors} contributors x {size / 2**20:.0f} MB ({mb:.0f} MB), "
          f"{args.reviewers} reviewers, loopback")
    print(f"  upload: ours {res['ours_mb_s']:.1f} MB/s in {ours_s:.1f} s; plain boto3 "
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
    print(f"  accepted intact: {accepted}/{args.contributors} (verification took "
          f"{verify_s:.1f} s after the uploads); sample fetched back: {sample_ok}")
    print(f"  API process tree peak RSS: {res['api_tree_peak_rss_mb']:.0f} MB")
    print(f"  load average at end: {res['loadavg_at_end']}; written {path}")
    ok = accepted == args.contributors and sample_ok == min(3, args.contributors)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
