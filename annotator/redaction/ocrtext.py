"""Cheap, measured tolerance of OCR noise (benchmarks/pii_recall.py), before the detectors.

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
"""

from __future__ import annotations

import ipaddress
import re

_SPACE_FIXES = [
    re.compile(r"(?<=[A-Za-z0-9._%+-])\s(?=@ ?[A-Za-z0-9])"),  # "jane.doe @example.com"
    re.compile(r"(?<=[A-Za-z0-9._%+-]@)\s(?=[A-Za-z0-9])"),  # "jane.doe@ example.com"
    re.compile(r"(?<=[A-Za-z0-9._%+-] @)\s(?=[A-Za-z0-9])"),  # "jane.doe @ example.com"
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
_SCHEME_SPACED = re.compile(r"(?i)(?<![A-Za-z0-9])[a-z][a-z0-9+.\-]{1,20}( ?):( ?)//")
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
    for m in _SCHEME_SPACED.finditer(text):  # "redis : //admin": spaces around the colon
        drop.update(i for i in (m.start(1), m.start(2)) if m.group(1 if i == m.start(1) else 2))
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
    # Not a URL's "user:password@host" (a host without a dot: "redis://u:pw@cache:6379").
    norm = _AT_AS_ZERO.sub(
        lambda m: "@" if "://" in norm[norm.rfind(" ", 0, m.start()) + 1:m.start()] else "0",
        norm)
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
