"""The contributor's deny-list found where OCR misread a character of an entry.

An entry of several words ("Marguerite Okonkwo", "14 Larkspur Crescent, Aberdeen AB10 6RT"
and its parts) is matched by ``detect._deny_pattern`` only when every character was read
right (l/I/1 and o/O/0 aside).  At 12-21 px OCR misreads a character or two of a name or a
postcode ("Marguente", "6AT"), and the entry, or the part of an address after the misread
word, is then not found at all: half a street address stays readable.

Here a run of as many words as an entry matches it when every word is the entry's word but
one, and that one is within a few edits of it (a quarter of its characters, at least one),
or, in an entry of three words or more (two or more read exactly around it), as long as it
give or take a character (a postcode read "5AT" for "6RT"): one word misread, the others
exact, is the same entry seen through OCR; two misread words are not looked for (too near
other names and addresses).  Words compare ignoring case,
the punctuation at their ends and OCR's l/I/1 and o/O/0.
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


def near_matches(text: str, entries: Sequence[tuple[str, ...]]) -> list[tuple[int, int]]:
    """(start, end) in ``text`` of each run of words that matches an entry with one word
    misread (module docstring)."""
    found = [(m.start(), m.end(), canon(m.group())) for m in _WORD.finditer(text)]
    where: dict[str, list[int]] = {}
    for i, (_, _, w) in enumerate(found):
        where.setdefault(w, []).append(i)
    out: set[tuple[int, int]] = set()
    for ws in entries:
        k = len(ws)
        starts = {i - j for j, w in enumerate(ws) for i in where.get(w, ())}
        for s in starts:
            if s < 0 or s + k > len(found):
                continue
            odd = [(a, b[2]) for a, b in zip(ws, found[s:s + k], strict=True) if a != b[2]]
            if len(odd) != 1:
                continue  # exact matches are the pattern's; two misread words are not
            want, got = odd[0]
            if (distance(want, got) <= max(1, len(want) // 4)
                    or (k >= 3 and abs(len(want) - len(got)) <= 1)):
                out.add((found[s][0], found[s + k - 1][1]))
    return sorted(out)
