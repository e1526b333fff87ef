"""The API server reached with a plain HTTP client: the floor every MCP server is measured
against, and the tool that fills the benchmark namespace with pods.

httpx, with the kubeconfig's client certificate, key and CA written to a temporary directory
(a kubeconfig names them by path or carries them inline; either way they end up as files,
which is what `ssl` loads). One client, kept warm: the floor is what a request costs when
nothing but the HTTP exchange and the API server's own work is paid for.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import ssl
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

JSON = "application/json"
# The Accept header kube_ai_proxy's native `get` sends (adapters.kubernetes.TABLE).
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


class KubeHttp:
    """An httpx client authenticated as the kubeconfig's current context."""

    def __init__(self, kubeconfig: Path, concurrency: int = 64) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="kap-bench-tls-"))
        self.server, context = _credentials(kubeconfig, self._dir)
        self.client = httpx.AsyncClient(
            base_url=self.server,
            verify=context,
            timeout=httpx.Timeout(120.0),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )

    async def __aenter__(self) -> KubeHttp:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.client.aclose()
        shutil.rmtree(self._dir, ignore_errors=True)

    async def get(
        self, path: str, query: Sequence[tuple[str, str | int]] = (), accept: str = JSON
    ) -> httpx.Response:
        response = await self.client.get(path, params=list(query), headers={"Accept": accept})
        response.raise_for_status()
        return response

    async def get_json(
        self, path: str, query: Sequence[tuple[str, str | int]] = (), accept: str = JSON
    ) -> Any:
        return (await self.get(path, query, accept)).json()

    async def post(self, path: str, body: Any) -> httpx.Response:
        return await self.client.post(path, json=body)

    async def delete(
        self, path: str, query: Sequence[tuple[str, str | int]] = ()
    ) -> httpx.Response:
        return await self.client.delete(path, params=list(query))


def _credentials(kubeconfig: Path, directory: Path) -> tuple[str, ssl.SSLContext]:
    """The current context's server URL, and an SSL context with its CA and client
    certificate, the files copied or decoded into `directory`."""
    config = yaml.safe_load(kubeconfig.read_text())
    current = config["current-context"]
    context = _named(config, "contexts", current)["context"]
    cluster = _named(config, "clusters", context["cluster"])["cluster"]
    user = _named(config, "users", context["user"])["user"]
    base = kubeconfig.parent

    def materialize(section: dict[str, Any], key: str, name: str) -> Path | None:
        target = directory / name
        if section.get(f"{key}-data"):
            target.write_bytes(base64.b64decode(section[f"{key}-data"]))
        elif section.get(key):
            shutil.copyfile(base / section[key], target)
        else:
            return None
        target.chmod(0o600)
        return target

    ca = materialize(cluster, "certificate-authority", "ca.crt")
    cert = materialize(user, "client-certificate", "client.crt")
    key = materialize(user, "client-key", "client.key")
    if cert is None or key is None:
        raise RuntimeError(
            f"{kubeconfig}: the benchmark's plain HTTP client needs a client certificate and key "
            "(the local control plane's admin kubeconfig has them)"
        )
    ssl_context = ssl.create_default_context(cafile=str(ca) if ca else None)
    ssl_context.load_cert_chain(str(cert), str(key))
    return str(cluster["server"]), ssl_context


def _named(config: dict[str, Any], section: str, name: str) -> dict[str, Any]:
    for entry in config.get(section) or []:
        if entry.get("name") == name:
            found: dict[str, Any] = entry
            return found
    raise RuntimeError(f"the kubeconfig has no {section[:-1]} named {name!r}")


async def list_pages(
    api: KubeHttp,
    path: str,
    accept: str,
    budget: int,
    extra: Sequence[tuple[str, str | int]] = (),
    first: int = 500,
    chunk: int = 500,
) -> int:
    """GET a list as kube_ai_proxy's native `get` pages it (limit=`first`, growing fourfold up
    to 500, continue, and `extra` query parameters), stopping where it stops: no continue token
    left, or more fetched than the output budget. Returns the bytes received."""
    received = 0
    size = 0
    token = ""
    page = first
    while True:
        query: list[tuple[str, str | int]] = [("limit", page), *extra]
        page = min(page * 4, chunk)
        if token:
            query.append(("continue", token))
        response = await api.get(path, query, accept)
        received += len(response.content)
        body = response.json()
        # The same estimate of the printed size the native path keeps (kubectl_get._add).
        if body.get("kind") == "Table":
            size += sum(len(str(c)) + 3 for row in body.get("rows") or [] for c in row["cells"])
        else:
            size += len(response.content)
        token = (body.get("metadata") or {}).get("continue") or ""
        if not token or size > budget:
            return received


async def wait_for(predicate: Any, what: str, timeout: float, interval: float = 0.5) -> None:
    """Await `predicate()` until it returns True, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not done after {timeout:.0f} s")
        await asyncio.sleep(interval)
