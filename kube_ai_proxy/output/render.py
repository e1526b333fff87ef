"""A call's answer as the result every execute_* tool returns (DESIGN, "The result"): the text
cut to the output budget with its `next` hint, warnings kept with the output, JSON output as
`data`, the command as it ran with its credentials redacted.

A native answer, a CLI's output and a refusal become results alike here, so a result does not
depend on which backend answered.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from adapters.cli import PipelineResult
from adapters.errors import BackendError
from kube_ai_proxy.output.budget import cut_text, output_cut, rest_hint
from kube_ai_proxy.output.cli_failures import argocd_failure, changes_found, killed_by_signal
from kube_ai_proxy.output.redact import redact_argv_text, redact_command_line
from kube_ai_proxy.parse.plan import Plan
from kube_ai_proxy.result import Backend, CommandResult, ErrorCode, ErrorInfo


def answer_result(
    command_plan: Plan,
    backend: Backend,
    text: str,
    stderr: str,
    exit_code: int,
    error: ErrorInfo | None,
    *,
    max_output: int,
    truncated: bool = False,
    next_hint: str | None = None,
    data: dict[str, Any] | None = None,
) -> CommandResult:
    """What a command printed (`text`, `stderr`) and how it ended, as its result."""
    cut = cut_text(text, max_output)
    if cut.truncated:
        truncated = True
        next_hint = next_hint or _continuation(command_plan, len(text), "characters")
        text = cut.text
    if error is None and stderr.strip():
        # Warnings (deprecations, "No resources found") belong with the output.
        separator = "" if not text or text.endswith("\n") else "\n"
        text = f"{text}{separator}{stderr.strip()}"
    if data is None and not truncated and error is None:
        data = _json_data(text)
    return CommandResult(
        status="error" if error else "success",
        backend=backend,
        command=redact_argv_text(command_plan.argvs()),
        exit_code=exit_code,
        output=text,
        data=data,
        truncated=truncated,
        next=next_hint if truncated else None,
        error=error,
    )


def pipeline_result(
    command_plan: Plan, outcome: PipelineResult, backend: Backend, note: str, max_output: int
) -> CommandResult:
    """What a pipeline printed as the result; `note` (a native answer's warnings) comes before
    the stages' stderr. A failure quotes the stage that failed."""
    if outcome.stopped is not None:
        return _stopped_result(command_plan, outcome, outcome.stopped, backend, note, max_output)
    exit_code = outcome.exit_code
    error = None
    failed = next(
        (s for s in reversed(outcome.stages) if s.exit_code == exit_code), outcome.stages[0]
    )
    cli_failed = failed is outcome.stages[0]
    answered = cli_failed and changes_found(command_plan.command, exit_code, failed.stderr)
    if exit_code != 0 and not answered:
        said = [failed.stderr.strip(), killed_by_signal(failed.program, exit_code)]
        detail = "\n".join(part for part in said if part) or (
            f"{failed.program} exited with code {exit_code}"
        )
        code: ErrorCode = "cli_error"
        tool = command_plan.command.tool
        known = argocd_failure(detail) if cli_failed and tool == "argocd" else None
        if known is not None:
            code, detail = known
        error = ErrorInfo(code=code, message=detail[-2000:])
    return answer_result(
        command_plan,
        backend,
        outcome.stdout.decode("utf-8", "replace"),
        (note + "\n" + outcome.stderr).strip(),
        exit_code,
        error,
        max_output=max_output,
        truncated=outcome.truncated,
        next_hint=(
            _continuation(command_plan, outcome.stdout_total, "bytes")
            if outcome.truncated
            else None
        ),
    )


def _stopped_result(
    command_plan: Plan,
    outcome: PipelineResult,
    stopped: BackendError,
    backend: Backend,
    note: str,
    max_output: int,
) -> CommandResult:
    """A pipeline stopped before it ended (its timeout, its server gone): the error says why,
    and what it printed until then is kept, with what the CLI said on stderr."""
    said = outcome.stderr.strip()
    message = stopped.message + (f"\nIt said before: {said[-1000:]}" if said else "")
    stdout = outcome.stdout.decode("utf-8", "replace")
    if stdout:
        message += "\nWhat it printed until then is the output."
    error = ErrorInfo(code=stopped.code, message=message)
    result = answer_result(command_plan, backend, stdout, note, -1, error, max_output=max_output)
    return result.model_copy(update={"exit_code": None})


def failure_result(
    code: ErrorCode,
    message: str,
    command_plan: Plan | None,
    line: str,
    backend: Backend | None = None,
) -> CommandResult:
    """A call refused or failed before anything answered: the command as parsed, else the
    requested `line`, both redacted."""
    return CommandResult(
        status="error",
        backend=backend,
        command=(
            redact_argv_text(command_plan.argvs()) if command_plan else redact_command_line(line)
        ),
        error=ErrorInfo(code=code, message=message),
    )


def _json_data(text: str) -> dict[str, Any] | None:
    """Structured data when the command printed one JSON document (-o json, | jq)."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to be worth it
        return None
    if isinstance(value, dict):
        return value
    return {"items": value} if isinstance(value, list) else None


def _continuation(command_plan: Plan, size: int, unit: Literal["bytes", "characters"]) -> str:
    """The `next` hint of an output cut to the budget: its size (a CLI's output counted in the
    bytes it wrote, a text held here in characters) and how the command asks for less."""
    verb = command_plan.command.verb
    advice = "narrow it with a label or field selector (-l, --field-selector), or add | head -n N"
    if verb[:1] == ("logs",):
        advice = "use --tail=N, --since=DURATION or | grep PATTERN"
    elif verb[:1] == ("get",):
        advice = "narrow it with -l, --field-selector, a name, or -o name / custom-columns"
    return rest_hint(output_cut(size, unit), advice)
