"""Fixtures of the fast suite: fake CLIs on PATH, settings, and a real in-memory MCP client."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

from adapters.argocd import ArgoCD
from kube_ai_proxy.config import Settings
from kube_ai_proxy.mcp.server import create_server

FAKE_CLI = Path(__file__).parent / "fakes" / "fake_cli.py"
CLIS = ("kubectl", "helm", "istioctl", "argocd")


# A cluster that is configured but never reached: the fast suite has no API server, and a
# developer's ~/.kube/config must not change what it sees.
UNREACHED_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: unreached, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: tester, user: {token: fast-suite}}]
contexts: [{name: unreached, context: {cluster: unreached, user: tester}}]
current-context: unreached
"""


@pytest.fixture(scope="session")
def unreached_kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kube") / "config"
    path.write_text(UNREACHED_KUBECONFIG)
    return path


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, unreached_kubeconfig: Path, tmp_path: Path) -> None:
    """No setting leaks in from the developer's shell; KUBECONFIG names a cluster that is
    configured but not reached (tests of a missing one set their own); the journal of writes
    is kept in the test's directory."""
    for name in list(os.environ):
        if name.startswith(("K8S_MCP_", "ARGOCD_", "FAKE_CLI_")) or name == "K8S_CONTEXT":
            monkeypatch.delenv(name)
    monkeypatch.setenv("KUBECONFIG", str(unreached_kubeconfig))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """kubectl, helm, istioctl and argocd on PATH are the fake that prints its argv and env."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in CLIS:
        (bin_dir / name).symlink_to(FAKE_CLI)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


@pytest.fixture
def argocd_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Argo CD answers the probe that stops a CLI whose server is gone
    (kube_ai_proxy/reachability.py): for tests whose Argo CD is only a name, which the fake
    CLI prints back."""

    async def answers(_: ArgoCD) -> None:
        return None

    monkeypatch.setattr(ArgoCD, "unreachable", answers)


@pytest.fixture
def make_client() -> Callable[..., Client[Any]]:
    """A factory: make_client(access="read-only", ...) -> an MCP client bound to a new server.
    RBAC pre-flight and the native backend are off unless asked for: the fake CLIs have no
    API server behind them."""

    def factory(**settings: Any) -> Client[Any]:
        defaults = {"rbac_preflight": False, "native": False}
        return Client(create_server(Settings(**{**defaults, **settings})))

    return factory


@pytest.fixture
async def client(
    fake_bin: Path, make_client: Callable[..., Client[Any]]
) -> AsyncIterator[Client[Any]]:
    async with make_client() as connected:
        yield connected


@pytest.fixture
def utc() -> Iterator[None]:
    """The process's local zone is UTC (as when kubectl printed the recorded times)."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()
