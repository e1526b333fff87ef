"""Background tasks (the MCP tasks extension, SEP-2663, served by fastmcp-tasks) for the calls
that wait: a client that opts in gets a task id at once, polls `tasks/get` for the progress
and the result, may cancel with `tasks/cancel`, and may drop its connection and come back.

fastmcp-tasks runs the task; this module decides which calls become one. Only calls that wait
do: a quick read answers as fast as it would anyway. A call is judged (parse, access policy,
RBAC pre-flight) and confirmed (K8S_MCP_CONFIRM) before its task exists, so a refused or
declined command never becomes a task: the question goes back on the `tools/call` itself
(an InputRequiredResult), and the retry carrying the answer creates the task
(mcp/approvals.py). Cancelling a task cancels the call: its processes are killed and the
audit log records it (call.py).

Tasks are scoped by fastmcp-tasks to the caller's access token (client and OAuth subject), so
one caller never sees or cancels another's. Without authentication (stdio, or HTTP bound to
loopback) the task id, 256 random bits given only to its creator, is what reaches a task.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fastmcp.utilities.tasks import TASKS_EXTENSION_ID
from fastmcp_tasks import TasksExtension
from fastmcp_tasks.settings import tasks_settings
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from kube_ai_proxy.call import Request
from kube_ai_proxy.errors import CommandError, StartupError
from kube_ai_proxy.judge.confirmation import Answer, InputRequired, binding
from kube_ai_proxy.mcp.approvals import grant
from kube_ai_proxy.mcp.lifespan import served
from kube_ai_proxy.mcp.running import RunningTasks
from kube_ai_proxy.mcp.tools import confirmer, input_required, request_of, to_tool_result
from kube_ai_proxy.parse.clispec import TOOLS, Tool
from kube_ai_proxy.parse.command import CliCommand
from kube_ai_proxy.reachability import waits_on_cluster

if TYPE_CHECKING:
    import mcp_types
    from fastmcp.server.context import Context
    from fastmcp.server.extensions import ToolCallContinuation, ToolCallOutcome

    from kube_ai_proxy.config import Settings

# A call given more than this may wait for something (the field's CLIs default to 5 minutes).
LONG_TIMEOUT = 30.0


def waits(command: CliCommand, timeout: float | None) -> bool:
    """Whether a call waits for the cluster, and so runs as a task when its client opts in."""
    return (timeout is not None and timeout > LONG_TIMEOUT) or waits_on_cluster(command)


def _tool_of(name: str) -> Tool | None:
    """The CLI an execute_<cli> tool runs; None for any other tool."""
    return next((tool for tool in TOOLS if name == f"execute_{tool}"), None)


def _opted_in(context: Context) -> bool:
    """Whether this request's client declared the tasks extension (the 2026-07-28 era only:
    older handshakes cannot negotiate extensions)."""
    rc = context.request_context
    modern = rc is not None and rc.protocol_version in MODERN_PROTOCOL_VERSIONS
    return modern and context.client_extension_settings(TASKS_EXTENSION_ID) is not None


def _request(settings: Settings, arguments: dict[str, Any]) -> Request | None:
    """The call's request from its raw arguments; None when they are not well formed (the
    tool's own validation then answers)."""
    command, timeout = arguments.get("command"), arguments.get("timeout")
    stdin, context = arguments.get("stdin"), arguments.get("context")
    if not isinstance(command, str) or not all(
        value is None or isinstance(value, str) for value in (stdin, context)
    ):
        return None
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        return None
    return request_of(settings, command, timeout, stdin, context)


def _exposes_tokens(settings: Settings) -> bool:
    """Whether task records would carry callers' tokens, unencrypted, out of this process."""
    authenticated = settings.auth_token is not None or settings.oauth_issuer is not None
    shared = not settings.tasks_backend.startswith("memory://")
    return authenticated and shared and tasks_settings.encryption_key is None


class KubeTasks(TasksExtension):
    """The tasks extension with this server's rules for what becomes a task, and its bounds:
    K8S_MCP_MAX_TASKS running at once, and none redelivered while it may still run."""

    def __init__(self, settings: Settings, running: RunningTasks) -> None:
        if _exposes_tokens(settings):
            raise StartupError(
                f"K8S_MCP_TASKS_BACKEND is {settings.tasks_backend} and callers authenticate: "
                "each task's record there holds its caller's token. Set "
                "FASTMCP_TASKS_ENCRYPTION_KEY (at least 32 random characters, the same on "
                "every replica) to encrypt it, or K8S_MCP_TASKS=off."
            )
        super().__init__(
            url=settings.tasks_backend,
            name="kube-ai-proxy",
            concurrency=settings.max_tasks,
            # fastmcp-tasks hands a task to another worker when it has run this long: a helm
            # install run twice is not a retry. A call never outlives K8S_MCP_MAX_TIMEOUT.
            redelivery_timeout=timedelta(seconds=settings.max_timeout + 60),
        )
        self._server_settings = settings
        self._calls = running

    @asynccontextmanager
    async def lifespan(self) -> AsyncGenerator[None, None]:
        """fastmcp-tasks' engine, and at the server's stop its running calls given
        K8S_MCP_SHUTDOWN_GRACE, then cancelled: its worker would wait for them without end."""
        async with super().lifespan():
            try:
                yield
            finally:
                await self._calls.stop(self._server_settings.shutdown_grace)

    async def intercept_tool_call(
        self,
        params: mcp_types.CallToolRequestParams,
        context: Context,
        call_next: ToolCallContinuation,
    ) -> ToolCallOutcome:
        tool = _tool_of(params.name)
        if tool is None or not _opted_in(context):
            return await call_next()
        request = _request(self._server_settings, params.arguments or {})
        if request is None:
            return await call_next()
        calls = served(context).calls
        try:
            plan = calls.plan(tool, request)
        except CommandError:
            return await call_next()  # refused as written: answered as such, at once
        if not waits(plan.command, request.timeout):
            return await call_next()
        settings = self._server_settings
        if await self._running() >= settings.max_tasks:
            return to_tool_result(
                calls.refused(
                    plan,
                    request,
                    "unavailable",
                    f"{settings.max_tasks} background tasks are running, as many as "
                    "K8S_MCP_MAX_TASKS allows; nothing was run. Wait for one to finish "
                    "(tasks/get), or cancel one (tasks/cancel), and call again.",
                )
            )
        # Confirmed here, before the task exists: the question goes back on this tools/call,
        # and the retry that answers it creates the task, which takes the approval.
        bound = binding(tool, request.command, request.stdin, request.context)
        asked = confirmer(context, bound)
        approved = False

        async def confirm(question: str) -> Answer:
            nonlocal approved
            answer = await asked(question)
            approved = answer == "accept"
            return answer

        try:
            refusal = await calls.admit(plan, request, confirm)
        except InputRequired as question:
            return input_required(question.question, bound)
        if refusal is not None:
            return to_tool_result(refusal)
        if approved:
            await grant(context, bound)
        return await super().intercept_tool_call(params, context, call_next)

    async def _running(self) -> int:
        """Tasks running or queued, on every server that shares the backend."""
        docket = self.server._docket
        if docket is None:
            return 0
        snapshot = await docket.snapshot()
        return len(snapshot.running) + len(snapshot.future)
