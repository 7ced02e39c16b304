"""Offline OCR of screen frames with Tesseract, run in-process through tesserocr.

The engine is libtesseract (5.5 in the tesserocr wheel from PyPI) reading the language data
the distribution installs (``tesseract-ocr-eng``: /usr/share/tesseract-ocr/5/tessdata, or
``TESSDATA_PREFIX``).  Each ``PyTessBaseAPI`` loads its model once and is kept between calls
in a small pool, one per worker thread, never used by two threads at once; tesserocr
releases the GIL while Tesseract recognises, so ``workers`` threads use as many cores.
Parallelism comes from cutting a frame into horizontal bands at blank rows (never through a
line of text).  OpenMP stays at one thread (``OMP_THREAD_LIMIT=1``): it oversubscribes small
machines (privacy.md section 2).  Nothing is downloaded and no socket is opened.

Before, the ``tesseract`` program (5.3) ran as a subprocess per band: every start
reloaded the model (0.15-0.25 CPU s, two to four starts per frame).  In-process, OCR of
the same 1080p frames of benchmarks/pii_recall.py, the two engines alternating in blocks
on a loaded machine (load 3-4 on 2 cores): 1.63 CPU s and 1.75 s wall per frame instead
of 2.78 and 2.54 (0.59x CPU, 0.69x wall).  Tesseract 5.5 reads some long tokens and
OCR-damaged values differently from 5.3 (a token boxed in pieces with wide gaps: see
``_close_ink_gaps``; the detectors' OCR tolerance was extended for the rest).

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

Time: a whole 1080p frame is about 1.7-1.9 CPU s (it was 2.5-3.6 with a process per band),
nearly all of it Tesseract's recognition, so two cores give at best about half that in
wall time.  Preprocessing (about 0.2 CPU s a frame) runs on the same threads: a frame is
cut into pieces that overlap by ``SEAM`` rows, each preprocessed apart and their middles
put back together (``preprocess_all``; the same picture but for a few hundred pixels of
frame strokes whose component crossed a cut), so recognition no longer waits on one core.

Tried and not kept: skipping blank regions (after flattening and rule removal the image
Tesseract gets is already white outside the text, and its time follows the text, not the
area); turning off the dictionaries (``load_system_dawg=0``, ``load_freq_dawg=0``: the same
recall and CPU time on 40 screens); preprocessing bands cut without an overlap (OCR at the
cuts changed).

Boxes: a word's box is widened over ink it cuts through (``_grow_to_ink``): Tesseract
sometimes boxes a lone final letter over half of it, and the value's box then misses a
few percent of the value.
"""

from __future__ import annotations

import bisect
import os
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from annotator.errors import AnnotatorError
from annotator.jobs import Cancelled
from annotator.settings import current as settings

INSTALL_HINT = ("Install Tesseract with `apt-get install tesseract-ocr tesseract-ocr-eng` "
                "(Debian/Ubuntu). Manual redaction works without it.")


class OcrError(AnnotatorError):
    """OCR cannot run (Tesseract missing, its language data missing, or it failed)."""


class TesseractMissing(OcrError):
    """Tesseract's language data is not installed (``tesseract-ocr-eng``)."""


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
    workers: int = 2  # threads recognising at once (one engine each), one band each
    min_band_height: int = 160  # px of the source image; bands are cut at blank rows
    timeout_s: float = 120.0
    extra_config: tuple[tuple[str, str], ...] = field(default_factory=tuple)


TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata")  # Debian/Ubuntu (5.x, 4.x) and Fedora/Arch


def _has_models(folder: Path) -> bool:
    try:
        return any(folder.glob("*.traineddata"))
    except OSError:
        return False


def find_tesseract() -> str:
    """The tessdata folder holding Tesseract's language data (``TESSDATA_PREFIX`` if set, else
    the distribution's folder), ending in ``/``.  Raises TesseractMissing with the install
    hint if there is none, OcrError if the engine (the tesserocr package, a dependency of
    annotator) cannot be loaded.

    Looked up on each call (a few stat calls): data installed while the app runs is found."""
    prefix = settings().tessdata_prefix
    if prefix:
        # Tesseract 4+ wants the tessdata folder itself, 3.x its parent: accept both.
        candidates = [Path(prefix), Path(prefix) / "tessdata"]
    else:
        candidates = [Path(d) for d in TESSDATA_DIRS]
    for folder in candidates:
        if _has_models(folder):
            _tesserocr()
            return str(folder) + "/"
    where = (f"TESSDATA_PREFIX={prefix} holds no Tesseract language data (*.traineddata)"
             if prefix else "its language data is not installed")
    raise TesseractMissing("Automatic redaction suggestions need Tesseract OCR, and "
                           f"{where}.", INSTALL_HINT)


def _tesserocr() -> Any:
    """The tesserocr module (OcrError if it cannot be loaded)."""
    # Tesseract built with OpenMP starts a team of threads per recognition, which
    # oversubscribes small machines and is about 3x slower on 2 cores (privacy.md section 2);
    # we get our parallelism from threads instead.  libgomp reads the limit once, when it is
    # loaded, so it must be in the environment before the first import.  (The PyPI wheel is
    # built without OpenMP; this covers a tesserocr built against the distribution's
    # OpenMP libtesseract.)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        import tesserocr
    except ImportError as exc:
        raise OcrError(f"The OCR engine (the Python package tesserocr) cannot be loaded: {exc}.",
                       "Reinstall annotator's dependencies (`pip install tesserocr`). "
                       "Manual redaction works without it.") from exc
    return tesserocr


@lru_cache(maxsize=1)
def tesseract_version() -> str:
    """``tesseract 5.5.4`` or similar: the libtesseract tesserocr runs (raises OcrError)."""
    text = str(_tesserocr().tesseract_version()).strip()
    return text.splitlines()[0] if text else "tesseract (unknown version)"


def check_language(lang: str = "eng") -> None:
    """Raise TesseractMissing without any language data, OcrError without ``lang``'s."""
    folder = Path(find_tesseract())
    for part in lang.split("+"):
        part = part.lstrip("~")
        if not part or not (folder / f"{part}.traineddata").is_file():
            raise OcrError(f"Tesseract has no language data for {part!r} in {folder}.",
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
    that the sides of the small input boxes of 12 px text go too) that are thin (a line);
    of those that are hollow (a frame: under a third of their box is ink), the straight
    sides and the corners only, so that glyphs touching the frame (a value flush against a
    field's edge, descenders on its bottom line) stay; then straight strokes of those
    lengths left touching glyphs (an underline)."""
    min_len_v = min_len_v or min_len
    ink = (gray < 160).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    w, h, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    thin = max(2, min_len // 12)
    big = (w >= min_len) | (h >= min_len_v)
    line = big & (np.minimum(w, h) <= thin)
    frame = big & ~line & (area < 0.34 * w * h)
    line[0] = frame[0] = False
    mask = line[labels]
    if frame.any():
        mask |= _frame_strokes(frame[labels], labels, stats, min_len, min_len_v, thin)
    rest = ink & ~mask
    horiz = cv2.morphologyEx(rest.astype(np.uint8), cv2.MORPH_OPEN, np.ones((1, min_len), np.uint8))
    vert = cv2.morphologyEx(rest.astype(np.uint8), cv2.MORPH_OPEN,
                            np.ones((min_len_v, 1), np.uint8))
    mask |= cv2.dilate(np.bitwise_or(horiz, vert), np.ones((3, 3), np.uint8)).astype(bool)
    # Faint rules (grid lines of a low contrast, which Tesseract reads as "_" glued to the
    # cell's text): any non-white straight run three times as long.
    faint = (gray < 245).astype(np.uint8)
    fh = cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((1, 3 * min_len), np.uint8))
    fv = cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((3 * min_len_v, 1), np.uint8))
    mask |= np.bitwise_or(fh, fv).astype(bool)
    # Anti-aliased fringes of removed strokes.
    mask = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    # Not dilated: the glyph touching a box's side is right next to it.
    _box_sides(mask, labels, stats, np.flatnonzero(big & ~line & ~frame), thin)
    out = gray.copy()
    out[mask] = 255
    # Glyphs crossing a removed stroke (a descender over a field's bottom line, a last digit
    # on its right side): where ink is left on both sides of the gap, it is put back.
    kept = (out < 160).astype(np.uint8)
    across = np.bitwise_or(cv2.morphologyEx(kept, cv2.MORPH_CLOSE, np.ones((7, 1), np.uint8)),
                           cv2.morphologyEx(kept, cv2.MORPH_CLOSE, np.ones((1, 7), np.uint8)))
    back = mask & across.astype(bool) & ~kept.astype(bool)
    out[back] = gray[back]
    return out


def _frame_strokes(frames: np.ndarray, labels: np.ndarray, stats: np.ndarray, min_len: int,
                   min_len_v: int, thin: int) -> np.ndarray:
    """The strokes of frame components (``frames``: their pixels): their straight sides and
    their (rounded) corners, not the glyphs joined to them."""
    fr = frames.astype(np.uint8)
    sides = cv2.morphologyEx(fr, cv2.MORPH_OPEN, np.ones((1, max(2, min_len // 2)), np.uint8))
    sides = np.bitwise_or(sides, cv2.morphologyEx(fr, cv2.MORPH_OPEN,
                                                  np.ones((max(2, min_len_v // 2), 1), np.uint8)))
    out = sides.astype(bool)
    ys, xs = np.nonzero(fr)
    lab = labels[ys, xs]
    left, top = stats[lab, cv2.CC_STAT_LEFT], stats[lab, cv2.CC_STAT_TOP]
    right = left + stats[lab, cv2.CC_STAT_WIDTH] - 1
    bottom = top + stats[lab, cv2.CC_STAT_HEIGHT] - 1
    # A rounded corner's reach; in a box barely taller than its text, no more than a
    # quarter of its height (the glyph flush against its side is within that reach).
    r = np.minimum(2 * thin + 2, np.maximum(2, stats[lab, cv2.CC_STAT_HEIGHT] // 4))
    corner = (np.minimum(xs - left, right - xs) < r) & (np.minimum(ys - top, bottom - ys) < r)
    out[ys[corner], xs[corner]] = True
    # The sides' thickness (anti-aliased): the frame's pixels right next to them.
    near = cv2.dilate(out.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return np.asarray(out | (near & frames & _edge_band(ys, xs, left, top, right, bottom, thin,
                                                        fr.shape)), bool)


def _box_sides(mask: np.ndarray, labels: np.ndarray, stats: np.ndarray,
               candidates: np.ndarray, thick: int) -> None:
    """Mark (in ``mask``) the upright sides of closed boxes that their text touches: an
    input field barely taller than its value, the value flush against its left or right
    edge.  Text and frame are then one component, not hollow (``_frame_strokes`` does not
    see it), its sides shorter than a rule; left there, a side is read as a glyph
    glued to the value's first or last character ("|1" as "4", "|S" as "$", "|A" as "JA").

    A box is a component whose top and bottom rows are ink across most of its width; its
    sides are its outermost columns (at most ``thick``: a line, anti-aliased and scaled)
    that are ink over 80 % of its height.  A glyph touching the side starts further in, and is kept."""
    for k in candidates:
        x, y, w, h = (int(v) for v in stats[k, :4])
        if h < 8 or w < 2 * h:
            continue
        own = labels[y:y + h, x:x + w] == k
        if own[:2].any(axis=0).mean() < 0.8 or own[-2:].any(axis=0).mean() < 0.8:
            continue  # not closed at the top and the bottom: text, or an underline
        for cols in (range(0, thick), range(w - 1, w - 1 - thick, -1)):
            for c in cols:
                if own[:, c].sum() < 0.8 * h:
                    break
                mask[y:y + h, x + c] |= own[:, c]


def _edge_band(ys: np.ndarray, xs: np.ndarray, left: np.ndarray, top: np.ndarray,
               right: np.ndarray, bottom: np.ndarray, thin: int, shape: tuple[int, ...]
               ) -> np.ndarray:
    """The frame pixels within ``thin`` of their component's box edge."""
    m = np.zeros(shape, bool)
    d = np.minimum(np.minimum(xs - left, right - xs), np.minimum(ys - top, bottom - ys))
    sel = d <= thin
    m[ys[sel], xs[sel]] = True
    return m


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


SEAM = 64  # px of the source image: the overlap of the pieces preprocessed apart
PIECE_MIN = 256  # px of the source image: no piece preprocessed apart is shorter


def _pieces(height: int, n: int) -> list[tuple[int, int, int, int]]:
    """An image of ``height`` rows cut into at most ``n`` pieces to preprocess apart, each
    with ``SEAM`` rows of its neighbours (every step of ``preprocess`` looks at a
    neighbourhood much smaller than that): per piece (a, b) the rows read and (c, d) the
    rows kept.  Cuts fall on multiples of 8 rows, so the 4x reduction of the background
    flattening and the 1.5x upscaling sample the same source rows as on the whole image."""
    n = max(1, min(n, height // PIECE_MIN))
    cuts = [0] + [(height * k // n) // 8 * 8 for k in range(1, n)] + [height]
    return [(max(0, c - SEAM), min(height, d + SEAM), c, d)
            for c, d in zip(cuts, cuts[1:], strict=False) if d > c]


def preprocess_all(images: list[np.ndarray], options: OcrOptions) -> list[np.ndarray]:
    """``preprocess`` of every image, on ``options.workers`` threads (OpenCV and NumPy
    release the GIL): a tall image (a whole frame) is cut into overlapping pieces whose
    middles are put back together, so it does not wait on one core before recognition
    starts."""
    jobs = []
    for k, img in enumerate(images):
        for a, b, c, d in _pieces(img.shape[0], options.workers):
            jobs.append((k, img[a:b], c - a, d - a))
    s = options.scale

    def one(job: tuple[int, np.ndarray, int, int]) -> np.ndarray:
        _k, piece, c, d = job
        pre = preprocess(piece, options)
        if c == 0 and d == piece.shape[0]:
            return pre
        top = int(round(c * s))
        bottom = pre.shape[0] if d == piece.shape[0] else int(round(d * s))
        return pre[top:bottom]

    if options.workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=options.workers) as pool:
            parts = list(pool.map(one, jobs))
    else:
        parts = [one(j) for j in jobs]
    out: list[list[np.ndarray]] = [[] for _ in images]
    for (k, _p, _c, _d), part in zip(jobs, parts, strict=True):
        out[k].append(part)
    return [ps[0] if len(ps) == 1 else np.vstack(ps) for ps in out]


def blank_rows(gray: np.ndarray) -> np.ndarray:
    """Rows with no text: no horizontal gradient worth the name."""
    grad = np.abs(np.diff(gray.astype(np.int16), axis=1))
    return np.asarray((grad > 40).sum(axis=1) == 0)


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

# Engines (tesserocr.PyTessBaseAPI, one loaded model each) kept between calls, per
# configuration.  An engine is used by one thread at a time: ``_engines`` takes idle ones
# out of the pool for one call and puts them back after it.
_POOL: dict[tuple[Any, ...], list[Any]] = {}
_POOL_LOCK = threading.Lock()
_INIT_LOCK = threading.Lock()
_POOL_MAX = 8  # idle engines kept per configuration (each holds its model: ~14 MB for eng)


def _config(options: OcrOptions, tessdata: str) -> tuple[Any, ...]:
    return (tessdata, options.lang, options.psm, tuple(options.extra_config))


def _new_engine(key: tuple[Any, ...]) -> Any:
    tessdata, lang, psm, extra = key
    tesserocr = _tesserocr()
    # As the CLI was run: no inverted-line retries (preprocessing already gives dark on
    # light), then the caller's settings.  Given to Init, so init-only ones work too.
    variables = {"tessedit_do_invert": "0", **{k: str(v) for k, v in extra}}
    try:
        with _INIT_LOCK:  # tesserocr: set parameters before parallel native work
            return tesserocr.PyTessBaseAPI(path=tessdata, lang=lang, psm=psm,
                                           variables=variables)
    except RuntimeError as exc:
        raise OcrError(f"Tesseract cannot load its language data {lang!r} from {tessdata}: "
                       f"{exc}.", f"Install it with `apt-get install tesseract-ocr-{lang}`."
                       ) from exc


@contextmanager
def _engines(options: OcrOptions, n: int) -> Iterator[queue.SimpleQueue[Any]]:
    """``n`` engines for ``options``, each to be used by one thread at a time: get one from
    the queue, put it back when done.  Created (the first time) before any runs."""
    tessdata = find_tesseract()
    check_language(options.lang)
    key = _config(options, tessdata)
    got: list[Any] = []
    try:
        with _POOL_LOCK:
            idle = _POOL.setdefault(key, [])
            while idle and len(got) < n:
                got.append(idle.pop())
        while len(got) < n:
            got.append(_new_engine(key))
        q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for api in got:
            q.put(api)
        yield q
    finally:
        with _POOL_LOCK:
            idle = _POOL.setdefault(key, [])
            keep = max(0, _POOL_MAX - len(idle))
            idle.extend(got[:keep])
        for api in got[keep:]:
            api.End()


def recognise(api: Any, gray: np.ndarray, options: OcrOptions) -> list[Word]:
    """Tesseract's words for one preprocessed greyscale image, read by ``api`` (an engine of
    ``_engines``: the GIL is released while it recognises)."""
    gray = np.ascontiguousarray(gray)
    h, w = gray.shape
    data = gray.tobytes()  # Tesseract keeps a pointer to it until the next image
    api.SetImageBytes(data, w, h, 1, w)
    if not api.Recognize(timeout=max(1, int(options.timeout_s * 1000))):
        raise OcrError(f"Tesseract failed or took more than {options.timeout_s:.0f} s on one "
                       "image.", "Try again; if it keeps happening, report the frame.")
    return _parse_tsv(api.GetTSVText(0))


def _parse_tsv(tsv: str, block_offset: int = 0) -> list[Word]:
    """Words of Tesseract's TSV (with or without its header line), in the pixels of the
    image it was given."""
    words = []
    for line in tsv.splitlines():
        row = line.split("\t")
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


GAP = 40  # px of white between the images stacked into one Tesseract run
MAX_PART = 12_000  # px: the tallest image given to one Tesseract run


def ocr_batch(images: list[np.ndarray], options: OcrOptions | None = None,
              offsets: list[tuple[int, int]] | None = None, *,
              cancel: threading.Event | None = None) -> list[list[Word]]:
    """OCR several images at once: each is preprocessed, they are stacked into one tall
    image with white gaps, and that is cut at blank rows into parts (as many as
    ``workers``, balanced by ink; more if taller than ``MAX_PART``) that are recognised on
    ``workers`` threads, each with an engine of its own kept loaded between calls.  One
    recognition run serves many images, which is what makes reading the small changed
    regions of many frames affordable.

    Returns, per image, its words with boxes in the image's pixels plus its offset.
    Raises TesseractMissing (with the install hint) or OcrError; annotator.jobs.Cancelled
    once ``cancel`` is set (checked before each part).
    """
    options = options or OcrOptions()
    find_tesseract()
    offsets = offsets or [(0, 0)] * len(images)
    out: list[list[Word]] = [[] for _ in images]
    s = options.scale
    todo: list[tuple[int, np.ndarray]] = []
    for i, img in enumerate(images):
        if img.size == 0 or min(img.shape[:2]) < 4:
            continue
        g = to_gray(img)
        if int(g.max()) - int(g.min()) < 16:
            continue  # a flat region: nothing to read
        todo.append((i, img))
    if not todo:
        return out
    pres = list(zip([i for i, _ in todo],
                    preprocess_all([img for _, img in todo], options), strict=True))
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
    n_threads = max(1, min(options.workers, len(cuts)))

    with _engines(options, n_threads) as engines:
        def work(k: int) -> None:
            y0, y1 = cuts[k]
            if cancel is not None and cancel.is_set():
                results[k] = Cancelled()
                return
            api = engines.get()
            try:
                words = recognise(api, canvas[y0:y1], options)
                results[k] = [replace(w, y=w.y + y0, block=w.block + k * 100_000)
                              for w in words]
            except BaseException as exc:  # noqa: BLE001 - re-raised below in the caller
                results[k] = exc
            finally:
                engines.put(api)

        if n_threads == 1:
            for k in range(len(cuts)):
                work(k)
                if isinstance(results[k], BaseException):
                    break
        else:
            with ThreadPoolExecutor(max_workers=n_threads) as pool:
                list(pool.map(work, range(len(cuts))))
    starts = [p[0] for p in placed]
    ink = canvas < 128
    words: list[Word] = []
    for r in results:
        if isinstance(r, BaseException):
            raise r
        words.extend(r or [])
    found = _close_ink_gaps(ink, [_grow_to_ink(ink, w) for w in words])
    for w in found:
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
    right = np.asarray(rows[:, x1:min(rows.shape[1], x1 + limit)].any(axis=0))
    grow_r = int(right.argmin()) if not right.all() else right.size
    left = np.asarray(rows[:, max(0, x0 - limit):x0].any(axis=0))[::-1]
    grow_l = int(left.argmin()) if not left.all() else left.size
    if grow_r == 0 and grow_l == 0:
        return w
    return replace(w, x=x0 - grow_l, w=w.w + grow_l + grow_r)


def _close_ink_gaps(ink: np.ndarray, words: list[Word]) -> list[Word]:
    """Tesseract 5.5 sometimes boxes a word of a run of text without spaces ("...BNN3Ivhllt8B...")
    as pieces with wide gaps between their boxes, over ink it did box (a lone "I", then
    "vh11t" squeezed into a third of its width): the gap then reads as a column gap and the
    token is cut in two.  Between two words of one Tesseract line, if the columns between
    their boxes hold ink with no blank run as wide as a space (0.3 of the line's height; a
    word space is about 0.4 of it and more, letters are closer), the first box is widened
    to the second."""
    by_line: dict[tuple[int, int, int], list[int]] = {}
    for i, w in enumerate(words):
        by_line.setdefault(w.line_id, []).append(i)
    out = list(words)
    for idx in by_line.values():
        if len(idx) < 2:
            continue
        idx.sort(key=lambda i: words[i].x)
        hgt = sorted(words[i].h for i in idx)[len(idx) // 2]
        space = max(3, int(0.3 * hgt))
        for a, b in zip(idx, idx[1:], strict=False):
            wa, wb = out[a], words[b]
            x0, x1 = wa.x + wa.w, wb.x
            if x1 - x0 <= space:
                continue
            top, bot = min(wa.y, wb.y), max(wa.y + wa.h, wb.y + wb.h)
            cols = ink[max(0, top):bot, x0:x1].any(axis=0)
            if not cols.any():
                continue
            # Longest run of blank columns.
            edges = np.diff(np.concatenate(([0], (~cols).astype(np.int8), [0])))
            runs = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
            if runs.size == 0 or int(runs.max()) < space:
                out[a] = replace(wa, w=x1 - wa.x)
    return out


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
