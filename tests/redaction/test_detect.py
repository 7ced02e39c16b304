"""The detectors, table-driven: what each must find, and hard negatives it must leave."""

from __future__ import annotations

import random
import string

import pytest

import annotator.redaction.detect as d
from annotator.redaction.detect import Detector, detect, iban_valid, looks_random, luhn_valid

# (text, kind, the exact matched text)
POSITIVES = [
    # e-mail
    ("write to jane.doe@example.com today", d.EMAIL, "jane.doe@example.com"),
    ("<j_smith+billing@mail.example.co.uk>", d.EMAIL, "j_smith+billing@mail.example.co.uk"),
    # phone numbers, international and national forms
    ("call +44 20 7946 0958 now", d.PHONE, "+44 20 7946 0958"),
    ("+1 (415) 555-0132", d.PHONE, "+1 (415) 555-0132"),
    ("+49 (0)89 1234 5678", d.PHONE, "+49 (0)89 1234 5678"),
    ("+81 3-1234-5678", d.PHONE, "+81 3-1234-5678"),
    ("(212) 555-0187", d.PHONE, "(212) 555-0187"),
    ("office 212.555.0199.", d.PHONE, "212.555.0199"),
    ("mobile 07700 900123", d.PHONE, "07700 900123"),
    ("01 23 45 67 89", d.PHONE, "01 23 45 67 89"),
    ("Phone: 2125550143", d.PHONE, "2125550143"),
    # cards: Luhn-valid, with spaces, dashes or none
    ("card 4111 1111 1111 1111 exp 12/27", d.CARD, "4111 1111 1111 1111"),
    ("5500-0000-0000-0004", d.CARD, "5500-0000-0000-0004"),
    ("amex 3782 822463 10005", d.CARD, "3782 822463 10005"),
    ("6011000990139424", d.CARD, "6011000990139424"),
    # IBANs: mod-97-valid, grouped or not
    ("IBAN DE89 3704 0044 0532 0130 00 EUR", d.IBAN, "DE89 3704 0044 0532 0130 00"),
    ("GB82WEST12345698765432", d.IBAN, "GB82WEST12345698765432"),
    ("FR14 2004 1010 0505 0001 3M02 606", d.IBAN, "FR14 2004 1010 0505 0001 3M02 606"),
    # IP addresses
    ("inet 192.168.1.24/24", d.IPV4, "192.168.1.24"),
    ("server 10.0.0.1.", d.IPV4, "10.0.0.1"),
    ("inet6 2001:db8:85a3::8a2e:370:7334/64", d.IPV6, "2001:db8:85a3::8a2e:370:7334"),
    ("fe80::1ff:fe23:4567:890a", d.IPV6, "fe80::1ff:fe23:4567:890a"),
    # national ids
    ("SSN 219-09-9990", d.NATIONAL_ID, "219-09-9990"),
    ("ssn: 123 45 6780", d.NATIONAL_ID, "123 45 6780"),
    ("NI number JG 10 34 56 A", d.NATIONAL_ID, "JG 10 34 56 A"),
    ("AB123456C", d.NATIONAL_ID, "AB123456C"),
    ("DNI 12345678Z", d.NATIONAL_ID, "12345678Z"),
    # API keys and tokens
    ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", d.API_KEY, "AKIAIOSFODNN7EXAMPLE"),
    ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", d.API_KEY,
     "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789abcdefghijk",
     d.API_KEY,
     "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789abcdefghijk"),
    ("OPENAI_API_KEY=sk-proj-Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF", d.API_KEY,
     "sk-proj-Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF"),
    ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", d.API_KEY,
     "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.4pcPyMD09olPSyXnrXCjTwXyr4",
     d.JWT, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.4pcPyMD09olPSyXnrXCjTwXyr4"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----",
     d.PRIVATE_KEY,
     "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----"),
    # high entropy, and values after a password/key label
    ("see wJalrXUtnFEMI7K7MDENGbPxRfiCY2q9 above", d.SECRET,
     "wJalrXUtnFEMI7K7MDENGbPxRfiCY2q9"),
    ("password: hunter2!x", d.CREDENTIAL, "hunter2!x"),
    ("api_key=3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", d.CREDENTIAL,
     "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
    # URLs carrying credentials or tokens
    ("DATABASE_URL=postgres://admin:S3cr3t@db.example.com:5432/app", d.URL_CREDENTIALS,
     "postgres://admin:S3cr3t@db.example.com:5432/app"),
    ("GET https://api.example.com/v1/export?page=2&access_token=abcd1234efgh5678.", d.URL_TOKEN,
     "https://api.example.com/v1/export?page=2&access_token=abcd1234efgh5678"),
]


@pytest.mark.parametrize(("text", "kind", "matched"), POSITIVES)
def test_positives(text: str, kind: str, matched: str) -> None:
    spans = detect(text)
    got = [(s.kind, s.text) for s in spans]
    assert (kind, matched) in got, got
    for s in spans:
        assert text[s.start:s.end] == s.text
        assert 0 < s.score <= 1 and s.reason


HARD_NEGATIVES = [
    "commit b6589fc6ab0dc82cf12099d1c2d40ab994e8410c",  # SHA-1
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # SHA-256
    "image sha256:5f9c4ab08cac7457e9111a30e4664920607ea2c115a1433d7be98e97e64244ca",
    "request 116cf1bb-de28-4d28-997e-0eb54a41580e completed",  # UUID
    "v2.14.0-rc1", "version 10.0.19045.3570", "Python 3.11.2", "5.15.0-91-generic",
    "1.2.3.4-beta", "release 4.2.1.0",
    "ORD-2024-118842", "PO 4500012345", "INV-10023", "#100234", "707-6567282-7147533",
    "Case 48213377", "1Z999AA10123456784",
    "2024-05-17", "17/05/2024", "05/06/2024", "17.05.2024", "May 17, 2024",
    "2024-03-13T19:13:55Z", "14:32:07",
    "$1,249.99", "€ 89,00", "£194.21", "1,234,567.00 USD", "-1969.49",
    "42%", "4.2 MB", "8080/tcp", "ISBN 978-3-16-148410-0",
    "getUserAccountSettings", "AbstractSingletonProxyFactoryBean", "MAX_RETRY_ATTEMPTS",
    "ECDHE-RSA-AES128-GCM-SHA256", "Microsoft.AspNetCore.Authentication.JwtBearer",
    "/usr/lib/x86_64-linux-gnu/libssl.so.3", "src/components/CheckoutFormContainer.tsx",
    "arn:aws:iam::123456789012:role/ReadOnly", "us-east-1", "i-0abc12de34f567890",
    "Keep this key secret and rotate it every ninety days.",
    "Password: ********", "token: <redacted>",
    "1234 5678 9012 3456",  # not Luhn-valid
    "4111 1111 1111 1112",  # Luhn fails
    "DE89 3704 0044 0532 0130 01",  # mod-97 fails
    "000-12-3456", "666-12-3456", "123-00-4567", "078-05-1120",  # invalid SSNs
    "GB 12 34 56 A", "BG123456A", "QQ 12 34 56 C",  # invalid NINO prefixes
    "192.168.1.256", "10:48:11",
]


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negatives(text: str) -> None:
    assert detect(text) == []
    assert detect(text, ocr=True) == []


@pytest.mark.parametrize(("digits", "ok"), [
    ("4111111111111111", True), ("4111111111111112", False), ("79927398713", True),
    ("79927398710", False), ("378282246310005", True), ("0", False), ("12a4", False),
])
def test_luhn(digits: str, ok: bool) -> None:
    assert luhn_valid(digits) is ok


@pytest.mark.parametrize(("iban", "ok"), [
    ("DE89370400440532013000", True), ("DE89 3704 0044 0532 0130 00", True),
    ("GB82WEST12345698765432", True), ("NL91ABNA0417164300", True),
    ("DE89370400440532013001", False),  # check digits wrong
    ("DE8937040044053201300", False),  # too short for DE
    ("XX89370400440532013000", False),  # no such country
    ("GB82WEST1234569876543X", False),
])
def test_iban_validity(iban: str, ok: bool) -> None:
    assert iban_valid(iban) is ok


def test_a_label_on_the_next_line_is_no_credential() -> None:
    # A form whose API key is hidden: OCR reads "API key:" then the next row's label.
    assert detect("API key:\nBilling e-mail:", ocr=True) == []
    assert [s.text for s in detect("API key:\nhunter2secret9", ocr=True)] == ["hunter2secret9"]
    assert [s.text for s in detect("password: Billing", ocr=True)] == ["Billing"]
    # Labels above their fields, two columns: the next column's label on the same row.
    assert detect("client_secret:\tNational Insurance", ocr=True) == []
    assert [s.text for s in detect("Password:\thunter22", ocr=True)] == ["hunter22"]


def test_an_aws_key_id_with_its_i_read_as_a_bar_or_l() -> None:
    for text in ("AKIARFGEQUHXBVX|XBGOX", "AKIARFGEQUHXBVXlXBGOX"):
        assert [s.text for s in detect(text, ocr=True)] == [text]


def test_an_iban_after_its_label_is_found_with_unreadable_check_digits() -> None:
    # DejaVu Sans Mono's dotted zero, read as 6 and 8 by OCR: mod 97 fails.
    text = "IBAN=DE89 3764 8644 8532 6138 80"
    assert [(s.kind, s.text) for s in detect(text, ocr=True)] == [
        ("iban", "DE89 3764 8644 8532 6138 80")]
    assert detect(text) == []  # typed text is exact: the checksum decides
    assert detect("IBAN DE12 3456 and the IBAN field", ocr=True) == []


def test_random_strings_are_secrets_and_words_are_not() -> None:
    rng = random.Random(4)
    alphabet = string.ascii_letters + string.digits
    hits = sum(looks_random("".join(rng.choice(alphabet) for _ in range(32)))
               for _ in range(500))
    assert hits >= 0.97 * 500
    for word in ["ThisIsAVeryLongCamelCaseIdentifier2", "hello_world_this_is_python_3",
                 "a" * 40, "0123456789abcdef0123456789abcdef"]:
        assert not looks_random(word)


def test_deny_list_is_case_and_whitespace_tolerant() -> None:
    det = Detector(["Marguerite Okonkwo", "14 Larkspur Crescent, Aberdeen AB10 6RT",
                    "m.okonkwo@example.net"])
    text = ("Regards, MARGUERITE   okonkwo\n14 Larkspur Crescent\nAberdeen AB10 6RT "
            "<M.Okonkwo@Example.NET>")
    got = [s.text for s in det.detect(text) if s.kind == d.DENY_LIST]
    assert "MARGUERITE   okonkwo" in got
    assert "M.Okonkwo@Example.NET" in got
    assert any("Larkspur" in g for g in got) and any("AB10 6RT" in g for g in got)
    # OCR splits and confuses letters: still found.
    assert [s.kind for s in det.detect("Marguer ite 0konkwo", ocr=True)] == [d.DENY_LIST]
    # Not inside longer words.
    assert det.detect("MargueriteOkonkwoX") == []


@pytest.mark.parametrize(("ocr_text", "found"), [
    ("Address Marguente Okonkwo\tNINO JW", "Marguente Okonkwo"),  # "ri" read "n"
    ("Regards, 14 Larkspur Crescent, Aberdeen AB10 6AT", "14 Larkspur Crescent, Aberdeen AB10 6AT"),
    ("Name 14. Larkspur Crescent, Aberdeen AB10 5AT", "14. Larkspur Crescent, Aberdeen AB10 5AT"),
])
def test_deny_list_entry_with_one_word_misread_by_ocr_is_found_whole(ocr_text, found) -> None:
    """A name or an address read with one word misread (the others exact) is the entry:
    before, only the parts read exactly were found (half an address) or nothing (a name)."""
    det = Detector(["Marguerite Okonkwo", "14 Larkspur Crescent, Aberdeen AB10 6RT"])
    got = [s.text for s in det.detect(ocr_text, ocr=True) if s.kind == d.DENY_LIST]
    assert found in got


@pytest.mark.parametrize(("ocr_text", "found"), [
    # Two or three words of an address misread (of six), the rest exact.
    ("Address 14 Larkspur Cresceut, Aberdeeu AB10 6RT\tSubject",
     "14 Larkspur Cresceut, Aberdeeu AB10 6RT"),
    ("To: 14 Larksgur Crescent, Abordeen ABI0 6RT", "14 Larksgur Crescent, Abordeen ABI0 6RT"),
    # Every word read, a mark between two of them that the exact pattern does not take.
    ("Address\t14 Larkspur Crescent, Aberdeen: AB10 6RT\nSubject",
     "14 Larkspur Crescent, Aberdeen: AB10 6RT"),
    # OCR split a word in two.
    ("Regards, 14 Lark spur Crescent, Aberdeen AB10 6RT", "14 Lark spur Crescent, Aberdeen AB10 6RT"),
])
def test_deny_list_entry_with_words_misread_is_found_over_the_whole_entry(ocr_text, found
                                                                          ) -> None:
    """The whole entry compared with the run of words read where it is (within a sixth of
    its characters, half of its words exact): before, an address with two words misread
    was found in part (the part read exactly) and half of it stayed readable."""
    det = Detector(["Marguerite Okonkwo", "14 Larkspur Crescent, Aberdeen AB10 6RT"])
    got = [s.text for s in det.detect(ocr_text, ocr=True) if s.kind == d.DENY_LIST]
    assert found in got


@pytest.mark.parametrize("ocr_text", ["Marguerite Smith wrote", "Dear Okonkwo family",
                                      "14 Larkspur Road", "Marguente Okonkwa",
                                      "14 Heather Road, Aberdeen AB11 5QT",
                                      "27 Larkspur Avenue, Dundee DD1 4HN"])
def test_deny_list_entry_needs_all_words_but_one_exact(ocr_text) -> None:
    det = Detector(["Marguerite Okonkwo", "14 Larkspur Crescent, Aberdeen AB10 6RT"])
    assert [s for s in det.detect(ocr_text, ocr=True) if s.kind == d.DENY_LIST] == []


@pytest.mark.parametrize(("ocr_text", "kind"), [
    ("card 4111 1111 1111 11l1", d.CARD),  # l for 1, checked by Luhn
    ("NINO: TH 5215.48 C", d.NATIONAL_ID),  # a space read as a dot
    ("CK 30.49 OBA", d.NATIONAL_ID),  # a dot, and "08 A" read "OBA"
    ("SSN on the application: 045.51 9924.", d.NATIONAL_ID),  # the first space a dot
    ("IBAN 1E29 AIBK 9311 5212 3456 78", d.IBAN),  # 1 for I in the country code
    ("jane.doe @example.com", d.EMAIL),  # space inserted around @
    ("Email: chloe1989 @ mail.example.com", d.EMAIL),  # on both sides
    ("https: //hooks.example.io/v1/export ?page=2&apikey=KQY98eSPoiN488WxXBKo9wFvBkcB",
     d.URL_TOKEN),
    ("mongodb: //deploy: LLCfjG6IpxB@git .example.org:27017/admin", d.URL_CREDENTIALS),
    ("redis : //admin:Hg4aDLRkL@cache:6379/0", d.URL_CREDENTIALS),  # a host without a dot
    ("inet6 2001:0db8:b1f9:283£:578a:d0dc: 6de1:b5b1/64", d.IPV6),
    ("Tax ID BO5-62-4627", d.NATIONAL_ID),  # B/O read for 8/0
    ("Bearer GL 13 43 39 ¢c'", d.NATIONAL_ID),  # an NI number's C read as ¢
    ("form is MK172915€.", d.NATIONAL_ID),  # ... and as €
    ("sk-proj—k2KH4T7GnfS3NCxM82 7cvEGjeD2KEWSUzgtiHk", d.API_KEY),  # em dash, split
])
def test_ocr_noise(ocr_text: str, kind: str) -> None:
    spans = detect(ocr_text, ocr=True)
    assert kind in [s.kind for s in spans], spans
    for s in spans:
        assert ocr_text[s.start:s.end] == s.text


def test_ocr_split_token_is_covered_whole() -> None:
    text = "key sk-proj-k2KH4T7GnfS3NCxM82 7cvEGjeD2KEWSUzgtiHk (rotated)"
    spans = detect(text, ocr=True)
    assert any(s.text == "sk-proj-k2KH4T7GnfS3NCxM82 7cvEGjeD2KEWSUzgtiHk" for s in spans)


def test_spans_index_the_original_text() -> None:
    text = "a\nb jane.doe @example.com c\nIBAN DE89 3704 0044 0532 0130 00"
    for s in detect(text, ocr=True):
        assert text[s.start:s.end] == s.text


def test_same_detectors_on_typed_text_and_titles() -> None:
    assert [s.kind for s in detect("jane.doe@example.com")] == [d.EMAIL]
    assert [s.kind for s in detect("Inbox - jane.doe@example.com - Mail")] == [d.EMAIL]
    assert detect("Invoice 2041 - Sample Books") == []


def test_kinds_can_be_restricted() -> None:
    det = Detector(kinds=[d.EMAIL])
    assert [s.kind for s in det.detect("jane@example.com 4111 1111 1111 1111")] == [d.EMAIL]


@pytest.mark.parametrize(("ocr_text", "kind"), [
    ("FRS55 8046 3950 232C WH7L UNSS A97", d.IBAN),  # extra character, S for 9
    ("to CH5090708751785996288 by", d.IBAN),  # one look-alike digit, mod 97 decides
    ("AB 05 99 334A", d.NATIONAL_ID),  # UK NI number with one extra character
    ("RAG11634D", d.NATIONAL_ID),
    ("is AKAIAH6QPYHZYIZDFRFRP.", d.API_KEY),  # AWS key id with a doubled letter
    ("4248-3351 -5689-6981", d.CARD),  # split before a hyphen, still four groups
    ("max-+ billing@initech.dev", d.EMAIL),
    ("smith, k@post.example.ch", d.EMAIL),
    ("jane-berg@example-net", d.EMAIL),
    ("Kowalski.t@northwind. fr", d.EMAIL),
    ("oscar_jensen/5@fabrikam.de", d.EMAIL),
    ("https; //api.example.com/callback?page=2&apikey=GkMaIGhvF", d.URL_TOKEN),
    ("cCYSbuXNRgTYbXEXYOgqhap84196q6we", d.SECRET),
    ("SSN 582 94.2655", d.NATIONAL_ID),  # a spaced SSN's second space read as a dot
    ("No. 672: 65.4292", d.NATIONAL_ID),
])
def test_more_ocr_misreadings(ocr_text: str, kind: str) -> None:
    assert kind in [s.kind for s in detect(ocr_text, ocr=True)]


@pytest.mark.parametrize("ocr_text", [
    "Order AB1234567C", "at bob@x. then", "AbstractSingletonProxyFactoryBean",
    "total 123.45 6789 due", "Price 12.50 34.99 A", "v1.2 3.4 5.6 B",
])
def test_ocr_tolerance_keeps_hard_negatives_clean(ocr_text: str) -> None:
    assert detect(ocr_text, ocr=True) == []


def test_ssn_before_a_negative_amount_is_not_a_card() -> None:
    kinds = [s.kind for s in detect("299-25-3158 -1969.49", ocr=True)]
    assert d.CARD not in kinds and d.NATIONAL_ID in kinds


# OCR readings of Tesseract 5.5 on benchmarks/pii_recall.py screens that were missed, each
# with the value that must be covered whole.
@pytest.mark.parametrize(("ocr_text", "kind", "value"), [
    # Cells: a tab is a column gap, never joined as a space inside a phone number.
    ("ORD-2022-871368\tOct 9, 2018\t+33 1 29 29 60 54\t192.168.180.71\t30,312.40 USD",
     d.IPV4, "192.168.180.71"),
    ("15\t#953972\t21.06.2020\t10.136.167.7\t237 15 5674\t€ 3662,06", d.NATIONAL_ID,
     "237 15 5674"),
    # E-mail local parts split by OCR, a comma for the dot before a country code.
    ("18.01.2023\tkenji1 991 @globex.com.au\t10.66.185.39", d.EMAIL, "kenji1 991 @globex.com.au"),
    ("Feb 3, 2018\tchloe1 989@mail.example.com", d.EMAIL, "chloe1 989@mail.example.com"),
    ("IE15BOFI11443159064371\tmateo +billing@example.net\t$71,732.29", d.EMAIL,
     "mateo +billing@example.net"),
    ("Oct 9, 2018\toscar+t billing@acme-corp.io\t2452", d.EMAIL, "oscar+t billing@acme-corp.io"),
    ("History\tdsn;\tkenjil991@globex.com,au", d.EMAIL, "kenjil991@globex.com,au"),
    # IBAN whose country code lost its first letter.
    ("30\tE08 AIBK 4414 4008 9321 18\t$71,732.29", d.IBAN, "E08 AIBK 4414 4008 9321 18"),
    # URLs: the "&" before a secret's parameter dropped or misread, "=" read as "#", a
    # space inside the query.
    ("download: https:/ffiles.example.net/callback?page=2Gapi key=scqyXwKoWuYTLQt? 7ADsiFmu",
     d.URL_TOKEN, "https:/ffiles.example.net/callback?page=2Gapi key=scqyXwKoWuYTLQt? 7ADsiFmu"),
    ("value: https://files.example.net/download/report .pdf?id=4471l«secret=20zs8aJf1lsIqc",
     d.URL_TOKEN, "https://files.example.net/download/report .pdf?id=4471l«secret=20zs8aJf1lsIqc"),
    ("url: https://hooks. example. io/v2/items7id=447 1&key=Z86xEbdu0tJ LEEAznhaLRjPc",
     d.URL_TOKEN, "https://hooks. example. io/v2/items7id=447 1&key=Z86xEbdu0tJ LEEAznhaLRjPc"),
    ("url: https: //hooks.example.io/v1/export?access_token#H2foci@6GLHQxukPDWhRSgJn",
     d.URL_TOKEN, "https: //hooks.example.io/v1/export?access_token#H2foci@6GLHQxukPDWhRSgJn"),
    # IPv4 with commas for dots.
    ("Feb 3, 2018\t75.198,54,16\t565 23 3571", d.IPV4, "75.198,54,16"),
    ("dsn; 10,92.55,219", d.IPV4, "10,92.55,219"),
    ("token: https ://files.example.net/download/report .pdf?page=2&secret=T74YOm0E3m7cEmEZcFT",
     d.URL_TOKEN, "https ://files.example.net/download/report .pdf?page=2&secret=T74YOm0E3m7cEmEZcFT"),
    ("dsn: https: //files. example. net/cal lback?apikey=qADoVQ0ceE7aBng36ArBMJek", d.URL_TOKEN,
     "https: //files. example. net/cal lback?apikey=qADoVQ0ceE7aBng36ArBMJek"),
    ("value: https://files.example.net\t/download/report .pdf?page=2éapikey=VkNIVgF4oxDh6fwx",
     d.URL_TOKEN, "https://files.example.net\t/download/report .pdf?page=2éapikey=VkNIVgF4oxDh6fwx"),
    # IPv6 with ";" for ":" and a tab where "::" left a wide gap.
    ("docker0\tUP\t59,54.216.2/24\t2a02:9519;11ba;ablc; :ba46:cbdb/64", d.IPV6,
     "2a02:9519;11ba;ablc; :ba46:cbdb"),
    ("ens3\tUP\t183.247.159.161/24\t2a02:2ee5:a3e8 :ba8b:\tTaf :d137/64", d.IPV6,
     "2a02:2ee5:a3e8 :ba8b:\tTaf :d137"),
    # UK NI numbers with the suffix read as a digit or lost, the prefix's J as ] ) or |.
    ("\tRP 01 42 728\t£260.88", d.NATIONAL_ID, "RP 01 42 728"),
    ("BEO8 3915 8304 9684\tGL 13 43 39€\t$71,732.29", d.NATIONAL_ID, "GL 13 43 39€"),
    ("May 26, 2024\tMj 09 59 74.4\tFR29", d.NATIONAL_ID, "Mj 09 59 74.4"),
    ("192.168.40.91\tAN 69 92 44\t$32,538.75", d.NATIONAL_ID, "AN 69 92 44"),
    ("Dec 27, 2025\tK] 84 96 28D\t020 7946 0811", d.NATIONAL_ID, "K] 84 96 28D"),
    ("NI number |W 26 66 63 A (for payroll).", d.NATIONAL_ID, "|W 26 66 63 A"),
    # IPv4 with one octet over 255 (a 0 read as 6 or 8), "@" read as "é" or "€" in a URL.
    ("25\turl:\t263.8.113.87", d.IPV4, "263.8.113.87"),
    ("Server 10.215.262.77 is down", d.IPV4, "10.215.262.77"),
    ("wlan0\tUP\t16.278.175.66/24\tfe80::1", d.IPV4, "16.278.175.66"),
    ("url:\tpostgres://sofia:zQikrArYFrGémq.example.io:5432/orders", d.URL_CREDENTIALS,
     "postgres://sofia:zQikrArYFrGémq.example.io:5432/orders"),
    ("value: postgres: //root :BttSuQmDrM75€cache. internal .example.net :5432/orders",
     d.URL_CREDENTIALS,
     "postgres: //root :BttSuQmDrM75€cache. internal .example.net :5432/orders"),
    # IBANs: "S" for 9 in the check digits, ")" or "]" for J or I.
    ("2020-11-19\tIES8AIBK92877157428606\t75.198.54.16", d.IBAN, "IES8AIBK92877157428606"),
    ("IBAN\t1E45 BOF] 8355 8200 1912 08\tNI number", d.IBAN, "1E45 BOF] 8355 8200 1912 08"),
    ("+81 33789-0583\tFR43 0345 5749 583) MD28 NFGM 897\t€7661,29", d.IBAN,
     "FR43 0345 5749 583) MD28 NFGM 897"),
    # More: a space after a domain's dot, "@" for 0 in numbers, "-~" in a Slack token, "€"
    # in an IPv6 group, an SSN with one space lost.
    ("from priya+test@globex.com. au", d.EMAIL, "priya+test@globex.com. au"),
    ("from +1-312-555-@128", d.PHONE, "+1-312-555-@128"),
    ("wlan0\tUP\t203.@.113.236/24", d.IPV4, "203.@.113.236"),
    ("Permissions\tXOXS -~ 236785207764 - 5217907392302 -Bbicz3GKbpzBPJow6wtix430\t10:48:11",
     d.API_KEY, "XOXS -~ 236785207764 - 5217907392302 -Bbicz3GKbpzBPJow6wtix430"),
    ("ens3\tUP\t183.247.159.161/24\t2001:db8:10ed: 86e9:90e6: :€27/64", d.IPV6,
     "2001:db8:10ed: 86e9:90e6: :€27"),
    ("178.234.161.176\t191 145391\t62,009.75 USD", d.NATIONAL_ID, "191 145391"),
    # A random string's last fragment, alone before a cell's end.
    ("Modified\t6SYONt 7mFczKGomKgbzunMDFEFA1eHM jd\t16.02.2024", d.SECRET,
     "6SYONt 7mFczKGomKgbzunMDFEFA1eHM jd"),
])
def test_tesseract_5_5_misreadings_are_covered_whole(ocr_text: str, kind: str,
                                                     value: str) -> None:
    spans = detect(ocr_text, ocr=True)
    assert (kind, value) in [(s.kind, s.text) for s in spans], spans
    for s in spans:
        assert ocr_text[s.start:s.end] == s.text


@pytest.mark.parametrize("ocr_text", [
    "1,200,100.50", "1.200.100,50 EUR",  # amounts, not IPv4 addresses with commas
    "https://example.com/a?q=password#reset-form",  # an anchor, not "=" read as "#"
    "see https://example.com/docs?page=2 and more",
    "E08 AIBK 4414 4008 9321 19",  # no country makes it mod-97 valid
    "mail bob@x.com, au revoir",
    "token 6SYONt7mFczKGomKgbzunMDFEFA1eHM by",  # "by": a word after it, not its tail
    "Name:\tJane\tAge:\t42\tCity:\tBern",  # labels and tabs, no address
    "Case AB 12 34 56 78", "Room 12 34 56 8",  # no NI number: digits after the groups
    "version 263.8.113.87", "999.999.1.1",  # a version; two octets over 255
    "total 263.8.113.87 units",  # over 255 with nothing saying address
    "https://example.com/café",
    "Home\thttps://example.com\t/usr/bin/env?\tapi_key=abcdefgh12",  # columns, not one URL
    "Zip 80331 1234", "Case 666 123456",  # ZIP+4; no SSN starts with 666
])
def test_tesseract_5_5_fixes_leave_look_alikes(ocr_text: str) -> None:
    spans = detect(ocr_text, ocr=True)
    covered = "".join(s.text for s in spans)
    for word in ("1,200", "1.200", "password#reset", "page=2", "AIBK", "au revoir", "by",
                 "Jane", "12 34 56", "263.8", "999.999", "café", "/usr/bin", "80331",
                 "666 123456"):
        if word in ocr_text:
            assert word not in covered, spans


@pytest.mark.parametrize(("ocr_text", "covers"), [
    ("To: costa.i@ mail:example.com", "costa.i@ mail:example.com"),  # ":" for a dot
    ("nora+work@acme-cor?.io done", "nora+work@acme-cor?.io"),  # a mark for the "p"
    ("en-nova @acme-cor>.io", "en-nova @acme-cor>.io"),
    ("[ben-~novak@acme-corp-io]", "ben-~novak@acme-corp-io"),  # the TLD's dot read "-"
    ("Email ivan jensen@northwind ft $90.77", "jensen@northwind ft"),  # ".fr" read " ft"
    ("Bearer kowalski.f@initech dev!", "kowalski.f@initech dev"),
    ("fischer .i@post .example.ch", "fischer .i@post .example.ch"),
])
def test_an_email_garbled_by_ocr_is_still_an_email(ocr_text: str, covers: str) -> None:
    spans = [s for s in detect(ocr_text, ocr=True) if s.kind == d.EMAIL]
    assert [ocr_text[s.start:s.end] for s in spans] == [covers]


@pytest.mark.parametrize("ocr_text", [
    "dev@build-01:~/app$ git status", "ops@web-3: /srv/app", "ops@web-3: srv/app",
    "alex@laptop:~/app$ make", "see @mention here", "@Override public void run()",
])
def test_prompts_and_mentions_are_no_garbled_email(ocr_text: str) -> None:
    assert [s for s in detect(ocr_text, ocr=True) if s.kind == d.EMAIL] == []
