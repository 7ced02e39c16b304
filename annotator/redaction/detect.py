"""Detectors of personal data and secrets in text: OCR'd screen text, typed text, window titles.

Every detector is a recognizer written here (no model, no download, no network).  Each one
returns :class:`Span` objects (character offsets into the text it was given, a kind, a score,
the matched text and a short reason).  Validated kinds (Luhn-checked cards, mod-97-checked
IBANs, vendor token prefixes, the contributor's deny-list) score 0.9 or more; pattern-only
kinds (phone numbers, national ids) 0.6-0.85; the high-entropy fallback 0.6.  Redaction
suggests every span whatever its score: a label is a hint, never a reason to leave a span out
(privacy.md section 1, "entity labels are unreliable").

OCR text (``ocr=True``) is handled with cheap, measured tolerance (benchmarks/pii_recall.py):

- a normalisation with a map back to the original offsets: em/en dashes, "£"/"¢" read for
  "f"/"c" in hex runs, "|" for "l", "@" for a dotted zero, spaces OCR put inside e-mail
  addresses, URLs (after a scheme, pieces that end or start with / . : ? & = @ are joined),
  IPv4 and IPv6 addresses and split phone groups, grid-line specks glued to values;
- a second pass over the same text with letters read for digits (O/0, I/l/1, S/5, B/8, G/6)
  turned back into digits inside tokens that are half digits already; its spans only add
  where the first pass found nothing;
- letter/digit confusions in card numbers and IBANs are undone only where the Luhn or mod-97
  check then decides (IBANs: per the country's BBAN format, at most 3 ambiguous positions
  changed), so they add no false positives beyond the checksum's own rate;
- more misreadings undone where the value's own shape decides (measured on the same
  benchmark, 12-24 px): IBANs with "S" for "9", one digit misread as a look-alike (3/8,
  6/8, 1/7...; mod 97 catches any single substitution) or a character added to the first
  group ("FRS55 ..."); UK NI numbers with a character added ("AB 05 99 334A") or "G" for
  "6"; AWS key ids with a doubled glyph; card groups split before a hyphen; e-mail
  addresses with a space after "+"/"_", ", " for "." before a 1-2 character local part,
  "-" for the dot before the TLD, a space after the domain's dot, "/" for "7"; "https;"
  for "https:" and "api_key-" for "api_key=" in URLs;
- token-like spans (keys, JWTs, secrets, URLs with tokens) extend over the pieces around
  them that OCR split off (see ``Detector._continue``); random strings split into pieces
  are checked joined.
- readings of Tesseract 5.5 (measured on the same benchmark, 200 screens): a tab (a column
  gap) is never removed as a stray space inside a number; e-mail local parts split
  ("kenji1 991@", "mateo +billing@") and ".com,au"; an IBAN whose country code lost its
  first letter ("E08 AIBK ..." - the whole IBAN must pass mod 97 as read); a secret's URL
  parameter glued to the value before it ("page=2Gapi_key=") or with "#" for "=", "«" for
  "&", "é"/"€" for the "@" after a URL's password, a query piece after a space; IPv6 with
  ";" for ":" and a tab where "::" was; UK NI numbers with the suffix read as 4/8/€ or lost
  (spaced form only) and J read as ] ) |; IPv4 with commas for dots (not amounts), or one
  octet over 255 where a label, prefix length or port says address; a vowel-less
  fragment ending a token's cell ("... jd"); "@" for 0 in numbers ("555-@128"), a space
  after any dot of a domain ("globex.com. au"), "-~" in Slack tokens, an SSN with one
  space lost ("191 145391", valid area, group and serial); IBANs with "S" for 9 in the
  check digits and ")" or "]" for J or I.

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

What is not detected: names, postal addresses and organisations (no offline NER): only the
contributor's own deny-list covers them.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# -- kinds ---------------------------------------------------------------------------------------

EMAIL = "email"
PHONE = "phone"
CARD = "card"
IBAN = "iban"
IPV4 = "ipv4"
IPV6 = "ipv6"
NATIONAL_ID = "national_id"
API_KEY = "api_key"
JWT = "jwt"
PRIVATE_KEY = "private_key"
SECRET = "secret"
CREDENTIAL = "credential"
URL_CREDENTIALS = "url_credentials"
URL_TOKEN = "url_token"
DENY_LIST = "deny_list"

KINDS = (EMAIL, PHONE, CARD, IBAN, IPV4, IPV6, NATIONAL_ID, API_KEY, JWT, PRIVATE_KEY, SECRET,
         CREDENTIAL, URL_CREDENTIALS, URL_TOKEN, DENY_LIST)


@dataclass(frozen=True, slots=True)
class Span:
    """One detection: ``text[start:end]`` of the text given to the detector."""

    start: int
    end: int
    kind: str
    score: float
    text: str
    reason: str = ""

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


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


def _by_second_letter() -> dict[str, list[str]]:
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


_PIECE = re.compile(r"[^\s]+")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9+/=_\-]{3,}")
_UPPER_RUN = re.compile(r"(?<![A-Za-z0-9_\-])[A-Z0-9]{16,64}(?![A-Za-z0-9_\-])")


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


# -- OCR normalisation ---------------------------------------------------------------------------

_SPACE_FIXES = [
    re.compile(r"(?<=[A-Za-z0-9._%+-])\s(?=@[A-Za-z0-9])"),  # "jane.doe @example.com"
    re.compile(r"(?<=[A-Za-z0-9._%+-]@)\s(?=[A-Za-z0-9])"),  # "jane.doe@ example.com"
    re.compile(r"(?<=[A-Za-z]:)\s(?=//)"),  # "https: //host"
    re.compile(r"(?i)(?<=\bhttps)\s(?=:\s?//)|(?<=\bhttp)\s(?=:\s?//)"),  # "https ://host"
    re.compile(r"(?<=://)\s(?=\S)"),  # "https:// host"
    re.compile(r"(?<=[\w/])\s(?=\?[\w-]+=)"),  # "/export ?page=2"
    re.compile(r"(?<=[\w-])\s(?=\.[A-Za-z]{2,}\b)"),  # "git .example.org"
    re.compile(r"(?<=[0-9A-Fa-f@]:)\s(?=[0-9A-Fa-flIO@]{1,4}:)"),  # "d0dc: 6de1:" in IPv6
    re.compile(r"(?<=[A-Za-z0-9]:)\s(?=[^\s@/:]{3,}@)"),  # "user: pass@host" in URLs
    re.compile(r"(?<=[0-9a-f]f)£(?=[0-9a-f:])"),  # "f" read as "f£" in hex runs
    re.compile(r"(?<=[A-Z])£(?=[A-Z0-9])"),  # "E£S35..." a speck read as a character
    re.compile(r"(?<=\d),(?=\.\d)"),  # "43,.223" a speck
    re.compile(r"(?<!\S)[_\-]+(?=[A-Za-z0-9][A-Za-z0-9._%+\-]*@)"),  # "_jane@x.com": a rule
    re.compile(r"(?<=[A-Za-z0-9.\-][+_])\s(?=[A-Za-z0-9._%+-]+@[A-Za-z0-9])"),  # "max+ bill@x.io"
    re.compile(r"(?<=[a-z0-9]),\s(?=[A-Za-z0-9]{1,2}@[A-Za-z0-9])"),  # "smith, k@x.io" (a dot)
    re.compile(r"(?<=[A-Za-z0-9][.+_\-])\s(?=[A-Za-z0-9._%+\-]{0,40}@[A-Za-z0-9])"),  # "costa. i@x.com"
    re.compile(r"(?<=[0-9A-Fa-f]:)\s(?=:[0-9A-Fa-f])"),  # ": :" in IPv6
    # "646-555-0 146": one space only; a tab is a column gap ("10.136.167.7<tab>237 15 5674"
    # is an address and an SSN in two cells, not one number).
    re.compile(r"(?<=\d{3}[-.]\d{3}[-.]\d) (?=\d{3}(?!\w))"),
    re.compile(r"(?<=\d{3}[-.]\d{3}[-.]\d{2}) (?=\d{2}(?!\w))"),
    re.compile(r"(?<=\d{3}[-.]\d{3}[-.]\d{3}) (?=\d(?!\w))"),
    # Local parts of e-mail addresses split by OCR: "kenji1 991@x.com", "mateo +billing@x.net",
    # "oscar+t billing@x.io".
    re.compile(r"(?<=[A-Za-z]\d) (?=\d[A-Za-z0-9._%+-]{0,40} ?@[A-Za-z0-9-]+\.[A-Za-z])"),
    re.compile(r"(?<=[A-Za-z0-9]) (?=\+[A-Za-z0-9._%-]{1,40} ?@[A-Za-z0-9-]+\.[A-Za-z])"),
    re.compile(r"(?<=[A-Za-z0-9]\+[A-Za-z]) (?=[A-Za-z0-9._%+-]{1,40} ?@[A-Za-z0-9-]+\.[A-Za-z])"),
]
_CHAR_FIXES = str.maketrans({"\u2014": "-", "\u2013": "-", "\u2012": "-", "\u2010": "-",
                             "\u2011": "-", "\u00a0": " ", "\u2019": "'", "\u00ab": '"',
                             "\u00bb": '"'})
_IPV4_COMMA = re.compile(r"(?<![\w.,])\d{1,3}[.,]\d{1,3}[.,]\d{1,3}[.,]\d{1,3}(?![\w]|[.,]\d)")
_PIPE_AS_L = re.compile(r"(?<=[A-Za-z.])\|(?=[A-Za-z@.])|(?<=[A-Za-z])\|(?=\w)")
_POUND_AS_F = re.compile(r"(?<=[A-Za-z0-9] )£(?= [A-Za-z])|(?<=[A-Za-z])£(?=[A-Za-z])")
_HEXISH_FIX = re.compile(r"(?<=[0-9a-f:])[£¢](?=[0-9a-f:])|(?<=[0-9a-f]{2})[£¢]|[£¢](?=[0-9a-f]{2})")


_IPV6_NOISY = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-flIOo@]{0,4}:){3,7}[0-9A-Fa-flIOo@]{1,4}(?![\w:])")
_IPV6_FIX = str.maketrans({"l": "1", "I": "1", "O": "0", "o": "0", "@": "0"})
# A slashed or dotted zero read as "@" inside a token that is no e-mail address (no dot
# after it): "a@eb", "DeD4@wqk".
_AT_AS_ZERO = re.compile(r"(?<=[A-Za-z0-9:])@(?=[A-Za-z0-9:]|$)(?!\S*\.)|(?<=\d)@(?=\.\d)"
                         r"|(?<=\d\.)@(?=\.\d)|(?<=\d-)@(?=\d)")  # "203.@.113", "555-@128"


def _fix_ipv6(m: re.Match[str]) -> str:
    cand = m.group()
    fixed = cand.translate(_IPV6_FIX)
    if fixed == cand:
        return cand
    try:
        ipaddress.IPv6Address(fixed)
    except ValueError:
        return cand
    return fixed


_IPV4_SPACED = re.compile(r"(?<![\w.])\d{1,3}(?:\. ?\d{1,3}){3}(?![\w]|\.\d)")
_IPV6_SPACED = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-flIO@]{0,4} ?: ?){3,7}[0-9A-Fa-flIO@]{1,4}(?![\w:])")
# More OCR misreadings of e-mail addresses and URLs (benchmarks/pii_recall.py, 12-22 px):
_DOMAIN_SPLIT = re.compile(r"@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,3}\.( )(?:[a-z]{2}|com|net|org|io|dev|info|app|edu"
                           r"|gov|biz)(?![\w.@-])")  # "northwind. fr"
_CARD_SPLIT = re.compile(r"(?<![\w.-])\d{4}(?:-\d{4}){0,2}( )-\d{4}(?:-\d{4}){0,2}(?![\w-]|[.,]\d)")
_SCHEME_SEMI = re.compile(r"(?i)(?<![A-Za-z0-9])https?;(?= ?/ ?/)")  # "https; //host"
_TLD_HYPHEN = re.compile(  # "jane@example-net": a dot read as a hyphen before the TLD
    r"(?<=@)[A-Za-z0-9]{2,63}-(com|net|org|io|dev|de|fr|ch|uk|nl|es|it|eu|co|ai|app"
    r"|edu|gov|info|biz|us|ca|au|at|be|se|pl|jp)(?![\w.-])")
_SLASH_IN_LOCAL = re.compile(  # "jensen/5@x.de": a 7 read as a slash, in an e-mail's local part
    r"(?<=[A-Za-z0-9])/(?=[A-Za-z0-9._%+-]*@[A-Za-z0-9-]+\.[A-Za-z]{2,})")
_QUERY_DASH = re.compile(  # "?api_key-abc": "=" read as "-" after a secret's parameter name
    r"(?i)[?&](?:api_key|apikey|token|sig)-(?=\w)")
_AMP_AS_GUILLEMET = re.compile(r"(?<=[A-Za-z0-9=])\u00ab(?=[A-Za-z_]{2,20}=)")  # "id=4471«secret="
# "postgres://sofia:zQikrArYFrGémq.example.io": the "@" after a URL's user and password read
# as "é" or "€".
_URL_AT_MISREAD = re.compile(r"(?i)(?<![A-Za-z0-9])[a-z][a-z0-9+.\-]{1,20}://[^\s/@:]{1,40}:"
                             r"[^\s/@]{3,60}?[é€](?=[A-Za-z0-9])")
_TLD_COMMA = re.compile(  # "kenji@globex.com,au": a comma for the dot before a country code
    r"(?<=@)[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.(?:com|net|org|co|ac|gov|edu|or|ne)"
    r",(?=[a-z]{2}(?![\w.@-]))")
_SCHEME = re.compile(r"(?i)(?<![A-Za-z0-9])[a-z][a-z0-9+.\-]{1,20}: ?/ ?/?")
_URL_JOIN_CHARS = "/.:?&=@#%"


_PATH_QUERY = re.compile(r"/[^\t\n]*\?[^\t\n]*=")  # a path and a query, in one cell


def _url_gaps(text: str, pos: int) -> list[int]:
    """Offsets of the single spaces OCR put inside the URL whose scheme ends at ``pos``: a
    space goes when the piece before it ends, or the piece after it starts, with one of
    / . : ? & = @ # %, or when the piece after it goes on with the query (a parameter:
    "447 1&key=...", after a path) (at most 6 of them); a tab only before a path with a
    query ("example.net<tab>/download?page=2")."""
    gaps: list[int] = []
    start0 = pos
    while len(gaps) < 6:
        m = re.compile(r"\S*").match(text, pos)
        end = m.end() if m else pos
        if end >= len(text) or text[end] not in " \t" or end + 1 >= len(text):
            break
        nxt = text[end + 1]
        if nxt.isspace():
            break
        prev = text[end - 1] if end > 0 else ""
        m2 = re.compile(r"\S*").match(text, end + 1)
        nxt_piece = m2.group() if m2 else ""
        if text[end] == "\t" and not _PATH_QUERY.match(text, end + 1):
            break  # a column gap, unless a path and query follow ("host<tab>/a/b?c=d")
        creds = "@" in nxt_piece and "@" not in text[start0:end] and ":" in text[start0:end]
        query = re.match(r"[\w.%\-?]*[&=]", nxt_piece) is not None and "/" in text[start0:end]
        if prev in _URL_JOIN_CHARS or nxt in _URL_JOIN_CHARS or creds or query:
            gaps.append(end)
            pos = end + 1
        else:
            break
    return gaps


_AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+\.\d{1,2}|\d{1,3}(?:\.\d{3})+,\d{1,2}")


def _fix_ipv4_commas(m: re.Match[str]) -> str:
    """Commas OCR read for the dots of an IPv4 address ("75.198,54,16"): at least one dot
    left, and not an amount with thousands separators ("1,200,100.50")."""
    cand = m.group()
    if "." not in cand or _AMOUNT.fullmatch(cand):
        return cand
    return cand.replace(",", ".")


def normalize_ocr(text: str) -> tuple[str, list[int]]:
    """Undo cheap OCR noise.  Returns the normalised text and, for each of its characters,
    the offset of the original character it comes from (plus one final entry, ``len(text)``)."""
    text = _AMP_AS_GUILLEMET.sub("&", text)
    text = text.translate(_CHAR_FIXES)
    text = _SCHEME_SEMI.sub(lambda m: m.group()[:-1] + ":", text)
    text = _HEXISH_FIX.sub(lambda m: "f" if m.group() == "£" else "c", text)
    text = _PIPE_AS_L.sub("l", text)
    drop: set[int] = set()
    for pat in _SPACE_FIXES:
        for m in pat.finditer(text):
            if m.start() > 0 and text[m.start() - 1] == "\n":
                continue
            drop.update(range(m.start(), m.end()))
    for m in _DOMAIN_SPLIT.finditer(text):  # "jo@northwind. fr": a space after the dot
        drop.add(m.start(1))
    for m in _CARD_SPLIT.finditer(text):  # "4248-3351 -5689-6981": four groups of four
        if m.group().count("-") == 3:
            drop.add(m.start(1))
    for m in _SCHEME.finditer(text):
        drop.update(m.start() + i for i, c in enumerate(m.group()) if c == " ")
        drop.update(_url_gaps(text, m.end()))
    for m in _IPV4_SPACED.finditer(text):
        if m.group().count(".") == 3:
            drop.update(m.start() + i for i, c in enumerate(m.group()) if c == " ")
    for m in _IPV6_SPACED.finditer(text):
        if " " in m.group():
            drop.update(m.start() + i for i, c in enumerate(m.group()) if c == " ")
    if drop:
        out: list[str] = []
        index: list[int] = []
        for i, ch in enumerate(text):
            if i in drop and ch != "\n":
                continue
            out.append(ch)
            index.append(i)
        index.append(len(text))
        norm = "".join(out)
    else:
        norm, index = text, list(range(len(text) + 1))
    # Length-preserving fixes last, on the joined text.
    norm = _HEXISH_FIX.sub(lambda m: "f" if m.group() == "£" else "c", norm)
    norm = _POUND_AS_F.sub("f", norm)
    norm = _IPV6_NOISY.sub(_fix_ipv6, norm)
    norm = _TLD_COMMA.sub(lambda m: m.group()[:-1] + ".", norm)
    norm = _TLD_HYPHEN.sub(lambda m: m.group()[:-len(m.group(1)) - 1] + "." + m.group(1), norm)
    norm = _URL_AT_MISREAD.sub(lambda m: m.group()[:-1] + "@", norm)
    norm = _AT_AS_ZERO.sub("0", norm)
    norm = _SLASH_IN_LOCAL.sub("7", norm)
    norm = _QUERY_DASH.sub(lambda m: m.group()[:-1] + "=", norm)
    norm = _IPV4_COMMA.sub(_fix_ipv4_commas, norm)
    return norm, index


_TOKEN = re.compile(r"[^\s]+")
_AS_DIGIT = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1",
                           "i": "1", "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "G": "6",
                           "b": "6", "T": "7", "g": "9", "q": "9"})
_CONFUSABLE = frozenset("OoDQIl|iZzSsBGbTgq")


def _digit_share(tok: str) -> tuple[int, int]:
    alnum = [c for c in tok if c.isalnum() or c == "|"]
    return sum(c.isdigit() for c in alnum), len(alnum)


def fix_digits(text: str) -> str:
    """Letters that OCR reads for digits (O/0, I/l/1, S/5, B/8, G/6...) turned back into
    digits in tokens that are half digits already (and 3 digits or more), and in
    short tokens made only of such letters and digits next to such a token ("01 62 BO 77").
    Same length as ``text``."""
    toks = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    heavy = []
    for _, _, tok in toks:
        d, n = _digit_share(tok)
        heavy.append(n > 0 and d >= 2 and d >= 0.6 * n)
    out = list(text)
    for i, (s, e, tok) in enumerate(toks):
        d, n = _digit_share(tok)
        if n == 0 or d == n:
            continue
        letters = [c for c in tok if c.isalpha() or c == "|"]
        fix = d >= 3 and d >= 0.5 * n
        if not fix and n <= 4 and all(c in _CONFUSABLE for c in letters):
            prev_ok = i > 0 and toks[i - 1][1] == s - 1 and text[s - 1] == " " and heavy[i - 1]
            next_ok = (i + 1 < len(toks) and toks[i + 1][0] == e + 1 and text[e] == " "
                       and heavy[i + 1])
            fix = prev_ok or next_ok
        if fix:
            out[s:e] = tok.translate(_AS_DIGIT)
    return "".join(out)


# -- recognizers ---------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,24}(?![\w-])")

# Phone numbers.  International: "+" and 8-15 digits in groups.  North American: area code
# and exchange starting with 2-9, separators required.  Other national numbers: a trunk "0"
# and 9-12 digits with at least one separator.  Bare digit runs only after a phone label.
_PHONE_INTL = re.compile(
    r"(?<![\w.+])\+\s?\d{1,3}(?:[ .\-]?(?:\(0\)|\(\d{1,5}\)|\d{1,6})){1,7}(?![\w])")
_PHONE_NANP = re.compile(
    r"(?<![\w+.\-/])(?:1[ .\-])?(?:\(([2-9]\d\d)\)\s?|([2-9]\d\d)[ .\-])([2-9]\d\d)[ .\-](\d{4})(?![\w\-])")
_PHONE_NATIONAL = re.compile(
    r"(?<![\w+.\-/])\(?0\d{1,4}\)?(?:[ \-/]\d{2,8})(?:[ \-]\d{2,8}){0,4}(?![\w\-/])")
_PHONE_LABELLED = re.compile(
    r"(?i)\b(?:phone|tel(?:ephone)?|mobile|cell|fax|call|whatsapp|sms)\b[^\n\d+]{0,12}"
    r"(\+?\d[\d ./\-()]{6,18}\d)")

_CARD = re.compile(r"(?<![\w\-.,/])\d(?:[ \-]?\d){12,48}(?![\w\-]|[.,/]\d)")
_CARD_NOISY = re.compile(r"(?<![\w\-.,/])[\dOoIl|](?:[ \-]?[\dOoIl|]){12,48}(?![\w\-]|[.,/]\d)")
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})

_IBAN = re.compile(r"(?<![A-Za-z0-9])(?=([A-Z0-9]{2}[0-9OISZBGDT]{2}(?: ?[A-Z0-9!|\])]){11,31}))")
# The country code's first letter lost by OCR ("E08 AIBK 4414 ..." for "IE08 AIBK 4414 ..."):
# a first group of three.
_IBAN_CUT = re.compile(r"(?<![A-Za-z0-9])(?=([A-Z][0-9]{2} [A-Z0-9]{4}(?: ?[A-Z0-9]){7,27}))")
_IBAN_BY_SECOND = _by_second_letter()

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.])({_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET})(?![\w\-]|\.\d)")
_ADDRESS_BEFORE = re.compile(r"(?i)\b(?:url|dsn|inet|addr|address|host|server|ip|peer|"
                             r"gateway|dns|UP)\W{0,3}$")
_ADDRESS_AFTER = re.compile(r"/\d{1,2}\b|:\d{2,5}\b")
_IPV4_SHAPE = re.compile(r"(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w\-]|\.\d)")
_VERSION_BEFORE = re.compile(r"(?i)\b(?:v|version|ver\.?|build|release)\s*$")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|"
                   rf"{_OCTET}(?:\.{_OCTET}){{3}})?(?![\w:])")

# Groups joined by colons, OCR'd with ";" for ":", "?" or "!" for a last "7"/"1", and a
# tab next to a colon where "::" left a wide gap ("8d14:\t:1e8b", "ba8b:\tTaf :d137").
_IPV6_LOOSE = re.compile(r"(?<![\w:.])[0-9A-Za-z@£¢€]{1,5}[?!]?"
                         r"(?:(?:[ \t]?[:;]){1,2}[ \t]?[0-9A-Za-z@£¢€]{1,5}[?!]?){4,7}(?![\w:])")
_AWS_NOISY = re.compile(r"(?<![A-Za-z0-9])A(?:[KS]A?[IT1lL]{1,2}A|[KS]1A)(?: ?[A-Z0-9)\]|]){14,18}"
                        r"[a-z]?(?![A-Za-z0-9])")  # "AKAIA...", "...B6OXx": a doubled glyph
_SSN = re.compile(r"(?<![\w\-])(\d{3})([\- ])(\d{2})\2(\d{4})(?![\w\-]|[.,]\d)")
_SSN_JOINED = re.compile(r"(?<![\w\-.,/])\d{3} \d{6}(?![\w\-]|[.,/]\d)")
_SSN_LABELLED = re.compile(r"(?i)\b(?:ssn|social security(?: n(?:o|umber)\.?)?|itin|tin)\b"
                           r"[^\n\d]{0,10}(\d{9})\b")
_NINO = re.compile(r"(?<![A-Za-z0-9])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\s?(\d{2})\s?(\d{2})\s?"
                   r"(\d{2})\s?([A-D])(?![A-Za-z0-9])")
_NINO_NOISY = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9|\])]{2}) ?((?:[0-9OoIlSZBG] ?){6,7})"
                         r"([A-Da-d])(?![A-Za-z0-9])")
# The suffix letter read as a look-alike ("4" for A, "8" for B, "€" for C) or lost: only in
# the spaced form "AB 12 34 56", where the digits cannot be read otherwise.
_NINO_TAIL = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z\])]|[|\]][A-Za-z]) (\d\d) ?(\d\d) ?(\d\d)[ .]?"
                        r"(?:([48€])|(?=[\t\n]|$))(?![A-Za-z0-9€])")
_NINO_SUFFIX = {"4": "A", "8": "B", "€": "C"}
_NINO_BAD_PREFIX = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
_SIN = re.compile(r"(?<![\w\-])(\d{3})([\- ])(\d{3})\2(\d{3})(?![\w\-])")
_SIN_CONTEXT = re.compile(r"(?i)\b(?:sin|social insurance)\b[^\n]{0,20}$")
_DNI = re.compile(r"(?<![\w\-])([XYZ]?)(\d{7,8})-?([A-Z])(?![\w\-])")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_CODICE_FISCALE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{6}\d{2}[ABCDEHLMPRST]\d{2}[A-Z]\d{3}[A-Z](?![A-Za-z0-9])")

_TOKENS: list[tuple[re.Pattern[str], str, float]] = [
    (re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)"
                r"[A-Z0-9]{14,18}(?![A-Za-z0-9])"), "AWS access key id", 0.95),
    (re.compile(r"(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{30,40}(?![A-Za-z0-9])"),
     "GitHub token", 0.98),
    (re.compile(r"(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{20,100}"), "GitHub token", 0.98),
    (re.compile(r"(?<![A-Za-z0-9])sk-(?: ?(?:proj|svcacct|admin|ant) ?-(?:api\d\d-)?)? ?"
                r"[A-Za-z0-9_\-]{12,200}"), "OpenAI-style secret key", 0.95),
    (re.compile(r"(?<![A-Za-z0-9])[rsp]k_(?:live|test)_[A-Za-z0-9]{16,120}"), "Stripe key", 0.95),
    (re.compile(r"(?<![A-Za-z0-9])[xX][oO0][xX][abposrABPOSR](?: ?-[-~]* ?[A-Za-z0-9]{1,64}){2,6}"),
     "Slack token", 0.97),
    (re.compile(r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_\-]{35}"), "Google API key", 0.95),
    (re.compile(r"(?<![A-Za-z0-9])glpat-[0-9A-Za-z_\-]{20}"), "GitLab token", 0.95),
    (re.compile(r"(?<![A-Za-z0-9])(?:npm_[A-Za-z0-9]{36}|pypi-[A-Za-z0-9_\-]{50,})"),
     "package registry token", 0.95),
    (re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/]+"), "Slack webhook", 0.95),
]
_JWT = re.compile(r"(?<![A-Za-z0-9_\-])ey[JIl1\]] ?[A-Za-z0-9_\-]{6,}\s?\.\s?ey[JIl1\]] ?[A-Za-z0-9_\-]{6,}"
                  r"(?:\s?\.\s?[A-Za-z0-9_\-]{4,})?")
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----"
                          r"(?:[\s\S]{0,8000}?-----END (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----)?")
_RANDOM_RUN = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")
_CREDENTIAL = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:password|passwd|passphrase|pwd|secret|token|api[_\- ]?key|apikey|"
    r"access[_\- ]?key|secret[_\- ]?key|private[_\- ]?key|client[_\- ]?secret|auth[_\- ]?token|"
    r"bearer|credentials?|pin)(?:[_\- ]?(?:id|value))?[\"']?\s*(?:[:=]|=>|\s(?=[A-Za-z0-9_\-]{16,}))\s*[\"']?"
    r"(?P<value>[^\s\"',;]{6,})")
_MASKED = re.compile(r"[*•●·xX#.\-]+")
_URL = re.compile(r"(?i)\b[a-z][a-z0-9+.\-]{1,20}:/{1,2}[^\s<>\"'`]+")
# A secret's parameter glued to the value before it: OCR dropped or misread the "&"
# ("page=2Gapi_key=...", "id=4471l«secret=..."), or read "=" as "#" (then the value must
# mix digits and capitals: not a page anchor).  Only names that are secrets whatever their
# position, and a value of 8 characters or more.
_TOKEN_PARAMS_GLUED = re.compile(
    r"(?i)\?\S*?(?:api_?key|access_?token|refresh_?token|auth_?token|private_?token|"
    r"client_?secret|secret|signature|password)"
    r"(?:=[^&\s]{8,}|#(?=[^&\s]*\d)(?=[^&\s]*[A-Z])[^&\s]{8,})")  # "#": a token, no anchor
_URL_CRED = re.compile(r"(?i)^[a-z][a-z0-9+.\-]{1,20}:/{1,2}[^\s/@:]+:[^\s/@]+@")
_TOKEN_PARAMS = re.compile(
    r"(?i)[?&#;](?:access_token|refresh_token|id_token|token|auth|authorization|api_key|apikey|"
    r"key|secret|client_secret|password|pass|pwd|sig|signature|x-amz-signature|"
    r"x-amz-credential|x-amz-security-token|session|sessionid|session_id|sid|code|"
    r"private_token|jwt|hash|otp)=[^&\s#]{4,}")


def _phone_digits(s: str) -> int:
    return sum(c.isdigit() for c in s)


class Detector:
    """All recognizers, configured once (deny-list, kinds) and run on any number of texts."""

    def __init__(self, deny_list: Iterable[str] = (), *, kinds: Sequence[str] | None = None
                 ) -> None:
        self.kinds = frozenset(kinds) if kinds is not None else frozenset(KINDS)
        entries: list[str] = []
        for e in deny_list:
            e = " ".join(str(e).split())
            if not e:
                continue
            entries.append(e)
            # The parts of an address or a "Last, First" name appear on their own too.
            parts = [p.strip() for p in re.split(r"[,;\n]", e) if p.strip()]
            if len(parts) > 1:
                entries += [p for p in parts if len(p) >= 8]
        self.deny_patterns = [p for p in (_deny_pattern(e) for e in dict.fromkeys(entries))
                              if p is not None]

    # -- entry points ---------------------------------------------------------------------
    def detect(self, text: str, *, ocr: bool = False) -> list[Span]:
        """Spans of ``text``, overlaps resolved (see ``resolve``).  ``ocr=True`` applies the
        OCR normalisation first; spans still index the original text."""
        if not text:
            return []
        if ocr:
            norm, index = normalize_ocr(text)
        else:
            norm, index = text, None
        spans = self._detect(norm, ocr=ocr)
        if ocr:
            # Second pass with letters read for digits fixed inside digit-heavy tokens
            # ("BO5-62-4627"); its spans only add where the first pass found nothing.
            fixed = fix_digits(norm)
            if fixed != norm:
                extra = [x for x in self._detect(fixed, ocr=ocr)
                         if not any(x.overlaps(y) for y in spans)]
                spans += [Span(x.start, x.end, x.kind, x.score * 0.9, norm[x.start:x.end],
                               x.reason + " (OCR digits fixed)") for x in extra]
        if index is not None:
            spans = [Span(index[s.start], index[s.end - 1] + 1, s.kind, s.score,
                          text[index[s.start]:index[s.end - 1] + 1], s.reason) for s in spans]
        return resolve(spans)

    # -- implementation -------------------------------------------------------------------
    def _detect(self, text: str, *, ocr: bool) -> list[Span]:
        out: list[Span] = []
        k = self.kinds
        if DENY_LIST in k:
            out += self._deny(text)
        if EMAIL in k:
            out += [Span(m.start(), m.end(), EMAIL, 0.95, m.group(), "e-mail address")
                    for m in _EMAIL.finditer(text)]
        if URL_CREDENTIALS in k or URL_TOKEN in k:
            out += self._urls(text, ocr)
        if CARD in k:
            out += self._cards(text, ocr)
        if IBAN in k:
            out += self._ibans(text)
        if PHONE in k:
            out += self._phones(text)
        if IPV4 in k:
            out += self._ipv4(text, ocr)
        if IPV6 in k:
            out += self._ipv6(text)
        if NATIONAL_ID in k:
            out += self._national_ids(text)
            if ocr:
                out += self._nino_noisy(text) + self._nino_tail(text) + self._ssn_joined(text)
        if IPV6 in k and ocr:
            out += self._ipv6_noisy(text)
        if API_KEY in k and ocr:
            out += [Span(m.start(), m.end(), API_KEY, 0.8, m.group(), "AWS access key id (OCR)")
                    for m in _AWS_NOISY.finditer(text)]
        if API_KEY in k:
            for pat, reason, score in _TOKENS:
                out += [Span(m.start(), m.end(), API_KEY, score, m.group(), reason)
                        for m in pat.finditer(text)]
        if JWT in k:
            out += [Span(m.start(), m.end(), JWT, 0.95, m.group(), "JSON Web Token")
                    for m in _JWT.finditer(text)]
        if PRIVATE_KEY in k:
            out += [Span(m.start(), m.end(), PRIVATE_KEY, 1.0, m.group(), "private key block")
                    for m in _PRIVATE_KEY.finditer(text)]
        if CREDENTIAL in k:
            out += self._credentials(text)
        if SECRET in k:
            out += self._random(text, ocr)
        if ocr:
            out = [self._continue(text, s) for s in out]
        return out

    def _deny(self, text: str) -> list[Span]:
        out = []
        for _entry, pat in self.deny_patterns:
            out += [Span(m.start(), m.end(), DENY_LIST, 1.0, m.group(), "on your deny-list")
                    for m in pat.finditer(text)]
        return out

    def _urls(self, text: str, ocr: bool = False) -> list[Span]:
        out = []
        for m in _URL.finditer(text):
            url = m.group().rstrip(".,;:!?)]}>")
            end = m.start() + len(url)
            if ocr and "?" in url:
                # OCR reads "_" as a space now and then ("&api key=..."): the query may go on
                # in the next pieces.
                end = _take_pieces(_following_pieces(text, end, 4), end)
                url = text[m.start():end]
            joined = url.replace(" ", "")
            if URL_CREDENTIALS in self.kinds and _URL_CRED.match(joined):
                out.append(Span(m.start(), end, URL_CREDENTIALS, 0.95, url,
                                "URL with a user name and password"))
            elif URL_TOKEN in self.kinds and (
                    _TOKEN_PARAMS.search(joined) or (ocr and _TOKEN_PARAMS_GLUED.search(joined))
                    or any(
                    looks_random(v) for v in re.findall(r"=([A-Za-z0-9_\-]{20,})", joined))):
                out.append(Span(m.start(), end, URL_TOKEN, 0.9, url,
                                "URL carrying a token or signature"))
        return out

    def _cards(self, text: str, ocr: bool) -> list[Span]:
        out = []
        seen: set[int] = set()
        pats = [(_CARD, False)] + ([(_CARD_NOISY, True)] if ocr else [])
        for pat, noisy in pats:
            for m in pat.finditer(text):
                raw = m.group()
                if m.start() in seen:
                    continue
                for start, piece in _card_candidates(raw):
                    num = piece.translate(_DIGIT_FIX) if noisy else piece
                    digits = re.sub(r"[ \-]", "", num)
                    if noisy and sum(not c.isdigit() for c in re.sub(r"[ \-]", "", piece)) > 2:
                        continue
                    if _card_ok(piece, digits, ocr):
                        s = m.start() + start
                        seen.add(m.start())
                        out.append(Span(s, s + len(piece), CARD, 0.95 if not noisy else 0.85,
                                        piece, "card number (Luhn-valid)"))
                        break
        return out

    def _ibans(self, text: str) -> list[Span]:
        out = []
        for m in _IBAN.finditer(text):  # every start: a false candidate must not hide one
            raw = m.group(1)
            got = _iban_match(raw)
            if got is not None:
                n, fixed = got
                out.append(Span(m.start(), m.start() + n, IBAN, 0.98 if not fixed else 0.9,
                                raw[:n], "IBAN (mod-97 valid)"))
        for m in _IBAN_CUT.finditer(text):
            # Each country whose code ends with the letter read; the whole IBAN must then
            # pass mod 97 as read (no further fixes: they would multiply the guesses).
            raw = m.group(1)
            for country in _IBAN_BY_SECOND.get(raw[0], ()):
                compact = country[0] + raw.replace(" ", "")
                n = IBAN_LENGTHS[country]
                if len(compact) < n or not iban_valid(compact[:n]) or \
                        not _bban_ok(country, compact[4:n]):
                    continue
                end = _nth_char_end(raw, n - 1)
                if end < len(raw) and raw[end] != " ":
                    continue  # the IBAN must end at a group's end
                out.append(Span(m.start(), m.start() + end, IBAN, 0.85, raw[:end],
                                "IBAN (mod-97 valid, country code cut by OCR)"))
                break
        return out

    def _phones(self, text: str) -> list[Span]:
        out = []
        for m in _PHONE_INTL.finditer(text):
            s = m.start()
            raw = m.group()
            # Drop trailing groups while there are more digits than E.164 allows.
            while _phone_digits(raw) > 15 and re.search(r" \S+$", raw):
                raw = re.sub(r" \S+$", "", raw)
            n = _phone_digits(raw)
            if 8 <= n <= 15 and re.search(r"\d[ .\-()]", raw[1:]) is not None:
                out.append(Span(s, s + len(raw), PHONE, 0.8, raw, "phone number (international)"))
            elif 8 <= n <= 15 and len(raw) >= 10:
                out.append(Span(s, s + len(raw), PHONE, 0.6, raw, "phone number (international)"))
        for m in _PHONE_NANP.finditer(text):
            out.append(Span(m.start(), m.end(), PHONE, 0.75, m.group(), "phone number (North America)"))
        for m in _PHONE_NATIONAL.finditer(text):
            raw = m.group()
            # Part of a longer run of digit groups (an account number...): not a phone.
            before = text[max(0, m.start() - 2):m.start()]
            if _phone_digits(raw) > 12 or re.search(r"\d[ \-]$", before):
                continue
            n = _phone_digits(raw)
            if 9 <= n <= 12 and re.search(r"[ \-/]", raw) and not _DATE_LIKE.fullmatch(raw):
                out.append(Span(m.start(), m.start() + len(raw), PHONE, 0.65, raw,
                                "phone number (national)"))
        for m in _PHONE_LABELLED.finditer(text):
            n = _phone_digits(m.group(1))
            if 7 <= n <= 15:
                out.append(Span(m.start(1), m.end(1), PHONE, 0.6, m.group(1),
                                "number after a phone label"))
        return out

    def _ipv4(self, text: str, ocr: bool = False) -> list[Span]:
        out = []
        for m in _IPV4.finditer(text):
            before = text[max(0, m.start() - 10):m.start()]
            if _VERSION_BEFORE.search(before):
                continue
            out.append(Span(m.start(), m.end(), IPV4, 0.85, m.group(), "IPv4 address"))
        if ocr:
            # One octet over 255 where the context says address (a label such as "url:",
            # "inet", "server" before it, a prefix length or a port after it): OCR read a 0
            # as 6 or 8 ("inet 263.8.113.87/24").  Bare, it may be any number.
            for m in _IPV4_SHAPE.finditer(text):
                if sum(int(o) > 255 for o in m.group().split(".")) != 1:
                    continue
                if not (_ADDRESS_BEFORE.search(text[max(0, m.start() - 16):m.start()])
                        or _ADDRESS_AFTER.match(text, m.end())):
                    continue
                out.append(Span(m.start(), m.end(), IPV4, 0.6, m.group(), "IPv4 address (OCR)"))
        return out

    def _ipv6(self, text: str) -> list[Span]:
        out = []
        for m in _IPV6.finditer(text):
            cand = m.group()
            if cand.count(":") < 2 or sum(c not in ":" for c in cand) < 4:
                continue
            try:
                ipaddress.IPv6Address(cand)
            except ValueError:
                continue
            out.append(Span(m.start(), m.end(), IPV6, 0.85, cand, "IPv6 address"))
        return out

    def _nino_noisy(self, text: str) -> list[Span]:
        """UK NI numbers with letters and digits confused by OCR ("2K114212D", "JWO0 72 17A")."""
        out = []
        for m in _NINO_NOISY.finditer(text):
            pre = _nino_prefix(m.group(1))
            digits = "".join(_AS_NUMBER.get(c.upper(), c) for c in m.group(2).replace(" ", ""))
            if not (pre.isalpha() and digits.isdigit()) or pre in _NINO_BAD_PREFIX:
                continue
            # Seven: OCR read a character twice or a gap as one ("AB 05 99 334A",
            # "JWOO72Z17A"); the rest must still be a valid number.
            # (A clean run of seven digits, "AB1234567C", is some other code: not taken.)
            if len(digits) == 7 and m.group(2).replace(" ", "").isdigit() and \
                    " " not in m.group(2).strip():
                continue
            tries = [digits] if len(digits) == 6 else [digits[:k] + digits[k + 1:]
                                                       for k in range(len(digits))]
            if not any(_NINO.fullmatch(pre + d + m.group(3).upper()) for d in tries):
                continue
            out.append(Span(m.start(), m.end(), NATIONAL_ID, 0.7, m.group(),
                            "UK National Insurance number (OCR)"))
        return out

    def _ssn_joined(self, text: str) -> list[Span]:
        """US SSNs in the spaced form with one space lost by OCR ("191 145391"), valid area,
        group and serial."""
        out = []
        for m in _SSN_JOINED.finditer(text):
            digits = m.group().replace(" ", "")
            area, group, serial = int(digits[:3]), int(digits[3:5]), int(digits[5:])
            if area in (0, 666) or area >= 900 or group == 0 or serial == 0 or \
                    digits in _SSN_INVALID:
                continue
            out.append(Span(m.start(), m.end(), NATIONAL_ID, 0.55, m.group(),
                            "US social security number (OCR)"))
        return out

    def _nino_tail(self, text: str) -> list[Span]:
        """UK NI numbers in the spaced form whose suffix letter OCR read as a digit or lost
        ("RP 01 42 728", "AN 69 92 44")."""
        out = []
        for m in _NINO_TAIL.finditer(text):
            suffix = _NINO_SUFFIX[m.group(5)] if m.group(5) else "A"  # any valid letter
            pre = _nino_prefix(m.group(1))
            if pre in _NINO_BAD_PREFIX or not _NINO.fullmatch(
                    pre + m.group(2) + m.group(3) + m.group(4) + suffix):
                continue
            out.append(Span(m.start(), m.end(), NATIONAL_ID, 0.6, m.group(),
                            "UK National Insurance number (OCR, suffix misread)"))
        return out

    def _ipv6_noisy(self, text: str) -> list[Span]:
        """IPv6-looking runs that OCR damaged (a dotted zero read as 6, G or @): five or more
        groups of 1-4 characters joined by colons (three at least; the others may be read
        as ";"), 80 % of the characters hexadecimal."""
        out = []
        for m in _IPV6_LOOSE.finditer(text):
            cand = m.group()
            groups = [g for g in re.split(r"[\s:;]+", cand) if g]
            body = "".join(groups)
            if len(groups) < 5 or not any(c.isdigit() for c in body) or cand.count(":") < 3:
                continue
            if sum(c in "0123456789abcdefABCDEF" for c in body) < 0.8 * len(body):
                continue
            out.append(Span(m.start(), m.end(), IPV6, 0.6, cand, "IPv6-like address (OCR)"))
        return out

    def _national_ids(self, text: str) -> list[Span]:
        out = []
        for m in _SSN.finditer(text):
            area, group, serial = int(m.group(1)), int(m.group(3)), int(m.group(4))
            if area == 0 or area == 666 or group == 0 or serial == 0:
                continue
            if m.group(1) + m.group(3) + m.group(4) in _SSN_INVALID:
                continue
            if area >= 900:
                g = int(m.group(3))
                if 50 <= g <= 65 or 70 <= g <= 88 or 90 <= g <= 92 or 94 <= g <= 99:
                    out.append(Span(m.start(), m.end(), NATIONAL_ID, 0.75, m.group(), "US ITIN"))
                continue
            out.append(Span(m.start(), m.end(), NATIONAL_ID, 0.8 if m.group(2) == "-" else 0.65,
                            m.group(), "US social security number"))
        for m in _SSN_LABELLED.finditer(text):
            d = m.group(1)
            if d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000":
                out.append(Span(m.start(1), m.end(1), NATIONAL_ID, 0.7, d,
                                "US social security number (labelled)"))
        for m in _NINO.finditer(text):
            if m.group(1) in _NINO_BAD_PREFIX:
                continue
            out.append(Span(m.start(), m.end(), NATIONAL_ID, 0.85, m.group(),
                            "UK National Insurance number"))
        for m in _SIN.finditer(text):
            digits = m.group(1) + m.group(3) + m.group(4)
            if digits[0] not in "08" and luhn_valid(digits) and \
                    _SIN_CONTEXT.search(text[max(0, m.start() - 30):m.start()]):
                out.append(Span(m.start(), m.end(), NATIONAL_ID, 0.8, m.group(),
                                "Canadian social insurance number"))
        for m in _DNI.finditer(text):
            prefix, num, letter = m.groups()
            n = int(str("XYZ".index(prefix)) + num) if prefix else int(num)
            if (prefix or len(num) == 8) and _DNI_LETTERS[n % 23] == letter:
                out.append(Span(m.start(), m.end(), NATIONAL_ID, 0.85, m.group(),
                                "Spanish DNI/NIE"))
        for m in _CODICE_FISCALE.finditer(text):
            out.append(Span(m.start(), m.end(), NATIONAL_ID, 0.85, m.group(),
                            "Italian codice fiscale"))
        return out

    def _credentials(self, text: str) -> list[Span]:
        out = []
        for m in _CREDENTIAL.finditer(text):
            value = m.group("value").rstrip(".")
            if _MASKED.fullmatch(value) or value.lower() in _NOT_SECRETS:
                continue
            if len(value) < 6:
                continue
            s = m.start("value")
            out.append(Span(s, s + len(value), CREDENTIAL, 0.7, value,
                            "value after a password/key/token label"))
        return out

    def _random(self, text: str, ocr: bool = False) -> list[Span]:
        out = []
        if ocr:
            # A random string that OCR split with spaces: runs of pieces that each look
            # random (see ``_piece_kind``), joined, checked as one.
            run: list[re.Match[str]] = []
            for m in [*_PIECE.finditer(text), None]:
                ok = m is not None and _piece_kind(m.group()) == "strong" and \
                    _TOKEN_CHARS.fullmatch(m.group().rstrip(".,;:)")) is not None
                if ok and run and m.start() == run[-1].end() + 1 and text[run[-1].end()] == " ":
                    run.append(m)
                    continue
                if len(run) >= 2:
                    joined = "".join(r.group() for r in run).rstrip(".,;:)").strip("=_-/+")
                    if looks_random(joined):
                        a, b = run[0].start(), run[-1].end()
                        out.append(Span(a, b, SECRET, 0.55, text[a:b],
                                        "high-entropy string (split by OCR)"))
                run = [m] if ok and m is not None else []
        for m in _UPPER_RUN.finditer(text):
            tok = m.group()
            if looks_random_upper(tok):
                out.append(Span(m.start(), m.end(), SECRET, 0.5, tok,
                                "random-looking upper-case key"))
        for m in _RANDOM_RUN.finditer(text):
            tok = m.group()
            s = m.start()
            # Trim separators at the ends ("KEY=abc..." keeps "abc...").
            lead = re.match(r"^[A-Za-z][A-Za-z0-9_\-]*[=:]|^[=_\-/+]+", tok)
            if lead and len(tok) - lead.end() >= 20:
                s += lead.end()
                tok = tok[lead.end():]
            tok_r = tok.rstrip("=_-/+")
            if looks_random(tok_r):
                out.append(Span(s, s + len(tok_r), SECRET, 0.6, tok_r, "high-entropy string"))
        return out

    def _continue(self, text: str, span: Span) -> Span:
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
            end = _take_pieces(_following_pieces(text, end, 6), end)
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
        pieces = []
        pos = end
        while len(pieces) < 12:
            m = _NEXT_PIECE.match(text, pos)
            if not m:
                break
            pieces.append((m.group(1), m.end(1)))
            pos = m.end(1)
        end = _take_pieces(pieces, end)
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
        start = _take_pieces(pieces, start)
        if (start, end) == (span.start, span.end):
            return span
        return Span(start, end, span.kind, span.score, text[start:end], span.reason)


_NEXT_PIECE = re.compile(r" (\S+)")
_TAIL_FRAGMENT = re.compile(r" [B-DF-HJ-NP-TV-XZb-df-hj-np-tv-xz]{1,4}(?=[\t\n]|$)")
_PREV_PIECE = re.compile(r"(?:^|(?<=[\s]))(\S+) $")
_PUNCT = ".,;:!?()[]{}<>\"'`"


def _piece_kind(piece: str) -> str:
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


def _following_pieces(text: str, pos: int, limit: int) -> list[tuple[str, int]]:
    """Up to ``limit`` pieces (text, end) that follow ``pos``, for ``_take_pieces``."""
    pieces: list[tuple[str, int]] = []
    while len(pieces) < limit:
        m = _NEXT_PIECE.match(text, pos)
        if not m:
            break
        pieces.append((m.group(1), m.end(1)))
        pos = m.end(1)
    return pieces


def _take_pieces(pieces: list[tuple[str, int]], edge: int) -> int:
    weak = 0
    for piece, pos in pieces:
        kind = _piece_kind(piece)
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


_DATE_LIKE = re.compile(r"\(?0\d{1,2}\)?[ \-/]\d{1,2}[ \-/]\d{2,4}")
_SSN_INVALID = {"078051120", "219099999", "123456789"}
_NOT_SECRETS = {"required", "optional", "none", "null", "true", "false", "hidden", "enabled",
                "disabled", "changed", "expired", "invalid", "missing", "redacted",
                "<redacted>", "<masked>", "********"}


def _card_candidates(raw: str) -> list[tuple[int, str]]:
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


def _card_ok(piece: str, digits: str, noisy: bool = False) -> bool:
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
_AS_NUMBER = {"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "]": "1", "|": "1", "!": "1",
              "Z": "2", "S": "5", "G": "6", "T": "7", "B": "8", "A": "4"}
_TWINS = {"O": "0", "0": "O", "I": "1", "1": "I", "S": "5", "5": "S", "Z": "2", "2": "Z",
          "B": "8", "8": "B", "G": "6", "6": "G"}
# Further readings of a character that OCR confuses with more than one other (measured on
# benchmarks/pii_recall.py: "9NI7" read "SNI7", "UN9S" read "UNSS" at 14 px).
_MORE_TWINS = {"S": "9", "9": "S"}
_DIGIT_LOOKALIKES = {"3": "8", "8": "360", "6": "85", "5": "6", "1": "7", "7": "1", "0": "8"}


def _expand_format(fmt: str) -> str:
    return "".join(cls * int(n) for n, cls in re.findall(r"(\d+)([nac])", fmt))


def _iban_fix(cand: str) -> str | None:
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
    check = "".join(_AS_NUMBER.get(c, c) for c in cand[2:4])
    if not check.isdigit():
        return None
    body = list(cand[4:])
    classes = _expand_format(fmt) if fmt else "c" * len(body)
    if len(classes) != len(body):
        return None
    amb: list[int] = []
    for i, (ch, cls) in enumerate(zip(body, classes, strict=True)):
        if cls == "n":
            body[i] = _AS_NUMBER.get(ch, ch)
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
    from itertools import combinations

    for k in (1, 2, 3):
        for combo in combinations(amb, k):
            if len({i for i, _ in combo}) < k:
                continue  # two readings of one position
            alt = list(base)
            for i, c in combo:
                alt[i] = c
            if iban_valid(head + "".join(alt)):
                return head + "".join(alt)
    # Last, one digit misread as a similar one ("...996288" for "...996283"): mod 97 catches
    # every single substitution, so exactly one change that validates is taken.
    for i, ch in enumerate(base):
        for c in _DIGIT_LOOKALIKES.get(ch, ""):
            alt = base[:i] + c + base[i + 1:]
            if iban_valid(head + alt):
                return head + alt
    return None


def _bban_ok(country: str, bban: str) -> bool:
    """``bban`` has the letters and digits where the country's format puts them."""
    fmt = _BBAN_FORMATS.get(country)
    if not fmt:
        return True
    classes = _expand_format(fmt)
    return len(classes) == len(bban) and all(
        (c.isdigit() if k == "n" else c.isalpha() if k == "a" else c.isalnum())
        for c, k in zip(bban, classes, strict=True))


def _nino_prefix(raw: str) -> str:
    """The two letters of an NI number's prefix as OCR read them ("K]", "M)", "|W")."""
    pre = "".join(_AS_LETTER.get(c, c) for c in raw.upper().replace(")", "J"))
    if pre[:1] == "I":  # no prefix starts with I: a J read as | or I
        pre = "J" + pre[1:]
    return pre


def _nth_char_end(raw: str, n: int) -> int:
    """The offset in ``raw`` just after its ``n``-th character that is not a space."""
    seen = 0
    for i, ch in enumerate(raw):
        if ch != " ":
            seen += 1
            if seen == n:
                return i + 1
    return len(raw)


def _iban_match(raw: str) -> tuple[int, bool] | None:
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
    # The cut must fall at the end of a group, not inside one.
    if not (end < len(raw) and raw[end] != " "):
        cand = s[:n]
        if iban_valid(cand):
            return end, False
        if _iban_fix(cand) is not None:
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
            if iban_valid(alt) or _iban_fix(alt) is not None:
                return end, True
    return None


def _deny_pattern(entry: str) -> tuple[str, re.Pattern[str]] | None:
    """Case-insensitive and whitespace-tolerant: any run of spaces or punctuation between the
    entry's words matches any other (or none), OCR may split a word with a space, and l/I/1
    and o/O/0 are interchangeable in entries of 6 characters or more."""
    entry = " ".join(entry.split())
    words = [w for w in re.split(r"[\s,;]+", entry) if w]
    if not words or len(entry) < 3:
        return None
    fuzzy = len(entry) >= 6

    def char(c: str) -> str:
        if fuzzy and c in "lI1|":
            return "[lI1|]"
        if fuzzy and c in "oO0":
            return "[oO0]"
        return re.escape(c)

    parts = [r"\s?".join(char(c) for c in w) for w in words]
    body = r"[\s,;.\-]*".join(parts)
    pre = r"(?<![A-Za-z0-9])" if entry[0].isalnum() else ""
    post = r"(?![A-Za-z0-9])" if entry[-1].isalnum() else ""
    return entry, re.compile(pre + body + post, re.IGNORECASE)


def resolve(spans: list[Span]) -> list[Span]:
    """Sorted by start; exact duplicates and spans inside a longer (or equal, higher-scored)
    span dropped.  Partial overlaps are kept: both are suggested."""
    spans = sorted(set(spans), key=lambda s: (s.start, -(s.end - s.start), -s.score))
    out: list[Span] = []
    reach: Span | None = None  # the kept span that ends furthest
    for s in spans:
        if reach is not None and s.end <= reach.end:
            continue  # inside ``reach`` (which starts at or before it)
        out.append(s)
        reach = s
    return out


def detect(text: str, deny_list: Iterable[str] = (), *, ocr: bool = False) -> list[Span]:
    """Detect with every recognizer (a new :class:`Detector` each call: keep one to reuse)."""
    return Detector(deny_list).detect(text, ocr=ocr)
