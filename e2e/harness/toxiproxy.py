"""Toxiproxy for the fault tests: toxiproxy-server (built from its Go module) on a free loopback
port, proxies created through its HTTP API, and faults ("toxics") switched on and off per test.

`faulty_kubeconfig(cluster, proxy, path)` writes a copy of the cluster's admin kubeconfig with
a second context, `faulty`, whose server is the proxy: the native path and the CLIs reach the
same API server through it, with the same credentials (the proxy listens on 127.0.0.1, which
the API server's certificate names).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from e2e.harness.cache import CacheLayout
from e2e.harness.cluster import Cluster
from e2e.harness.errors import HarnessError
from e2e.harness.processes import LOOPBACK, free_ports, running

FAULTY_CONTEXT = "faulty"


def _request(api: str, method: str, path: str, body: Any = None) -> Any:
    """One call to toxiproxy's API; its JSON answer."""
    answer = httpx.request(method, f"{api}{path}", json=body, timeout=10, trust_env=False)
    if answer.status_code >= 300:
        raise HarnessError(f"toxiproxy {method} {path}: {answer.status_code} {answer.text}")
    return answer.json() if answer.content else None


@dataclass(frozen=True)
class Proxy:
    name: str
    listen: str  # 127.0.0.1:PORT
    api: str  # toxiproxy's own API

    def add(self, toxic: str, kind: str, stream: str = "downstream", **attributes: int) -> None:
        """A fault: `timeout` (timeout=0: a black hole), `latency`, `reset_peer`,
        `bandwidth`, `limit_data`... (toxiproxy's README lists them)."""
        _request(
            self.api,
            "POST",
            f"/proxies/{self.name}/toxics",
            {"name": toxic, "type": kind, "stream": stream, "attributes": attributes},
        )

    def remove(self, toxic: str) -> None:
        _request(self.api, "DELETE", f"/proxies/{self.name}/toxics/{toxic}")

    def clear(self) -> None:
        """No toxics, and the proxy enabled."""
        for toxic in _request(self.api, "GET", f"/proxies/{self.name}/toxics") or []:
            self.remove(toxic["name"])
        self.enable(True)

    def enable(self, enabled: bool) -> None:
        """Disabled, the proxy closes its connections and refuses new ones: the server
        behind it is down, as far as its clients can tell."""
        _request(self.api, "POST", f"/proxies/{self.name}", {"enabled": enabled})


@dataclass(frozen=True)
class Toxiproxy:
    api: str

    def proxy(self, name: str, upstream: str) -> Proxy:
        """A new proxy on a free loopback port to `upstream` (host:port)."""
        (port,) = free_ports(1)
        listen = f"{LOOPBACK}:{port}"
        body = {"name": name, "listen": listen, "upstream": upstream, "enabled": True}
        _request(self.api, "POST", "/proxies", body)
        return Proxy(name, listen, self.api)


def _answers(api: str) -> bool:
    try:
        return httpx.get(f"{api}/version", timeout=1, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def toxiproxy(layout: CacheLayout, workdir: Path) -> Iterator[Toxiproxy]:
    binary = layout.binary("toxiproxy-server")
    if not binary.is_file():
        raise HarnessError(
            f"{binary} is missing: run `python -m e2e.harness binaries --full` (or `make e2e`)"
        )
    (port,) = free_ports(1)
    api = f"http://{LOOPBACK}:{port}"
    argv = [str(binary), "-host", LOOPBACK, "-port", str(port)]
    with running("toxiproxy-server", argv, workdir / "toxiproxy.log", lambda: _answers(api)):
        yield Toxiproxy(api)


def _current(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The kubeconfig's current context and the cluster entry it names."""
    current = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    entry = next(c for c in config["clusters"] if c["name"] == current["context"]["cluster"])
    return current, entry


def api_server_address(cluster: Cluster) -> str:
    """host:port of the cluster's API server, from its admin kubeconfig."""
    _, entry = _current(yaml.safe_load(cluster.kubeconfig.read_text()))
    return str(urlsplit(entry["cluster"]["server"]).netloc)


def faulty_kubeconfig(cluster: Cluster, proxy: Proxy, path: Path) -> Path:
    """The admin kubeconfig plus the context `faulty`: the same cluster and user, through the
    proxy."""
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    current, entry = _current(config)
    faulty_cluster = {
        "name": FAULTY_CONTEXT,
        "cluster": {**entry["cluster"], "server": f"https://{proxy.listen}"},
    }
    config["clusters"].append(faulty_cluster)
    config["contexts"].append(
        {"name": FAULTY_CONTEXT, "context": {**current["context"], "cluster": FAULTY_CONTEXT}}
    )
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path
