"""Every redaction figure of the README, in one run: the benchmarks one after the other.

1. ``pii_recall.py --screens 32`` (the screens the code was developed on, seed 7), with a
   timing again under load (``--load 1,2``: one core of two busy, then both);
2. ``pii_recall.py --heldout --screens 32`` (other themes, fonts and sizes, seed 1007), and
   the same on further held-out sets: seeds 2024, 3031, 4177, 5281, 6113, 8429, 9371 and
   2753 (fresh when first measured; their misses have been looked at since), 5519 and 8861
   (measured once, after the last tuning);
3. ``redaction_real_apps.py`` (real applications recorded with the real recorder; needs
   Xvfb, xdotool and xterm);
4. ``leakscan_cost.py`` (the leak check's time per recorded minute; its input recording is
   made first by ``render_speed.py --runs 1`` when benchmarks/out/ has none).

Each writes its own JSON to benchmarks/out/; this script prints each one's output, then the
load average (1 min) before and after each, and writes benchmarks/out/redaction_figures-
<stamp>.json with the exit status, wall time and load of every step.  Run it on a quiet
machine (the time per frame is meant to be read idle; the load is written beside it):

    .venv/bin/python benchmarks/redaction_figures.py [--screens 32] [--skip real_apps,...]

About 20-30 minutes on 2 idle cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
LEAKSCAN_INPUT = OUT / "render_speed-input-1920x1080-60s" / "manifest.json"


def steps(screens: int) -> dict[str, list[str]]:
    return {
        "recall_tuned": ["pii_recall.py", "--screens", str(screens), "--load", "1,2",
                         "--load-frames", "10"],
        "recall_heldout": ["pii_recall.py", "--heldout", "--screens", str(screens)],
        # seeds whose misses have been looked at since they were first measured
        **{f"recall_dev{seed}": ["pii_recall.py", "--heldout", "--seed", str(seed), "--screens",
                                 str(screens)] for seed in (2024, 3031, 4177, 5281, 6113, 8429,
                                                            9371, 2753)},
        # measured once each after the last tuning (never looked at before)
        "recall_final": ["pii_recall.py", "--heldout", "--seed", "5519", "--screens",
                         str(screens)],
        "recall_final2": ["pii_recall.py", "--heldout", "--seed", "8861", "--screens",
                          str(screens)],
        "real_apps": ["redaction_real_apps.py"],
        # leakscan_cost reads the render benchmark's recording; made once if missing
        **({} if LEAKSCAN_INPUT.exists() else
           {"leakscan_input": ["render_speed.py", "--runs", "1"]}),
        "leakscan_cost": ["leakscan_cost.py"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--screens", type=int, default=32)
    ap.add_argument("--skip", default="", help="comma-separated steps to leave out: "
                    + ", ".join(steps(0)))
    args = ap.parse_args(argv)
    skip = {s for s in args.skip.split(",") if s}
    unknown = skip - set(steps(0))
    if unknown:
        ap.error(f"unknown step(s) {', '.join(sorted(unknown))}; the steps are "
                 + ", ".join(steps(0)))
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    for name, cmd in steps(args.screens).items():
        if name in skip:
            continue
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        print(f"\n=== {name}: {' '.join(cmd)} (load {load0:.2f})", flush=True)
        rc = subprocess.call([sys.executable, str(HERE / cmd[0]), *cmd[1:]], cwd=HERE.parent)
        results.append({"step": name, "command": cmd, "exit_status": rc,
                        "wall_s": round(time.perf_counter() - t0, 1),
                        "load_avg_1m_start": round(load0, 2),
                        "load_avg_1m_end": round(os.getloadavg()[0], 2)})
    print("\n=== summary (each step's figures are printed above and in benchmarks/out/)")
    for r in results:
        print(f"  {r['step']:15s} exit {r['exit_status']}  {r['wall_s']:7.1f} s  load "
              f"{r['load_avg_1m_start']:.2f} -> {r['load_avg_1m_end']:.2f}")
    path = OUT / f"redaction_figures-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                "cores": os.cpu_count(), "steps": results}, indent=1))
    print(f"  written {path}")
    return max((r["exit_status"] for r in results), default=0)


if __name__ == "__main__":
    sys.exit(main())
