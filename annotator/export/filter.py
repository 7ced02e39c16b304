"""``--filter``: a small expression language over submissions, parsed, never evaluated as code.

Grammar (keywords and field names are case-insensitive)::

    expr   := and ("or" and)*
    and    := unary ("and" unary)*
    unary  := "not" unary | "(" expr ")" | test
    test   := FIELD OP VALUE
    FIELD  := task | application | date | contributor | reviewer | quality | tags | signal
    OP     := "=" | "!=" | "<" | "<=" | ">" | ">=" | "~"        (~ : contains, case-insensitive)
    VALUE  := a bare word of [A-Za-z0-9._:@/+-] | "double quoted" | 'single quoted'

Fields:

- ``task``: the task's id (a number) or its title (``=``, ``!=``, ``~``).
- ``application``: any of the task's applications (``=``, ``!=``, ``~``; case-insensitive).
- ``date``: the day the submission was approved, ``YYYY-MM-DD`` (every operator).
- ``contributor``, ``reviewer``: pseudonyms (``=``, ``!=``, ``~``).
- ``quality``: the review score 1-5 (every operator).
- ``tags``: any of the labels in the package's task.json (``=``, ``!=``, ``~``).
- ``signal``: any kind of quality signal the store found in the submission, such as
  ``no_effect`` or ``synthetic_input`` (``=``, ``!=``, ``~``); ``signal != synthetic_input``
  keeps the submissions without that kind.

``!=`` on a list field (application, tags, signal) means "none of them is".
Example: ``application = firefox and quality >= 4 and not tags ~ draft``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from annotator.export.errors import FilterError
from annotator.quality.records import KINDS

FIELDS = ("task", "application", "date", "contributor", "reviewer", "quality", "tags",
          "signal")
_LISTS = {"application": "applications", "tags": "tags", "signal": "signals"}
OPS = ("=", "!=", "<", "<=", ">", ">=", "~")
_ORDERED = {"date", "quality"}
_TOKEN = re.compile(r"""\s*(?:(?P<op><=|>=|!=|=|<|>|~)|(?P<paren>[()])|"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<word>[A-Za-z0-9._:@/+\-]+))""")

HINT = ("Write tests as FIELD OP VALUE joined with and, or, not and parentheses, e.g. "
        "\"application = firefox and quality >= 4\". Fields: " + ", ".join(FIELDS)
        + "; operators: " + " ".join(OPS) + ".")


@dataclass(frozen=True)
class Test:
    field: str
    op: str
    value: str


@dataclass(frozen=True)
class Not:
    inner: Any


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    parts: tuple[Any, ...]


Node = Test | Not | BoolOp


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise FilterError(f"--filter: cannot read {text[pos:].strip()[:20]!r} "
                              f"(at character {pos + 1}).", HINT)
        if m.group("op"):
            out.append(("op", m.group("op")))
        elif m.group("paren"):
            out.append((m.group("paren"), m.group("paren")))
        elif m.group("dq") is not None or m.group("sq") is not None:
            out.append(("str", m.group("dq") if m.group("dq") is not None else m.group("sq")))
        else:
            out.append(("word", m.group("word")))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise FilterError(f"--filter {self.text!r} ends too early.", HINT)
        self.i += 1
        return tok

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1].lower() == word:
            self.i += 1
            return True
        return False

    def parse(self) -> Node:
        if not self.toks:
            raise FilterError("--filter is empty.", HINT)
        node = self.expr()
        extra = self.peek()
        if extra is not None:
            raise FilterError(f"--filter: unexpected {extra[1]!r} after a complete "
                              "expression.", HINT)
        return node

    def expr(self) -> Node:
        parts = [self.conj()]
        while self.keyword("or"):
            parts.append(self.conj())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def conj(self) -> Node:
        parts = [self.unary()]
        while self.keyword("and"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def unary(self) -> Node:
        if self.keyword("not"):
            return Not(self.unary())
        tok = self.peek()
        if tok and tok[0] == "(":
            self.take()
            node = self.expr()
            if self.peek() is None or self.take()[0] != ")":
                raise FilterError(f"--filter {self.text!r}: a '(' is not closed.", HINT)
            return node
        return self.test()

    def test(self) -> Test:
        kind, name = self.take()
        if kind != "word" or name.lower() not in FIELDS:
            raise FilterError(f"--filter: {name!r} is not a field.", HINT)
        field = name.lower()
        kind, op = self.take()
        if kind != "op":
            raise FilterError(f"--filter: after {field!r} comes an operator, not {op!r}.", HINT)
        kind, value = self.take()
        if kind not in ("word", "str"):
            raise FilterError(f"--filter: {field} {op} needs a value, not {value!r}.", HINT)
        if op in ("<", "<=", ">", ">=") and field not in _ORDERED:
            raise FilterError(f"--filter: {field} cannot be compared with {op} (only date and "
                              "quality are ordered).", HINT)
        if op == "~" and field in _ORDERED:
            raise FilterError(f"--filter: {field} cannot use ~ (contains).", HINT)
        if field == "quality":
            if not re.fullmatch(r"[1-5]", value):
                raise FilterError(f"--filter: quality is a score from 1 to 5, not {value!r}.",
                                  HINT)
        if field == "signal" and op != "~" and value not in KINDS:
            raise FilterError(f"--filter: {value!r} is not a kind of quality signal.",
                              "Kinds: " + ", ".join(sorted(KINDS)) + ". " + HINT)
        if field == "date":
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise FilterError(f"--filter: {value!r} is not a date (YYYY-MM-DD).",
                                  HINT) from None
        return Test(field, op, value)


def parse_filter(text: str) -> Node:
    return _Parser(text).parse()


def _cmp(op: str, a: Any, b: Any) -> bool:
    return bool({"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b,
                 ">=": a >= b}[op])


def _text_match(op: str, have: str, want: str) -> bool:
    h, w = have.casefold(), want.casefold()
    if op == "~":
        return w in h
    return _cmp(op, h, w)


def _any(op: str, values: Sequence[str], want: str) -> bool:
    if op == "!=":
        return not any(_text_match("=", v, want) for v in values)
    return any(_text_match(op, v, want) for v in values)


def evaluate(node: Node, row: Mapping[str, Any]) -> bool:
    """``row``: task_id, task_title, applications, approved_date (date), contributor,
    reviewer, quality, tags, signals (kinds)."""
    if isinstance(node, BoolOp):
        if node.op == "and":
            return all(evaluate(p, row) for p in node.parts)
        return any(evaluate(p, row) for p in node.parts)
    if isinstance(node, Not):
        return not evaluate(node.inner, row)
    f, op, v = node.field, node.op, node.value
    if f == "task":
        if v.isdigit() and op in ("=", "!="):
            return _cmp(op, row.get("task_id"), int(v))
        return _text_match(op, row.get("task_title") or "", v)
    if f in _LISTS:
        return _any(op, list(row.get(_LISTS[f]) or ()), v)
    if f in ("contributor", "reviewer"):
        return _text_match(op, row.get(f) or "", v)
    if f == "quality":
        q = row.get("quality")
        return q is not None and _cmp(op, int(q), int(v))
    if f == "date":
        d = row.get("approved_date")
        return d is not None and _cmp(op, d, dt.date.fromisoformat(v))
    raise AssertionError(f)


def compile_filter(text: str | None) -> Callable[[Mapping[str, Any]], bool]:
    if text is None:
        return lambda row: True
    node = parse_filter(text)
    return lambda row: evaluate(node, row)
