"""Why capture ticks ran late: a report on the timeline the recorder writes with
``ANNOTATOR_BENCH_TICK_TRACE`` (annotator/capture/tick_trace.py).

For every live tick: how late it began (woken and holding the GIL again, after its
deadline), how long its grab and its whole work took, and for the late ones what else was
going on: the run-queue wait of the capture thread over the tick (waiting for a core), the
hypervisor's steal time, and the other threads' work overlapping the lateness (x264 encodes,
garbage collections, flushes of the bundle, the monitor's passes).  A tick's lateness that is
neither run-queue wait nor steal was spent off the CPU by choice: asleep too long, or
waiting for the GIL.

    .venv/bin/python benchmarks/tick_report.py TRACE.json [--late-ms 20]
(``benchmarks/record_overhead.py --trace`` prints this for each of its runs of ours.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

BUCKETS_MS = (0, 1, 2, 5, 10, 20, 33.4, 50, 100, float("inf"))


def histogram(values_ms: np.ndarray) -> str:
    out = []
    for lo, hi in zip(BUCKETS_MS, BUCKETS_MS[1:], strict=False):
        n = int(((values_ms >= lo) & (values_ms < hi)).sum())
        if n:
            out.append(f"{lo:g}-{hi:g} ms: {n}")
    return ", ".join(out) or "none"


def pct(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def summarize(trace: dict[str, Any], late_ms: float = 20.0, interval_ms: float = 1000 / 30
              ) -> dict[str, Any]:
    """The figures of one trace, and its late ticks explained."""
    t = np.asarray(trace["ticks"], dtype=np.int64).reshape(-1, 12)
    due, woke, grabbed, done, missed, queued, cpu, runq_before, runq, x0, x1, xq = t.T
    late = (woke - due) / 1e6
    grab = (grabbed - woke) / 1e6
    work = (done - woke) / 1e6
    xs = (x1 - x0)[x0 > 0] / 1e6
    sleeps = np.asarray(trace["sleeps"], dtype=np.int64).reshape(-1, 2)
    over = (sleeps[:, 1] - sleeps[:, 0]) / 1e6 if len(sleeps) else np.zeros(0)
    spans = trace["spans"]
    steal = np.asarray(trace.get("steal", []), dtype=np.int64).reshape(-1, 2)
    out: dict[str, Any] = {
        "ticks": len(t), "missed_deadlines": int(missed.sum()),
        "late_ms": {"p50": pct(late, 50), "p99": pct(late, 99), "max": float(late.max(initial=0)),
                    "histogram": histogram(late)},
        "grab_ms": {"p50": pct(grab, 50), "p99": pct(grab, 99), "max": float(grab.max(initial=0))},
        "x_ms": {"p50": pct(xs, 50), "p99": pct(xs, 99), "max": float(xs.max(initial=0)),
                 "histogram": histogram(xs)},
        "work_ms": {"p50": pct(work, 50), "p99": pct(work, 99), "max": float(work.max(initial=0)),
                    "histogram": histogram(work)},
        "oversleep_ms": {"p50": pct(over, 50), "p99": pct(over, 99),
                         "max": float(over.max(initial=0))},
        "queue_max": int(queued.max(initial=0)),
        "runq_ms_total": float((runq + runq_before).sum() / 1e6),
    }
    kinds: dict[str, list[float]] = {}
    for kind, s, e, _c, _r in spans:
        kinds.setdefault(kind, []).append((e - s) / 1e6)
    out["spans"] = {k: {"n": len(v), "p50_ms": pct(np.array(v), 50),
                        "max_ms": max(v), "total_s": sum(v) / 1e3}
                    for k, v in sorted(kinds.items())}
    # A tick is explained over the time from its deadline to the end of its work: a miss is
    # a tick whose work ended past the next deadline, or that began past it.
    bad = np.flatnonzero((missed > 0) | (late > late_ms) | ((done - due) / 1e6 > interval_ms))
    explained = []
    for i in bad[:40]:
        a, b = int(due[i]), int(done[i])
        over_spans = [(k, round((s - a) / 1e6, 1), round((e - s) / 1e6, 1),
                       round(c / 1e6, 1), round(r / 1e6, 1))
                      for k, s, e, c, r in spans if s < b and e > a]
        st = None
        if len(steal):
            j = int(np.searchsorted(steal[:, 0], b))
            if 0 < j < len(steal) + 1 and j - 1 >= 1:
                st = int(steal[j - 1, 1] - steal[j - 2, 1])  # ticks since the tick before
        explained.append({
            "tick": int(i), "missed": int(missed[i]), "late_ms": round(float(late[i]), 1),
            "grab_ms": round(float(grab[i]), 1), "work_ms": round(float(work[i]), 1),
            "cpu_ms": round(float(cpu[i]) / 1e6, 1),
            "runq_before_ms": round(float(runq_before[i]) / 1e6, 1),
            "runq_ms": round(float(runq[i]) / 1e6, 1),
            "x_at_ms": round(float(x0[i] - woke[i]) / 1e6, 1) if x0[i] else None,
            "x_ms": round(float(x1[i] - x0[i]) / 1e6, 1) if x0[i] else None,
            "x_runq_ms": round(float(xq[i]) / 1e6, 1),
            "queued": int(queued[i]), "steal_ticks": st,
            "overlapping": over_spans,
        })
    out["bad_ticks"] = explained
    out["threads"] = sorted(trace.get("threads", []), key=lambda r: -r["cpu_ns"])
    return out


def print_report(s: dict[str, Any], indent: str = "    ") -> None:
    p = print
    p(f"{indent}ticks {s['ticks']}, missed deadlines {s['missed_deadlines']}, encoder queue "
      f"max {s['queue_max']}, capture thread run-queue wait {s['runq_ms_total']:.0f} ms")
    for key, label in (("late_ms", "began late"), ("work_ms", "tick's work"),
                       ("grab_ms", "grab"), ("x_ms", "X requests"),
                       ("oversleep_ms", "oversleep")):
        v = s[key]
        p(f"{indent}{label}: p50 {v['p50']:.2f} ms, p99 {v['p99']:.2f}, max {v['max']:.1f}"
          + (f"  [{v['histogram']}]" if "histogram" in v else ""))
    for k, v in s["spans"].items():
        p(f"{indent}{k}: {v['n']} x, p50 {v['p50_ms']:.2f} ms, max {v['max_ms']:.1f}, "
          f"total {v['total_s']:.2f} s")
    for b in s["bad_ticks"]:
        p(f"{indent}late tick {b['tick']}: began {b['late_ms']} ms late (missed {b['missed']};"
          f" run-queue wait before {b['runq_before_ms']}), grab {b['grab_ms']} (X requests "
          f"{b['x_ms']} ms from {b['x_at_ms']}, run-queue {b['x_runq_ms']}), work "
          f"{b['work_ms']} (cpu {b['cpu_ms']}, run-queue {b['runq_ms']}), steal "
          f"{b['steal_ticks']} ticks, queue {b['queued']}")
        for k, at, dur, c, r in b["overlapping"]:
            p(f"{indent}    {k} at {at:+} ms for {dur} ms (cpu {c}, run-queue {r})")
    p(f"{indent}threads (CPU s, run-queue wait s): " + ", ".join(
        f"{r['name']}:{r['tid']} {r['cpu_ns'] / 1e9:.2f}/{r['runq_ns'] / 1e9:.2f}"
        for r in s["threads"][:12]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace", type=Path)
    ap.add_argument("--late-ms", type=float, default=20.0,
                    help="explain ticks that began at least this late (default 20)")
    args = ap.parse_args(argv)
    print_report(summarize(json.loads(args.trace.read_text()), args.late_ms), indent="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
