"""The answer every execute_* and describe_* tool gives: DESIGN.md, "The result"."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ErrorCode = Literal[
    "invalid_command",
    "policy_denied",
    "rbac_denied",
    "not_found",
    "timeout",
    "unavailable",
    "api_error",
    "cli_error",
]

Backend = Literal["native", "cli"]


class ErrorInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: ErrorCode = Field(description="Machine-readable reason.")
    message: str = Field(description="What went wrong and what to do next.")


class Preview(BaseModel):
    """What a write would change, computed before anything changed (docs/security.md)."""

    model_config = ConfigDict(frozen=True)

    summary: str = Field(
        description="`1 changed, 0 created, 0 deleted`, or why the write cannot be previewed."
    )
    diff: str = Field(
        default="",
        description="Unified diff of each object: live (---) against the API server's dry run "
        "(+++). Secret values are never shown.",
    )


class CommandResult(BaseModel):
    """One call's outcome: text for the model in `output`, JSON for programs in `data`."""

    status: Literal["success", "error"]
    backend: Backend | None = Field(
        default=None, description="What ran the command; null when nothing ran."
    )
    command: str = Field(description="The command as it was run (normalized).")
    exit_code: int | None = Field(default=None, description="Exit code; null when nothing ran.")
    output: str = Field(default="", description="What the CLI prints: tables, YAML, logs.")
    data: dict[str, Any] | None = Field(
        default=None, description="Structured JSON when the backend provides it."
    )
    truncated: bool = Field(
        default=False, description="Output or data was cut to the budget; see `next`."
    )
    next: str | None = Field(default=None, description="How to get the rest, when truncated.")
    duration_ms: float = Field(default=0.0, description="Wall time of the call.")
    error: ErrorInfo | None = None
    preview: Preview | None = Field(
        default=None,
        description="For a server-side dry run (kubectl --dry-run=server): what the write would "
        "change.",
    )

    @property
    def is_error(self) -> bool:
        return self.status == "error"
