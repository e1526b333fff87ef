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

import asyncio
import importlib
from collections.abc import AsyncGenerator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastmcp.server.extensions import MethodBinding, ServerExtension
from fastmcp.utilities.tasks import TASKS_EXTENSION_ID
from mcp.shared.exceptions import MCPError
from mcp_types import RequestParams
from mcp_types.jsonrpc import INVALID_PARAMS
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, ConfigDict, ValidationError

from kube_ai_proxy.call import Request
from kube_ai_proxy.errors import CommandError
from kube_ai_proxy.judge.confirmation import Answer, InputRequired, binding
from kube_ai_proxy.mcp.lifespan import served
from kube_ai_proxy.mcp.running import RunningTasks
from kube_ai_proxy.mcp.tools import confirmer, input_required, request_of, to_tool_result
from kube_ai_proxy.parse.clispec import TOOLS, Tool
from kube_ai_proxy.parse.command import CliCommand
from kube_ai_proxy.reachability import waits_on_cluster

if TYPE_CHECKING:
    import mcp_types
    from fastmcp.server.context import Context
    from fastmcp.server.extensions import (
        ExtensionRequestHandler,
        ToolCallContinuation,
        ToolCallOutcome,
    )
    from fastmcp_tasks import TasksExtension
    from mcp.server.context import ServerRequestContext

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


class _TaskParams(RequestParams):
    """A tasks/* request's params as they came: the engine's own models check them once it
    is loaded (importing those models would load it)."""

    model_config = ConfigDict(extra="allow")


class KubeTasks(ServerExtension):
    """The tasks extension as this server serves it: its rules for what becomes a task, and its
    bounds (K8S_MCP_MAX_TASKS running at once, none redelivered while it may still run), in
    front of fastmcp-tasks' engine (mcp/task_engine.py).

    A shared backend's engine starts with the server: a task another replica made may wait for
    this one's worker. A backend in this process's memory holds only this process's tasks, so
    its engine starts when the first task is made or asked about; a server whose clients never
    use tasks never loads it."""

    identifier = TASKS_EXTENSION_ID

    def __init__(self, settings: Settings, running: RunningTasks) -> None:
        self._settings = settings
        self._calls = running
        if settings.tasks_shared:
            # Checked now, so that a server that would leak tokens does not start.
            from kube_ai_proxy.mcp.task_engine import refuse_exposed_tokens

            refuse_exposed_tokens(settings)
        self._wanted: asyncio.Event | None = None
        self._ready: asyncio.Future[TasksExtension] | None = None

    def methods(self) -> Sequence[MethodBinding]:
        return [
            MethodBinding(
                method=method,
                params_type=_TaskParams,
                handler=self._forwarded(method),
                protocol_versions=frozenset(MODERN_PROTOCOL_VERSIONS),
            )
            for method in ("tasks/get", "tasks/update", "tasks/cancel")
        ]

    def _forwarded(self, method: str) -> ExtensionRequestHandler:
        """A handler of `method` that starts the engine and hands the request to it."""

        async def handler(
            ctx: ServerRequestContext[Any, Any], params: BaseModel
        ) -> BaseModel | dict[str, Any] | None:
            engine = await self._engine()
            target = next(bound for bound in engine.methods() if bound.method == method)
            try:
                checked = target.params_type.model_validate(
                    params.model_dump(by_alias=True, exclude_unset=True)
                )
            except ValidationError as error:
                wrong = "; ".join(
                    f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()
                )
                raise MCPError(INVALID_PARAMS, f"invalid params of {method}: {wrong}") from None
            return await target.handler(ctx, checked)

        return handler

    @asynccontextmanager
    async def lifespan(self) -> AsyncGenerator[None, None]:
        """The engine (started now for a shared backend, else when wanted), and at the server's
        stop its running calls given K8S_MCP_SHUTDOWN_GRACE, then cancelled: its worker would
        wait for them without end."""
        self._wanted = asyncio.Event()
        self._ready = asyncio.get_running_loop().create_future()
        stop = asyncio.Event()
        # Its own asyncio task, made here: the engine's worker keeps the context it starts in,
        # which must be the server's, not that of the request that first wanted it.
        runner = asyncio.create_task(self._run(stop))
        try:
            if self._settings.tasks_shared:
                await self._engine()  # a backend that cannot start stops the start
            try:
                yield
            finally:
                await self._calls.stop(self._settings.shutdown_grace)
        finally:
            stop.set()
            if not self._wanted.is_set():
                runner.cancel()
            await asyncio.wait([runner])
            if not runner.cancelled() and (error := runner.exception()) is not None:
                raise error

    async def _run(self, stop: asyncio.Event) -> None:
        """Once wanted: load the engine, start it, and run it until `stop`."""
        assert self._wanted is not None and self._ready is not None
        await self._wanted.wait()
        try:
            # A second of imports, off the event loop: other requests go on meanwhile.
            module = await asyncio.to_thread(
                importlib.import_module, "kube_ai_proxy.mcp.task_engine"
            )
            engine: TasksExtension = module.task_engine(self._settings, self.server)
            async with engine.lifespan():
                self._ready.set_result(engine)
                await stop.wait()
        except Exception as error:
            if self._ready.done():
                raise
            self._ready.set_exception(error)

    async def _engine(self) -> TasksExtension:
        """The started engine, started now if it was not."""
        if self._wanted is None or self._ready is None:
            raise RuntimeError("the tasks extension is used outside the server's lifespan")
        self._wanted.set()
        # Shielded: a caller that gives up must not cancel the start for the others.
        return await asyncio.shield(self._ready)

    async def intercept_tool_call(
        self,
        params: mcp_types.CallToolRequestParams,
        context: Context,
        call_next: ToolCallContinuation,
    ) -> ToolCallOutcome:
        tool = _tool_of(params.name)
        if tool is None or not _opted_in(context):
            return await call_next()
        request = _request(self._settings, params.arguments or {})
        if request is None:
            return await call_next()
        calls = served(context).calls
        try:
            plan = calls.plan(tool, request)
        except CommandError:
            return await call_next()  # refused as written: answered as such, at once
        if not waits(plan.command, request.timeout):
            return await call_next()
        settings = self._settings
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
        engine = await self._engine()
        if approved:
            from kube_ai_proxy.mcp.approvals import grant  # it needs the engine loaded

            await grant(context, bound)
        return await engine.intercept_tool_call(params, context, call_next)

    async def _running(self) -> int:
        """Tasks running or queued, on every server that shares the backend (none before the
        engine starts: only a backend in memory starts late, and it then holds none)."""
        docket = self.server._docket
        if docket is None:
            return 0
        snapshot = await docket.snapshot()
        return len(snapshot.running) + len(snapshot.future)
