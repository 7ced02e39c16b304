"""Cost of the OCR leak scan (``annotator.redaction.leakscan``) on a rendered recording, against
the plain way to OCR a video: one whole frame per second of output.

Input: the render-speed recording (benchmarks/render_speed.py: the "typical UI" workload at
1920x1080, typing at 5 characters a second, scrolling and clicking; recorded by our
recorder), or ``--recording DIR``.  It is rendered once (the whole recording, no box), then:

- ours: ``check_ocr_text`` over the output, as ``render_for_submission`` runs it (the
  suggestions' reader: only changed bands, every state that stayed 0.5 s, at least once a
  second during continuous change, the first and last frames);
- reference: every frame shown at a whole second of the output OCR'd in full (``ocr_batch``
  of those frames, the same Tesseract options and workers), then the same detectors.

Printed: wall time of each, pixels sent to Tesseract, the ratio, the scan's speed in x real
time, and what each found.  The machine is shared (other jobs run): compare the ratio, not
the absolute times.  Results go to benchmarks/out/leakscan_cost-<stamp>.json.

    .venv/bin/python benchmarks/leakscan_cost.py [--recording DIR] [--seconds S]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import fmt, machine_info, print_table, write_result  # noqa: E402

from annotator.jobs import Progress  # noqa: E402
from annotator.media.leakcheck import LeakCheckContext, iter_output_frames  # noqa: E402
from annotator.media.render import plan_render, render_video  # noqa: E402
from annotator.redaction.detect import Detector  # noqa: E402
from annotator.redaction.leakscan import check_ocr_text  # noqa: E402
from annotator.redaction.ocr import OcrOptions, ocr_batch, tesseract_version  # noqa: E402
from annotator.redaction.screen_text import analyze_words  # noqa: E402

DEFAULT = Path(__file__).resolve().parent / "out" / "render_speed-input-1920x1080-60s"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--recording", type=Path, default=DEFAULT)
    ap.add_argument("--seconds", type=float, default=None,
                    help="render only the first S seconds (default: all)")
    args = ap.parse_args()
    if not (args.recording / "manifest.json").exists():
        print(f"{args.recording} is not a recording: run benchmarks/render_speed.py once "
              "(it records its input there), or give --recording DIR", file=sys.stderr)
        return 2
    kept = [(0, int(args.seconds * 1e6) if args.seconds else 2**62)]
    with tempfile.TemporaryDirectory(prefix="leakscan-bench-") as tmp:
        out = Path(tmp) / "out.mp4"
        t0 = time.perf_counter()
        res = render_video(args.recording, out, kept, [])
        render_s = time.perf_counter() - t0
        plan = plan_render(args.recording, kept, [])
        duration_s = plan.result_duration_us / 1e6
        print(f"input: {args.recording.name}, {plan.width}x{plan.height}, "
              f"{duration_s:.1f} s kept, {res.frames_encoded} output frames "
              f"(rendered in {render_s:.1f} s); {tesseract_version()}", flush=True)

        # ours
        # A long Tesseract timeout: on a machine shared with other jobs one batch can take
        # minutes (the default, 120 s per image part, then makes the check "not checked").
        options = OcrOptions(timeout_s=1800)
        ctx = LeakCheckContext(out, plan, (0, 0, 0), 12, Progress(),
                               options={"ocr_options": options})
        t0 = time.perf_counter()
        ours = check_ocr_text(ctx)
        ours_s = time.perf_counter() - t0
        d = ours.details
        print(f"ours: {ours_s:.1f} s, {d['readings']} readings, "
              f"{d['ocr_px'] / 1e6:.1f} Mpx OCR'd, {d['items']} finding(s)", flush=True)

        # reference: the frame on screen at every whole second, in full
        t0 = time.perf_counter()
        want = [int(s * 1e6) for s in range(int(duration_s) + 1)]
        picked, wi = [], 0
        for of in iter_output_frames(out, plan.result_duration_us):
            while wi < len(want) and of.pts <= want[wi] < of.end:
                picked.append(of.rgb())
                wi += 1
        words = ocr_batch(picked, options)
        det = Detector()
        ref_hits = [h for ws in words
                    for h in analyze_words(ws, det, size=(plan.width, plan.height))[0]]
        ref_s = time.perf_counter() - t0
        ref_px = len(picked) * plan.width * plan.height

    rows = [
        ["ours: changed bands", d["readings"], f"{d['ocr_px'] / 1e6:.1f}", fmt(ours_s, 1),
         fmt(duration_s / ours_s, 2), d["items"]],
        ["reference: 1 full frame/s", len(picked), f"{ref_px / 1e6:.1f}", fmt(ref_s, 1),
         fmt(duration_s / ref_s, 2), len({(h.kind, h.text) for h in ref_hits})],
    ]
    print_table(["method", "readings", "Mpx OCR'd", "wall s", "x real time", "findings"], rows)
    print(f"ours / reference wall time: {ours_s / ref_s:.2f}; pixels: "
          f"{d['ocr_px'] / max(1, ref_px):.2f}  (machine shared with other jobs)")
    path = write_result("leakscan_cost", {
        "recording": str(args.recording), "width": plan.width, "height": plan.height,
        "duration_s": duration_s, "output_frames": res.frames_encoded,
        "ours": {"seconds": ours_s, **d, "status": ours.status},
        "reference": {"seconds": ref_s, "frames": len(picked), "ocr_px": ref_px,
                      "findings": len({(h.kind, h.text) for h in ref_hits})},
        "ratio_wall": ours_s / ref_s, "machine": machine_info(),
    })
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
