"""Whether this annotator is new enough for a workspace, checked before the app opens it.

A contributor who upgraded and then runs an older copy (an old installer run again, an old
shortcut) must not have that copy touch a workspace whose store a newer annotator already
migrated.  The store's own check (``SchemaTooNew``) refuses each operation; this one refuses
up front, in a sentence, before any window or write.  It reads the workspace database's
schema revision with the standard library only (a few milliseconds: no SQLAlchemy, no
Alembic) and compares it with the revisions this annotator's migrations declare.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

from annotator import __version__
from annotator.errors import AnnotatorError
from annotator.settings import current as settings

VERSIONS_DIR = Path(__file__).resolve().parent / "store" / "migrations" / "versions"
_REVISION = re.compile(r"""^revision\s*(?::\s*str\s*)?=\s*["']([^"']+)["']""", re.M)


class WorkspaceTooNew(AnnotatorError):
    """The workspace was upgraded by a newer annotator than this one."""


def declared_revisions(folder: Path = VERSIONS_DIR) -> set[str]:
    out = set()
    for path in folder.glob("*.py"):
        try:
            m = _REVISION.search(path.read_text("utf-8"))
        except OSError:
            continue
        if m:
            out.add(m.group(1))
    return out


def workspace_revision(root: Path) -> str | None:
    """The schema revision of the workspace's own database, None when it has none yet.
    Opened read-only: nothing is created or changed."""
    db = Path(root) / "store" / "annotator.db"
    if not db.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None  # the store's own opening reports what is wrong with it
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return str(row[0]) if row else None


def check_workspace(root: str | os.PathLike[str]) -> None:
    """Raise WorkspaceTooNew when a newer annotator upgraded the workspace at ``root``.

    A workspace whose store is elsewhere (``ANNOTATOR_DATABASE_URL``) is checked by the
    store when it is opened."""
    if settings().database_url:
        return
    root = Path(root).expanduser()
    rev = workspace_revision(root)
    if rev is None:
        return
    known = declared_revisions()
    if not known or rev in known:
        return  # (no migrations found: a broken installation, reported by the store)
    raise WorkspaceTooNew(
        f"This annotator (version {__version__}) is older than your workspace {root}: a "
        f"newer annotator upgraded its database (to schema revision {rev}, which this version "
        "does not know). To keep your recordings and submissions safe, this version does "
        "not open it.",
        "Install the newer annotator again (run the latest annotator-linux-x86_64.run, or "
        "update your developer install), or open another folder with --workspace DIR. "
        "Nothing in your workspace was changed.")
