"""Detectors of personal data and secrets in text: OCR'd screen text, typed text, window titles.

Every detector is a recognizer written here (no model, no download, no network).  Each one
returns :class:`Span` objects (character offsets into the text it was given, a kind, a score,
the matched text and a short reason).  Validated kinds (Luhn-checked cards, mod-97-checked
IBANs, vendor token prefixes, the contributor's deny-list) score 0.9 or more; pattern-only
kinds (phone numbers, national ids) 0.6-0.85; the high-entropy fallback 0.6.  Redaction
suggests every span whatever its score: a label is a hint, never a reason to leave a span out
(privacy.md section 1, "entity labels are unreliable").

The module's helpers: ``spans`` (the Span type and kinds), ``ocrtext`` (OCR noise undone
before detection), ``validators`` (checksums, card ranges, randomness), ``pieces`` (tokens
that OCR split, joined back).

What is not detected: names, postal addresses and organisations (no offline NER): only the
contributor's own deny-list covers them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence

from annotator.redaction.deny_misread import entries_words, near_matches
from annotator.redaction.ocrtext import fix_digits, normalize_ocr
from annotator.redaction.pieces import (
    continue_grouped,
    continue_span,
    following_pieces,
    piece_kind,
    take_pieces,
)
from annotator.redaction.spans import (
    API_KEY,
    CARD,
    CREDENTIAL,
    DENY_LIST,
    EMAIL,
    IBAN,
    IPV4,
    IPV6,
    JWT,
    KINDS,
    NATIONAL_ID,
    PHONE,
    PRIVATE_KEY,
    SECRET,
    URL_CREDENTIALS,
    URL_TOKEN,
    Span,
    resolve,
)
from annotator.redaction.validators import (
    AS_NUMBER,
    IBAN_LENGTHS,
    bban_ok,
    by_second_letter,
    card_candidates,
    card_ok,
    iban_match,
    iban_valid,
    looks_random,
    looks_random_upper,
    luhn_valid,
    nino_prefix,
    nth_char_end,
)

__all__ = ["KINDS", "Detector", "Span", "detect", "iban_valid", "looks_random", "luhn_valid",
           "normalize_ocr", "resolve"]

_PIECE = re.compile(r"[^\s]+")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9+/=_\-]{3,}")
_UPPER_RUN = re.compile(r"(?<![A-Za-z0-9_\-])[A-Z0-9]{16,64}(?![A-Za-z0-9_\-])")

# -- recognizers ---------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,24}(?![\w-])")
# An e-mail address as OCR garbles one at 12-19 px: a space, a stray mark or a misread
# character where a dot was ("acme-cor>.io", "initech dev!", "mail:example.com",
# "acme-corp-io"), a space beside the "@".  The shape that stays is a local part, "@", a
# domain and a further piece after a separator; a shell prompt's "dev@build-01:~/app$"
# (a host, then ":~") is not it.
_EMAIL_OCR = re.compile(
    r"(?<![\w.%+])[\w|-][\w.%+|~-]{0,63}(?: ?[.+] ?[\w.%+|~-]+)* ?@ ?(?:"
    r"[A-Za-z0-9][\w-]*(?: [A-Za-z]{2,4}(?!\w)|(?:(?: ?[.,] ?|[:;>?!|]{1,2}\.?)[A-Za-z0-9][\w-]*)+)"
    r"|[A-Za-z0-9][\w-]*-[A-Za-z]{2,4}(?![\w-]))")

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
_IBAN_BY_SECOND = by_second_letter()
# An IBAN-shaped value right after an "IBAN" label, as OCR read it: a country's code, then
# groups of letters and digits.
_IBAN_LABELLED = re.compile(
    r"\bIBAN\b[ \t]*[:=#]?[ \t]*([A-Z]{2}[0-9OISZBGDT]{2}(?: ?[A-Z0-9]){8,31})(?![A-Za-z0-9])")

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
# A spaced SSN as OCR reads it: one space lost ("191 145391"), or either space read as a
# dot or a comma, a colon after the first group ("100 33.8768", "672: 65.4292", "045.51 9924").
_SSN_JOINED = re.compile(r"(?<![\w\-.,/])\d{3}(?: \d{6}|:? \d{2}[.,]\d{4}|[.,]\d{2} \d{4})"
                         r"(?![\w\-]|[.,/]\d)")
_SSN_LABELLED = re.compile(r"(?i)\b(?:ssn|social security(?: n(?:o|umber)\.?)?|itin|tin)\b"
                           r"[^\n\d]{0,10}(\d{9})\b")
_NINO = re.compile(r"(?<![A-Za-z0-9])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\s?(\d{2})\s?(\d{2})\s?"
                   r"(\d{2})\s?([A-D])(?![A-Za-z0-9])")
# A space between its groups read as a dot or a comma ("TH 5215.48 C").
_NINO_NOISY = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9|\])]{2}) ?((?:[0-9OoIlSZBG][ .,]?){6,7})"
                         r"([A-Da-d€¢©])(?![A-Za-z0-9])")  # € ¢ ©: a C misread
# The suffix letter read as a look-alike ("4" for A, "8" for B, "€" for C) or lost: only in
# the spaced form "AB 12 34 56", where the digits cannot be read otherwise.
_NINO_TAIL = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z\])]|[|\]][A-Za-z]) (\d\d) ?(\d\d) ?(\d\d)[ .]?"
                        r"(?:([48€¢©])[a-d]?['’]?|(?=[\t\n]|$))(?![A-Za-z0-9€])")
_NINO_SUFFIX = {"4": "A", "8": "B", "€": "C", "¢": "C", "©": "C"}
_NINO_BAD_PREFIX = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
_SIN = re.compile(r"(?<![\w\-])(\d{3})([\- ])(\d{3})\2(\d{3})(?![\w\-])")
_SIN_CONTEXT = re.compile(r"(?i)\b(?:sin|social insurance)\b[^\n]{0,20}$")
_DNI = re.compile(r"(?<![\w\-])([XYZ]?)(\d{7,8})-?([A-Z])(?![\w\-])")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_CODICE_FISCALE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{6}\d{2}[ABCDEHLMPRST]\d{2}[A-Z]\d{3}[A-Z](?![A-Za-z0-9])")

_TOKENS: list[tuple[re.Pattern[str], str, float]] = [
    (re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)"
                r"[A-Z0-9|l]{14,18}(?![A-Za-z0-9])"), "AWS access key id", 0.95),  # | l: OCR's I
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


_SPACED_TLD = re.compile(r"@ ?[\w-]+ [A-Za-z]{2,4}$")


def _emails_misread(text: str, found: Sequence[Span]) -> list[Span]:
    """E-mail addresses as OCR garbled them (``_EMAIL_OCR``), on the text as read (the
    normalisation reads an "@" with no dot after it as a zero), where no e-mail address
    was found."""
    mails = [s for s in found if s.kind == EMAIL]
    return [Span(m.start(), m.end(), EMAIL, 0.8, m.group(), "e-mail address (as OCR misread it)")
            for m in _EMAIL_OCR.finditer(text)
            if not any(s.start < m.end() and m.start() < s.end for s in mails)
            and not _prose(m.group())]


def _prose(match: str) -> bool:
    """Prose around an "@", not an address: a space on both sides of its pieces ("see
    @mention here"), or a sentence going on after a dot ("at bob@x. then": after a space
    an address goes on with a dotted name or a short top-level domain)."""
    if " @" in match and _SPACED_TLD.search(match):
        return True
    if ". " in match or " ." in match:
        last = match.rsplit(" ", 1)[-1]
        return "." not in last.strip(".") and len(last.strip(".")) > 3
    return False


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
        self.deny_words = entries_words(entries)

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
        if ocr and EMAIL in self.kinds:
            spans += _emails_misread(text, spans)
        return resolve(spans)

    # -- implementation -------------------------------------------------------------------
    def _detect(self, text: str, *, ocr: bool) -> list[Span]:
        out: list[Span] = []
        k = self.kinds
        if DENY_LIST in k:
            out += self._deny(text)
            if ocr:
                out += [Span(a, b, DENY_LIST, 0.9, text[a:b], "on your deny-list (OCR "
                             "misread a word)") for a, b in near_matches(text, self.deny_words)
                        if not any(x.start <= a and b <= x.end for x in out)]
        if EMAIL in k:
            out += [Span(m.start(), m.end(), EMAIL, 0.95, m.group(), "e-mail address")
                    for m in _EMAIL.finditer(text)]
        if URL_CREDENTIALS in k or URL_TOKEN in k:
            out += self._urls(text, ocr)
        if CARD in k:
            out += self._cards(text, ocr)
        if IBAN in k:
            out += self._ibans(text)
            if ocr:
                out += self._ibans_labelled(text)
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
            out = [continue_grouped(text, continue_span(text, s)) for s in out]
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
                end = take_pieces(following_pieces(text, end, 4), end)
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
                for start, piece in card_candidates(raw):
                    num = piece.translate(_DIGIT_FIX) if noisy else piece
                    digits = re.sub(r"[ \-]", "", num)
                    if noisy and sum(not c.isdigit() for c in re.sub(r"[ \-]", "", piece)) > 2:
                        continue
                    if card_ok(piece, digits, ocr):
                        s = m.start() + start
                        seen.add(m.start())
                        out.append(Span(s, s + len(piece), CARD, 0.95 if not noisy else 0.85,
                                        piece, "card number (Luhn-valid)"))
                        break
        return out

    def _ibans_labelled(self, text: str) -> list[Span]:
        """After an "IBAN" label, a value of about its country's length is an IBAN even when
        mod 97 fails as read: OCR misreads several digits of some fonts at once (a dotted or
        slashed zero read as 6 or 8), more than the fixes may try."""
        out = []
        for m in _IBAN_LABELLED.finditer(text):
            raw = m.group(1)
            n = IBAN_LENGTHS.get(raw[:2])
            if n is None or not n - 2 <= len(raw.replace(" ", "")) <= n + 1:
                continue
            out.append(Span(m.start(1), m.end(1), IBAN, 0.8, raw,
                            "IBAN-shaped value after an IBAN label (check digits not readable)"))
        return out

    def _ibans(self, text: str) -> list[Span]:
        out = []
        for m in _IBAN.finditer(text):  # every start: a false candidate must not hide one
            raw = m.group(1)
            got = iban_match(raw)
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
                        not bban_ok(country, compact[4:n]):
                    continue
                end = nth_char_end(raw, n - 1)
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
            pre = nino_prefix(m.group(1))
            run = re.sub(r"[ .,]", "", m.group(2))
            digits = "".join(AS_NUMBER.get(c.upper(), c) for c in run)
            if not (pre.isalpha() and digits.isdigit()) or pre in _NINO_BAD_PREFIX:
                continue
            # Seven: OCR read a character twice or a gap as one ("AB 05 99 334A",
            # "JWOO72Z17A"); the rest must still be a valid number.
            # (A clean run of seven digits, "AB1234567C", is some other code: not taken.)
            if len(digits) == 7 and run.isdigit() and \
                    not re.search(r"[ .,]", m.group(2).strip(" .,")):
                continue
            tries = [digits] if len(digits) == 6 else [digits[:k] + digits[k + 1:]
                                                       for k in range(len(digits))]
            suffix = _NINO_SUFFIX.get(m.group(3), m.group(3).upper())
            if not any(_NINO.fullmatch(pre + d + suffix) for d in tries):
                continue
            out.append(Span(m.start(), m.end(), NATIONAL_ID, 0.7, m.group(),
                            "UK National Insurance number (OCR)"))
        return out

    def _ssn_joined(self, text: str) -> list[Span]:
        """US SSNs in the spaced form with one space lost by OCR ("191 145391") or read as a
        dot ("100 33.8768"), valid area, group and serial."""
        out = []
        for m in _SSN_JOINED.finditer(text):
            digits = re.sub(r"\D", "", m.group())
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
            pre = nino_prefix(m.group(1))
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
            between = text[m.end() - len(m.group(0)):m.start("value")]
            if value.isalpha() and len(value) < 12 and (
                    "\n" in between or ("\t" in between and value.istitle())):
                # A word on the next line, or a capitalised word across a column gap: the
                # next field's label ("client_secret:<tab>National Insurance"), no secret.
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
                ok = m is not None and piece_kind(m.group()) == "strong" and \
                    _TOKEN_CHARS.fullmatch(m.group().rstrip(".,;:)")) is not None
                if ok and m is not None and run and m.start() == run[-1].end() + 1 \
                        and text[run[-1].end()] == " ":
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


_DATE_LIKE = re.compile(r"\(?0\d{1,2}\)?[ \-/]\d{1,2}[ \-/]\d{2,4}")
_SSN_INVALID = {"078051120", "219099999", "123456789"}
_NOT_SECRETS = {"required", "optional", "none", "null", "true", "false", "hidden", "enabled",
                "disabled", "changed", "expired", "invalid", "missing", "redacted",
                "<redacted>", "<masked>", "********"}


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


def detect(text: str, deny_list: Iterable[str] = (), *, ocr: bool = False) -> list[Span]:
    """Detect with every recognizer (a new :class:`Detector` each call: keep one to reuse)."""
    return Detector(deny_list).detect(text, ocr=ocr)
