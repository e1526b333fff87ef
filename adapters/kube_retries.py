"""When a request to the API server is tried again, and when it never is: client-go's rules
(rest.Request's retries), within the deadline of the call it belongs to."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from adapters.errors import BackendError, Unreachable

# The end of the call a request belongs to (time.monotonic()), when the server set one: a
# wait the API server asks for (Retry-After) that would outlast it is answered at once.
_CALL_DEADLINE: ContextVar[float | None] = ContextVar("kube_call_deadline", default=None)


@contextmanager
def call_deadline(seconds: float) -> Iterator[None]:
    """Requests made inside belong to a call that ends in `seconds`."""
    token = _CALL_DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _CALL_DEADLINE.reset(token)


class Failed(Exception):
    """One attempt of a request that failed, with what decides whether to try again."""

    def __init__(
        self,
        error: BackendError,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        final: bool = False,
        unsent: bool = False,
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.status = status  # the API server's answer; None: no answer came
        self.retry_after = retry_after
        # Trying again cannot help: a black hole has had the whole request timeout, and a
        # certificate that is not trusted stays so.
        self.final = final
        self.unsent = unsent  # the connection failed before the request was sent


def retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the API server sends whole seconds, never a date)."""
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


class Retries:
    """client-go's rules for trying one request again (rest.Request's retries):

    - 429 with Retry-After, any method: the API server (API Priority and Fairness) did not
      act on it, and says when to come back;
    - a read (GET, and the access reviews, which change nothing) whose connection failed or
      was lost, or answered 502, 503, 504 or 5xx with Retry-After: with backoff;
    - a write that may have been acted on (sent, then no answer or a 5xx): never; the error
      says its outcome is unknown and how to check. One that was never sent: like a read.

    A black hole is not tried again (it has had the whole request timeout already), nor a
    TLS connection that failed. Waits fit in the call's deadline (call_deadline); one that
    does not is answered at once."""

    BACKOFF = (0.25, 0.5, 1.0, 2.0)
    MAX_RETRY_AFTER = 10  # client-go's maxRetries

    def __init__(self, where: str, method: str, path: str) -> None:
        self.where = where  # the API server, as messages name it
        self.method = method
        self.idempotent = method == "GET" or path.rsplit("/", 1)[-1] in _REVIEWS
        self.attempt = 0

    async def wait_or_raise(self, failed: Failed) -> None:
        wait = self._wait(failed)
        if wait is None:
            raise self._final(failed)
        deadline = _CALL_DEADLINE.get()
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and wait > left:
            raise BackendError(
                "unavailable",
                f"{failed.error.message}\n{self.where} asked to try again in {wait:g}s, "
                f"after the call's time is up ({max(left, 0):.1f}s left): try again then, "
                "or with a larger `timeout`.",
            )
        self.attempt += 1
        await asyncio.sleep(wait)

    def _wait(self, failed: Failed) -> float | None:
        if failed.final:
            return None
        backoff = self.BACKOFF[self.attempt] if self.attempt < len(self.BACKOFF) else None
        if failed.status is None:
            return backoff if self.idempotent or failed.unsent else None
        asked = failed.status == 429 or (self.idempotent and failed.status >= 500)
        if asked and failed.retry_after is not None:
            return failed.retry_after if self.attempt < self.MAX_RETRY_AFTER else None
        if self.idempotent and failed.status in (502, 503, 504):
            return backoff
        return None

    def _final(self, failed: Failed) -> BackendError:
        error = failed.error
        tries = f" (tried {self.attempt + 1} times)" if self.attempt else ""
        if failed.status == 429:
            return BackendError(
                "unavailable",
                f"{self.where} is too busy to serve this request (429, API Priority and "
                f"Fairness){tries}: {error.message}. Try again in a while, or narrow the command.",
            )
        maybe_done = failed.status is None or failed.status >= 500
        if self.idempotent or failed.unsent or failed.final or not maybe_done:
            if tries and isinstance(error, Unreachable):
                return Unreachable(error.message + tries)
            return error
        return Unreachable(
            f"{error.message}. The {self.method} request was sent, so it may have taken effect: "
            "it was not tried again, so that nothing is done twice. Check the object's state "
            "(kubectl get) before running the command again."
        )


_REVIEWS = frozenset({"selfsubjectaccessreviews", "selfsubjectreviews", "selfsubjectrulesreviews"})
