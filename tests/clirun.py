"""The command line in the test's own process: ``annotator --workspace WS ARGS`` signed in as
a user of the workspace's store, with no terminal on stdin."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path


def cli_runner(monkeypatch, capsys, workspace: Path, user: str, passphrase: str
               ) -> Callable[..., tuple[int, str, str]]:
    """A function running ``annotator ARGS`` that returns (status, stdout, stderr)."""
    monkeypatch.setenv("ANNOTATOR_USER", user)
    monkeypatch.setenv("ANNOTATOR_PASSPHRASE", passphrase)
    monkeypatch.delenv("ANNOTATOR_DATABASE_URL", raising=False)
    umask = os.umask(0o077)
    os.umask(umask)

    def run(*args: str) -> tuple[int, str, str]:
        from annotator.cli.main import main

        capsys.readouterr()
        with open(os.devnull) as null:
            monkeypatch.setattr(sys, "stdin", null)
            try:
                code = main(["--workspace", str(workspace), *args])
            finally:
                os.umask(umask)  # main() sets its own
        out, err = capsys.readouterr()
        return code, out, err

    return run
