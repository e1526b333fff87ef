"""The one exception the backends raise, with a code the server maps onto its result codes."""

from __future__ import annotations

from typing import Literal

BackendErrorCode = Literal["unavailable", "timeout", "not_found", "rbac_denied", "api_error"]


class BackendError(Exception):
    """A backend could not serve a request. `message` says what to do next."""

    def __init__(self, code: BackendErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: BackendErrorCode = code
        self.message = message
