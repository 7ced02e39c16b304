"""Long tokens that OCR split into pieces: which pieces around a span belong to it."""

from __future__ import annotations

import re

from annotator.redaction.spans import (
    API_KEY,
    CARD,
    CREDENTIAL,
    IBAN,
    IPV4,
    IPV6,
    JWT,
    NATIONAL_ID,
    PHONE,
    SECRET,
    URL_CREDENTIALS,
    URL_TOKEN,
    Span,
)

_NEXT_PIECE = re.compile(r" (\S+)")
_TAIL_FRAGMENT = re.compile(r" [B-DF-HJ-NP-TV-XZb-df-hj-np-tv-xz]{1,4}(?=[\t\n]|$)")
_PREV_PIECE = re.compile(r"(?:^|(?<=[\s]))(\S+) $")
_PUNCT = ".,;:!?()[]{}<>\"'`"


def piece_kind(piece: str) -> str:
    """"strong": surely part of a token (a digit, case changing inside, symbols such as
    _ = / + - inside, or only punctuation); "weak": alphabetic, four letters at most (a
    fragment like "ey", "proj", or a short word); "plain": a word of five letters or more."""
    core = piece.strip(_PUNCT)
    if not core or any(c.isdigit() for c in core):
        return "strong"
    if core.isalpha():
        if len(core) <= 4:
            return "weak" if (core.islower() or core.isupper() or core.istitle()) else "strong"
        if core.islower() or core.isupper() or core.istitle():
            return "plain"
        return "strong"
    return "strong"


def following_pieces(text: str, pos: int, limit: int) -> list[tuple[str, int]]:
    """Up to ``limit`` pieces (text, end) that follow ``pos``, for ``_take_pieces``."""
    pieces: list[tuple[str, int]] = []
    while len(pieces) < limit:
        m = _NEXT_PIECE.match(text, pos)
        if not m:
            break
        pieces.append((m.group(1), m.end(1)))
        pos = m.end(1)
    return pieces


def take_pieces(pieces: list[tuple[str, int]], edge: int) -> int:
    weak = 0
    for piece, pos in pieces:
        kind = piece_kind(piece)
        if kind == "plain":
            break
        if kind == "weak":
            weak += 1
            if weak > 2:
                break
            continue
        weak = 0
        edge = pos
    return edge


_URL_JOIN = "/.:?&=@#%"


def _extend_url(text: str, start: int, end: int) -> tuple[int, int]:
    for _ in range(4):  # backwards
        m = re.search(r"(\S+) $", text[max(0, start - 200):start])
        if not m:
            break
        prev = m.group(1)
        if prev[-1] in "/.?&=@#%" or text[start] in _URL_JOIN:
            start -= len(prev) + 1
        else:
            break
    for _ in range(4):  # forwards
        m = re.match(r" (\S+)", text[end:end + 200])
        if not m:
            break
        nxt = m.group(1)
        if nxt[0] in _URL_JOIN or text[end - 1] in _URL_JOIN:
            end += len(nxt) + 1
        else:
            break
    return start, end


def continue_span(text: str, span: Span) -> Span:
    """OCR splits long tokens (keys, JWTs, URLs) into pieces and garbles some of them.
    Extend a token-like span over the pieces around it on the same line, separated by
    single spaces, while they look like parts of a token too (see ``_piece_kind``): at
    most two short alphabetic pieces in a row, and only when a token-like piece follows
    them; a plain word (alphabetic, five letters or more) stops it.  A URL also takes
    the pieces that continue it (one side ends or the other starts with / . : ? & =)."""
    if span.kind not in (API_KEY, JWT, SECRET, URL_TOKEN, URL_CREDENTIALS, CREDENTIAL):
        return span
    start, end = span.start, span.end
    if span.kind in (URL_TOKEN, URL_CREDENTIALS) or (
            span.kind == CREDENTIAL and any(c in span.text for c in "/?&")):
        start, end = _extend_url(text, start, end)
        end = take_pieces(following_pieces(text, end, 6), end)
        if (start, end) == (span.start, span.end):
            return span
        return Span(start, end, span.kind, span.score, text[start:end], span.reason)
    # The whole of the pieces it starts and ends in (a token + "}x..." garbled by OCR),
    # but not a label before it ("API_TOKEN=", "secret:").
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "=:":
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    # Forwards.
    pieces: list[tuple[str, int]] = []
    pos = end
    while len(pieces) < 12:
        m = _NEXT_PIECE.match(text, pos)
        if not m:
            break
        pieces.append((m.group(1), m.end(1)))
        pos = m.end(1)
    end = take_pieces(pieces, end)
    # A last short fragment with no vowel, ending the cell or line ("...EFA1eHM jd",
    # "...FUDcK] Llqx"): the token's tail, not a word.
    tail = _TAIL_FRAGMENT.match(text, end)
    if tail:
        end = tail.end()
    # Backwards.
    pieces = []
    pos = start
    while len(pieces) < 12:
        m = _PREV_PIECE.search(text, max(0, pos - 300), pos)
        if not m:
            break
        pieces.append((m.group(1), m.start(1)))
        pos = m.start(1)
    start = take_pieces(pieces, start)
    if (start, end) == (span.start, span.end):
        return span
    return Span(start, end, span.kind, span.score, text[start:end], span.reason)


_GROUPED = (PHONE, CARD, IBAN, IPV4, IPV6, NATIONAL_ID)
_GROUP = re.compile(r"[0-9]{1,6}|[A-Z]|(?=[A-Z]*[0-9])[A-Z0-9]{2,4}")  # a group, a check letter
_HEX_PIECE = re.compile(r"(?=[0-9A-Fa-f:]*[:0-9])[0-9A-Fa-f:]{1,40}")
_TRAIL = ".,;:)'\"]>"


def continue_grouped(text: str, span: Span) -> Span:
    """A value written in groups (card, IBAN, phone, IP address, national id) that OCR
    split where it has no space, or whose last group or check letter it read as a word of
    its own ("OT 60 51 89" + "A", "2a02:9519:1" + "1ba:ab1c::ba46:cbdb"): the pieces
    next to it, one space away, made of such groups join it (two on each side at most).
    Covering a neighbouring number as well is the safe way to be wrong."""
    if span.kind not in _GROUPED:
        return span
    pattern = _HEX_PIECE if span.kind == IPV6 else _GROUP
    start, end = span.start, span.end
    for _ in range(2):
        m = re.compile(r" (\S+)").match(text, end)
        if not m:
            break
        piece = m.group(1).rstrip(_TRAIL)
        if not piece or not pattern.fullmatch(piece):
            break
        end = m.start(1) + len(piece)
    for _ in range(2):
        m = re.compile(r"(?:^|(?<=\s))(\S+) $").search(text, max(0, start - 60), start)
        if not m:
            break
        piece = m.group(1).lstrip("([<'\"")
        if not piece or not pattern.fullmatch(piece):
            break
        start = m.end(1) - len(piece)
    if (start, end) == (span.start, span.end):
        return span
    return Span(start, end, span.kind, span.score, text[start:end], span.reason)
