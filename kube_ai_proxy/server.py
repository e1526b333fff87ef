"""Build the FastMCP server: the tools, the lifespan that owns the runtime, HTTP auth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastmcp import FastMCP
from fastmcp.server.middleware.rate_limiting import RateLimitingMiddleware

from kube_ai_proxy import __version__
from kube_ai_proxy.calls import Runtime
from kube_ai_proxy.config import Settings
from kube_ai_proxy.httpauth import BearerToken
from kube_ai_proxy.resources import add_resources
from kube_ai_proxy.tools import add_tools

INSTRUCTIONS = """\
Operate Kubernetes through kubectl, helm, istioctl and argocd without a shell. Each CLI has an
execute_<cli> tool that runs one command (optionally piped into text utilities such as grep,
head or jq) and a describe_<cli> tool that shows a command's help. Results are structured:
`output` is what the CLI prints, `data` is JSON when available, `error.message` says what to do
next when a call is refused or fails."""


def create_server(settings: Settings) -> FastMCP[Any]:
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastMCP[Any]) -> AsyncIterator[dict[str, Any]]:
        async with runtime:
            yield {}

    auth = None
    if settings.transport != "stdio" and settings.auth_token is not None:
        auth = BearerToken(settings.auth_token.get_secret_value())
    middleware = []
    if settings.rate_limit is not None:
        middleware.append(
            RateLimitingMiddleware(max_requests_per_second=settings.rate_limit, global_limit=True)
        )
    mcp: FastMCP[Any] = FastMCP(
        name="kube-ai-proxy",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        auth=auth,
        mask_error_details=True,
        middleware=middleware,
    )
    add_tools(mcp, runtime)
    add_resources(mcp, runtime)
    return mcp
