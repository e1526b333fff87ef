"""Canaries: what the code relies on in its dependencies beyond their public APIs, one test per
use. Each use lives in one function (named in the failure message, whose docstring says what
it needs and why); an upgrade that changes the thing fails here, fast and by name, rather than
as a wrong answer or a slow path somewhere else."""

from __future__ import annotations

import inspect
import re
import sys
from importlib.metadata import version

import pytest


def _changed(distribution: str, what: str, user: str) -> str:
    return (
        f"{distribution} {version(distribution)} changed {what}: {user} relies on it; see "
        f"that function's docstring, and adapt it to this {distribution} (or keep "
        f"{distribution} at the version it names)"
    )


def test_fastmcp_context_is_modern_protocol() -> None:
    from fastmcp import Context, FastMCP

    from kube_ai_proxy.mcp.tools import _without_back_channel

    message = _changed(
        "fastmcp",
        "Context._is_modern_protocol",
        "kube_ai_proxy/mcp/tools.py:_without_back_channel",
    )
    method = getattr(Context, "_is_modern_protocol", None)
    assert callable(method), message
    signature = inspect.signature(method)
    assert list(signature.parameters) == ["self"], message
    assert signature.return_annotation in (bool, "bool"), message
    # Outside a request no protocol was negotiated: the era with a back-channel, as a bool.
    assert _without_back_channel(Context(fastmcp=FastMCP("canary"))) is False, message


def test_aiohttp_get_env_proxy_for_url(monkeypatch: pytest.MonkeyPatch) -> None:
    import aiohttp.helpers

    from adapters.kubernetes import _env_proxy

    message = _changed(
        "aiohttp", "aiohttp.helpers.get_env_proxy_for_url", "adapters/kubernetes.py:_env_proxy"
    )
    function = getattr(aiohttp.helpers, "get_env_proxy_for_url", None)
    assert callable(function), message
    assert list(inspect.signature(function).parameters) == ["url"], message
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    # No proxy set: LookupError, which _env_proxy answers as None.
    assert _env_proxy("https://10.0.0.1:6443") is None, message
    monkeypatch.setenv("HTTPS_PROXY", "http://user:secret@proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "bypassed.example")
    expected = ("http://proxy.example:3128", "Basic dXNlcjpzZWNyZXQ=")  # base64 of user:secret
    assert _env_proxy("https://10.0.0.1:6443") == expected, message
    assert _env_proxy("https://bypassed.example:6443") is None, message


async def test_aiohttp_client_session_trust_env() -> None:
    import aiohttp

    message = _changed(
        "aiohttp", "ClientSession._trust_env", "adapters/kubernetes.py:_stop_trusting_env"
    )
    session = aiohttp.ClientSession(trust_env=True)
    try:
        assert getattr(session, "_trust_env", None) is True, message
        session._trust_env = False
        assert session.trust_env is False, message
    finally:
        await session.close()
    # Read on each request, not copied when the session is built: setting it later counts.
    assert "self._trust_env" in inspect.getsource(aiohttp.ClientSession._request), message


async def test_kubernetes_asyncio_rest_client_proxy_fields() -> None:
    import aiohttp
    from kubernetes_asyncio.client import ApiClient, Configuration
    from kubernetes_asyncio.client.rest import RESTClientObject

    from adapters.kubernetes import _send_through_proxy, _stop_trusting_env

    message = _changed(
        "kubernetes_asyncio",
        "the REST client's proxy, proxy_headers or pool_manager",
        "adapters/kubernetes.py:_send_through_proxy and _stop_trusting_env",
    )
    client = ApiClient(Configuration(host="https://127.0.0.1:6443"))
    try:
        rest = client.rest_client
        assert isinstance(rest, RESTClientObject), message
        assert rest.proxy is None and rest.proxy_headers is None, message
        _send_through_proxy(client, "http://proxy.example:3128", "Basic dTpw")
        assert rest.proxy == "http://proxy.example:3128", message
        assert rest.proxy_headers == {"Proxy-Authorization": "Basic dTpw"}, message
        assert isinstance(rest.pool_manager, aiohttp.ClientSession), message
        _stop_trusting_env(client)
        assert rest.pool_manager.trust_env is False, message
    finally:
        await client.close()
    # Read on each request, not only when the REST client is built: setting them later counts.
    source = inspect.getsource(RESTClientObject.request)
    assert "self.proxy" in source and "self.proxy_headers" in source, message


async def test_pyhelm3_reads_run_helm_through_command_run() -> None:
    """Not a private name but pyhelm3's implementation: HelmCommand replaces `run` (and
    `client_version`) so that helm is exec'd without a shell, which holds only while the
    reads it calls go through them."""
    import pyhelm3
    import pyhelm3.command
    import semver

    message = _changed(
        "pyhelm3",
        "how Command's reads run helm",
        "adapters/helm.py:HelmCommand.run and HelmCommand.client_version",
    )
    assert list(inspect.signature(pyhelm3.Command.run).parameters) == [
        "self",
        "command",
        "input",
    ], message
    assert {"executable", "kubecontext"} <= set(
        inspect.signature(pyhelm3.Command.__init__).parameters
    ), message

    class Recording(pyhelm3.Command):  # type: ignore[misc]  # pyhelm3 has no type hints
        def __init__(self) -> None:
            super().__init__(executable=sys.executable, kubecontext="ctx")
            self.runs: list[list[str]] = []

        async def run(self, command: list[object], input: bytes | None = None) -> bytes:
            self.runs.append([str(part) for part in command])
            return b"[]"

        def client_version(self) -> semver.Version:
            self.runs.append(["version"])
            return semver.Version(3, 0, 0)

    recording = Recording()
    await recording.status("web", namespace="ns", revision=0)
    await recording.history("web", namespace="ns", max_revisions=256)
    await recording.get_values("web", namespace="ns", revision=None, computed=False)
    pyhelm3.Client(command=recording, executable=sys.executable)
    ran = [argv[0] for argv in recording.runs]
    assert ran == ["status", "history", "get", "version"], message
    # adapters/helm.py:error_class classifies helm's stderr with these, as pyhelm3 does.
    for name in ("CHART_NOT_FOUND", "CONNECTION_ERROR"):
        assert isinstance(getattr(pyhelm3.command, name, None), re.Pattern), message


def test_kubernetes_asyncio_rest_client_request_takes_the_headers_as_given() -> None:
    from kubernetes_asyncio.client.api_client import ApiClient
    from kubernetes_asyncio.client.rest import RESTClientObject

    message = _changed(
        "kubernetes_asyncio",
        "how the REST client's request gets and sends its headers",
        "adapters/kubernetes.py:_expand_header_lists",
    )
    parameters = inspect.signature(RESTClientObject.request).parameters
    assert list(parameters)[:5] == ["self", "method", "url", "query_params", "headers"], message
    # The verbs call `self.request(..., headers=headers)`, so an instance attribute replaces it.
    assert "self.request(" in inspect.getsource(RESTClientObject.GET), message
    assert '"headers": headers' in inspect.getsource(RESTClientObject.request), message
    # The ApiClient keeps a list-valued header parameter as a list.
    assert "parameters_to_tuples(header_params" in inspect.getsource(ApiClient), message
