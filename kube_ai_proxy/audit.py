"""The audit log: one JSON line per call (DESIGN, "One call, end to end").

Each line says when, which tool, the command as it ran, the decision, the backend, the exit
code, the duration, whether the output was cut and, with OAuth, who called. A request whose
token was refused gets a line of its own (`"event": "auth_refused"`). The file is opened in
the server's lifespan and every line is flushed as it is written, so a crash loses nothing
already decided.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import IO, Any

from kube_ai_proxy.result import CommandResult

_REFUSALS = ("invalid_command", "policy_denied", "rbac_denied")


class AuditLog:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self._stream: IO[str] | None = None

    def open(self) -> None:
        if self.path == "-":
            self._stream = sys.stderr
        elif self.path:
            self._stream = open(self.path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115

    def close(self) -> None:
        if self._stream is not None and self._stream is not sys.stderr:
            self._stream.close()
        self._stream = None

    def refusal(self, *, reason: str, **extra: Any) -> None:
        """An HTTP request refused before any call: its token was not accepted."""
        self._write(
            {
                "time": _now(),
                "event": "auth_refused",
                "decision": "refused",
                "reason": reason,
                **extra,
            }
        )

    def record(self, *, tool: str, result: CommandResult, requested: str, **extra: Any) -> None:
        if self._stream is None:
            return
        error = result.error
        entry = {
            "time": _now(),
            "tool": tool,
            "command": result.command,
            "decision": "refused" if error and error.code in _REFUSALS else "allowed",
            "status": result.status,
            "error_code": error.code if error else None,
            "reason": error.message if error else None,
            "backend": result.backend,
            "exit_code": result.exit_code,
            "duration_ms": round(result.duration_ms, 1),
            "truncated": result.truncated,
            **extra,
        }
        if requested != result.command:
            entry["requested"] = requested
        self._write(entry)

    def _write(self, entry: dict[str, Any]) -> None:
        if self._stream is not None:
            self._stream.write(json.dumps(entry, separators=(",", ":")) + "\n")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
