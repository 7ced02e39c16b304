"""Synthetic application screens for benchmarks/pii_recall.py: 1920x1080, drawn with Qt
offscreen, with every planted value and clean word recorded where it was drawn.

Forms, terminals, mail clients, spreadsheets and developer settings, in light and dark
themes, with text of 12 to 24 px; the values and the clean words around them come from the
corpora in benchmarks/data/ (pii.json, negatives.json, clean_text.txt, contributor.json),
written independently of the detectors.  ``pii_edge_screens`` adds the hard placements
(values flush against field edges, in table cells, after a label with one space, right-
aligned and centred, a terminal at 12-14 px).

For every planted value the generator also keeps its glyph pixels: the pixels whose
coverage the value's characters raise when drawn in place (the line drawn up to the value's
end, minus the line drawn up to its start, with the same font, position and
anti-aliasing), so coverage can be measured in ink, not in boxes.
"""

from __future__ import annotations

import json
import math
import os
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DATA = Path(__file__).resolve().parent / "data"
W, H = 1920, 1080
SIZES = [12, 12, 12, 14, 16, 18, 20, 22, 24]  # px; a third of the screens at 12 px
STRUCTURED = ("email", "phone", "card", "iban", "ipv4", "ipv6", "ssn", "nino", "aws_key",
              "aws_secret", "github_token", "openai_key", "slack_token", "jwt",
              "generic_secret", "credential_url", "token_url")

# -- corpora ----------------------------------------------------------------------------------

@dataclass
class Corpora:
    pii: dict[str, list[str]]
    labels: dict[str, list[str]]
    negatives: dict[str, list[str]]
    clean: dict[str, list[str]]
    deny: list[str]

    @classmethod
    def load(cls) -> Corpora:
        p = json.loads((DATA / "pii.json").read_text())
        clean: dict[str, list[str]] = defaultdict(list)
        section = "misc"
        for line in (DATA / "clean_text.txt").read_text().splitlines():
            line = line.rstrip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            clean[section].append(line)
        deny = json.loads((DATA / "contributor.json").read_text())["deny_list"]
        return cls(p["values"], p["labels"], json.loads((DATA / "negatives.json").read_text()),
                   dict(clean), deny)


# -- what was drawn where --------------------------------------------------------------------

@dataclass
class Item:
    text: str
    box: tuple[int, int, int, int]  # x, y, w, h of the ink
    px: int
    category: str  # "pii" (structured), "deny" (contributor's deny-list), "clean", "negative"
    kind: str  # the PII kind, the negative kind, or the clean section
    # Planted values: their glyph pixels (coverage raised by the value's characters), a
    # boolean array whose top-left pixel is at ``glyph_at`` (x, y) of the screen.
    glyph: np.ndarray | None = field(default=None, repr=False)
    glyph_at: tuple[int, int] = (0, 0)
    # A clean word drawn against a planted value with no space between ("/24" after an
    # address, "API_TOKEN=" before a key): one text run with it, which a box that follows
    # the ink must cover.
    glued: bool = False


@dataclass
class Screen:
    index: int
    app: str
    theme: str
    px: int
    items: list[Item] = field(default_factory=list)
    image: np.ndarray | None = None  # rendered RGB (before encoding)


THEMES = {
    "light": dict(bg=(255, 255, 255), panel=(243, 244, 246), chrome=(228, 230, 235),
                  border=(200, 204, 210), text=(28, 30, 34), muted=(96, 100, 108),
                  accent=(37, 99, 235), input=(255, 255, 255), select=(219, 234, 254),
                  head=(236, 238, 242), ok=(22, 128, 61), warn=(180, 83, 9),
                  term_bg=(250, 250, 250), term_fg=(36, 36, 36), prompt=(22, 128, 61)),
    "light2": dict(bg=(250, 249, 246), panel=(237, 235, 230), chrome=(222, 219, 212),
                   border=(190, 186, 178), text=(45, 42, 38), muted=(110, 104, 96),
                   accent=(158, 60, 14), input=(255, 255, 255), select=(253, 230, 138),
                   head=(230, 227, 220), ok=(21, 128, 61), warn=(190, 18, 60),
                   term_bg=(253, 246, 227), term_fg=(88, 110, 117), prompt=(133, 153, 0)),
    "dark": dict(bg=(30, 30, 30), panel=(37, 37, 38), chrome=(51, 51, 51),
                 border=(70, 70, 70), text=(212, 212, 212), muted=(150, 150, 150),
                 accent=(86, 156, 214), input=(45, 45, 45), select=(38, 79, 120),
                 head=(45, 45, 48), ok=(106, 153, 85), warn=(206, 145, 120),
                 term_bg=(12, 12, 12), term_fg=(204, 204, 204), prompt=(22, 198, 12)),
    "dark2": dict(bg=(40, 42, 54), panel=(33, 34, 44), chrome=(25, 26, 33),
                  border=(68, 71, 90), text=(248, 248, 242), muted=(160, 165, 190),
                  accent=(139, 233, 253), input=(52, 55, 70), select=(68, 71, 90),
                  head=(48, 50, 64), ok=(80, 250, 123), warn=(255, 184, 108),
                  term_bg=(40, 42, 54), term_fg=(248, 248, 242), prompt=(189, 147, 249)),
}
SANS = ["DejaVu Sans", "Nimbus Sans", "DejaVu Sans"]
MONO = ["DejaVu Sans Mono", "Noto Sans Mono", "Nimbus Mono PS"]

# The held-out screens (``--heldout``): the same applications drawn in themes, fonts and
# sizes that no suggestion code was tuned on, to tell a general improvement from one that
# only fits the screens above.
HELDOUT_THEMES = {
    "solarized": dict(bg=(0, 43, 54), panel=(7, 54, 66), chrome=(0, 33, 43),
                      border=(88, 110, 117), text=(147, 161, 161), muted=(101, 123, 131),
                      accent=(38, 139, 210), input=(7, 54, 66), select=(20, 80, 96),
                      head=(7, 54, 66), ok=(133, 153, 0), warn=(203, 75, 22),
                      term_bg=(0, 43, 54), term_fg=(147, 161, 161), prompt=(42, 161, 152)),
    "grey": dict(bg=(236, 236, 236), panel=(224, 224, 224), chrome=(210, 210, 210),
                 border=(160, 160, 160), text=(20, 20, 20), muted=(85, 85, 85),
                 accent=(0, 90, 160), input=(250, 250, 250), select=(190, 210, 235),
                 head=(215, 215, 215), ok=(0, 120, 0), warn=(170, 60, 0),
                 term_bg=(255, 255, 255), term_fg=(0, 0, 0), prompt=(0, 0, 180)),
    "navy": dict(bg=(24, 32, 56), panel=(30, 41, 70), chrome=(17, 24, 39),
                 border=(71, 85, 105), text=(226, 232, 240), muted=(148, 163, 184),
                 accent=(96, 165, 250), input=(15, 23, 42), select=(51, 65, 85),
                 head=(30, 41, 59), ok=(74, 222, 128), warn=(251, 146, 60),
                 term_bg=(15, 23, 42), term_fg=(203, 213, 225), prompt=(250, 204, 21)),
    "cream": dict(bg=(255, 251, 235), panel=(254, 243, 199), chrome=(253, 230, 138),
                  border=(180, 160, 110), text=(66, 32, 6), muted=(120, 90, 50),
                  accent=(180, 83, 9), input=(255, 255, 255), select=(252, 211, 77),
                  head=(254, 240, 190), ok=(21, 128, 61), warn=(185, 28, 28),
                  term_bg=(255, 251, 235), term_fg=(68, 64, 60), prompt=(120, 53, 15)),
}
HELDOUT_SANS = ["URW Gothic", "Nimbus Sans Narrow", "DejaVu Sans Condensed", "P052"]
HELDOUT_MONO = ["Nimbus Mono PS", "DejaVu Sans Mono"]
HELDOUT_SIZES = [12, 13, 13, 15, 17, 19, 21]


@dataclass(frozen=True)
class Style:
    themes: dict[str, dict[str, tuple[int, int, int]]]
    sans: list[str]
    mono: list[str]
    sizes: list[int]


TUNED = Style(THEMES, SANS, MONO, SIZES)
HELDOUT = Style(HELDOUT_THEMES, HELDOUT_SANS, HELDOUT_MONO, HELDOUT_SIZES)


class Canvas:
    """A QImage with a painter and the record of every scored string drawn on it."""

    def __init__(self, screen: Screen, theme: dict[str, tuple[int, int, int]],
                 rng: random.Random, style: Style | None = None) -> None:
        from PyQt6.QtGui import QColor, QImage, QPainter

        self.screen, self.t, self.rng = screen, theme, rng
        self.img = QImage(W, H, QImage.Format.Format_RGB32)
        self.img.fill(QColor(*theme["bg"]))
        self.p = QPainter(self.img)
        self.p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        self.sans = rng.choice((style or TUNED).sans)
        self.mono = rng.choice((style or TUNED).mono)

    def font(self, px: int, mono: bool = False, bold: bool = False):
        from PyQt6.QtGui import QFont

        f = QFont(self.mono if mono else self.sans)
        f.setPixelSize(px)
        f.setBold(bold)
        f.setHintingPreference(QFont.HintingPreference.PreferDefaultHinting)
        return f

    def rect(self, x, y, w, h, color, border=None, radius=0) -> None:
        from PyQt6.QtCore import QRectF
        from PyQt6.QtGui import QColor, QPen

        self.p.setPen(QPen(QColor(*border), 1) if border else QPen(QColor(0, 0, 0, 0)))
        self.p.setBrush(QColor(*color))
        if radius:
            self.p.drawRoundedRect(QRectF(x, y, w, h), radius, radius)
        else:
            self.p.drawRect(QRectF(x, y, w, h))

    def hline(self, x0, x1, y, color) -> None:
        from PyQt6.QtGui import QColor, QPen

        self.p.setPen(QPen(QColor(*color), 1))
        self.p.drawLine(int(x0), int(y), int(x1), int(y))

    def width(self, text: str, font) -> int:
        from PyQt6.QtGui import QFontMetrics

        return QFontMetrics(font).horizontalAdvance(text)

    def line_height(self, font) -> int:
        from PyQt6.QtGui import QFontMetrics

        return QFontMetrics(font).height()

    def text(self, x: float, top: float, parts, font, color=None, *,
             score: bool = True) -> float:
        """Draw ``parts`` (a string, or a list of (text, category, kind)) left to right from
        (x, top); record each clean word and each planted value; return the end x."""
        from PyQt6.QtCore import QPointF
        from PyQt6.QtGui import QColor, QFontMetrics, QPainterPath

        if isinstance(parts, str):
            parts = [(parts, "clean", "ui")]
        fm = QFontMetrics(font)
        base = top + fm.ascent()
        self.p.setFont(font)
        self.p.setPen(QColor(*(color or self.t["text"])))
        full = "".join(p[0] for p in parts)
        self.p.drawText(QPointF(x, base), full)
        px = font.pixelSize()
        planted = [c in ("pii", "deny") for text, c, _k in parts for _ in text]
        pos = 0
        for text, category, kind in parts:
            if not score or category == "none":
                pos += len(text)
                continue
            if category in ("pii", "deny"):
                spans = [(pos + len(text) - len(text.lstrip()), text.strip())]
            else:
                spans, i = [], 0
                for word in text.split(" "):
                    if word:
                        spans.append((pos + i, word))
                    i += len(word) + 1
            for start, word in spans:
                if not word:
                    continue
                x0 = x + fm.horizontalAdvance(full[:start])
                path = QPainterPath()
                path.addText(QPointF(x0, base), font, word)
                r = path.boundingRect()
                if r.width() <= 0:
                    continue
                bx, by = math.floor(r.left()), math.floor(r.top())
                box = (bx, by, math.ceil(r.right()) - bx, math.ceil(r.bottom()) - by)
                if box[0] < 0 or box[1] < 0 or box[0] + box[2] > W or box[1] + box[3] > H:
                    continue  # clipped: not scored
                end = start + len(word)
                glued = ((start > 0 and planted[start - 1] and not full[start - 1].isspace())
                         or (end < len(full) and planted[end] and not full[end].isspace()))
                item = Item(word, box, px, category, kind, glued=glued and category not in (
                    "pii", "deny"))
                if category in ("pii", "deny"):
                    item.glyph_at, item.glyph = self.glyph_pixels(
                        x, base, full, start, start + len(word), font)
                self.screen.items.append(item)
            pos += len(text)
        return x + fm.horizontalAdvance(full)

    def glyph_pixels(self, x: float, base: float, full: str, start: int, end: int, font
                     ) -> tuple[tuple[int, int], np.ndarray]:
        """The pixels whose coverage characters ``start:end`` of ``full`` (drawn from x on
        the baseline ``base``) raise: ``full[:end]`` drawn minus ``full[:start]`` drawn, in
        the same font, place and anti-aliasing.  Returns (origin, mask) cropped to the ink."""
        from PyQt6.QtCore import QPointF
        from PyQt6.QtGui import QColor, QFontMetrics, QImage, QPainter

        fm = QFontMetrics(font)
        top = int(math.floor(base - fm.ascent())) - 3
        hgt = fm.height() + 6

        def alpha(text: str) -> np.ndarray:
            img = QImage(W, hgt, QImage.Format.Format_ARGB32_Premultiplied)
            img.fill(0)
            if text:
                p = QPainter(img)
                p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
                p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
                p.setFont(font)
                p.setPen(QColor(255, 255, 255))
                p.drawText(QPointF(x, base - top), text)
                p.end()
            ptr = img.constBits()
            ptr.setsize(img.sizeInBytes())
            arr = np.frombuffer(ptr, np.uint8).reshape(hgt, img.bytesPerLine())
            return arr[:, 3:W * 4:4].copy()  # alpha of BGRA

        mask = alpha(full[:end]) > alpha(full[:start])
        if top < 0:
            mask, top = mask[-top:], 0
        mask = mask[:max(0, H - top)]
        ys, xs = np.nonzero(mask)
        if ys.size == 0:
            return (0, 0), np.zeros((0, 0), bool)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        return (int(x0), int(top + y0)), mask[y0:y1, x0:x1]

    def finish(self) -> np.ndarray:
        from PyQt6.QtGui import QImage

        self.p.end()
        img = self.img.convertToFormat(QImage.Format.Format_RGB888)
        ptr = img.constBits()
        ptr.setsize(img.sizeInBytes())
        arr = np.frombuffer(ptr, np.uint8).reshape(H, img.bytesPerLine())[:, :W * 3]
        return arr.reshape(H, W, 3).copy()


class Content:
    """Draws values from the corpora, without repeating one on a screen."""

    def __init__(self, corpora: Corpora, rng: random.Random) -> None:
        self.c, self.rng = corpora, rng

    def pii(self, kinds=STRUCTURED) -> tuple[str, str]:
        kind = self.rng.choice(list(kinds))
        return kind, self.rng.choice(self.c.pii[kind])

    def label(self, kind: str) -> str:
        return self.rng.choice(self.c.labels.get(kind, ["Value"]))

    def neg(self, kinds=None) -> tuple[str, str]:
        kinds = kinds or list(self.c.negatives)
        kind = self.rng.choice(kinds)
        return kind, self.rng.choice(self.c.negatives[kind])

    def clean(self, section: str) -> str:
        return self.rng.choice(self.c.clean[section])

    def deny(self) -> str:
        return self.rng.choice(self.c.deny)


def P(text: str) -> tuple[str, str, str]:  # noqa: N802 - a clean part
    return (text, "clean", "ui")


def title_bar(cv: Canvas, title: str) -> int:
    t = cv.t
    cv.rect(0, 0, W, 34, t["chrome"])
    f = cv.font(13, bold=True)
    cv.text((W - cv.width(title, f)) / 2, 9, title, f, t["text"])
    for i, col in enumerate([(237, 106, 94), (245, 191, 79), (98, 197, 84)]):
        cv.rect(14 + i * 22, 11, 12, 12, col, radius=6)
    return 34


def menu_bar(cv: Canvas, y: int, words: list[str]) -> int:
    t = cv.t
    cv.rect(0, y, W, 28, t["panel"])
    cv.hline(0, W, y + 27, t["border"])
    f = cv.font(13)
    x = 12
    for w in words:
        x = cv.text(x, y + 6, w, f, t["text"]) + 22
    return y + 28


def sidebar(cv: Canvas, content: Content, y: int, width: int, px: int, n: int) -> None:
    t = cv.t
    cv.rect(0, y, width, H - y, t["panel"])
    cv.hline(width, width, y, t["border"])
    f = cv.font(max(12, px - 1))
    lh = cv.line_height(f) + 12
    yy = y + 16
    sections = ["label", "button", "menu", "value"]
    for i in range(n):
        if yy + lh > H - 10:
            break
        if i == 1:
            cv.rect(6, yy - 5, width - 12, lh - 2, t["select"], radius=4)
        cv.text(22, yy, content.clean(cv.rng.choice(sections)), f, t["text"] if i else t["accent"])
        yy += lh


# -- applications ------------------------------------------------------------------------------

FORM_PII = ("email", "phone", "card", "iban", "ssn", "nino", "ipv4", "ipv6")


def app_form(cv: Canvas, content: Content, px: int) -> None:
    t, rng = cv.t, cv.rng
    y = title_bar(cv, rng.choice(["Customer record - Contoso CRM", "Checkout - Fabrikam Store",
                                  "Employee profile - People Hub", "New supplier - Northwind ERP"]))
    y = menu_bar(cv, y, content.c.clean["menu"][:8])
    side = 240
    sidebar(cv, content, y, side, 14, 14)
    f = cv.font(px)
    fb = cv.font(px + 6, bold=True)
    x0 = side + 40
    yy = y + 24
    cv.text(x0, yy, rng.choice(["Account details", "Billing information", "Personal details",
                                "Supplier details"]), fb)
    yy += cv.line_height(fb) + 18
    lh = cv.line_height(f)
    row_h = lh + 22
    col_w = (W - x0 - 60) // 2
    label_w = max(cv.width(s, f) for s in ["Social Security No.", "Payment terms"]) + 24
    fields: list[tuple[str, list]] = []
    nrows = max(6, min(16, (H - yy - 160) // row_h))
    for _ in range(nrows * 2):
        r = rng.random()
        if r < 0.45:
            kind, val = content.pii(FORM_PII)
            fields.append((content.label(kind), [(val, "pii", kind)]))
        elif r < 0.52:
            fields.append((rng.choice(["Name", "Address", "Account holder", "Trust"]),
                           [(content.deny(), "deny", "deny_list")]))
        elif r < 0.8:
            kind, val = content.neg(["order_number", "date", "price", "number", "version"])
            fields.append((content.clean("label"), [(val, "negative", kind)]))
        else:
            fields.append((content.clean("label"), [P(content.clean("value"))]))
    i = 0
    for col in range(2):
        yy2 = yy
        for _ in range(nrows):
            if i >= len(fields) or yy2 + row_h > H - 120:
                break
            label, parts = fields[i]
            i += 1
            cx = x0 + col * (col_w + 40)
            cv.text(cx, yy2 + 11, label, f, t["muted"])
            bx = cx + label_w
            bw = col_w - label_w
            value_w = sum(cv.width(p[0], f) for p in parts)
            if value_w > bw - 20:
                continue
            cv.rect(bx, yy2 + 2, bw, lh + 16, t["input"], border=t["border"], radius=4)
            cv.text(bx + 10, yy2 + 10, parts, f)
            yy2 += row_h
    by = H - 90
    fbtn = cv.font(max(13, px - 1))
    bx = W - 60
    for label in ["Save changes", "Cancel"]:
        w = cv.width(label, fbtn) + 36
        bx -= w + 14
        cv.rect(bx, by, w, cv.line_height(fbtn) + 16, t["accent"] if label == "Save changes"
                else t["panel"], border=t["border"], radius=5)
        cv.text(bx + 18, by + 8, label, fbtn,
                (255, 255, 255) if label == "Save changes" else t["text"])


def app_terminal(cv: Canvas, content: Content, px: int) -> None:
    t, rng = cv.t, cv.rng
    cv.rect(0, 0, W, H, t["term_bg"])
    y = title_bar(cv, rng.choice(["dev@build-01: ~/billing", "Terminal", "ops@web-3: /srv/app",
                                  "zsh - deploy"]))
    f = cv.font(px, mono=True)
    lh = cv.line_height(f) + 2
    cw = cv.width("M", f)
    max_chars = (W - 40) // cw
    yy = y + 10
    fg = t["term_fg"]
    user = rng.choice(["dev@build-01", "ops@web-3", "alex@laptop"])

    def prompt(cmd: str, parts=None) -> None:
        nonlocal yy
        x = cv.text(16, yy, [(f"{user}:~/app$ ", "clean", "prompt")], f, t["prompt"])
        cv.text(x, yy, parts or [P(cmd)], f, fg)
        yy += lh

    def line(parts) -> None:
        nonlocal yy
        cv.text(16, yy, parts, f, fg)
        yy += lh

    def fits(parts, extra: int = 20) -> bool:
        return sum(len(p[0]) for p in parts) + extra <= max_chars

    env_kinds = ("aws_key", "aws_secret", "github_token", "openai_key", "slack_token",
                 "generic_secret", "credential_url", "jwt")
    while yy + lh * 3 < H - 10:
        block = rng.randrange(7)
        if block == 0:  # environment
            prompt("env | grep -E 'KEY|TOKEN|SECRET|URL'")
            for _ in range(rng.randrange(2, 5)):
                kind, val = content.pii(env_kinds)
                name = content.label(kind).split()[0].rstrip("=:")
                name = name if name.isupper() else {"aws_key": "AWS_ACCESS_KEY_ID",
                                                    "aws_secret": "AWS_SECRET_ACCESS_KEY"}.get(kind, "API_TOKEN")
                parts = [(f"{name}=", "clean", "env"), (val, "pii", kind)]
                if fits(parts):
                    line(parts)
        elif block == 1:  # git log
            prompt("git log --oneline -n 5")
            for _ in range(rng.randrange(3, 6)):
                _, sha = content.neg(["short_sha"])
                line([(sha, "negative", "short_sha"), P(" " + content.clean("sentence")[:60].rstrip(" ."))])
        elif block == 2:  # ip addr
            prompt("ip -br addr")
            for _ in range(rng.randrange(2, 4)):
                _, v4 = content.pii(["ipv4"])
                _, v6 = content.pii(["ipv6"])
                parts = [P(rng.choice(["eth0", "wlan0", "ens3", "docker0"]) + "  UP  "),
                         (v4, "pii", "ipv4"), P("/24  "), (v6, "pii", "ipv6"), P("/64")]
                if fits(parts):
                    line(parts)
        elif block == 3:  # requests
            kind, url = content.pii(["token_url", "credential_url"])
            parts = [P("curl -s "), (url, "pii", kind)]
            if fits(parts):
                prompt("", parts)
                line([P(content.clean("terminal"))])
        elif block == 4:  # package install with versions and hashes
            prompt("pip install -r requirements.txt")
            for _ in range(rng.randrange(2, 4)):
                _, ver = content.neg(["version"])
                if " " in ver:
                    continue
                line([P("Collecting "), P(rng.choice(["requests", "numpy", "django", "flask"]) + "=="),
                      (ver, "negative", "version")])
            _, h = content.neg(["sha256"])
            parts = [P("  Downloading wheel sha256:"), (h, "negative", "sha256")]
            if fits(parts):
                line(parts)
        elif block == 5:  # logs with ids and dates
            for _ in range(rng.randrange(2, 5)):
                _, d = content.neg(["date"])
                _, u = content.neg(["uuid"])
                parts = [(d, "negative", "date"), P(" INFO request "), (u, "negative", "uuid"),
                         P(" " + rng.choice(["completed", "queued", "retried"]))]
                if fits(parts):
                    line(parts)
        else:
            line([P(content.clean("terminal"))])
            if rng.random() < 0.5:
                kind, val = content.pii(["email", "phone", "ipv4", "ssn"])
                parts = [P(rng.choice(["user: ", "owner: ", "contact: ", "from "])), (val, "pii", kind)]
                line(parts)
        yy += 2


def app_mail(cv: Canvas, content: Content, px: int) -> None:
    t, rng = cv.t, cv.rng
    y = title_bar(cv, rng.choice(["Inbox - Mail", "Inbox (12) - Thunderbird", "Mail - Outlook"]))
    y = menu_bar(cv, y, ["File", "Edit", "View", "Go", "Message", "Tools", "Help"])
    folders = 220
    sidebar(cv, content, y, folders, 13, 10)
    list_w = 560
    cv.rect(folders, y, list_w, H - y, t["bg"])
    cv.hline(folders + list_w, folders + list_w, y, t["border"])
    f = cv.font(px)
    fb = cv.font(px, bold=True)
    lh = cv.line_height(f)
    yy = y + 8
    i = 0
    while yy + 2 * lh + 20 < H:
        if i == 2:
            cv.rect(folders, yy - 4, list_w, 2 * lh + 18, t["select"])
        sender = rng.choice(["Billing team", "Build server", "Support", "Newsletter", "Operations"])
        cv.text(folders + 14, yy, [(sender, "none", "name")], fb if i < 3 else f)
        _, d = content.neg(["date"])
        dw = cv.width(d, f)
        cv.text(folders + list_w - dw - 14, yy, [(d, "negative", "date")], f, t["muted"])
        subj = content.clean("sentence")
        while cv.width(subj, f) > list_w - 30 and " " in subj:
            subj = subj.rsplit(" ", 1)[0]
        cv.text(folders + 14, yy + lh + 4, subj, f, t["muted"])
        yy += 2 * lh + 18
        cv.hline(folders, folders + list_w, yy - 8, t["border"])
        i += 1
    x0 = folders + list_w + 30
    maxw = W - x0 - 30
    yy = y + 20
    fh = cv.font(px + 4, bold=True)
    cv.text(x0, yy, content.clean("sentence")[:50].rstrip(" ."), fh)
    yy += cv.line_height(fh) + 12
    _, e1 = content.pii(["email"])
    sender_parts = [P("From: "), (rng.choice(["Billing team", "A colleague"]), "none", "name"),
                    P(" <"), (e1, "pii", "email"), P(">")]
    if rng.random() < 0.3:
        sender_parts = [P("From: "), (content.c.deny[0], "deny", "deny_list"), P(" <"),
                        (content.c.deny[1], "deny", "deny_list"), P(">")]
    cv.text(x0, yy, sender_parts, f, t["muted"])
    yy += lh + 6
    _, e2 = content.pii(["email"])
    cv.text(x0, yy, [P("To: "), (e2, "pii", "email")], f, t["muted"])
    yy += lh + 6
    _, d = content.neg(["date"])
    cv.text(x0, yy, [P("Date: "), (d, "negative", "date")], f, t["muted"])
    yy += lh + 14
    cv.hline(x0, W - 30, yy, t["border"])
    yy += 18
    inline = ("email", "phone", "card", "iban", "ssn", "nino", "ipv4", "token_url",
              "github_token", "openai_key", "aws_key", "generic_secret")
    templates = {
        "email": [("You can reach me on ", " until Friday."), ("Send the invoice to ", ", thanks.")],
        "phone": [("You can reach me on ", " until Friday."), ("Call the front desk at ", ".")],
        "card": [("The card on file is ", ", please update it."), ("Charge ", " for the renewal.")],
        "iban": [("Please wire the payment to ", " by the end of the month."),
                 ("Our new account is ", ".")],
        "ssn": [("My number for the form is ", "."), ("SSN on the application: ", "")],
        "nino": [("My number for the form is ", "."), ("NI number ", " (for payroll).")],
        "ipv4": [("Server ", " is down again."), ("Whitelist ", " on the firewall.")],
        "token_url": [("Use this link: ", ""), ("Report download: ", "")],
        "github_token": [("The key we used was ", " (rotated since)."), ("CI token: ", "")],
        "openai_key": [("The key we used was ", " (rotated since)."), ("Use ", " for the demo.")],
        "aws_key": [("Access key ", " belongs to the build user."), ("The key is ", ".")],
        "generic_secret": [("The shared secret is ", "."), ("Webhook secret: ", "")],
    }
    while yy + lh * 2 < H - 80:
        r = rng.random()
        if r < 0.55:
            kind, val = content.pii(inline)
            pre, post = rng.choice(templates[kind])
            parts = [P(pre), (val, "pii", kind), P(post)]
        elif r < 0.62:
            parts = [P("Regards, "), (content.deny(), "deny", "deny_list")]
        elif r < 0.8:
            kind, val = content.neg(["order_number", "price", "date", "tracking", "number"])
            parts = [P(rng.choice(["Your order ", "Reference ", "Amount ", "Tracking "])),
                     (val, "negative", kind), P(rng.choice([" has shipped.", " is confirmed.", "."]))]
        else:
            parts = [P(content.clean("sentence"))]
        if sum(cv.width(p[0], f) for p in parts) <= maxw:
            cv.text(x0, yy, parts, f)
            yy += lh + 8
        else:
            yy += 1


def app_sheet(cv: Canvas, content: Content, px: int) -> None:
    t, rng = cv.t, cv.rng
    y = title_bar(cv, rng.choice(["customers.xlsx - Sheets", "Orders Q3 - Spreadsheet",
                                  "payroll_export.ods - LibreOffice Calc"]))
    y = menu_bar(cv, y, ["File", "Edit", "View", "Insert", "Format", "Data", "Tools", "Help"])
    f = cv.font(px)
    fb = cv.font(px, bold=True)
    lh = cv.line_height(f)
    cv.rect(0, y, W, lh + 14, t["panel"])
    cv.text(60, y + 7, [P("fx"), P("  =SUM(F2:F40)")], f, t["muted"])
    y += lh + 14
    cols = [("Order", "neg", "order_number"), ("Date", "neg", "date")]
    pii_cols = rng.sample(["email", "phone", "iban", "card", "ssn", "ipv4", "nino"], 2)
    cols += [(content.label(k), "pii", k) for k in pii_cols]
    cols += [("Amount", "neg", "price"), ("Status", "clean", "value"), ("Version", "neg", "version")]
    rows = min(30, (H - y - 40) // (lh + 10) - 1)
    data = []
    for _ in range(rows):
        row = []
        for _, cat, kind in cols:
            if cat == "neg":
                row.append((content.neg([kind])[1], "negative", kind))
            elif cat == "pii":
                row.append((content.pii([kind])[1], "pii", kind))
            else:
                row.append((content.clean("value"), "clean", "value"))
        data.append(row)
    widths = [max([cv.width(h, fb)] + [cv.width(r[i][0], f) for r in data]) + 24
              for i, (h, _, _) in enumerate(cols)]
    while sum(widths) + 50 > W and len(cols) > 3:
        cols.pop()
        widths.pop()
        data = [r[:len(cols)] for r in data]
    rh = lh + 10
    cv.rect(0, y, W, rh, t["head"])
    x = 50
    letters = "ABCDEFGHIJKLMNOP"
    for i, w in enumerate(widths):
        cv.text(x + w / 2 - 4, y + 5, letters[i], f, t["muted"])
        x += w
    y += rh
    for r in range(rows + 1):
        yy = y + r * rh
        if yy + rh > H:
            break
        cv.hline(0, W, yy + rh - 1, t["border"])
        cv.text(12, yy + 5, str(r + 1), f, t["muted"])
        x = 50
        for i, w in enumerate(widths):
            cv.hline(x, x, yy, t["border"])
            if r == 0:
                cv.text(x + 8, yy + 5, cols[i][0], fb)
            else:
                cell = data[r - 1][i]
                cv.text(x + 8, yy + 5, [cell], f)
            x += w


def app_keys(cv: Canvas, content: Content, px: int) -> None:
    t, rng = cv.t, cv.rng
    y = title_bar(cv, rng.choice(["Developer settings - Console", "API keys - Dashboard",
                                  ".env - Code Editor"]))
    y = menu_bar(cv, y, ["File", "Edit", "Selection", "View", "Go", "Run", "Terminal", "Help"])
    side = 260
    sidebar(cv, content, y, side, 13, 16)
    f = cv.font(px)
    fm = cv.font(px, mono=True)
    fb = cv.font(px + 4, bold=True)
    lh = cv.line_height(fm) + 6
    x0 = side + 30
    yy = y + 20
    cv.text(x0, yy, rng.choice(["API keys", "Access tokens", "Secrets"]), fb)
    yy += cv.line_height(fb) + 14
    # a table of keys
    key_kinds = ("aws_key", "github_token", "openai_key", "slack_token", "generic_secret")
    for _ in range(rng.randrange(3, 6)):
        name = content.clean(rng.choice(["value", "label"]))
        kind, key = content.pii(key_kinds)
        _, d = content.neg(["date"])
        parts_w = cv.width(key, fm)
        if x0 + 260 + parts_w + 220 > W:
            continue
        cv.text(x0, yy, name[:22], f)
        cv.text(x0 + 260, yy, [(key, "pii", kind)], fm)
        cv.text(x0 + 260 + parts_w + 30, yy, [(d, "negative", "date")], f, t["muted"])
        yy += lh + 8
        cv.hline(x0, W - 30, yy - 4, t["border"])
    yy += 16
    # a config file in an editor
    cv.rect(x0 - 10, yy, W - x0 - 20, H - yy - 20, t["panel"], border=t["border"])
    yy += 10
    n = 1
    cfg_kinds = ("aws_secret", "jwt", "credential_url", "token_url", "generic_secret",
                 "slack_token", "email", "ipv4")
    while yy + lh < H - 30:
        r = rng.random()
        if r < 0.45:
            kind, val = content.pii(cfg_kinds)
            keyname = rng.choice(["secret", "token", "url", "password", "value", "dsn"])
            parts = [P(f"{keyname}: "), (val, "pii", kind)]
        elif r < 0.8:
            kind, val = content.neg(["uuid", "sha1", "version", "docker_digest", "identifier",
                                     "date"])
            parts = [P(rng.choice(["id: ", "commit: ", "version: ", "image: ", "handler: ",
                                   "updated: "])), (val, "negative", kind)]
        else:
            parts = [P("# " + content.clean("sentence"))]
        cv.text(x0 + 4, yy, f"{n:>3}", fm, t["muted"])
        if x0 + 70 + sum(cv.width(p[0], fm) for p in parts) < W - 40:
            cv.text(x0 + 70, yy, parts, fm)
        yy += lh
        n += 1


APP_FUNCS = {"form": app_form, "terminal": app_terminal, "mail": app_mail, "sheet": app_sheet,
             "keys": app_keys}


def render_screens(n: int, seed: int = 7, style: Style = TUNED) -> list[Screen]:
    from PyQt6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(["pii_recall"])
    from pii_edge_screens import EDGE_APPS

    funcs = {**APP_FUNCS, **EDGE_APPS}
    apps = list(funcs)
    corpora = Corpora.load()
    screens = []
    for i in range(n):
        rng = random.Random(seed * 100_003 + i)
        app = apps[i % len(apps)]
        theme = rng.choice(list(style.themes))
        px = rng.choice(style.sizes)
        s = Screen(i, app, theme, px)
        cv = Canvas(s, style.themes[theme], rng, style)
        funcs[app](cv, Content(corpora, rng), px)
        s.image = cv.finish()
        screens.append(s)
    return screens


