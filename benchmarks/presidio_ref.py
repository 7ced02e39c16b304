"""The reference engine of benchmarks/pii_recall.py: presidio-image-redactor, run offline on
the same decoded frames, in its own venv (it requires opencv-python, which would replace the
project's opencv-python-headless): a blank spaCy pipeline saved to disk and passed by path,
tldextract given no suffix-list URLs, and sockets blocked while it runs.

    python3 -m venv benchmarks/out/presidio-venv
    benchmarks/out/presidio-venv/bin/pip install presidio-image-redactor
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

OUT = Path(__file__).resolve().parent / "out"


def _cpu() -> float:
    import resource

    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


PRESIDIO_VENV = OUT / "presidio-venv"


def run_presidio(frames: list[np.ndarray], deny: list[str], workdir: Path) -> dict[str, Any]:
    """presidio-image-redactor in its own venv (it requires opencv-python, which would
    replace the project's opencv-python-headless), as a subprocess on the same frames."""
    import subprocess

    py = PRESIDIO_VENV / "bin" / "python"
    if not py.exists():
        raise RuntimeError(
            f"presidio is not installed: python3 -m venv {PRESIDIO_VENV} && "
            f"{PRESIDIO_VENV}/bin/pip install presidio-image-redactor")
    job = workdir / "presidio-job"
    job.mkdir(exist_ok=True)
    for i, f in enumerate(frames):
        cv2.imwrite(str(job / f"{i:04d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    (job / "job.json").write_text(json.dumps({"deny_list": deny, "n": len(frames)}))
    env = dict(os.environ, OMP_THREAD_LIMIT="1", PYTHONNOUSERSITE="1")
    subprocess.run([str(py), __file__, str(job)], check=True, env=env)
    return json.loads((job / "result.json").read_text())


def presidio_worker(job: Path) -> None:
    """Runs inside the presidio venv: no annotator, no Qt, no network."""
    import socket

    def no_network(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("presidio tried to use the network")

    socket.socket.connect = no_network  # type: ignore[method-assign]
    socket.socket.connect_ex = no_network  # type: ignore[method-assign]
    socket.create_connection = no_network  # type: ignore[assignment]
    socket.getaddrinfo = no_network  # type: ignore[assignment]
    os.environ["OMP_THREAD_LIMIT"] = "1"

    import spacy
    import tldextract
    from PIL import Image
    from spacy.language import Language

    @Language.component("lemma_lower")
    def lemma_lower(doc):  # privacy.md: restores context words with a blank pipeline
        for tok in doc:
            tok.lemma_ = tok.lower_
        return doc

    model = job / "spacy-blank-en"
    nlp = spacy.blank("en")
    nlp.add_pipe("lemma_lower")
    nlp.to_disk(model)
    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    tldextract.extract = offline
    tldextract.tldextract.TLD_EXTRACTOR = offline

    import presidio_image_redactor
    from presidio_analyzer import AnalyzerEngine, PatternRecognizer
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_image_redactor import ImageAnalyzerEngine

    spec = json.loads((job / "job.json").read_text())
    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": str(model)}]})
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    analyzer.registry.add_recognizer(PatternRecognizer(
        supported_entity="DENY_LIST", deny_list=spec["deny_list"]))
    engine = ImageAnalyzerEngine(analyzer_engine=analyzer)
    rects, walls, cpus = [], [], []
    for i in range(spec["n"]):
        img = Image.open(job / f"{i:04d}.png").convert("RGB")
        c0, t0 = _cpu(), time.perf_counter()
        res = engine.analyze(img)
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
        rects.append([[int(r.left), int(r.top), int(r.width), int(r.height)] for r in res])
        if (i + 1) % 20 == 0:
            print(f"  presidio: {i + 1}/{spec['n']} frames, {statistics.mean(walls):.2f} s/frame",
                  file=sys.stderr)
    import pytesseract

    (job / "result.json").write_text(json.dumps({
        "rects": rects, "wall_s": walls, "cpu_s": cpus,
        "config": {"presidio_image_redactor": getattr(presidio_image_redactor, "__version__", "?"),
                   "tesseract": str(pytesseract.get_tesseract_version()),
                   "spacy": spacy.__version__, "nlp": "blank en pipeline from a path, "
                   "lemma=lower component", "score_threshold": 0}}))


def interleaved_speed(run_ours: Callable[..., dict[str, Any]], frames: list[np.ndarray],
                      deny: list[str], workers: int, workdir: Path, blocks: int,
                      per_block: int) -> dict[str, Any]:
    """Time both engines in alternating blocks (ours, presidio, ours, presidio...) over the
    same frames (spread over the whole set).  Presidio's process start is not counted."""
    step = max(1, len(frames) // max(1, blocks * per_block))
    picked = frames[::step][:blocks * per_block]
    acc: dict[str, dict[str, list[float]]] = {"annotator": {"wall": [], "cpu": []},
                                              "presidio": {"wall": [], "cpu": []}}
    for b in range(blocks):
        chunk = picked[b * per_block:(b + 1) * per_block]
        if not chunk:
            break
        r = run_ours(chunk, deny, workers)
        acc["annotator"]["wall"] += r["wall_s"]
        acc["annotator"]["cpu"] += r["cpu_s"]
        sub = workdir / f"speed-{b}"
        sub.mkdir(exist_ok=True)
        p = run_presidio(chunk, deny, sub)
        acc["presidio"]["wall"] += p["wall_s"]
        acc["presidio"]["cpu"] += p["cpu_s"]
    return {n: {"frames": len(v["wall"]), "s_per_frame_wall": statistics.mean(v["wall"]),
                "cpu_s_per_frame": statistics.mean(v["cpu"])} for n, v in acc.items() if v["wall"]}


if __name__ == "__main__":  # in the presidio venv: the worker
    presidio_worker(Path(sys.argv[1]))
