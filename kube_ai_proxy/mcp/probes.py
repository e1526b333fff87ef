"""The HTTP transports' routes for operators: /healthz, /readyz and /metrics
(docs/operations.md).

/healthz says the process serves; /readyz that the kube client is configured and the API
server answered within K8S_MCP_READY_MAX_AGE seconds (else it is asked for /version now). Both
answer without authentication: probes carry no token, so neither says more than ready or, in
general words, why not (the details go to the log). /metrics needs the same authentication
as /mcp unless K8S_MCP_METRICS_PUBLIC is set; K8S_MCP_METRICS_PORT serves it on a port of its
own instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastmcp import FastMCP
from fastmcp.server.auth import AuthProvider
from prometheus_client import start_http_server
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from adapters.errors import BackendError
from kube_ai_proxy.config import Settings
from kube_ai_proxy.mcp.lifespan import Served
from kube_ai_proxy.metrics import CONTENT_TYPE, Metrics

# How long /readyz waits for the API server when it asks it.
_PROBE_SECONDS = 5.0
_NOT_READY = {
    "unavailable": "the cluster cannot be reached (no usable kubeconfig, or the API server "
    "does not answer); the server's log says more",
    "timeout": "the API server did not answer in time",
}
_log = logging.getLogger(__name__)


class Probes:
    """The routes of one server; `served` is set while its lifespan runs."""

    def __init__(self, settings: Settings, metrics: Metrics, auth: AuthProvider | None) -> None:
        self.settings = settings
        self.metrics = metrics
        self.auth = auth
        self.served: Served | None = None

    def add_to(self, mcp: FastMCP[Any]) -> None:
        mcp.custom_route("/healthz", methods=["GET"], include_in_schema=False)(self.healthz)
        mcp.custom_route("/readyz", methods=["GET"], include_in_schema=False)(self.readyz)
        if self.settings.metrics_port is None:
            mcp.custom_route("/metrics", methods=["GET"], include_in_schema=False)(self.scrape)

    async def healthz(self, _: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(self, _: Request) -> Response:
        problem = await self.not_ready()
        if problem is None:
            return PlainTextResponse("ok\n")
        return PlainTextResponse(f"not ready: {problem}\n", status_code=503)

    async def not_ready(self) -> str | None:
        """Why the server cannot answer calls that need the cluster; None when it can."""
        if self.served is None:
            return "the server is starting or stopping"
        kube = self.served.backends.kube
        last = kube.telemetry.last_answer
        if last is not None and time.monotonic() - last < self.settings.ready_max_age:
            return None
        try:
            api = await kube.get()
            await api.request("GET", "/version", timeout=_PROBE_SECONDS)
        except BackendError as exc:
            # The details (addresses, file names) go to the log: /readyz answers anyone.
            _log.warning("not ready: %s", exc.message)
            return _NOT_READY.get(exc.code, "the API server refused the probe")
        return None

    async def scrape(self, request: Request) -> Response:
        if self.auth is not None and not self.settings.metrics_public:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or await self.auth.verify_token(token) is None:
                return PlainTextResponse(
                    "/metrics needs the same bearer token as /mcp (or K8S_MCP_METRICS_PUBLIC)\n",
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return Response(self.metrics.exposition(), media_type=CONTENT_TYPE)

    @contextmanager
    def metrics_port(self) -> Iterator[None]:
        """/metrics on K8S_MCP_METRICS_PORT while the server runs, if that is set."""
        port = self.settings.metrics_port
        if port is None or self.settings.transport == "stdio":
            yield
            return
        server, thread = start_http_server(
            port, addr=self.settings.host, registry=self.metrics.registry
        )
        try:
            yield
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
