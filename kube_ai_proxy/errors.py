"""The exception the server raises for a call it refuses or cannot complete (CommandError),
the one a native reader raises to hand a command to the CLI (Defer), and the one that stops
the server's start (StartupError)."""

from __future__ import annotations

from kube_ai_proxy.result import ErrorCode


class CommandError(Exception):
    """A call that ends with an `error` result. `message` is written for the model: it says
    what went wrong and what to do instead."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message


class Defer(Exception):
    """The native path cannot answer this command exactly, so the CLI answers it. The message
    says why, for debugging."""


def invalid(message: str) -> CommandError:
    return CommandError("invalid_command", message)


def denied(message: str) -> CommandError:
    return CommandError("policy_denied", message)


class StartupError(Exception):
    """The server cannot start as configured; the message says what to change."""
