"""The workspace store: a database (SQLite in the workspace, or PostgreSQL) with Alembic
migrations, and a content-addressed blob store with reference counts.  Qt-free.

See docs/store.md for the schema.
"""

from annotator.store.blobs import BlobStore, LocalBlobStore, StagedBlob
from annotator.store.db import ENV_DATABASE_URL, Store, open_store
from annotator.store.errors import (
    BlobError,
    BlobHashMismatch,
    BlobMissing,
    SchemaOutOfDate,
    SchemaTooNew,
    StoreError,
    StoreUnavailable,
)

__all__ = [
    "ENV_DATABASE_URL", "BlobError", "BlobHashMismatch", "BlobMissing", "BlobStore",
    "LocalBlobStore", "SchemaOutOfDate", "SchemaTooNew", "StagedBlob", "Store", "StoreError",
    "StoreUnavailable", "open_store",
]
