"""The HTTP side of the client: requests with the bearer token, errors turned back into the
exceptions ``Services`` raises (same class names), and JSON turned back into its result
types (dataclasses, named tuples, enums, times)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, overload

import httpx

from annotator.errors import AnnotatorError
from annotator.store import errors as store_errors
from annotator.workflow import errors as wf_errors

T = TypeVar("T")


class ServerUnavailable(store_errors.StoreUnavailable):
    """The team server (or a service behind it) cannot be reached: local work is kept."""


class RateLimited(AnnotatorError):
    """The server asks to slow down (HTTP 429)."""


class RemoteError(AnnotatorError):
    """The server refused a request with an error this client does not know by name."""


KEPT = "Your work stays on this computer and is sent when the server is reachable again."


def error_class(name: str) -> type[AnnotatorError] | None:
    for mod in (wf_errors, store_errors):
        cls = getattr(mod, name, None)
        if isinstance(cls, type) and issubclass(cls, AnnotatorError):
            return cls
    return None


class Api:
    """A thin ``httpx`` client for ``/v1``.  ``on_unauthorized`` (optional) returns a fresh
    token when one expired or was revoked; the request is then tried once more."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 30,
                 on_unauthorized: Callable[[], str | None] | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.on_unauthorized = on_unauthorized
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, *, json: Any = None,
                params: dict[str, Any] | None = None, auth: bool = True) -> Any:
        for attempt in (0, 1):
            headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}
            try:
                r = self.http.request(method, path, json=json, params=params, headers=headers)
            except httpx.TransportError as exc:
                raise ServerUnavailable(
                    f"The team server {self.base_url} cannot be reached: {exc}.", KEPT) from exc
            if r.status_code == 401 and auth and attempt == 0 and self.on_unauthorized:
                fresh = self.on_unauthorized()
                if fresh:
                    self.token = fresh
                    continue
            return self._result(r)
        raise AssertionError("unreachable")

    def _result(self, r: httpx.Response) -> Any:
        if r.status_code == 204:
            return None
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code < 400:
            return body
        message = (body or {}).get("message") if isinstance(body, dict) else None
        hint = (body or {}).get("hint") if isinstance(body, dict) else None
        message = message or f"The server answered {r.status_code} {r.reason_phrase}."
        if r.status_code == 503 or r.status_code >= 500:
            raise ServerUnavailable(f"The team server cannot serve this now: {message}",
                                    hint or KEPT)
        if r.status_code == 429:
            raise RateLimited(message, hint or "Wait a minute, then try again.")
        cls = error_class((body or {}).get("error", "")) if isinstance(body, dict) else None
        if cls is None:
            cls = {401: wf_errors.AuthenticationFailed, 403: wf_errors.PermissionDenied,
                   404: wf_errors.NotFound, 409: wf_errors.Conflict,
                   422: wf_errors.InvalidInput}.get(r.status_code, RemoteError)
        raise cls(message, hint)


# -- JSON -> result types ------------------------------------------------------------------------
@overload
def parse(tp: type[T], value: Any) -> T: ...
@overload
def parse(tp: Any, value: Any) -> Any: ...
def parse(tp: Any, value: Any) -> Any:
    """``value`` (decoded JSON) as an instance of the type ``tp``."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return parse(args[0], value) if len(args) == 1 else value
    if origin is tuple:
        inner = (typing.get_args(tp) or (Any,))[0]
        return tuple(parse(inner, v) for v in value)
    if origin is list:
        (inner,) = typing.get_args(tp) or (Any,)
        return [parse(inner, v) for v in value]
    if origin is dict:
        return dict(value)
    if tp is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return tp(**{f.name: parse(hints[f.name], value.get(f.name))
                     for f in dataclasses.fields(tp) if f.name in value})
    if isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields"):
        hints = typing.get_type_hints(tp)
        return tp(**{k: parse(hints[k], value.get(k)) for k in tp._fields})
    return value
