"""The recording bundle: the folder the recorder writes and everything later reads.

The format is documented field by field in docs/bundle-format.md.
"""

from annotator.bundle.reader import Bundle
from annotator.bundle.schema import SCHEMA_VERSION

__all__ = ["Bundle", "SCHEMA_VERSION"]
