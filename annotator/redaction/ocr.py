"""Offline OCR of screen frames with the Debian ``tesseract`` binary.

Tesseract runs as a subprocess (TSV output, the image on stdin as PGM), always with
``OMP_THREAD_LIMIT=1``: its OpenMP threading oversubscribes small machines and is about 3x
slower on 2 cores (privacy.md section 2).  Parallelism comes from cutting a frame into
horizontal bands at blank rows (never through a line of text) and running one process per
band, ``workers`` at a time.  Nothing is downloaded: Tesseract reads its installed models
(``tesseract-ocr-eng``) and opens no socket.

Preprocessing for screen text (measured on benchmarks/pii_recall.py, see its README
figures):

- greyscale, then *local* polarity: where the background around a pixel is dark (dark
  themes, dark sidebars, selected rows), the image is inverted there, so Tesseract always
  sees dark text on a light background (its models are trained on that);
- background flattening: each pixel's difference from the local background, stretched, so
  low-contrast text (grey on white, muted dark-theme text) becomes black on white and
  coloured panels, zebra rows and input boxes become white;
- upscaling (default 1.5x, cubic) before Tesseract's own binarisation: 12 px anti-aliased,
  H.264-compressed text loses thin strokes when binarised at its own size;
- frames and rules removed (input box frames, table grids, separators, faint grid lines):
  Tesseract skips the text of a framed field and reads grid lines as "_" or "|" glued to
  the cell's text.

Measured on benchmarks/pii_recall.py (40 screens): without the flattening and rule
removal most values inside input boxes and spreadsheet cells were not read at all; 1.5x
reads 12 px text clearly better than 1x for about 15 % more time (recognition, not the
image size, dominates Tesseract's time on screens full of text); page segmentation mode 11
(sparse text) finds more short UI strings than 3 (automatic) and is no slower.

Time: a whole frame is about 2.5-3.5 CPU s, nearly all of it Tesseract's recognition, so
two cores give at best about half that in wall time.

Tried and not kept: skipping blank regions (after flattening and rule removal the image
Tesseract gets is already white outside the text, and its time follows the text, not the
area); turning off the dictionaries (``load_system_dawg=0``, ``load_freq_dawg=0``: the same
recall and CPU time on 40 screens); preprocessing a frame's bands in parallel (no wall
time gained that a loaded machine could show, and OCR at the cuts changed).

Boxes: a word's box is widened over ink it cuts through (``_grow_to_ink``): Tesseract
sometimes boxes a lone final letter over half of it, and the value's box then misses a
few percent of the value.
"""

from __future__ import annotations

import bisect
import csv
import io
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field, replace
from functools import lru_cache

import cv2
import numpy as np

from annotator.errors import AnnotatorError
from annotator.jobs import Cancelled

INSTALL_HINT = ("Install Tesseract with `apt-get install tesseract-ocr tesseract-ocr-eng` "
                "(Debian/Ubuntu). Manual redaction works without it.")


class OcrError(AnnotatorError):
    """OCR cannot run (Tesseract missing, its language data missing, or it failed)."""


class TesseractMissing(OcrError):
    """The ``tesseract`` program is not installed."""


@dataclass(frozen=True, slots=True)
class Word:
    """One word found by OCR, in the pixel coordinates of the image given to ``ocr_image``."""

    text: str
    x: int
    y: int
    w: int
    h: int
    conf: float  # Tesseract's confidence, 0-100
    block: int  # block, paragraph and line ids as Tesseract numbered them (with the band's
    par: int  # offset in ``block``, so ids stay unique across bands)
    line: int

    @property
    def rect(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)

    @property
    def line_id(self) -> tuple[int, int, int]:
        return (self.block, self.par, self.line)


@dataclass(frozen=True)
class OcrOptions:
    lang: str = "eng"
    psm: int = 11  # sparse text: screens are not pages (finds more short UI strings than 3)
    scale: float = 1.5  # upscale before OCR (1.0: none)
    flatten: bool = True  # local polarity and background flattening (module docstring)
    contrast: int = 40  # flattening: local contrast (grey levels) that becomes full black
    remove_rules: bool = True  # erase box frames and grid lines
    workers: int = 2  # Tesseract processes at once, one per band of the frame
    min_band_height: int = 160  # px of the source image; bands are cut at blank rows
    timeout_s: float = 120.0
    extra_config: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@lru_cache(maxsize=1)
def find_tesseract() -> str:
    """Path of the ``tesseract`` program, or TesseractMissing with the install hint."""
    path = shutil.which("tesseract")
    if path is None:
        raise TesseractMissing("Automatic redaction suggestions need Tesseract OCR, which is "
                               "not installed.", INSTALL_HINT)
    return path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


@lru_cache(maxsize=4)
def tesseract_version() -> str:
    """``tesseract 5.3.0`` or similar (raises TesseractMissing)."""
    exe = find_tesseract()
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30,
                             env=_env())
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OcrError(f"Tesseract ({exe}) cannot be run: {exc}.", INSTALL_HINT) from exc
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "tesseract (unknown version)"


@lru_cache(maxsize=8)
def check_language(lang: str = "eng") -> None:
    """Raise OcrError if Tesseract lacks the language data ``lang``."""
    exe = find_tesseract()
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30,
                             env=_env())
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OcrError(f"Tesseract ({exe}) cannot be run: {exc}.", INSTALL_HINT) from exc
    langs = {ln.strip() for ln in (out.stdout + out.stderr).splitlines()[1:]}
    for part in lang.split("+"):
        if part not in langs:
            raise OcrError(f"Tesseract has no language data for {part!r}.",
                           f"Install it with `apt-get install tesseract-ocr-{part}`.")


# -- preprocessing -------------------------------------------------------------------------------

def to_gray(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        return img
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_RGBA2GRAY)
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def flatten_background(gray: np.ndarray, contrast: int = 40) -> np.ndarray:
    """Dark text on white whatever the local theme, with the background removed.

    The local background is the median of a neighbourhood much larger than a glyph
    (computed on a 4x reduced image).  Where it is dark the text is light: those pixels are
    inverted.  Then each pixel's darkness below its background is stretched so that text of
    any contrast reaches near black.
    """
    h, w = gray.shape
    small = cv2.resize(gray, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    bg_small = cv2.medianBlur(small, 11)
    # Close over text: the background is the brightest or darkest of the neighbourhood,
    # whichever is nearer the median (glyphs are a minority of the pixels).
    bg = cv2.resize(bg_small, (w, h), interpolation=cv2.INTER_LINEAR)
    dark = bg < 110
    g = gray.astype(np.int16)
    b = bg.astype(np.int16)
    diff = np.where(dark, g - b, b - g)  # how much "inkier" than the background
    # Stretch: local contrast of ``contrast`` levels and above becomes full black.
    out = 255 - np.clip(diff, 0, contrast) * 255 // contrast
    return out.astype(np.uint8)


def remove_rules(gray: np.ndarray, min_len: int = 60, min_len_v: int | None = None
                 ) -> np.ndarray:
    """White out frames and rules: input box frames (with their rounded corners), table
    grids, separators.  Tesseract takes a framed field for an image and skips its text, and
    reads frame corners as "L", "|" or "[" glued to the value.

    Removed: connected ink components at least ``min_len`` long (``min_len_v`` upright, so
    that the sides of the small input boxes of 12 px text go too) that are thin (a line) or
    hollow (a frame: under a third of their box is ink), then straight strokes of those
    lengths left touching glyphs (an underline)."""
    min_len_v = min_len_v or min_len
    ink = (gray < 160).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    w, h, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    thin = max(2, min_len // 12)
    big = (w >= min_len) | (h >= min_len_v)
    drop = big & ((np.minimum(w, h) <= thin) | (area < 0.34 * w * h))
    drop[0] = False
    mask = drop[labels]
    rest = ink & ~mask
    horiz = cv2.morphologyEx(rest.astype(np.uint8), cv2.MORPH_OPEN, np.ones((1, min_len), np.uint8))
    vert = cv2.morphologyEx(rest.astype(np.uint8), cv2.MORPH_OPEN,
                            np.ones((min_len_v, 1), np.uint8))
    mask |= cv2.dilate(horiz | vert, np.ones((3, 3), np.uint8)).astype(bool)
    # Faint rules (grid lines of a low contrast, which Tesseract reads as "_" glued to the
    # cell's text): any non-white straight run three times as long.
    faint = (gray < 245).astype(np.uint8)
    fh = cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((1, 3 * min_len), np.uint8))
    fv = cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((3 * min_len_v, 1), np.uint8))
    mask |= (fh | fv).astype(bool)
    # Anti-aliased fringes of removed strokes.
    mask = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    out = gray.copy()
    out[mask] = 255
    return out


def preprocess(img: np.ndarray, options: OcrOptions) -> np.ndarray:
    gray = to_gray(img)
    if options.flatten:
        gray = flatten_background(gray, options.contrast)
    elif np.median(gray) < 110:
        gray = 255 - gray
    if options.scale != 1.0:
        gray = cv2.resize(gray, None, fx=options.scale, fy=options.scale,
                          interpolation=cv2.INTER_CUBIC)
    if options.remove_rules:
        gray = remove_rules(gray, max(40, int(40 * options.scale)),
                            max(27, int(27 * options.scale)))
    return gray


def blank_rows(gray: np.ndarray) -> np.ndarray:
    """Rows with no text: no horizontal gradient worth the name."""
    grad = np.abs(np.diff(gray.astype(np.int16), axis=1))
    return (grad > 40).sum(axis=1) == 0


def bands(gray: np.ndarray, n: int, min_height: int) -> list[tuple[int, int]]:
    """Cut the image into at most ``n`` horizontal bands at blank rows, with about as much
    ink (text to recognise, which is what Tesseract's time goes to) in each."""
    h = gray.shape[0]
    if n <= 1 or h < 2 * min_height:
        return [(0, h)]
    blank = blank_rows(gray)
    ink = np.cumsum((gray < 128).sum(axis=1))
    total = int(ink[-1])
    if total == 0:
        return [(0, h)]
    blank_idx = np.flatnonzero(blank)
    cuts = [0]
    for k in range(1, n):
        target = int(np.searchsorted(ink, total * k // n))
        ok = blank_idx[(blank_idx >= cuts[-1] + min_height) & (blank_idx <= h - min_height)]
        if ok.size == 0:
            break
        cuts.append(int(ok[np.argmin(np.abs(ok - target))]))
    cuts.append(h)
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


# -- running Tesseract ---------------------------------------------------------------------------

def _pgm(gray: np.ndarray) -> bytes:
    h, w = gray.shape
    return b"P5\n%d %d\n255\n" % (w, h) + np.ascontiguousarray(gray).tobytes()


def _parse_tsv(tsv: str, block_offset: int = 0) -> list[Word]:
    """Words of Tesseract's TSV, in the pixels of the image it was given."""
    words = []
    reader = csv.reader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if not header or header[0] != "level":
        return words
    for row in reader:
        if len(row) < 12 or row[0] != "5":
            continue
        text = row[11].strip()
        if not text:
            continue
        try:
            left, top, width, height = (int(v) for v in row[6:10])
            conf = float(row[10])
        except ValueError:
            continue
        words.append(Word(text, left, top, max(1, width), max(1, height), conf,
                          int(row[2]) + block_offset, int(row[3]), int(row[4])))
    return words


def _command(options: OcrOptions) -> list[str]:
    cmd = [find_tesseract(), "stdin", "stdout", "-l", options.lang, "--psm", str(options.psm),
           "-c", "tessedit_do_invert=0"]
    for k, v in options.extra_config:
        cmd += ["-c", f"{k}={v}"]
    return cmd + ["tsv"]


def run_tesseract(gray: np.ndarray, options: OcrOptions) -> str:
    """Tesseract's TSV for one preprocessed greyscale image."""
    try:
        proc = subprocess.run(_command(options), input=_pgm(gray), capture_output=True,
                              timeout=options.timeout_s, env=_env())
    except FileNotFoundError as exc:
        find_tesseract.cache_clear()
        raise TesseractMissing("Tesseract OCR is not installed.", INSTALL_HINT) from exc
    except subprocess.TimeoutExpired as exc:
        raise OcrError(f"Tesseract took more than {options.timeout_s:.0f} s on one image.",
                       "Try again; if it keeps happening, report the frame.") from exc
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        msg = err[-1] if err else f"exit status {proc.returncode}"
        if "Failed loading language" in "\n".join(err) or "Error opening data file" in "\n".join(err):
            raise OcrError(f"Tesseract has no language data for {options.lang!r}: {msg}",
                           f"Install it with `apt-get install tesseract-ocr-{options.lang}`.")
        raise OcrError(f"Tesseract failed: {msg}")
    return proc.stdout.decode("utf-8", "replace")


GAP = 40  # px of white between the images stacked into one Tesseract run
MAX_PART = 12_000  # px: the tallest image given to one Tesseract process


def ocr_batch(images: list[np.ndarray], options: OcrOptions | None = None,
              offsets: list[tuple[int, int]] | None = None, *,
              cancel: threading.Event | None = None) -> list[list[Word]]:
    """OCR several images at once: each is preprocessed, they are stacked into one tall
    image with white gaps, and that is cut at blank rows into parts (as many as
    ``workers``, balanced by ink; more if taller than ``MAX_PART``) that run as parallel
    Tesseract processes.  One process start (about 0.1-0.3 s: it loads the model) serves
    many images, which is what makes reading the small changed regions of many frames
    affordable.

    Returns, per image, its words with boxes in the image's pixels plus its offset.
    Raises TesseractMissing (with the install hint) or OcrError; annotator.jobs.Cancelled
    once ``cancel`` is set (between Tesseract runs).
    """
    options = options or OcrOptions()
    find_tesseract()
    offsets = offsets or [(0, 0)] * len(images)
    out: list[list[Word]] = [[] for _ in images]
    s = options.scale
    pres: list[tuple[int, np.ndarray]] = []
    for i, img in enumerate(images):
        if img.size == 0 or min(img.shape[:2]) < 4:
            continue
        g = to_gray(img)
        if int(g.max()) - int(g.min()) < 16:
            continue  # a flat region: nothing to read
        pres.append((i, preprocess(img, options)))
    if not pres:
        return out
    width = max(p.shape[1] for _, p in pres)
    height = sum(p.shape[0] for _, p in pres) + GAP * (len(pres) + 1)
    canvas = np.full((height, width), 255, np.uint8)
    placed: list[tuple[int, int, int]] = []  # (y0, y1, image index) in the canvas
    y = GAP
    for i, p in pres:
        canvas[y:y + p.shape[0], :p.shape[1]] = p
        placed.append((y, y + p.shape[0], i))
        y += p.shape[0] + GAP
    n_parts = max(options.workers, -(-height // MAX_PART))
    cuts = bands(canvas, n_parts, int(options.min_band_height * s))
    results: list[list[Word] | BaseException | None] = [None] * len(cuts)

    def work(k: int) -> None:
        y0, y1 = cuts[k]
        if cancel is not None and cancel.is_set():
            results[k] = Cancelled()
            return
        try:
            words = _parse_tsv(run_tesseract(canvas[y0:y1], options), block_offset=k * 100_000)
            results[k] = [replace(w, y=w.y + y0) for w in words]
        except BaseException as exc:  # noqa: BLE001 - re-raised below in the caller
            results[k] = exc

    if len(cuts) == 1:
        work(0)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=max(1, options.workers)) as pool:
            list(pool.map(work, range(len(cuts))))
    starts = [p[0] for p in placed]
    ink = canvas < 128
    for r in results:
        if isinstance(r, BaseException):
            raise r
        for w in r or []:
            w = _grow_to_ink(ink, w)
            k = bisect.bisect_right(starts, w.y + w.h // 2) - 1
            if k < 0:
                continue
            y0, y1, i = placed[k]
            dx, dy = offsets[i]
            x0 = int(np.floor(w.x / s)) + dx
            top = int(np.floor((w.y - y0) / s)) + dy
            x1 = int(np.ceil((w.x + w.w) / s)) + dx
            bot = int(np.ceil((w.y + w.h - y0) / s)) + dy
            out[i].append(replace(w, x=x0, y=top, w=max(1, x1 - x0), h=max(1, bot - top),
                                  block=w.block + k * 1_000_000))
    return [clamp_overlaps(ws) for ws in out]


def _grow_to_ink(ink: np.ndarray, w: Word) -> Word:
    """Widen a word's box over the ink it cuts through.  Tesseract sometimes ends a box
    inside a glyph (a lone final letter, "D" of "GY 63 29 15 D", boxed over its left half):
    columns of ink right next to either side, with no blank column between, belong to the
    word.  At most half the box's height on each side."""
    rows = ink[max(0, w.y):w.y + w.h]
    if rows.size == 0:
        return w
    limit = max(2, w.h // 2)
    x0, x1 = w.x, w.x + w.w
    right = rows[:, x1:min(rows.shape[1], x1 + limit)].any(axis=0)
    grow_r = int(right.argmin()) if not right.all() else right.size
    left = rows[:, max(0, x0 - limit):x0].any(axis=0)[::-1]
    grow_l = int(left.argmin()) if not left.all() else left.size
    if grow_r == 0 and grow_l == 0:
        return w
    return replace(w, x=x0 - grow_l, w=w.w + grow_l + grow_r)


def ocr_image(img: np.ndarray, options: OcrOptions | None = None, *,
              offset: tuple[int, int] = (0, 0)) -> list[Word]:
    """Words in ``img`` (RGB, RGBA or greyscale uint8), with boxes in ``img``'s pixels plus
    ``offset`` (the position of ``img`` in a larger frame).

    Raises TesseractMissing (with the install hint) or OcrError.
    """
    return ocr_batch([img], options, [offset])[0]


def clamp_overlaps(words: list[Word]) -> list[Word]:
    """Tesseract sometimes gives a line's first word a box as wide as the whole line: end
    each word's box where the next word of its line starts."""
    by_line: dict[tuple[int, int, int], list[int]] = {}
    for i, w in enumerate(words):
        by_line.setdefault(w.line_id, []).append(i)
    out = list(words)
    for idx in by_line.values():
        idx.sort(key=lambda i: words[i].x)
        for a, b in zip(idx, idx[1:], strict=False):
            wa, wb = out[a], words[b]
            if wa.x + wa.w > wb.x and wb.x - 1 > wa.x:
                out[a] = replace(wa, w=wb.x - 1 - wa.x)
    return out


def ocr_regions(img: np.ndarray, rects: list[tuple[int, int, int, int]],
                options: OcrOptions | None = None) -> list[Word]:
    """OCR the regions ``rects`` ([x, y, w, h], frame pixels) of one frame in one batch;
    boxes in frame pixels."""
    crops, offs = crop_regions(img, rects)
    return [w for ws in ocr_batch(crops, options, offs) for w in ws]


def crop_regions(img: np.ndarray, rects: list[tuple[int, int, int, int]]
                 ) -> tuple[list[np.ndarray], list[tuple[int, int]]]:
    """The parts of ``img`` under ``rects``, clamped to it, and their offsets."""
    H, W = img.shape[:2]
    crops, offs = [], []
    for x, y, w, h in rects:
        x0, y0 = max(0, int(x)), max(0, int(y))
        x1, y1 = min(W, int(x + w)), min(H, int(y + h))
        if x1 - x0 >= 4 and y1 - y0 >= 4:
            crops.append(img[y0:y1, x0:x1].copy())
            offs.append((x0, y0))
    return crops, offs
