"""An HTTPS proxy on loopback in front of the API server that answers chosen requests itself:
429 with a Retry-After, as API Priority and Fairness does, or a 5xx, as a sick API server
does. Toxiproxy works below HTTP and cannot answer those. Every other request is forwarded,
streams included, as the cluster's admin (its client certificate). A request that is
answered here never reaches the API server.

`throttled_kubeconfig(cluster, proxy, path)` writes the admin kubeconfig plus a context,
`throttled`, whose server is the proxy.
"""

from __future__ import annotations

import base64
import re
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from e2e.harness.cluster import Cluster
from e2e.harness.errors import HarnessError
from e2e.harness.processes import LOOPBACK, free_ports
from e2e.harness.tls import write_tls_files

THROTTLED_CONTEXT = "throttled"

# Hop-by-hop headers, and those the proxy sets itself.
_NOT_FORWARDED = frozenset(
    {"host", "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}
)

_REASONS = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable"}


@dataclass
class _Rule:
    method: str | None
    path: re.Pattern[str]
    status: int
    retry_after: int | None
    times: int


@dataclass
class Throttler:
    """What the proxy answers itself, and every request it saw: (method, path, status)."""

    address: str  # 127.0.0.1:PORT
    ca: Path  # the CA of its certificate, for clients to trust
    seen: list[tuple[str, str, int]] = field(default_factory=list)
    _rules: list[_Rule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(
        self,
        status: int,
        *,
        times: int,
        path: str = ".*",
        method: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next `times` requests whose path matches `path` (and method, if given) are
        answered with `status` (and Retry-After)."""
        with self._lock:
            self._rules.append(_Rule(method, re.compile(path), status, retry_after, times))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.seen.clear()

    def count(self, method: str, path: str) -> int:
        """How many requests with this method and a path matching `path` came."""
        pattern = re.compile(path)
        with self._lock:
            return sum(1 for m, p, _ in self.seen if m == method and pattern.search(p))

    def rule_for(self, method: str, path: str) -> _Rule | None:
        """The rule that answers this request, if one does (it is used up by one)."""
        with self._lock:
            for rule in self._rules:
                if rule.times > 0 and rule.method in (None, method) and rule.path.search(path):
                    rule.times -= 1
                    return rule
            return None

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.seen.append((method, path, status))


def _admin_credentials(config: dict[str, Any], workdir: Path) -> tuple[str, str, str, str]:
    """The admin kubeconfig's server, CA file, client certificate and key files (data fields
    written to files)."""
    current = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    cluster = next(c for c in config["clusters"] if c["name"] == current["context"]["cluster"])
    user = next(u for u in config["users"] if u["name"] == current["context"]["user"])["user"]

    def file_of(entry: dict[str, Any], key: str) -> str:
        if f"{key}-data" in entry:
            path = workdir / key
            path.write_bytes(base64.b64decode(entry[f"{key}-data"]))
            return str(path)
        return str(entry[key])

    return (
        cluster["cluster"]["server"],
        file_of(cluster["cluster"], "certificate-authority"),
        file_of(user, "client-certificate"),
        file_of(user, "client-key"),
    )


def _app(throttler: Throttler, upstream: httpx.AsyncClient) -> Starlette:
    async def handle(request: Request) -> Response:
        method, path = request.method, request.url.path
        rule = throttler.rule_for(method, path)
        if rule is not None:
            throttler.record(method, path, rule.status)
            headers = {} if rule.retry_after is None else {"Retry-After": str(rule.retry_after)}
            status = {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "message": f"the e2e throttler answered {rule.status} to {method} {path}",
                "reason": _REASONS.get(rule.status, "InternalError"),
                "code": rule.status,
            }
            return JSONResponse(status, status_code=rule.status, headers=headers)
        # Raw: a header given several times (Impersonate-Group) stays several lines.
        passed = [(k, v) for k, v in request.headers.raw if k.decode() not in _NOT_FORWARDED]
        forwarded = upstream.build_request(
            method,
            request.url.path,
            params=request.url.query,
            headers=passed,
            content=await request.body(),
        )
        answer = await upstream.send(forwarded, stream=True)
        throttler.record(method, path, answer.status_code)
        back = {k: v for k, v in answer.headers.items() if k.lower() not in _NOT_FORWARDED}
        return StreamingResponse(
            answer.aiter_raw(),
            status_code=answer.status_code,
            headers=back,
            background=BackgroundTask(answer.aclose),
        )

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", handle, methods=methods)])


@contextmanager
def throttler(cluster: Cluster, workdir: Path) -> Iterator[Throttler]:
    """The proxy, serving until the block ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    server, ca, cert, key = _admin_credentials(config, workdir)
    tls = write_tls_files(workdir)
    (port,) = free_ports(1)
    proxy = Throttler(f"{LOOPBACK}:{port}", tls.ca)
    trusted = ssl.create_default_context(cafile=ca)
    trusted.load_cert_chain(cert, key)  # the admin's client certificate
    upstream = httpx.AsyncClient(base_url=server, verify=trusted, timeout=None, trust_env=False)
    served = uvicorn.Server(
        uvicorn.Config(
            _app(proxy, upstream),
            host=LOOPBACK,
            port=port,
            ssl_certfile=str(tls.cert),
            ssl_keyfile=str(tls.key),
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=served.run, name="throttler", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not served.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise HarnessError("the throttling proxy did not start")
        time.sleep(0.05)
    try:
        yield proxy
    finally:
        served.should_exit = True
        thread.join(timeout=30)


def throttled_kubeconfig(cluster: Cluster, proxy: Throttler, path: Path) -> Path:
    """The admin kubeconfig plus the context `throttled`: the same user, through the proxy."""
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    current = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    config["clusters"].append(
        {
            "name": THROTTLED_CONTEXT,
            "cluster": {
                "server": f"https://{proxy.address}",
                "certificate-authority": str(proxy.ca),
            },
        }
    )
    config["contexts"].append(
        {
            "name": THROTTLED_CONTEXT,
            "context": {**current["context"], "cluster": THROTTLED_CONTEXT},
        }
    )
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path
