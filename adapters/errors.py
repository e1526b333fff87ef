"""The exceptions the backends raise, with a code the server maps onto its result codes."""

from __future__ import annotations

from typing import Literal

BackendErrorCode = Literal["unavailable", "timeout", "not_found", "rbac_denied", "api_error"]


class BackendError(Exception):
    """A backend could not serve a request. `message` says what to do next."""

    def __init__(self, code: BackendErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: BackendErrorCode = code
        self.message = message


class Unreachable(BackendError):
    """No answer came: the connection failed, was lost, or nothing arrived in time. Not an
    answer the server gave (a 401 or a 503 is a BackendError of its own)."""

    def __init__(self, message: str) -> None:
        super().__init__("unavailable", message)
