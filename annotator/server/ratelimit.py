"""Rate limits (login, upload creation) in Redis, shared by every API worker: ``limits``'
moving window, keyed by what is limited (an address and a sign-in name, a user)."""

from __future__ import annotations

from annotator.errors import AnnotatorError
from annotator.store.errors import StoreUnavailable


class RateLimited(AnnotatorError):
    """Too many requests of one kind in the window."""

    def __init__(self, message: str, hint: str | None = None, retry_after: int = 60) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, redis_url: str) -> None:
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self.storage = storage_from_string(redis_url, socket_connect_timeout=2,
                                           socket_timeout=5)
        self.limiter = MovingWindowRateLimiter(self.storage)

    def hit(self, what: str, rate: str, *keys: str) -> None:
        from limits import parse
        from redis.exceptions import RedisError

        item = parse(rate)
        try:
            ok = self.limiter.hit(item, what, *keys)
        except RedisError as exc:
            raise StoreUnavailable(f"The rate limiter (Redis) cannot be reached: {exc}.",
                                   "Try again shortly.") from exc
        if not ok:
            raise RateLimited(f"Too many {what} attempts: the limit is {rate}.",
                              "Wait a minute, then try again.",
                              retry_after=int(item.get_expiry()))
