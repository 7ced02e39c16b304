"""The checks that decide whether a string has the shape of a value: checksums (Luhn for
cards, mod 97 for IBANs, with OCR's letter/digit confusions undone only where the check then
decides), card issuer ranges and groupings, and randomness (secrets and keys).

High-entropy strings (kind ``secret``), the rule:

- a candidate is a run of 20 or more characters of ``[A-Za-z0-9+/=_-]`` (so dots, colons and
  spaces end it: version strings, paths, host names and sentences never form one);
- it is skipped if, without its separators (``-_``), it is hexadecimal only: hashes (MD5,
  SHA-1/256, git ids), UUIDs, MAC-like and docker digests;
- it must mix lower case, upper case and digits (random base62/base64 of 20+ characters
  almost always does; identifiers such as ``AbstractSingletonProxyFactoryBean`` or
  ``MAX_RETRY_ATTEMPTS`` and numbers such as tracking codes do not);
- its Shannon entropy must reach ``min(4.0, 0.8 * log2(length))`` bits per character, and at
  least 40 % of its adjacent character pairs must change class (lower/upper/digit/other;
  30 % for 24+ characters with 4.3 bits or more and under 30 % word-like runs):
  words in camelCase or snake_case change class rarely (about 0.1-0.3), random strings often
  (about 0.6);
- less than 70 % of it may be in word-like runs (``[A-Z]?[a-z]{3,}``): identifiers made of
  short words (``ThisIsAVeryLongName2``) change class often but read like words;
- upper-case-only keys (16+ of ``[A-Z0-9]``, 3+ digits, not hex, not a UPS parcel number)
  pass with an entropy of ``min(3.6, 0.8 * log2(length))`` and 30 % class changes;
- after a keyword such as ``key``, ``token``, ``secret`` or ``password`` followed by ``:`` or
  ``=``, the value is suggested whatever its shape (kind ``credential``), so a UUID-shaped API
  key after ``api_key=`` is not missed.
"""

from __future__ import annotations

import math
import re
from itertools import combinations

# -- checksums -----------------------------------------------------------------------------------

def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of card numbers, on a string of digits."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# ISO 13616 lengths of the IBAN by country (SWIFT IBAN registry).
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}


def by_second_letter() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for c in sorted(IBAN_LENGTHS):
        out.setdefault(c[1], []).append(c)
    return out


def iban_valid(iban: str) -> bool:
    """ISO 13616: known country, its length, and the mod-97 check equal to 1."""
    s = iban.replace(" ", "").upper()
    if len(s) < 15 or not s.isalnum() or IBAN_LENGTHS.get(s[:2]) != len(s):
        return False
    if not s[2:4].isdigit():
        return False
    rearranged = s[4:] + s[:4]
    try:
        num = int("".join(str(int(c, 36)) for c in rearranged))
    except ValueError:
        return False
    return num % 97 == 1


def shannon_entropy(s: str) -> float:
    """Bits per character of ``s`` (its own character frequencies)."""
    if not s:
        return 0.0
    counts: dict[str, int] = {}
    for ch in s:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _cls(ch: str) -> int:
    if ch.islower():
        return 0
    if ch.isupper():
        return 1
    if ch.isdigit():
        return 2
    return 3


def class_change_ratio(s: str) -> float:
    """Fraction of adjacent character pairs of ``s`` whose classes (lower/upper/digit/other)
    differ: about 0.6 for random base62, 0.1-0.3 for identifiers made of words."""
    if len(s) < 2:
        return 0.0
    changes = sum(1 for a, b in zip(s, s[1:], strict=False) if _cls(a) != _cls(b))
    return changes / (len(s) - 1)


_HEX_ONLY = re.compile(r"[0-9A-Fa-f]+")


def looks_random(token: str, *, min_len: int = 20) -> bool:
    """The high-entropy rule of the module docstring."""
    if len(token) < min_len:
        return False
    bare = token.replace("-", "").replace("_", "")
    if not bare or _HEX_ONLY.fullmatch(bare):
        return False
    if not (any(c.islower() for c in token) and any(c.isupper() for c in token)
            and any(c.isdigit() for c in token)):
        return False
    if shannon_entropy(token) < min(4.0, 0.8 * math.log2(len(token))):
        return False
    if word_likeness(token) >= 0.7:
        return False
    ratio = class_change_ratio(token)
    # Very high entropy with few words allows fewer class changes (long upper/lower runs
    # happen in random base62: "cCYSbuXNRgTYbXEXYOgqhap84196q6we", 0.39).
    return ratio >= 0.4 or (ratio >= 0.3 and len(token) >= 24 and word_likeness(token) < 0.3
                            and shannon_entropy(token) >= 4.3)


_WORDISH = re.compile(r"[A-Z]?[a-z]{3,}")


def word_likeness(s: str) -> float:
    """Fraction of ``s`` in runs that read like words ([A-Z]?[a-z]{3,}): 0.85 for
    ``handleOnClickListener2``, under 0.5 for 99 % of random base62 strings of 24+."""
    return sum(len(m.group()) for m in _WORDISH.finditer(s)) / max(1, len(s))


_UPS_TRACKING = re.compile(r"1Z[A-Z0-9]{16}")  # a parcel number, not a key


def looks_random_upper(token: str) -> bool:
    """Upper-case keys (AWS ids read with a wrong prefix, base32 secrets, licence keys): 16
    or more of [A-Z0-9], not hex only, at least 3 digits and 6 letters, entropy of at least
    ``min(3.6, 0.8 * log2(length))`` and classes changing at 30 % of pairs or more."""
    if len(token) < 16 or _HEX_ONLY.fullmatch(token) or _UPS_TRACKING.fullmatch(token):
        return False
    d = sum(c.isdigit() for c in token)
    if d < 3 or len(token) - d < 6:
        return False
    if shannon_entropy(token) < min(3.6, 0.8 * math.log2(len(token))):
        return False
    return class_change_ratio(token) >= 0.3


def card_candidates(raw: str) -> list[tuple[int, str]]:
    """The digit run and its sub-runs on group boundaries (a card followed or preceded by
    another number: "4111 1111 1111 1111 12/27")."""
    parts = [(m.start(), m.end()) for m in re.finditer(r"[^ \-]+", raw)]
    out = [(0, raw)]
    for i in range(len(parts)):
        for j in range(len(parts), i, -1):
            if (i, j) == (0, len(parts)):
                continue
            out.append((parts[i][0], raw[parts[i][0]:parts[j - 1][1]]))
    return out


def card_ok(piece: str, digits: str, noisy: bool = False) -> bool:
    if not digits.isdigit() or not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        return False
    groups = [len(g) for g in re.split(r"[ \-]", piece) if g]
    if len(groups) > 1:
        seps = set(re.findall(r"[ \-]", piece))
        if len(seps) > 1:
            return False
        regular = groups in ([4, 4, 4, 4], [4, 6, 5], [4, 6, 4], [4, 4, 4, 4, 3], [4, 4, 4, 1],
                             [4, 4, 4, 3], [4, 4, 4, 4, 1], [4, 4, 4, 4, 2], [4, 4, 5],
                             [4, 4, 4, 2])
        # OCR splits an unspaced number in two now and then ("37240155851 1556").
        split = noisy and len(groups) == 2 and min(groups) >= 2 and " " in seps
        if not (regular or split):
            return False
    n = len(digits)
    first2, first3, first4 = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)  # Visa
    if 51 <= first2 <= 55 or 2221 <= first4 <= 2720:
        return n == 16  # Mastercard
    if first2 in (34, 37):
        return n == 15  # American Express
    if first2 in (36, 38, 39) or 300 <= first3 <= 305 or first4 == 3095:
        return 14 <= n <= 19  # Diners Club
    if 3528 <= first4 <= 3589 or first4 == 6011 or 644 <= first3 <= 649 or first2 in (62, 65) \
            or 2200 <= first4 <= 2204:
        return 16 <= n <= 19  # JCB, Discover, UnionPay, Mir
    return first2 in (50, 56, 57, 58, 63, 67)  # Maestro (12-19, checked above from 13)


# BBAN structure by country (SWIFT IBAN registry): n digits, a upper-case letters,
# c letters or digits.  Used to undo OCR confusions before the mod-97 check decides.
_BBAN_FORMATS = {
    "AT": "5n11n", "BE": "3n7n2n", "BG": "4a4n2n8c", "CH": "5n12c", "CY": "3n5n16c",
    "CZ": "4n6n10n", "DE": "8n10n", "DK": "4n9n1n", "EE": "2n2n11n1n", "ES": "4n4n1n1n10n",
    "FI": "3n11n", "FR": "5n5n11c2n", "GB": "4a6n8n", "GR": "3n4n16c", "HR": "7n10n",
    "HU": "3n4n1n15n1n", "IE": "4a6n8n", "IS": "4n2n6n10n", "IT": "1a5n5n12c", "LI": "5n12c",
    "LT": "5n11n", "LU": "3n13c", "LV": "4a13c", "MC": "5n5n11c2n", "MT": "4a5n18c",
    "NL": "4a10n", "NO": "4n6n1n", "PL": "8n16n", "PT": "4n4n11n2n", "RO": "4a16c",
    "SE": "3n16n1n", "SI": "5n8n2n", "SK": "4n6n10n", "SM": "1a5n5n12c", "TR": "5n1n16c",
}
_AS_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "7": "T", "8": "B", "]": "J",
              "|": "I", "!": "I", "4": "A"}
AS_NUMBER = {"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "]": "1", "|": "1", "!": "1",
              "Z": "2", "S": "5", "G": "6", "T": "7", "B": "8", "A": "4"}
_TWINS = {"O": "0", "0": "O", "I": "1", "1": "I", "S": "5", "5": "S", "Z": "2", "2": "Z",
          "B": "8", "8": "B", "G": "6", "6": "G"}
# Further readings of a character that OCR confuses with more than one other (measured on
# benchmarks/pii_recall.py: "9NI7" read "SNI7", "UN9S" read "UNSS" at 14 px).
_MORE_TWINS = {"S": "9", "9": "S"}
_DIGIT_LOOKALIKES = {"3": "8", "8": "360", "6": "85", "5": "6", "1": "7", "7": "1", "0": "8"}


def _expand_format(fmt: str) -> str:
    return "".join(cls * int(n) for n, cls in re.findall(r"(\d+)([nac])", fmt))


def iban_fix(cand: str) -> str | None:
    """An IBAN that passes the mod-97 check from ``cand`` as OCR read it, undoing letter/digit
    confusions where the country's BBAN format says which one a position holds, trying the
    ambiguous letter-or-digit positions (fewest changes first, at most 3), or None.  An "S"
    in the check digits is tried as 5, then as 9 ("IES8AIBK..." for "IE98AIBK...")."""
    got = _iban_fix_body(cand)
    if got is None and "S" in cand[2:4]:
        got = _iban_fix_body(cand[:2] + cand[2:4].replace("S", "9") + cand[4:])
    return got


def _iban_fix_body(cand: str) -> str | None:
    country = "".join(_AS_LETTER.get(c, c) for c in cand[:2])
    fmt = _BBAN_FORMATS.get(country)
    n = IBAN_LENGTHS.get(country)
    if n is None or len(cand) != n:
        return None
    check = "".join(AS_NUMBER.get(c, c) for c in cand[2:4])
    if not check.isdigit():
        return None
    body = list(cand[4:])
    classes = _expand_format(fmt) if fmt else "c" * len(body)
    if len(classes) != len(body):
        return None
    amb: list[tuple[int, str]] = []  # (position, another reading of it)
    for i, (ch, cls) in enumerate(zip(body, classes, strict=True)):
        if cls == "n":
            body[i] = AS_NUMBER.get(ch, ch)
            if not body[i].isdigit():
                return None
            if ch in _MORE_TWINS and _MORE_TWINS[ch].isdigit():
                amb.append((i, _MORE_TWINS[ch]))
        elif cls == "a":
            body[i] = _AS_LETTER.get(ch, ch.replace(")", "J"))
            if not body[i].isalpha():
                return None
            if ch in "])":  # a J, or an I ("BOF]" for "BOFI")
                amb.append((i, "I"))
        else:
            body[i] = {"]": "J", ")": "J", "|": "I", "!": "I"}.get(ch, ch)
            if ch in "])":
                amb.append((i, "I"))
            if body[i] in _TWINS:
                amb.append((i, _TWINS[body[i]]))
            if body[i] in _MORE_TWINS:
                amb.append((i, _MORE_TWINS[body[i]]))
    head = country + check
    base = "".join(body)
    if iban_valid(head + base):
        return head + base
    if len(amb) > 14:
        return None
    for k in (1, 2, 3):
        for combo in combinations(amb, k):
            if len({i for i, _ in combo}) < k:
                continue  # two readings of one position
            chars = list(base)
            for i, c in combo:
                chars[i] = c
            if iban_valid(head + "".join(chars)):
                return head + "".join(chars)
    # Last, one digit misread as a similar one ("...996288" for "...996283"): mod 97 catches
    # every single substitution, so exactly one change that validates is taken.
    for i, ch in enumerate(base):
        for c in _DIGIT_LOOKALIKES.get(ch, ""):
            alt = base[:i] + c + base[i + 1:]
            if iban_valid(head + alt):
                return head + alt
    return None


def bban_ok(country: str, bban: str) -> bool:
    """``bban`` has the letters and digits where the country's format puts them."""
    fmt = _BBAN_FORMATS.get(country)
    if not fmt:
        return True
    classes = _expand_format(fmt)
    return len(classes) == len(bban) and all(
        (c.isdigit() if k == "n" else c.isalpha() if k == "a" else c.isalnum())
        for c, k in zip(bban, classes, strict=True))


def nino_prefix(raw: str) -> str:
    """The two letters of an NI number's prefix as OCR read them ("K]", "M)", "|W")."""
    pre = "".join(_AS_LETTER.get(c, c) for c in raw.upper().replace(")", "J"))
    if pre[:1] == "I":  # no prefix starts with I: a J read as | or I
        pre = "J" + pre[1:]
    return pre


def nth_char_end(raw: str, n: int) -> int:
    """The offset in ``raw`` just after its ``n``-th character that is not a space."""
    seen = 0
    for i, ch in enumerate(raw):
        if ch != " ":
            seen += 1
            if seen == n:
                return i + 1
    return len(raw)


def iban_match(raw: str) -> tuple[int, bool] | None:
    """The length of the valid IBAN at the start of ``raw`` (grouped by 4 or not), and whether
    an OCR fix was needed, or None."""
    compact = []
    ends = []  # offset in raw after each compact character
    for i, ch in enumerate(raw):
        if ch != " ":
            compact.append(ch)
            ends.append(i + 1)
    s = "".join(compact)
    country = "".join(_AS_LETTER.get(c, c) for c in s[:2])
    n = IBAN_LENGTHS.get(country)
    if n is None or len(s) < n:
        return None
    end = ends[n - 1]
    # The cut must fall at the end of a group, not inside one (a bracket or a quote may
    # follow: "[IE76AIBK71359072914880]").
    if not (end < len(raw) and raw[end].isalnum()):
        cand = s[:n]
        if iban_valid(cand):
            return end, False
        if iban_fix(cand) is not None:
            return end, True
    # A character OCR added to the first group ("FRS55 8046 ..." for "FR55 8046 ..."): the
    # first group has 5 characters; drop one of its last three.
    first = raw.split(" ", 1)[0]
    if len(first) == 5 and " " in raw and len(s) > n:
        end = ends[n]
        if end < len(raw) and raw[end] != " ":
            return None
        for k in (2, 3, 4):
            alt = s[:k] + s[k + 1:n + 1]
            if iban_valid(alt) or iban_fix(alt) is not None:
                return end, True
    return None
