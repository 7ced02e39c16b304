"""The server's configuration: environment variables only, so that nothing secret lands in a
file the server writes (docs/server.md lists them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from annotator.errors import AnnotatorError

PREFIX = "ANNOTATOR_"
MiB = 1 << 20


class ConfigError(AnnotatorError):
    """A setting of the server is missing or malformed."""


@dataclass(frozen=True)
class ServerConfig:
    # Secrets (in the URLs too) stay out of repr(): a logged configuration shows none.
    database_url: str = field(repr=False)
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str = field(repr=False)
    redis_url: str = field(repr=False)
    s3_bucket: str = "annotator"
    s3_region: str = "us-east-1"
    max_package_bytes: int = 4096 * MiB
    part_size: int = 16 * MiB
    part_url_ttl_s: int = 900
    download_url_ttl_s: int = 120
    token_ttl_days: int = 30  # also the longest lifetime a client may ask for
    login_rate: str = "10/minute"  # per (address, name)
    login_address_rate: str = "30/minute"  # per address, whatever the names
    # Passphrase checks (Argon2) running at once in one API process; more answer 429 at once
    login_concurrency: int = 2
    passphrase_rate: str = "5/minute"  # passphrase and payee changes, per user
    upload_rate: str = "60/minute"
    # Bytes a user may have in unfinished uploads at once (default: two largest packages)
    max_open_upload_bytes: int = 8192 * MiB
    # Largest request body the API reads (its requests are small JSON documents)
    max_request_bytes: int = 1 * MiB
    # The reconciler: a running job whose heartbeat is older than this is dead.
    heartbeat_s: float = 5.0
    stale_after_s: float = 30.0
    # The reaper: multipart uploads older than this are aborted.
    abandon_after_s: float = 7 * 24 * 3600.0
    reconcile_every_s: float = 60.0
    job_max_attempts: int = 5  # then the job is dead: listed for admins, who may retry it
    # Pay counts active time: a wait longer than this (no change on screen, no step) counts
    # as this much (docs/server.md, "Verification").
    pay_idle_cap_s: float = 30.0
    work_dir: str = ""  # where workers unpack packages (default: the system's temp folder)
    # Job workers (hashing, OCR, exports) lower their CPU priority by this much, so the API's
    # short requests are served first where they share a host.
    worker_nice: int = 10

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServerConfig:
        env = os.environ if env is None else env
        missing = [k for k in ("DATABASE_URL", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY",
                               "REDIS_URL") if not env.get(PREFIX + k)]
        if missing:
            raise ConfigError(
                "The server is not configured: " + ", ".join(PREFIX + k for k in missing)
                + " not set.",
                "Set them in the server's environment (docs/server.md, 'Configuration'); "
                "`annotator server-up` does it for a trial on one machine.")

        def num(key: str, default: float, kind: type = int) -> float:
            raw = env.get(PREFIX + key)
            if raw is None or raw == "":
                return default
            try:
                v = kind(raw)
            except ValueError:
                raise ConfigError(f"{PREFIX}{key}={raw!r} is not a number.") from None
            if v <= 0:
                raise ConfigError(f"{PREFIX}{key} must be greater than 0.")
            return float(v)

        part = int(num("PART_SIZE", cls.part_size))
        if part < 5 * MiB:
            raise ConfigError(f"{PREFIX}PART_SIZE must be at least 5 MiB (an S3 rule).")
        raw_nice = env.get(PREFIX + "WORKER_NICE") or str(cls.worker_nice)
        if not raw_nice.isdigit() or int(raw_nice) > 19:
            raise ConfigError(f"{PREFIX}WORKER_NICE={raw_nice!r} is not a niceness from 0 to 19.",
                              "Use 0 to keep job workers at normal priority, up to 19.")
        return cls(
            database_url=env[PREFIX + "DATABASE_URL"],
            s3_endpoint=env[PREFIX + "S3_ENDPOINT"],
            s3_access_key=env[PREFIX + "S3_ACCESS_KEY"],
            s3_secret_key=env[PREFIX + "S3_SECRET_KEY"],
            redis_url=env[PREFIX + "REDIS_URL"],
            s3_bucket=env.get(PREFIX + "S3_BUCKET") or cls.s3_bucket,
            s3_region=env.get(PREFIX + "S3_REGION") or cls.s3_region,
            max_package_bytes=int(num("MAX_PACKAGE_BYTES", cls.max_package_bytes)),
            part_size=part,
            part_url_ttl_s=int(num("PART_URL_TTL_S", cls.part_url_ttl_s)),
            download_url_ttl_s=int(num("DOWNLOAD_URL_TTL_S", cls.download_url_ttl_s)),
            token_ttl_days=int(num("TOKEN_TTL_DAYS", cls.token_ttl_days)),
            login_rate=env.get(PREFIX + "LOGIN_RATE") or cls.login_rate,
            login_address_rate=env.get(PREFIX + "LOGIN_ADDRESS_RATE") or cls.login_address_rate,
            login_concurrency=int(num("LOGIN_CONCURRENCY", cls.login_concurrency)),
            passphrase_rate=env.get(PREFIX + "PASSPHRASE_RATE") or cls.passphrase_rate,
            upload_rate=env.get(PREFIX + "UPLOAD_RATE") or cls.upload_rate,
            max_open_upload_bytes=int(num("MAX_OPEN_UPLOAD_BYTES", cls.max_open_upload_bytes)),
            max_request_bytes=int(num("MAX_REQUEST_BYTES", cls.max_request_bytes)),
            heartbeat_s=num("HEARTBEAT_S", cls.heartbeat_s, float),
            stale_after_s=num("STALE_AFTER_S", cls.stale_after_s, float),
            abandon_after_s=num("ABANDON_AFTER_S", cls.abandon_after_s, float),
            reconcile_every_s=num("RECONCILE_EVERY_S", cls.reconcile_every_s, float),
            job_max_attempts=int(num("JOB_MAX_ATTEMPTS", cls.job_max_attempts)),
            pay_idle_cap_s=num("PAY_IDLE_CAP_S", cls.pay_idle_cap_s, float),
            work_dir=env.get(PREFIX + "WORK_DIR", ""),
            worker_nice=int(raw_nice),
        )

    def env(self) -> dict[str, str]:
        """The environment that gives this configuration (for child processes)."""
        return {
            PREFIX + "DATABASE_URL": self.database_url,
            PREFIX + "S3_ENDPOINT": self.s3_endpoint,
            PREFIX + "S3_ACCESS_KEY": self.s3_access_key,
            PREFIX + "S3_SECRET_KEY": self.s3_secret_key,
            PREFIX + "REDIS_URL": self.redis_url,
            PREFIX + "S3_BUCKET": self.s3_bucket,
            PREFIX + "S3_REGION": self.s3_region,
            PREFIX + "MAX_PACKAGE_BYTES": str(self.max_package_bytes),
            PREFIX + "PART_SIZE": str(self.part_size),
            PREFIX + "PART_URL_TTL_S": str(self.part_url_ttl_s),
            PREFIX + "DOWNLOAD_URL_TTL_S": str(self.download_url_ttl_s),
            PREFIX + "TOKEN_TTL_DAYS": str(self.token_ttl_days),
            PREFIX + "LOGIN_RATE": self.login_rate,
            PREFIX + "LOGIN_ADDRESS_RATE": self.login_address_rate,
            PREFIX + "LOGIN_CONCURRENCY": str(self.login_concurrency),
            PREFIX + "PASSPHRASE_RATE": self.passphrase_rate,
            PREFIX + "UPLOAD_RATE": self.upload_rate,
            PREFIX + "MAX_OPEN_UPLOAD_BYTES": str(self.max_open_upload_bytes),
            PREFIX + "MAX_REQUEST_BYTES": str(self.max_request_bytes),
            PREFIX + "HEARTBEAT_S": str(self.heartbeat_s),
            PREFIX + "STALE_AFTER_S": str(self.stale_after_s),
            PREFIX + "ABANDON_AFTER_S": str(self.abandon_after_s),
            PREFIX + "RECONCILE_EVERY_S": str(self.reconcile_every_s),
            PREFIX + "JOB_MAX_ATTEMPTS": str(self.job_max_attempts),
            PREFIX + "PAY_IDLE_CAP_S": str(self.pay_idle_cap_s),
            PREFIX + "WORK_DIR": self.work_dir,
            PREFIX + "WORKER_NICE": str(self.worker_nice),
        }
