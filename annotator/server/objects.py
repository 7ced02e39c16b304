"""The object store: any S3-compatible service, through boto3 (SigV4, path-style addressing).

Key layout, chosen by the server only (client file names never reach a key):

- ``incoming/<user id>/<upload id>/package.tar``: a package as the desktop app uploads it,
  through presigned multipart part URLs; never shown to anyone;
- ``staging/<uuid>``: bytes a verification job is copying in, hashed on the way;
- ``accepted/blobs/<sha256>``: verified content, the only objects reviewers and exports get
  (short-lived presigned GET URLs).

``S3BlobStore`` implements ``annotator.store.blobs.BlobStore`` on ``staging/`` and
``accepted/blobs/``, so ``Services`` (ingest, withdrawal, downloads) runs unchanged on it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from annotator.server.config import ServerConfig
from annotator.store.blobs import CHUNK, BlobStore, StagedBlob, check_sha256
from annotator.store.errors import BlobError, BlobHashMismatch, BlobMissing, StoreUnavailable

INCOMING = "incoming/"
STAGING = "staging/"
ACCEPTED = "accepted/blobs/"
EXPORTS = "exports/"  # datasets the server's export jobs made from accepted blobs


class ObjectStoreUnavailable(StoreUnavailable):
    """The object store cannot be reached, or refuses the server's credentials."""


@dataclass(frozen=True)
class PartInfo:
    number: int
    size: int
    etag: str


@dataclass(frozen=True)
class MultipartInfo:
    key: str
    upload_id: str
    initiated: dt.datetime


def incoming_key(user_id: int, upload_id: str) -> str:
    # Both parts are the server's own: an integer and a hex uuid.
    if not (isinstance(user_id, int) and len(upload_id) == 32 and upload_id.isalnum()):
        raise ValueError("incoming keys are made of server ids only")
    return f"{INCOMING}{user_id}/{upload_id}/package.tar"


def accepted_key(sha256: str) -> str:
    return ACCEPTED + check_sha256(sha256)


class ObjectStore:
    """The S3 calls the server and the workers make, with errors turned into clear ones."""

    def __init__(self, cfg: ServerConfig, *, connect_timeout: float = 5,
                 read_timeout: float = 60, max_attempts: int = 3) -> None:
        self.cfg = cfg
        self.bucket = cfg.s3_bucket
        self.endpoint = cfg.s3_endpoint
        self.s3 = boto3.session.Session().client(
            "s3", endpoint_url=cfg.s3_endpoint, aws_access_key_id=cfg.s3_access_key,
            aws_secret_access_key=cfg.s3_secret_key, region_name=cfg.s3_region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          connect_timeout=connect_timeout, read_timeout=read_timeout,
                          retries={"max_attempts": max_attempts, "mode": "standard"},
                          max_pool_connections=32))
        self.transfer = TransferConfig(multipart_threshold=64 << 20,
                                       multipart_chunksize=16 << 20, max_concurrency=4)

    # -- errors ----------------------------------------------------------------------------
    def _fail(self, exc: Exception, doing: str) -> Exception:
        if isinstance(exc, EndpointConnectionError | BotoConnectionError):
            return ObjectStoreUnavailable(
                f"The object store at {self.endpoint} cannot be reached while {doing}: "
                f"{str(exc).splitlines()[0]}.",
                "Check that it is running and reachable; uploads resume where they stopped.")
        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "403"):
                return ObjectStoreUnavailable(
                    f"The object store at {self.endpoint} refused the server's credentials "
                    f"({code}) while {doing}.",
                    "Check ANNOTATOR_S3_ACCESS_KEY and ANNOTATOR_S3_SECRET_KEY.")
            if code in ("NoSuchKey", "404", "NotFound", "NoSuchUpload"):
                return BlobMissing(f"The object store has no such object or upload ({doing}).")
            return BlobError(f"The object store answered {code or 'an error'} while {doing}: "
                             f"{exc.response.get('Error', {}).get('Message', '')}.")
        if isinstance(exc, BotoCoreError):
            return ObjectStoreUnavailable(f"The object store failed while {doing}: {exc}.",
                                          "Try again shortly.")
        return exc

    def call(self, doing: str, fn: str, **kw: Any) -> Any:
        try:
            return getattr(self.s3, fn)(Bucket=self.bucket, **kw)
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(exc, doing) from exc

    def check(self) -> None:
        """Raise ``ObjectStoreUnavailable`` unless the bucket answers with these credentials."""
        self.call("checking the bucket", "head_bucket")

    # -- multipart uploads ----------------------------------------------------------------
    def create_multipart(self, key: str) -> str:
        r = self.call("starting an upload", "create_multipart_upload", Key=key,
                      ContentType="application/x-tar")
        return str(r["UploadId"])

    def presign_part(self, key: str, upload_id: str, part: int, ttl_s: int,
                     size: int) -> str:
        """A PUT URL for one part, signing its exact length: the store refuses a body of any
        other size (and a chunked one)."""
        return str(self.s3.generate_presigned_url(
            "upload_part", Params={"Bucket": self.bucket, "Key": key, "UploadId": upload_id,
                                   "PartNumber": part, "ContentLength": size},
            ExpiresIn=ttl_s))

    def list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        parts: list[PartInfo] = []
        marker = 0
        while True:
            r = self.call("listing the parts received", "list_parts", Key=key,
                          UploadId=upload_id, PartNumberMarker=marker, MaxParts=1000)
            parts += [PartInfo(p["PartNumber"], p["Size"], p["ETag"]) for p in r.get("Parts", [])]
            if not r.get("IsTruncated"):
                return parts
            marker = int(r["NextPartNumberMarker"])

    def complete_multipart(self, key: str, upload_id: str, parts: list[PartInfo]) -> None:
        self.call("completing an upload", "complete_multipart_upload", Key=key,
                  UploadId=upload_id, MultipartUpload={"Parts": [
                      {"PartNumber": p.number, "ETag": p.etag} for p in parts]})

    def abort_multipart(self, key: str, upload_id: str) -> bool:
        try:
            self.call("aborting an upload", "abort_multipart_upload", Key=key,
                      UploadId=upload_id)
            return True
        except BlobMissing:
            return False

    def list_multipart(self, prefix: str = INCOMING) -> Iterator[MultipartInfo]:
        kw: dict[str, Any] = {"Prefix": prefix}
        while True:
            r = self.call("listing unfinished uploads", "list_multipart_uploads", **kw)
            for u in r.get("Uploads", []):
                yield MultipartInfo(u["Key"], u["UploadId"], u["Initiated"])
            if not r.get("IsTruncated"):
                return
            kw = {"Prefix": prefix, "KeyMarker": r.get("NextKeyMarker", ""),
                  "UploadIdMarker": r.get("NextUploadIdMarker", "")}

    # -- objects ---------------------------------------------------------------------------
    def head_size(self, key: str) -> int | None:
        try:
            return int(self.call("reading an object's size", "head_object",
                                 Key=key)["ContentLength"])
        except BlobMissing:
            return None

    def download(self, key: str, path: str) -> None:
        try:
            self.s3.download_file(self.bucket, key, path, Config=self.transfer)
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(exc, "downloading a package") from exc

    def delete(self, key: str) -> None:
        self.call("deleting an object", "delete_object", Key=key)

    def list_keys(self, prefix: str) -> Iterator[tuple[str, dt.datetime]]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                  Prefix=prefix)
        try:
            for page in pages:
                for o in page.get("Contents", []):
                    yield o["Key"], o["LastModified"]
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(exc, "listing objects") from exc

    def upload(self, path: str, key: str) -> None:
        try:
            self.s3.upload_file(path, self.bucket, key, Config=self.transfer)
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(exc, "storing an export") from exc

    def presign_get(self, key: str, ttl_s: int, *, filename: str | None = None) -> str:
        # Reviewers and exports read verified bytes only: accepted files, server-made exports.
        if not key.startswith((ACCEPTED, EXPORTS)):
            raise BlobMissing("Only accepted objects can be downloaded.")
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if filename:
            safe = "".join(c for c in filename if c.isalnum() or c in "._-") or "file"
            params["ResponseContentDisposition"] = f'attachment; filename="{safe}"'
        return str(self.s3.generate_presigned_url("get_object", Params=params,
                                                  ExpiresIn=ttl_s))


class _HashingReader(io.RawIOBase):
    """Hashes (and counts) what boto3 reads from the source while it uploads it."""

    def __init__(self, source: BinaryIO, limit: int | None) -> None:
        self.source = source
        self.h = hashlib.sha256()
        self.size = 0
        self.limit = limit

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self.source.read(CHUNK if n is None or n < 0 else n)
        self.h.update(data)
        self.size += len(data)
        if self.limit is not None and self.size > self.limit:
            raise BlobHashMismatch(f"The bytes received are more than the {self.limit} "
                                   "declared.", "Render the package again.")
        return data

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


class S3BlobStore(BlobStore):
    """``BlobStore`` on an S3 bucket: ``staging/<uuid>`` then ``accepted/blobs/<sha256>``."""

    def __init__(self, objects: ObjectStore) -> None:
        self.objects = objects

    def __repr__(self) -> str:
        return f"S3BlobStore({self.objects.endpoint!r}, bucket={self.objects.bucket!r})"

    def stage(self, source: BinaryIO | bytes, *, expected_sha256: str | None = None,
              expected_size: int | None = None) -> StagedBlob:
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
        if isinstance(source, bytes | bytearray | memoryview):
            source = io.BytesIO(bytes(source))
        key = STAGING + uuid.uuid4().hex
        reader = _HashingReader(source, expected_size)
        try:
            self.objects.s3.upload_fileobj(reader, self.objects.bucket, key,
                                           Config=self.objects.transfer)
        except BlobHashMismatch:
            self._drop(key)
            raise
        except (ClientError, BotoCoreError) as exc:
            self._drop(key)
            raise self.objects._fail(exc, "staging a file") from exc
        digest = reader.h.hexdigest()
        problem = None
        if expected_size is not None and reader.size != expected_size:
            problem = f"{reader.size} bytes instead of {expected_size}"
        elif expected_sha256 is not None and digest != expected_sha256:
            problem = f"SHA-256 {digest} instead of {expected_sha256}"
        if problem:
            self._drop(key)
            raise BlobHashMismatch(
                f"The bytes received do not match what was declared: {problem}.",
                "The file changed after its hash was recorded: render or export it again.")
        return StagedBlob(key=key, sha256=digest, size=reader.size)

    def _drop(self, key: str) -> None:
        try:
            self.objects.delete(key)
        except Exception:  # noqa: BLE001 - staging is purged later anyway
            pass

    def promote(self, staged: StagedBlob) -> bool:
        if not staged.key.startswith(STAGING):
            raise BlobError(f"{staged.key!r} is not a staging key of this store.")
        dst = accepted_key(staged.sha256)
        if self.exists(staged.sha256):
            self._drop(staged.key)
            return False
        try:
            self.objects.s3.copy({"Bucket": self.objects.bucket, "Key": staged.key},
                                 self.objects.bucket, dst, Config=self.objects.transfer)
        except (ClientError, BotoCoreError) as exc:
            raise self.objects._fail(exc, "accepting a file") from exc
        self._drop(staged.key)
        return True

    def discard(self, staged: StagedBlob) -> None:
        if staged.key.startswith(STAGING):
            self._drop(staged.key)

    def open(self, sha256: str) -> BinaryIO:
        try:
            r = self.objects.call("reading a file", "get_object", Key=accepted_key(sha256))
        except BlobMissing:
            raise BlobMissing(f"Blob {sha256} is not in the object store.",
                              "It was withdrawn or deleted.") from None
        body: BinaryIO = r["Body"]  # botocore's StreamingBody, a readable binary file
        return body

    def exists(self, sha256: str) -> bool:
        return self.objects.head_size(accepted_key(sha256)) is not None

    def size(self, sha256: str) -> int:
        n = self.objects.head_size(accepted_key(sha256))
        if n is None:
            raise BlobMissing(f"Blob {sha256} is not in the object store.")
        return n

    def delete(self, sha256: str) -> bool:
        if not self.exists(sha256):
            return False
        self.objects.delete(accepted_key(sha256))
        return True

    def iter_blobs(self) -> Iterator[str]:
        for key, _t in self.objects.list_keys(ACCEPTED):
            yield key[len(ACCEPTED):]

    def purge_staging(self, *, older_than_s: float) -> int:
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=older_than_s)
        n = 0
        for key, modified in list(self.objects.list_keys(STAGING)):
            if modified < cutoff:
                self._drop(key)
                n += 1
        return n
