"""Build the FastMCP server: the tools, the lifespan that opens the backends, HTTP auth (a
static bearer token, or OAuth: mcp/oauth.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import mcp_types as mt
from fastmcp import FastMCP
from fastmcp.server.auth import AuthProvider
from fastmcp.server.dependencies import get_access_token
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.server.middleware.rate_limiting import RateLimitingMiddleware
from fastmcp.tools import Tool

from kube_ai_proxy import __version__
from kube_ai_proxy.argocd_instances import instances_for
from kube_ai_proxy.audit import AuditLog
from kube_ai_proxy.backends import Backends, BackendsFactory
from kube_ai_proxy.config import Settings
from kube_ai_proxy.mcp.auth import BearerToken
from kube_ai_proxy.mcp.completion import add_completion
from kube_ai_proxy.mcp.lifespan import SERVED, served, serving
from kube_ai_proxy.mcp.resources import add_resources
from kube_ai_proxy.mcp.running import RunningTasks
from kube_ai_proxy.mcp.state import KubeMCP
from kube_ai_proxy.mcp.tools import add_tools
from kube_ai_proxy.tracing import tracing

if TYPE_CHECKING:
    from kube_ai_proxy.mcp.probes import Probes

INSTRUCTIONS = """\
Operate Kubernetes through kubectl, helm, istioctl and argocd without a shell. Each CLI has an
execute_<cli> tool that runs one command (optionally piped into text utilities such as grep,
head or jq) and a describe_<cli> tool that shows a command's help. Results are structured:
`output` is what the CLI prints, `data` is JSON when available, `error.message` says what to do
next when a call is refused or fails."""


class _WarmUp(Middleware):
    """Once a client has listed the tools, a call is likely next: the Kubernetes client library
    (imported lazily, which keeps it out of the start-up that tools/list waits for) is loaded
    then, in the background, rather than by that first call."""

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None

    async def on_list_tools(
        self,
        context: MiddlewareContext[mt.ListToolsRequest],
        call_next: CallNext[mt.ListToolsRequest, Sequence[Tool]],
    ) -> Sequence[Tool]:
        tools = await call_next(context)
        if self.task is None and context.fastmcp_context is not None:
            kube = served(context.fastmcp_context).backends.kube
            self.task = asyncio.create_task(kube.warm_up())
        return tools

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()


def _rate_limits(settings: Settings) -> list[Middleware]:
    """K8S_MCP_RATE_LIMIT per caller when tokens name callers (else for all), and
    K8S_MCP_RATE_LIMIT_TOTAL over everyone."""
    limits: list[Middleware] = []
    if settings.rate_limit is not None and settings.oauth_issuer is not None:
        claim = settings.oauth_user_claim

        def caller(_: MiddlewareContext[Any]) -> str:
            token = get_access_token()
            return str(token.claims.get(claim, "")) if token is not None else ""

        limits.append(
            RateLimitingMiddleware(
                max_requests_per_second=settings.rate_limit, get_client_id=caller
            )
        )
    elif settings.rate_limit is not None:
        limits.append(
            RateLimitingMiddleware(max_requests_per_second=settings.rate_limit, global_limit=True)
        )
    if settings.rate_limit_total is not None:
        limits.append(
            RateLimitingMiddleware(
                max_requests_per_second=settings.rate_limit_total, global_limit=True
            )
        )
    return limits


def create_server(settings: Settings, backends: BackendsFactory = Backends) -> FastMCP[Any]:
    """The server for `settings`; its lifespan builds its backends with `backends` (a test
    passes its own)."""
    warm_up = _WarmUp()
    audit = AuditLog(settings.audit_log)
    http = _http_parts(settings, audit)

    @asynccontextmanager
    async def lifespan(_: FastMCP[Any]) -> AsyncIterator[dict[str, Any]]:
        async with (
            tracing(),
            serving(settings, backends, audit, http.metrics if http else None) as opened,
        ):
            try:
                if http is None:
                    yield {SERVED: opened}
                    return
                http.served = opened
                with http.metrics_port():
                    yield {SERVED: opened}
            finally:
                if http is not None:
                    http.served = None
                warm_up.cancel()

    middleware: list[Middleware] = [warm_up]
    middleware += _rate_limits(settings)
    mcp: FastMCP[Any] = KubeMCP(
        name="kube-ai-proxy",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        auth=http.auth if http else None,
        mask_error_details=True,
        middleware=middleware,
        # add_tools inlines the result schema's $refs once; fastmcp's default walks every
        # tool's schemas again on every tools/list (a test checks no $ref is listed).
        dereference_schemas=False,
    )
    running = RunningTasks()
    if settings.tasks_on:
        # Imported only then: a stdio server has no use for it.
        from kube_ai_proxy.mcp.tasks import KubeTasks

        mcp.add_extension(KubeTasks(settings, running))
    # Read here too (the backends read it again in the lifespan) so that an instances file
    # that cannot serve stops the start with what to fix, and the tools can name them.
    input_schema = add_tools(mcp, settings, instances_for(settings), running)
    # Over streamable HTTP, the MCP SDK checks each tools/call's Mcp-Param headers against
    # the tool's input schema, which it finds by running a whole tools/list through the
    # middleware unless it is given this lookup: that listing was most of a call's cost.
    # Private API: FastMCP's `_mcp_server` (fastmcp 4.1; tests/test_canaries.py checks it);
    # `get_tool_input_schema` is the MCP SDK's public hook.
    mcp._mcp_server.get_tool_input_schema = input_schema
    add_resources(mcp, settings)
    add_completion(mcp, settings)
    if http is not None:
        http.add_to(mcp)
    return mcp


def _http_parts(settings: Settings, audit: AuditLog) -> Probes | None:
    """For the HTTP transports: their authentication, metrics and probes (imported here,
    so a stdio server never loads them)."""
    if settings.transport == "stdio":
        return None
    from kube_ai_proxy.mcp.probes import Probes
    from kube_ai_proxy.metrics import Metrics

    metrics = Metrics()
    auth: AuthProvider | None = None
    if settings.auth_token is not None:
        auth = BearerToken(settings.auth_token.get_secret_value())
    elif settings.oauth_issuer is not None:
        from kube_ai_proxy.mcp.oauth import oauth_provider

        auth = oauth_provider(settings, audit, metrics)
    return Probes(settings, metrics, auth)
