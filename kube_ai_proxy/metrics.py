"""The server's Prometheus metrics (docs/operations.md), one registry per server.

Label values are bounded: tools and backends are fixed sets, verbs come from the CLI specs
(a command that did not parse is `unparsed`), outcomes are result codes, upstreams are the API
server and the four CLIs. No label ever holds a command line, a name or a namespace.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from kube_ai_proxy.result import CommandResult

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Calls range from a cached native read (milliseconds) to a helm install --wait (minutes).
_CALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
_UPSTREAM_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_REFUSALS = ("invalid_command", "policy_denied", "rbac_denied")


class Metrics:
    """What the server counts, and the text Prometheus scrapes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        prefix = "kube_ai_proxy"
        self.calls = Counter(
            f"{prefix}_calls",
            "Calls answered, by tool, verb, backend (native, cli, none) and outcome (success or "
            "the error code).",
            ["tool", "verb", "backend", "outcome"],
            registry=self.registry,
        )
        self.call_seconds = Histogram(
            f"{prefix}_call_duration_seconds",
            "Time to answer a call, from parse to result.",
            ["tool", "backend"],
            buckets=_CALL_BUCKETS,
            registry=self.registry,
        )
        self.refusals = Counter(
            f"{prefix}_refusals",
            "Calls refused before anything ran, by reason (the error code).",
            ["tool", "reason"],
            registry=self.registry,
        )
        self.truncated = Counter(
            f"{prefix}_output_truncated",
            "Answers cut to the output budget.",
            ["tool"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            f"{prefix}_calls_in_flight", "Calls being answered now.", registry=self.registry
        )
        self.upstream_seconds = Histogram(
            f"{prefix}_upstream_duration_seconds",
            "Time spent in what answers for the server: each API server request (apiserver), "
            "each Argo CD API request (argocd-api), each CLI run (kubectl, helm, istioctl, "
            "argocd).",
            ["upstream"],
            buckets=_UPSTREAM_BUCKETS,
            registry=self.registry,
        )
        self.review_cache = Counter(
            f"{prefix}_rbac_preflight_reviews",
            "RBAC pre-flight access reviews, by whether the cached decision was used.",
            ["cache"],
            registry=self.registry,
        )
        self.auth_refusals = Counter(
            f"{prefix}_auth_refusals",
            "HTTP requests refused for their token (OAuth).",
            registry=self.registry,
        )

    def call_done(self, tool: str, verb: str | None, result: CommandResult) -> None:
        error = result.error
        outcome = error.code if error else "success"
        backend = result.backend or "none"
        self.calls.labels(tool, verb or "unparsed", backend, outcome).inc()
        self.call_seconds.labels(tool, backend).observe(result.duration_ms / 1000)
        if error is not None and error.code in _REFUSALS and result.backend is None:
            self.refusals.labels(tool, error.code).inc()
        if result.truncated:
            self.truncated.labels(tool).inc()

    def upstream(self, name: str, seconds: float) -> None:
        self.upstream_seconds.labels(name).observe(seconds)

    def argocd_request(self, seconds: float) -> None:
        self.upstream("argocd-api", seconds)

    def review(self, cached: bool) -> None:
        self.review_cache.labels("hit" if cached else "miss").inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
