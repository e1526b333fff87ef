"""What the server's lifespan opens, and how a request finds it.

The backends (API clients, Argo CD's HTTP client) and the audit log are opened when the server
starts and closed when it stops; the call and the help are built on them. Every start builds
its own, so a server started again does not reuse clients the last stop closed. The tools,
resources and middleware are registered before the lifespan runs: they find what it built in
the request's context (`served`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastmcp import Context

from kube_ai_proxy.audit import AuditLog
from kube_ai_proxy.backends import Backends, BackendsFactory
from kube_ai_proxy.call import Calls
from kube_ai_proxy.config import Settings
from kube_ai_proxy.help import Help
from kube_ai_proxy.parse.clispec import CliSpecs

if TYPE_CHECKING:
    from kube_ai_proxy.metrics import Metrics

# The key of the lifespan's context under which it keeps what it built.
SERVED = "kube-ai-proxy"


@dataclass(frozen=True)
class Served:
    calls: Calls
    help: Help
    backends: Backends


@asynccontextmanager
async def serving(
    settings: Settings, backends: BackendsFactory, audit: AuditLog, metrics: Metrics | None
) -> AsyncIterator[Served]:
    """What the server holds while it runs; `audit` is opened for that time (the HTTP auth
    writes refusals to it too), and the API clients report to `metrics` if given."""
    specs = CliSpecs()
    audit.open()
    try:
        async with backends(settings) as opened:
            if metrics is not None:
                opened.kube.telemetry.observer = metrics
                opened.on_argocd_request = metrics.argocd_request
            calls = Calls(settings, specs, opened, audit, metrics)
            yield Served(calls, Help(settings, specs), opened)
    finally:
        audit.close()


def served(ctx: Context) -> Served:
    """What this server's lifespan built, for a request's handler."""
    found = ctx.lifespan_context.get(SERVED)
    if not isinstance(found, Served):
        raise RuntimeError("the server's lifespan has not started")
    return found
