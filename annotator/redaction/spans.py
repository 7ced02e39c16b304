"""What a detector returns: a :class:`Span` of text with its kind, and the kinds there are."""

from __future__ import annotations

from dataclasses import dataclass

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
# Shaped like a value (digits, an "@", a scheme, a long mix of letters and digits) and no
# harmless format, but no detector recognised it (OCR misread it): named by screen_text.
UNREAD_VALUE = "unread_value"

KINDS = (EMAIL, PHONE, CARD, IBAN, IPV4, IPV6, NATIONAL_ID, API_KEY, JWT, PRIVATE_KEY, SECRET,
         CREDENTIAL, URL_CREDENTIALS, URL_TOKEN, DENY_LIST, UNREAD_VALUE)


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
