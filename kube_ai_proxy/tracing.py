"""OpenTelemetry traces (docs/operations.md), off unless an OTLP endpoint is configured.

fastmcp opens one span per MCP request, continuing the trace a client names in the request's
`_meta` (`traceparent`); each call adds its steps under it: parse, policy, rbac, native, cli
and render. The SDK and the OTLP exporter are configured from the standard variables
(OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS,
OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*, ...) and imported only then: they
cost start-up time a server without a collector should not pay.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from opentelemetry import trace

from kube_ai_proxy import __version__

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def tracer() -> trace.Tracer:
    """The server's tracer: a no-op one until `configure` installs a provider."""
    return trace.get_tracer("kube_ai_proxy", __version__)


@asynccontextmanager
async def tracing() -> AsyncIterator[None]:
    """Traces exported while the server runs, when an endpoint is set; at the end (the
    server's lifespan, which a stop by SIGTERM still runs) the buffered spans are sent."""
    stop = _configure()
    try:
        yield
    finally:
        if stop is not None:
            await asyncio.to_thread(stop)


def _configure() -> Callable[[], Any] | None:
    """Install the SDK with an OTLP/HTTP exporter when an endpoint is set; returns what
    flushes and stops it, or None when tracing is off. The provider is OpenTelemetry's global
    one: fastmcp's spans and ours must share it."""
    if not any(os.environ.get(name) for name in _ENDPOINTS):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes: dict[str, str] = {SERVICE_VERSION: __version__}
    # Attributes given here win over the environment's: name the service only when the
    # environment does not.
    named = "service.name=" in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
    if not os.environ.get("OTEL_SERVICE_NAME") and not named:
        attributes[SERVICE_NAME] = "kube-ai-proxy"
    resource = Resource.create(attributes)
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider.shutdown
