"""Traces sent to an OTLP collector (docs/operations.md): the spans of one call, under the
trace the client named in the request's `_meta`.

The collector is an OTLP/HTTP receiver written for the test: it decodes each export request
with the OpenTelemetry protobuf definitions and keeps the spans. The server is a subprocess
with the fake CLIs, exporting to it through the standard variables.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.fakes.raw_mcp import tool_call
from tests.fakes.server_process import free_port, start

TOKEN = "trace-" + os.urandom(8).hex()
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


class Collector:
    def __init__(self) -> None:
        self.spans: list[tuple[dict[str, Any], Span]] = []  # (resource attributes, span)
        self.lock = threading.Lock()

    def receive(self, body: bytes) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        with self.lock:
            for resource_spans in request.resource_spans:
                resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    self.spans += [(resource, span) for span in scope_spans.spans]


@pytest.fixture
def collector() -> Iterator[tuple[str, Collector]]:
    received = Collector()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/v1/traces":
                received.receive(body)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


async def test_a_call_is_traced_under_the_clients_trace(
    fake_bin: Path, collector: tuple[str, Collector]
) -> None:
    endpoint, received = collector
    port = free_port()
    env = {
        **os.environ,
        "K8S_MCP_TRANSPORT": "streamable-http",
        "K8S_MCP_PORT": str(port),
        "K8S_MCP_AUTH_TOKEN": TOKEN,
        "K8S_MCP_NATIVE": "false",
        "K8S_MCP_RBAC_PREFLIGHT": "false",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_SERVICE_NAME": "kap-under-test",
    }
    proc = start(env, port)
    try:
        meta = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}
        body, headers = tool_call("execute_kubectl", "kubectl get pods -n web", TOKEN, meta)
        async with httpx.AsyncClient(timeout=60) as http:
            response = await http.post(f"http://127.0.0.1:{port}/mcp", json=body, headers=headers)
        assert response.json()["result"]["structuredContent"]["status"] == "success"
    finally:
        proc.terminate()  # the lifespan's end sends what is still buffered
        proc.wait(timeout=30)
    spans = {
        span.name: span for resource, span in received.spans if span.trace_id.hex() == TRACE_ID
    }
    assert {resource["service.name"] for resource, _ in received.spans} == {"kap-under-test"}
    request = spans["tools/call execute_kubectl"]  # fastmcp's span of the request
    assert request.parent_span_id.hex() == PARENT_ID
    steps = {"parse", "policy", "cli", "render"}
    assert steps <= set(spans), sorted(spans)
    for name in ("parse", "policy", "cli"):
        assert spans[name].parent_span_id == request.span_id, name
    assert spans["render"].parent_span_id == spans["cli"].span_id
    attributes = {a.key: a.value.string_value for a in request.attributes}
    assert attributes["kube_ai_proxy.verb"] == "get"
    assert attributes["kube_ai_proxy.outcome"] == "success"
    everything = repr([span for _, span in received.spans])
    assert "-n web" not in everything  # no command line in any span
