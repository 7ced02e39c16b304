"""JSON from outside (a contributor's package, a stored blob), parsed with limits.

Python's ``json`` module parses anything: a document nested thousands deep makes its parser
(and every recursive walk after it) raise ``RecursionError``, an integer of thousands of
digits becomes a Python int that no database column takes, ``NaN`` is accepted.  ``loads``
refuses those with ``JsonLimitError`` (a ``ValueError``) saying what was wrong, before
anything else sees the data:

- size: at most ``max_bytes``;
- depth: at most ``max_depth`` nested arrays and objects, counted on the raw text before the
  parser runs (strings skipped), so the parser never recurses deeply;
- integers: magnitude below 2**63 (a signed 64-bit column takes every one); floats finite;
  no ``NaN`` or ``Infinity``;
- UTF-8 only.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

MAX_DEPTH = 64
MAX_BYTES = 16 << 20
INT_LIMIT = 1 << 63
_STEP = np.zeros(256, np.int8)  # +1 for [ and {, -1 for ] and }
_STEP[[0x5B, 0x7B]] = 1
_STEP[[0x5D, 0x7D]] = -1
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)


class JsonLimitError(ValueError):
    """A JSON document breaks a limit (or does not parse); the message says which."""


def depth_of(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (an upper bound on broken
    text: an unterminated string counts its brackets too)."""
    bare = _STRING.sub(b'""', raw)
    step = _STEP[np.frombuffer(bare, np.uint8)]
    return int(np.cumsum(step, dtype=np.int64).max(initial=0))


def _int(text: str) -> int:
    if len(text.lstrip("-")) > 19:
        raise JsonLimitError(f"an integer has {len(text.lstrip('-'))} digits")
    value = int(text)
    if not -INT_LIMIT < value < INT_LIMIT:
        raise JsonLimitError(f"the integer {value} does not fit in 64 bits")
    return value


def _float(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise JsonLimitError(f"the number {text[:40]} is not finite")
    return value


def _constant(name: str) -> Any:
    raise JsonLimitError(f"{name} is not a JSON value")


def loads(raw: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``raw`` (UTF-8 JSON) within the limits above; ``JsonLimitError`` otherwise."""
    if len(raw) > max_bytes:
        raise JsonLimitError(f"it is larger than {max_bytes} bytes")
    depth = depth_of(raw)
    if depth > max_depth:
        raise JsonLimitError(f"it is nested {depth} levels deep (the limit is {max_depth})")
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_int=_int, parse_float=_float,
                          parse_constant=_constant)
    except JsonLimitError:
        raise
    except UnicodeDecodeError as exc:
        raise JsonLimitError(f"it is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise JsonLimitError(f"it does not parse: {exc}") from None
    except (RecursionError, ValueError, OverflowError) as exc:  # belt and braces
        raise JsonLimitError(f"it cannot be read: {type(exc).__name__}") from None
