"""The contributor's deny-list found where OCR misread a character of an entry.

An entry of several words ("Marguerite Okonkwo", "14 Larkspur Crescent, Aberdeen AB10 6RT"
and its parts) is matched by ``detect._deny_pattern`` only when every character was read
right (l/I/1 and o/O/0 aside).  At 12-21 px OCR misreads a character or two of a name or a
postcode ("Marguente", "6AT"), and the entry, or the part of an address after the misread
word, is then not found at all: half a street address stays readable.

Here the whole entry is compared with the runs of words where at least half of its
words were read (as many words as it has, or one more or fewer: OCR splits and joins
words): a run matches when its words, joined, are within a few edits of the entry's
(``edits``: a sixth of its characters in entries of three words or more, an eighth in a
name of two, one at least), or when it differs from the entry in one word only that is as
long give or take a character (a postcode read "5AT" for "6RT").  Two or three misread
words of a street address are found ("Larkspur Cresceut, Aberdeeu"), and so is an entry
read exactly but for a mark between its words ("Aberdeen: AB10"), which the exact pattern
does not take; a name of two words needs one read exactly (too near other names).  Words
compare ignoring case, the punctuation at their ends and OCR's l/I/1 and o/O/0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_WORD = re.compile(r"[^\s,;]+")
_CANON = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l"})
_ENDS = ".,;:()[]<>'\"!?"


def canon(word: str) -> str:
    """A word as compared: lower case, no punctuation at its ends, l/I/1 and o/O/0 alike."""
    return word.strip(_ENDS).lower().translate(_CANON)


def distance(a: str, b: str) -> int:
    """Levenshtein distance (short words)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def entries_words(entries: Iterable[str]) -> list[tuple[str, ...]]:
    """The entries of two words or more, as compared words."""
    out = []
    for e in entries:
        ws = tuple(canon(w) for w in re.split(r"[\s,;]+", e) if canon(w))
        if len(ws) >= 2:
            out.append(ws)
    return list(dict.fromkeys(out))


def edits(entry: Sequence[str]) -> int:
    """The edits a run of words may differ from ``entry`` (its compared words) by."""
    n = len(" ".join(entry))
    return max(1, n // 6 if len(entry) >= 3 else n // 8)


def _match(ws: tuple[str, ...], got: list[str]) -> int | None:
    """The edits between entry ``ws`` and the run ``got``, when they match (module
    docstring), or None."""
    k = len(ws)
    if 2 * sum(w in got for w in ws) < k:  # half of its words read exactly at least
        return None
    d = distance(" ".join(got), " ".join(ws))
    if d <= edits(ws):
        return d
    if k >= 3 and len(got) == k:
        odd = [(a, b) for a, b in zip(ws, got, strict=True) if a != b]
        if len(odd) == 1 and abs(len(odd[0][0]) - len(odd[0][1])) <= 1:
            return d
    return None


def near_matches(text: str, entries: Sequence[tuple[str, ...]]) -> list[tuple[int, int]]:
    """(start, end) in ``text`` of each run of words that matches an entry with words
    misread (module docstring): per place, the run closest to the entry."""
    found = [(m.start(), m.end(), canon(m.group())) for m in _WORD.finditer(text)]
    where: dict[str, list[int]] = {}
    for i, (_, _, w) in enumerate(found):
        where.setdefault(w, []).append(i)
    out: set[tuple[int, int]] = set()
    for ws in entries:
        k = len(ws)
        anchors = {i - j for j, w in enumerate(ws) for i in where.get(w, ())}
        for a in anchors:
            best: tuple[int, int, int, int] | None = None  # edits, words, start, end
            for s in (a - 1, a, a + 1):
                for n in (k - 1, k, k + 1):
                    if n < 1 or s < 0 or s + n > len(found):
                        continue
                    d = _match(ws, [w for _, _, w in found[s:s + n]])
                    if d is not None and (best is None or (d, n) < best[:2]):
                        best = (d, n, found[s][0], found[s + n - 1][1])
            if best is not None:
                out.add(best[2:])
    return sorted(out)
