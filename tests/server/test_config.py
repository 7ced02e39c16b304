"""The server's configuration: a bad setting is a clear error naming the variable; job workers
run at the configured lower CPU priority."""

from __future__ import annotations

import os
import time

import pytest

from annotator.server.config import ConfigError, ServerConfig

BASE = {"ANNOTATOR_DATABASE_URL": "postgresql://u@127.0.0.1/db",
        "ANNOTATOR_S3_ENDPOINT": "http://127.0.0.1:1", "ANNOTATOR_S3_ACCESS_KEY": "a",
        "ANNOTATOR_S3_SECRET_KEY": "b", "ANNOTATOR_REDIS_URL": "redis://127.0.0.1:1/0"}


def test_missing_settings_are_named():
    env = dict(BASE)
    del env["ANNOTATOR_REDIS_URL"]
    with pytest.raises(ConfigError) as err:
        ServerConfig.from_env(env)
    assert "ANNOTATOR_REDIS_URL" in str(err.value) and "docs/server.md" in err.value.hint


@pytest.mark.parametrize("key,value,words", [
    ("ANNOTATOR_PART_SIZE", "1048576", "at least 5 MiB"),
    ("ANNOTATOR_MAX_PACKAGE_BYTES", "lots", "is not a number"),
    ("ANNOTATOR_TOKEN_TTL_DAYS", "0", "greater than 0"),
    ("ANNOTATOR_WORKER_NICE", "25", "niceness from 0 to 19"),
    ("ANNOTATOR_WORKER_NICE", "-5", "niceness from 0 to 19"),
])
def test_malformed_settings_are_refused(key, value, words):
    with pytest.raises(ConfigError) as err:
        ServerConfig.from_env(BASE | {key: value})
    assert key in str(err.value) and words in str(err.value)


def test_the_environment_round_trips():
    cfg = ServerConfig.from_env(BASE | {"ANNOTATOR_WORKER_NICE": "0"})
    assert cfg.worker_nice == 0
    assert ServerConfig.from_env(cfg.env()) == cfg


def _nice(pid: int) -> int:
    # Field 19 of /proc/PID/stat, counted after the command name (which may hold spaces).
    stat = open(f"/proc/{pid}/stat").read()
    return int(stat.rsplit(")", 1)[1].split()[16])


def test_job_workers_run_at_lower_priority_than_the_api(team):
    worker = team.workers[0]
    deadline = time.monotonic() + 30
    while _nice(worker.proc.pid) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)  # the worker lowers its priority as it starts
    assert _nice(worker.proc.pid) == team.cfg.worker_nice == 10
    assert _nice(team.api.proc.pid) == _nice(os.getpid())
