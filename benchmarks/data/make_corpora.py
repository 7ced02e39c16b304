"""Generate the planted-value corpora of benchmarks/pii_recall.py, once; the output is committed.

Written from the public formats of each identifier (ITU-T E.164 and national dialling plans,
ISO 7812 card numbers with the Luhn check, ISO 13616 IBANs with the mod-97 check, RFC 5321
addresses, RFC 4291 IPv6 text forms, SSA and HMRC number rules, the vendors' published token
prefixes, RFC 7519 JWTs), not from annotator's detectors.  Hard negatives are strings that a
careless detector confuses with PII: hashes, UUIDs, version strings, order numbers, dates,
prices, tracking numbers, paths.

Run: python benchmarks/data/make_corpora.py   (rewrites pii.json and negatives.json)
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
rng = random.Random(20240917)

FIRST = ["jane", "john", "maria", "li", "ahmed", "sofia", "lukas", "emma", "noah", "olivia",
         "mateo", "chloe", "ivan", "priya", "kenji", "fatima", "oscar", "nora", "david",
         "amelie", "tomas", "yara", "ben", "lucia", "max", "aiko", "sam", "ines", "paul", "zoe"]
LAST = ["doe", "smith", "garcia", "chen", "khan", "rossi", "muller", "dubois", "novak",
        "silva", "kowalski", "tanaka", "okafor", "jensen", "moreau", "haddad", "berg",
        "costa", "fischer", "nguyen", "ortiz", "walsh", "schmidt", "petrov", "larsen"]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "acme-corp.io",
           "contoso.co.uk", "fabrikam.de", "northwind.fr", "globex.com.au", "initech.dev",
           "post.example.ch", "students.example.edu"]


def email() -> str:
    f, last = rng.choice(FIRST), rng.choice(LAST)
    style = rng.randrange(7)
    local = [f"{f}.{last}", f"{f[0]}{last}", f"{f}_{last}{rng.randrange(10, 99)}",
             f"{f}+{rng.choice(['billing', 'news', 'work', 'test'])}", f"{last}.{f[0]}",
             f"{f}{rng.randrange(1970, 2005)}", f"{f}-{last}"][style]
    if rng.random() < 0.15:
        local = local.capitalize()
    return f"{local}@{rng.choice(DOMAINS)}"


def digits(n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def phone() -> str:
    """Numbers in the fictional/reserved ranges where countries have them (555-01xx, 7946 0xxx,
    07700 900xxx ...), in the forms people and applications write them."""
    k = rng.randrange(16)
    if k == 0:
        return f"({rng.choice(['212', '415', '312', '617', '206'])}) 555-01{digits(2)}"
    if k == 1:
        return f"{rng.choice(['212', '646', '303', '702'])}-555-01{digits(2)}"
    if k == 2:
        return f"{rng.choice(['213', '404', '512'])}.555.01{digits(2)}"
    if k == 3:
        return f"+1 {rng.choice(['212', '415', '617'])} 555 01{digits(2)}"
    if k == 4:
        return f"+1 ({rng.choice(['305', '702'])}) 555-01{digits(2)}"
    if k == 5:
        return f"+44 20 7946 0{digits(3)}"
    if k == 6:
        return f"020 7946 0{digits(3)}"
    if k == 7:
        return f"+44 7700 900{digits(3)}"
    if k == 8:
        return f"07700 900{digits(3)}"
    if k == 9:
        return f"+49 30 {digits(7)}"
    if k == 10:
        return f"+49 (0)89 {digits(4)} {digits(4)}"
    if k == 11:
        return f"+33 1 {digits(2)} {digits(2)} {digits(2)} {digits(2)}"
    if k == 12:
        return f"01 {digits(2)} {digits(2)} {digits(2)} {digits(2)}"
    if k == 13:
        return f"+61 2 {digits(4)} {digits(4)}"
    if k == 14:
        return f"+81 3-{digits(4)}-{digits(4)}"
    return f"+1-{rng.choice(['206', '312'])}-555-01{digits(2)}"


def luhn_complete(partial: str) -> str:
    """Append the check digit that makes ``partial`` + d pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return partial + str((10 - total % 10) % 10)


def card() -> str:
    k = rng.randrange(6)
    if k == 0:
        num, groups = luhn_complete("4" + digits(14)), (4, 4, 4, 4)  # Visa
    elif k == 1:
        num, groups = luhn_complete(str(rng.randrange(51, 56)) + digits(13)), (4, 4, 4, 4)
    elif k == 2:
        num, groups = luhn_complete(str(rng.randrange(2221, 2721)) + digits(11)), (4, 4, 4, 4)
    elif k == 3:
        num, groups = luhn_complete(rng.choice(["34", "37"]) + digits(12)), (4, 6, 5)  # Amex
    elif k == 4:
        num, groups = luhn_complete("6011" + digits(11)), (4, 4, 4, 4)  # Discover
    else:
        num, groups = luhn_complete("35" + str(rng.randrange(28, 90)) + digits(11)), (4, 4, 4, 4)
    sep = rng.choice([" ", " ", "-", ""])
    out, i = [], 0
    for g in groups:
        out.append(num[i:i + g])
        i += g
    return sep.join(out)


IBAN_BBAN = {  # country: (length of the BBAN, a generator of it)
    "DE": lambda: digits(8) + digits(10),
    "GB": lambda: rng.choice(["NWBK", "BARC", "LOYD", "HBUK", "MIDL"]) + digits(6) + digits(8),
    "FR": lambda: digits(5) + digits(5) + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(11)) + digits(2),
    "NL": lambda: rng.choice(["ABNA", "INGB", "RABO", "TRIO"]) + digits(10),
    "ES": lambda: digits(20),
    "IT": lambda: rng.choice(string.ascii_uppercase) + digits(10) + digits(12),
    "CH": lambda: digits(5) + digits(12),
    "BE": lambda: digits(12),
    "AT": lambda: digits(16),
    "IE": lambda: rng.choice(["AIBK", "BOFI"]) + digits(6) + digits(8),
    "PL": lambda: digits(24),
    "SE": lambda: digits(20),
}


def iban_check(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    num = "".join(str(int(c, 36)) for c in rearranged)
    return f"{98 - int(num) % 97:02d}"


def iban() -> str:
    country = rng.choice(list(IBAN_BBAN))
    bban = IBAN_BBAN[country]()
    raw = country + iban_check(country, bban) + bban
    if rng.random() < 0.7:
        return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))
    return raw


def ipv4() -> str:
    k = rng.randrange(4)
    if k == 0:
        return f"192.168.{rng.randrange(0, 255)}.{rng.randrange(1, 255)}"
    if k == 1:
        return f"10.{rng.randrange(0, 255)}.{rng.randrange(0, 255)}.{rng.randrange(1, 255)}"
    if k == 2:
        return f"203.0.113.{rng.randrange(1, 255)}"
    return f"{rng.randrange(11, 223)}.{rng.randrange(0, 255)}.{rng.randrange(0, 255)}.{rng.randrange(1, 255)}"


def ipv6() -> str:
    groups = [f"{rng.randrange(0, 65536):x}" for _ in range(8)]
    k = rng.randrange(4)
    if k == 0:
        return "2001:db8:" + ":".join(groups[2:5]) + "::" + groups[7]
    if k == 1:
        return "fe80::" + ":".join(groups[4:8])
    if k == 2:
        return "2001:0db8:" + ":".join(f"{rng.randrange(0, 65536):04x}" for _ in range(6))
    return "2a02:" + ":".join(groups[1:4]) + "::" + ":".join(groups[6:8])


def ssn() -> str:
    while True:
        area = rng.randrange(1, 900)
        if area != 666:
            break
    sep = rng.choice(["-", "-", " "])
    return f"{area:03d}{sep}{rng.randrange(1, 100):02d}{sep}{rng.randrange(1, 10000):04d}"


def nino() -> str:
    first = "ABCEGHJKLMNOPRSTWXYZ"
    second = "ABCEGHJKLMNPRSTWXYZ"
    while True:
        pre = rng.choice(first) + rng.choice(second)
        if pre not in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
            break
    d = digits(6)
    suf = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{pre} {d[:2]} {d[2:4]} {d[4:]} {suf}"
    return f"{pre}{d}{suf}"


def rand_str(alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits


def aws_key() -> str:
    return rng.choice(["AKIA", "AKIA", "ASIA"]) + rand_str(string.ascii_uppercase + "234567", 16)


def aws_secret() -> str:
    return rand_str(ALNUM + "/+", 40)


def github_token() -> str:
    k = rng.randrange(3)
    if k == 0:
        return "ghp_" + rand_str(ALNUM, 36)
    if k == 1:
        return "gho_" + rand_str(ALNUM, 36)
    return "github_pat_11" + rand_str(string.ascii_uppercase + string.digits, 20) + "_" + rand_str(ALNUM, 59)


def openai_key() -> str:
    if rng.random() < 0.5:
        return "sk-" + rand_str(ALNUM, 48)
    return "sk-proj-" + rand_str(ALNUM + "-_", 40)


def slack_token() -> str:
    kind = rng.choice(["xoxb", "xoxp", "xoxa", "xoxs"])
    return f"{kind}-{digits(12)}-{digits(13)}-{rand_str(ALNUM, 24)}"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt() -> str:
    header = b64url(json.dumps({"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"},
                               separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": digits(rng.randrange(3, 7)), "iat": 1700000000 + rng.randrange(10**7)},
                                separators=(",", ":")).encode())
    sig = b64url(hashlib.sha256(digits(10).encode()).digest()[:rng.choice([16, 24])])
    return f"{header}.{payload}.{sig}"


def generic_secret() -> str:
    return rand_str(ALNUM, rng.choice([24, 28, 32, 40]))


def cred_url() -> str:
    user = rng.choice(["admin", "deploy", "app", "root", rng.choice(FIRST)])
    pw = rand_str(ALNUM, rng.randrange(8, 14))
    host = rng.choice(["db.example.com", "10.1.2.3", "cache.internal.example.net",
                       "git.example.org", "mq.example.io"])
    scheme, port, path = rng.choice([("postgres", 5432, "/orders"), ("mysql", 3306, "/app"),
                                     ("https", 443, "/repo.git"), ("redis", 6379, "/0"),
                                     ("amqp", 5672, "/vhost"), ("mongodb", 27017, "/admin")])
    return f"{scheme}://{user}:{pw}@{host}:{port}{path}"


def token_url() -> str:
    host = rng.choice(["api.example.com", "files.example.net", "hooks.example.io",
                       "storage.example.org"])
    name = rng.choice(["access_token", "token", "api_key", "apikey", "sig", "auth", "key",
                       "secret"])
    path = rng.choice(["/v1/export", "/download/report.pdf", "/callback", "/v2/items"])
    extra = rng.choice(["", "page=2&", "id=4471&"])
    return f"https://{host}{path}?{extra}{name}={rand_str(ALNUM, rng.choice([24, 32]))}"


GENERATORS = {
    "email": email, "phone": phone, "card": card, "iban": iban, "ipv4": ipv4, "ipv6": ipv6,
    "ssn": ssn, "nino": nino, "aws_key": aws_key, "aws_secret": aws_secret,
    "github_token": github_token, "openai_key": openai_key, "slack_token": slack_token,
    "jwt": jwt, "generic_secret": generic_secret, "credential_url": cred_url,
    "token_url": token_url,
}

# What the benchmark shows in front of a planted value, by kind (labels a real form or
# terminal would show; the detectors may not rely on them).
LABELS = {
    "email": ["E-mail", "Email", "From", "To", "Contact", "Reply-To"],
    "phone": ["Phone", "Mobile", "Tel.", "Call", "Contact number", "Fax"],
    "card": ["Card number", "Card", "Payment card", "PAN"],
    "iban": ["IBAN", "Account", "Bank account", "Pay to"],
    "ipv4": ["Host", "IP address", "Server", "Remote", "inet"],
    "ipv6": ["inet6", "IPv6", "Address", "Peer"],
    "ssn": ["SSN", "Social Security No.", "Tax ID"],
    "nino": ["NI number", "National Insurance", "NINO"],
    "aws_key": ["AWS_ACCESS_KEY_ID=", "aws_access_key_id =", "Access key"],
    "aws_secret": ["AWS_SECRET_ACCESS_KEY=", "aws_secret_access_key =", "Secret key"],
    "github_token": ["GITHUB_TOKEN=", "token:", "Personal access token"],
    "openai_key": ["OPENAI_API_KEY=", "api_key =", "Key"],
    "slack_token": ["SLACK_BOT_TOKEN=", "token:", "Bot token"],
    "jwt": ["Authorization: Bearer", "id_token:", "JWT"],
    "generic_secret": ["client_secret:", "SECRET_KEY=", "webhook secret", "API secret"],
    "credential_url": ["DATABASE_URL=", "remote:", "url:"],
    "token_url": ["GET", "Link:", "callback"],
}


def negatives() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    out["sha1"] = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(40)]
    out["short_sha"] = [hashlib.sha1(str(i).encode()).hexdigest()[:7] for i in range(40, 100)]
    out["sha256"] = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(30)]
    out["docker_digest"] = ["sha256:" + hashlib.sha256(str(i).encode()).hexdigest()[:32]
                            for i in range(100, 115)]
    out["uuid"] = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(40)]
    out["version"] = [rng.choice(["v", "", "", "version "]) + f"{rng.randrange(0, 20)}.{rng.randrange(0, 40)}.{rng.randrange(0, 120)}"
                      + rng.choice(["", "", "-rc1", "-beta.2", "+build.17", ".post1", "-dev"])
                      for _ in range(40)]
    out["version"] += ["5.15.0-91-generic", "6.1.0-18-amd64", "Python 3.11.2", "node v20.11.1",
                       "10.0.19045.3570", "14.4.1 (23E224)", "2024.1.3", "1.26.4", "v0.32.0",
                       "Qt 6.6.2", "OpenSSL 3.0.11", "nginx/1.24.0", "gcc 12.2.0-14"]
    out["order_number"] = ([f"ORD-{rng.randrange(2019, 2026)}-{digits(6)}" for _ in range(15)]
                           + [f"#{digits(6)}" for _ in range(10)]
                           + [f"PO {digits(10)}" for _ in range(10)]
                           + [f"INV-{digits(5)}" for _ in range(10)]
                           + [f"{digits(3)}-{digits(7)}-{digits(7)}" for _ in range(10)]
                           + [f"Case {digits(8)}" for _ in range(5)])
    out["tracking"] = [f"1Z{rand_str(string.ascii_uppercase + string.digits, 16)}" for _ in range(6)] + \
                      [digits(12) for _ in range(6)] + [f"JD{digits(18)}" for _ in range(4)]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    out["date"] = ([f"{rng.randrange(2018, 2026)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}" for _ in range(15)]
                   + [f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/{rng.randrange(2018, 2026)}" for _ in range(10)]
                   + [f"{rng.randrange(1, 29):02d}.{rng.randrange(1, 13):02d}.{rng.randrange(2018, 2026)}" for _ in range(10)]
                   + [f"{rng.choice(months)} {rng.randrange(1, 29)}, {rng.randrange(2018, 2026)}" for _ in range(10)]
                   + [f"{rng.randrange(2018, 2026)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z" for _ in range(8)]
                   + [f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}" for _ in range(10)])
    out["price"] = ([f"${rng.randrange(1, 99999):,}.{rng.randrange(100):02d}" for _ in range(15)]
                    + [f"€ {rng.randrange(1, 9999)},{rng.randrange(100):02d}" for _ in range(8)]
                    + [f"£{rng.randrange(1, 999)}.{rng.randrange(100):02d}" for _ in range(8)]
                    + [f"{rng.randrange(1, 999999):,}.{rng.randrange(100):02d} USD" for _ in range(8)]
                    + [f"-{rng.randrange(1, 9999)}.{rng.randrange(100):02d}" for _ in range(5)])
    out["number"] = ([f"{rng.randrange(1, 100)}%" for _ in range(8)]
                     + [f"{rng.randrange(1, 999)}.{rng.randrange(10)} {rng.choice(['KB', 'MB', 'GB'])}" for _ in range(10)]
                     + [f"{rng.randrange(1000, 99999999):,}" for _ in range(10)]
                     + [f"{rng.randrange(1, 65535)}/tcp" for _ in range(5)]
                     + [f"pid {rng.randrange(100, 99999)}" for _ in range(5)]
                     + [f"{rng.randrange(1, 300)}x{rng.randrange(1, 300)}" for _ in range(5)]
                     + [f"ISBN 978-{digits(1)}-{digits(3)}-{digits(5)}-{digits(1)}" for _ in range(5)]
                     + [f"{digits(4)} {digits(4)}" for _ in range(5)])
    out["identifier"] = ["getUserAccountSettings", "XMLHttpRequestUpload",
                         "AbstractSingletonProxyFactoryBean", "handleOnClickListener2",
                         "org.apache.commons.lang3", "com.example.billing.InvoiceService",
                         "node_modules/.bin/webpack", "/usr/lib/x86_64-linux-gnu/libssl.so.3",
                         "C:\\Program Files\\Contoso\\Reports\\config.yaml",
                         "src/components/CheckoutFormContainer.tsx", "test_invoice_totals_round_half_even",
                         "MAX_RETRY_ATTEMPTS", "ConnectionRefusedError", "__pycache__",
                         "Microsoft.AspNetCore.Authentication.JwtBearer", "ap-southeast-2",
                         "us-east-1", "t3.medium", "i-0abc12de34f567890", "arn:aws:iam::123456789012:role/ReadOnly",
                         "base64", "utf-8", "x86_64", "aarch64", "IPv4", "IPv6", "OAuth2", "HTTP/1.1",
                         "TLSv1.3", "Content-Type: application/json", "text/html; charset=UTF-8",
                         "ECDHE-RSA-AES128-GCM-SHA256", "SkipHeaderValidation", "DefaultEndpointsProtocol"]
    return out


def main() -> None:
    pii = {kind: sorted({gen() for _ in range(60)}) for kind, gen in GENERATORS.items()}
    (HERE / "pii.json").write_text(json.dumps({"labels": LABELS, "values": pii}, indent=1) + "\n")
    (HERE / "negatives.json").write_text(json.dumps(negatives(), indent=1) + "\n")
    print({k: len(v) for k, v in pii.items()})


if __name__ == "__main__":
    main()
