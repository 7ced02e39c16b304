"""SeaweedFS locked down: what ``weed`` needs so that only its S3 gateway answers unsigned
requests, and the S3 gateway itself only signed ones (docs/server.md, "What a deployment
exposes").

- **S3**: one identity (access key and secret key), never "allow all" (``s3.json``).
- **Every HTTP port but S3's** (master, volume, filer, admin): HTTPS with mutual TLS
  (``[https.master]``, ``[https.volume]``, ``[https.filer]``, ``[https.admin]`` name the CA
  made here, so a client without a certificate signed by it cannot finish the handshake:
  not even the status and health pages answer).  SeaweedFS's own clients (the S3 gateway
  reading and writing chunks on the volume server, the filer, ``weed shell``) present the
  same certificate (``[https.client]``).
- **Every gRPC port** (master, volume, filer, S3, admin, the maintenance worker): mutual TLS
  with the same CA (``[grpc.*]``).
- **Behind the TLS, still signed**: JWT signing keys for writes and reads (``[jwt.signing]``,
  ``[jwt.signing.read]``, ``[jwt.filer_signing]``, ``[jwt.filer_signing.read]``): the volume
  server and the filer refuse a request without a token signed with them; the filer's and
  master's HTTP APIs are off (``-disableHttp``: the S3 gateway reaches the filer over gRPC).
- **Admin**: its web UI is off (``-admin.ui=false``) and it has a password anyway.
- **Local sockets** (gRPC's in the system's temporary folder, the filer's and S3's in the
  store's folder): made under umask 077, so only this user can connect.

So the S3 port is the only one of the store that talks to a client without credentials
(and it refuses what is not signed).  Every file is 0600 in a 0700 folder; the keys and the admin password come from
``SecretFiles`` (generated once, kept across restarts); the certificates are made once and
kept beside them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from pathlib import Path

from annotator.server.secretfiles import SecretFiles, write_private

# Components whose gRPC servers and clients use mutual TLS (every one ``weed mini`` runs),
# and those whose HTTP servers do (S3's is the one left plain: presigned URLs reach it).
GRPC_COMPONENTS = ("master", "volume", "filer", "s3", "admin", "worker", "client",
                   "msg_broker", "msg_agent", "mq")
HTTPS_COMPONENTS = ("master", "volume", "filer", "admin")
JWT_SECTIONS = ("jwt.signing", "jwt.signing.read", "jwt.filer_signing",
                "jwt.filer_signing.read")
CA_FILE, CERT_FILE, KEY_FILE = "ca.crt", "node.crt", "node.key"


def s3_identity(access_key: str, secret_key: str) -> str:
    return json.dumps({"identities": [{
        "name": "annotator",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]})


def make_certificates(folder: Path) -> None:
    """A CA and one certificate for every component (SeaweedFS does not check host names;
    the CA's key is not kept: a lost certificate means new ones for everybody)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(minutes=5), now + dt.timedelta(days=3650)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "annotator store CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(
              digital_signature=True, key_cert_sign=True, crl_sign=True,
              content_commitment=False, key_encipherment=False, data_encipherment=False,
              key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seaweedfs")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    write_private(folder / CA_FILE, ca.public_bytes(pem))
    write_private(folder / CERT_FILE, cert.public_bytes(pem))
    write_private(folder / KEY_FILE, key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def security_toml(secrets: SecretFiles, folder: Path) -> str:
    lines = ["# Written by annotator (annotator/server/seaweedsecurity.py); secrets inside.",
             "[access]", "ui = false", "",
             "[filer.expose_directory_metadata]", "enabled = false", ""]
    for section in JWT_SECTIONS:
        key = secrets.get("seaweedfs_" + section.replace(".", "_"))
        lines += [f"[{section}]", f"key = {_toml_string(key)}",
                  "expires_after_seconds = 10", ""]
    lines += ["[admin]", 'user = "admin"',
              f"password = {_toml_string(secrets.get('seaweedfs_admin_password'))}", ""]
    lines += ["[grpc]", f"ca = {_toml_string(str(folder / CA_FILE))}", ""]
    cert, key, ca = (_toml_string(str(folder / f)) for f in (CERT_FILE, KEY_FILE, CA_FILE))
    for comp in GRPC_COMPONENTS:
        lines += [f"[grpc.{comp}]", f"cert = {cert}", f"key = {key}", ""]
    for comp in HTTPS_COMPONENTS:
        lines += [f"[https.{comp}]", f"cert = {cert}", f"key = {key}", f"ca = {ca}", ""]
    lines += ["[https.client]", "enabled = true", f"cert = {cert}", f"key = {key}",
              f"ca = {ca}", ""]
    return "\n".join(lines)


def write_config(folder: Path, secrets: SecretFiles, *, access_key: str,
                 secret_key: str) -> Path:
    """Write ``security.toml`` (read from ``weed``'s working folder), the certificates and
    ``s3.json`` into ``folder``; returns the path of ``s3.json``."""
    if not all((folder / f).exists() for f in (CA_FILE, CERT_FILE, KEY_FILE)):
        make_certificates(folder)
    write_private(folder / "security.toml", security_toml(secrets, folder))
    return write_private(folder / "s3.json", s3_identity(access_key, secret_key))
