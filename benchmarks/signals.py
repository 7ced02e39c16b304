"""Quality signals against planted truth: precision and recall per signal, false positives on
genuine demonstrations, and the CPU time to compute all signals per recorded minute.

The corpus (benchmarks/signals_corpus.py) is made with the recorder's encoder and bundle
writer, labelled through the edit session and the drafter, and prepared with the submission
builder, like real submissions; each carries its planted truth (``truth.json``).  It is built
once and cached (``--corpus``, default ``~/.cache/annotator-bench/signals``): missing
submissions are made in child processes, ``--jobs`` at a time.

For each submission this computes the package's signals exactly as the store does
(``annotator.quality.compute`` on the package folder) and the store's own (duplicates against
every earlier submission, the task's usual length against the earlier ones of its task), in
submission order, as a store receiving them would.  Scoring is per submission and kind: a
kind is *found* when the set has a record of it, *planted* when the truth says so.  Step-level
kinds are also scored per step (the record names the planted step).  A typing defect planted
on a task where nothing is typed is not counted (there is nothing to find), nor are straight
moves planted with teleports (a pointer that jumps makes no moves), nor the same words
planted on fewer than ``MIN_SAME`` steps (a demonstration cut to two); whether a replay matches
its source as a duplicate is not scored (it is the same demonstration, played back), nor what
the corpus lists as ``unscored`` for a copy (a click on a video names no control).  The
client-declared input summary is made again from each recording by this code, as the
contributor's computer makes it (its time is counted).

    .venv/bin/python -m benchmarks.signals [--seeds 240] [--jobs 2] [--split test|dev|all]
    .venv/bin/python -m benchmarks.signals --first 240 --seeds 480   # a fresh held-out set

Seeds below ``DEV_SEEDS`` are the development split (thresholds were looked at on them);
the test split is reported on its own.  Every input here is scripted: the device classes of
"physical" input are written by the corpus (as the recorder writes them for real devices);
precision on real physical input is not measured on this machine (Xvfb has only XTEST).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.path.expanduser("~/.cache/annotator-bench/signals"))
STEP_KINDS = ("no_effect", "instruction_mismatch", "same_instruction", "weak_draft")


def build_missing(corpus: Path, seeds: list[int], jobs: int) -> None:
    """Make the submissions not in the cache yet.  A replay or a duplicate of seed ``s`` copies
    a seed below ``s // 2``: rounds [0, 12), [12, 24), [24, 48)... each only copy earlier
    rounds, so a round's seeds are made in parallel."""
    from benchmarks.signals_corpus import is_current

    missing = [s for s in seeds if not is_current(corpus / f"s{s:03d}", or_skipped=True)]
    if not missing:
        seeds[:] = [s for s in seeds if is_current(corpus / f"s{s:03d}")]
        return
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT),
               ANNOTATOR_HOME=str(corpus / "_home"))
    bounds = [0, 12]
    while bounds[-1] <= max(missing):
        bounds.append(bounds[-1] * 2)
    rounds = [[s for s in missing if a <= s < b] for a, b in
              zip(bounds, bounds[1:], strict=False)]
    for group in rounds:
        chunks = [group[i::jobs] for i in range(jobs) if group[i::jobs]]
        procs = [subprocess.Popen([sys.executable, "-m", "benchmarks.signals_corpus",
                                   str(corpus), *map(str, chunk)], env=env, cwd=ROOT)
                 for chunk in chunks]
        for p in procs:
            if p.wait() != 0:
                raise SystemExit(f"building the corpus failed (exit {p.returncode})")
    seeds[:] = [s for s in seeds if is_current(corpus / f"s{s:03d}")]


def declared_of(recording: Path) -> dict[str, Any]:
    from annotator.bundle.reader import Bundle
    from annotator.submission.builder import load_edited
    from annotator.submission.signals import declared_input

    return declared_input(Bundle.open(recording), load_edited(recording).result)


def recorded_minutes(sub: Path) -> float:
    m = json.loads((sub / "recording" / "manifest.json").read_text())
    return max(1e-6, int(m.get("duration_us") or 0) / 60e6)


def run(corpus: Path, seeds: list[int], split: str, score_from: int = 0) -> dict[str, Any]:
    """Signals of every seed, in order, as a store receives them; scored from ``score_from``
    on (the earlier ones are in the store: the originals of duplicates, a task's others)."""
    from annotator.quality.compute import compute
    from annotator.quality.duplicates import Other, duplicate_signals, length_of, length_signal
    from annotator.quality.labels import MIN_SAME
    from annotator.quality.package import load_package
    from annotator.quality.records import KINDS

    seen: list[tuple[int, dict[str, Any], int | None, int, int]] = []  # seed, fp, task, length, who
    rows = []
    cpu = minutes = 0.0
    for seed in seeds:
        sub = corpus / f"s{seed:03d}"
        truth = json.loads((sub / "truth.json").read_text())
        t0 = time.process_time()
        # The input summary as the contributor's computer makes it from the raw recording
        # (by this code, not the one that made the cached package's signals.json).
        ev = dataclasses.replace(load_package(sub / "package"),
                                 declared=declared_of(sub / "recording"))
        got = compute(ev)
        cpu += time.process_time() - t0
        minutes += recorded_minutes(sub)
        doc = json.loads((sub / "package" / "steps.json").read_text())
        duration = int(doc.get("duration_us") or 0)
        others = [Other(s, str(s), c == truth["contributor"], fp) for s, fp, _t, _d, c in seen]
        store = duplicate_signals(got.fingerprint, str(seed), others)
        # The task's others as the store groups them: by the package's task.
        own_time, own_steps = length_of(duration, got.fingerprint)
        store += length_signal(own_time, [length_of(d, fp) for _s, fp, t, d, _c in seen
                                          if t == ev.task_id], own_steps)
        records = list(got.records["signals"]) + [s.as_json() for s in store]
        seen.append((seed, got.fingerprint, ev.task_id, duration, truth["contributor"]))
        truth["unscored"] = list(truth.get("unscored") or ())  # what a copy cannot show
        if truth.get("replay_of") is not None:
            # A recording played back with its input mimicked is also the same demonstration
            # as that recording (and as an earlier replay of it): whether it matches them as
            # a duplicate depends on the player's scale; not scored either way.
            truth["unscored"].append("duplicate")
        if seed < score_from or (split != "all" and truth["split"] != split):
            continue
        if "constant_typing" in truth["truth"] and not any(
                st.get("type") == "type" for st in doc.get("steps") or ()):
            # Planted on a task with nothing typed: there is no typing to be even.
            truth["truth"].pop("constant_typing")
        same = truth["truth"].get("same_instruction")
        if isinstance(same, list) and len(same) < MIN_SAME:
            # The words were copied onto fewer steps than "many" (the demonstration had only
            # two): not the defect the rule is for.
            truth["truth"].pop("same_instruction")
            truth["unscored"].append("same_instruction")
        hidden_truth(truth, doc, json.loads((sub / "package" / "redactions.json").read_text()))
        if "straight_moves" in truth["truth"] and "pointer_teleport" in truth["truth"]:
            # A pointer that jumps to every click makes no movement to be straight.
            truth["truth"].pop("straight_moves")
            truth["unscored"].append("straight_moves")
        rows.append({"seed": seed, "truth": truth, "records": records})
    return score(rows, list(KINDS), cpu, minutes)


def hidden_steps(doc: dict[str, Any], red: dict[str, Any]) -> set[str]:
    """Steps whose place is under a redaction box in their picture or in the next one: the
    package shows a solid box there before or after, whatever the step did."""
    steps = doc.get("steps") or []
    out = set()
    for s, nxt in zip(steps, steps[1:], strict=False):
        x, y = s.get("x"), s.get("y")
        times = [(st.get("observation") or {}).get("t_us") for st in (s, nxt)]
        if x is None or y is None or None in times:
            continue
        for b in red.get("boxes") or ():
            x0, y0, x1, y1 = b.get("fill_rect") or (0, 0, 0, 0)
            ivs = b.get("result_intervals_us") or ()
            if x0 <= x < x1 and y0 <= y < y1 and any(
                    any(a <= t < z for a, z in ivs) for t in times):
                out.add(str(s.get("id")))
    return out


def hidden_truth(truth: dict[str, Any], doc: dict[str, Any], red: dict[str, Any]) -> None:
    """A click that changed nothing, or a repeat, planted under a box over the screen cannot
    be told from one that did something: not scored."""
    hidden = hidden_steps(doc, red)
    for kind in ("no_effect", "repeated_steps"):
        planted = truth["truth"].get(kind)
        if not isinstance(planted, list) or not set(planted) & hidden:
            continue
        left = [i for i in planted if i not in hidden]
        if kind == "no_effect" and left:
            truth["truth"][kind] = left
        else:
            truth["truth"].pop(kind)
            truth["unscored"].append(kind)


def score(rows: list[dict[str, Any]], kinds: list[str], cpu: float, minutes: float
          ) -> dict[str, Any]:
    per: dict[str, dict[str, int]] = {k: {"tp": 0, "fp": 0, "fn": 0} for k in kinds}
    steps: dict[str, dict[str, int]] = {k: {"tp": 0, "fp": 0, "fn": 0} for k in STEP_KINDS}
    genuine = genuine_flagged = 0
    genuine_kinds: dict[str, int] = {}
    for r in rows:
        truth = r["truth"]["truth"]
        found: dict[str, set[str]] = {}
        for rec in r["records"]:
            found.setdefault(rec["kind"], set()).update(s["id"] for s in rec.get("steps") or ())
        for k in kinds:
            if k in r["truth"].get("unscored", ()):
                continue
            planted, hit = k in truth, k in found
            if planted or hit:
                per[k]["tp" if planted and hit else "fn" if planted else "fp"] += 1
        for k in STEP_KINDS:
            want = set(truth.get(k) or []) if isinstance(truth.get(k), list) else set()
            have = found.get(k, set())
            steps[k]["tp"] += len(want & have)
            steps[k]["fp"] += len(have - want)
            steps[k]["fn"] += len(want - have)
        if not r["truth"]["planned"] and not truth:
            genuine += 1
            if found:
                genuine_flagged += 1
                for k in found:
                    genuine_kinds[k] = genuine_kinds.get(k, 0) + 1

    def pr(c: dict[str, int]) -> dict[str, Any]:
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else None
        rc = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else None
        return {**c, "precision": p, "recall": rc}

    return {"submissions": len(rows), "genuine": genuine, "genuine_flagged": genuine_flagged,
            "genuine_kinds": genuine_kinds,
            "per_kind": {k: pr(v) for k, v in per.items()},
            "per_step": {k: pr(v) for k, v in steps.items()},
            "cpu_s": cpu, "recorded_min": minutes,
            "cpu_s_per_recorded_min": cpu / minutes if minutes else None}


def fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{x:5.0%}"


def report(res: dict[str, Any], load: tuple[float, float, float]) -> str:
    lines = [f"{res['submissions']} submissions ({res['genuine']} genuine); load average "
             f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}",
             f"{'kind':22} {'planted':>7} {'found':>6} {'prec':>6} {'recall':>6}"]
    for k, v in res["per_kind"].items():
        planted = v["tp"] + v["fn"]
        lines.append(f"{k:22} {planted:7d} {v['tp'] + v['fp']:6d} {fmt(v['precision']):>6} "
                     f"{fmt(v['recall']):>6}")
    lines.append("per step: " + ", ".join(
        f"{k} P {fmt(v['precision']).strip()} R {fmt(v['recall']).strip()}"
        for k, v in res["per_step"].items()))
    lines.append(f"genuine submissions with any signal: {res['genuine_flagged']} of "
                 f"{res['genuine']} {res['genuine_kinds']}")
    lines.append(f"CPU {res['cpu_s']:.1f} s for {res['recorded_min']:.1f} recorded minutes: "
                 f"{res['cpu_s_per_recorded_min']:.2f} s per recorded minute")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--seeds", type=int, default=240, help="submissions 0..N-1 (default 240)")
    ap.add_argument("--first", type=int, default=0,
                    help="score from this submission on; the earlier ones are still in the "
                         "store (--first 240 --seeds 480: a fresh test split no threshold "
                         "was looked at on)")
    ap.add_argument("--jobs", type=int, default=2, help="corpus builders in parallel")
    ap.add_argument("--split", choices=("test", "dev", "all"), default="all")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    seeds = list(range(args.seeds))
    if args.first >= args.seeds:
        ap.error(f"--first {args.first} leaves no submissions below --seeds {args.seeds}")
    args.corpus.mkdir(parents=True, exist_ok=True)
    build_missing(args.corpus, seeds, args.jobs)
    res = run(args.corpus, seeds, args.split, args.first)
    print(report(res, os.getloadavg()))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
