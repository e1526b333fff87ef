"""API requests made as the caller: the headers that reach the API server.

The "API server" is a loopback HTTP server that records each request's headers and answers
`{}`; the client is the one the server builds from a kubeconfig (kube_connection.py), so
the headers are the ones aiohttp really sends.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from adapters.kubernetes import AccessRequest, ActAs, KubeClients


class Recorder:
    def __init__(self) -> None:
        self.requests: list[tuple[str, list[tuple[str, str]]]] = []
        self.allowed = True


@pytest.fixture
def api_server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            recorder.requests.append((self.path, list(self.headers.items())))
            body = json.dumps({"status": {"allowed": recorder.allowed}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def kubeconfig(tmp_path: Path, api_server: tuple[str, Recorder]) -> str:
    url, _ = api_server
    path = tmp_path / "config"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": url}}],
                "users": [{"name": "u", "user": {"token": "the-servers-own-token"}}],
                "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "ctx",
            }
        )
    )
    return str(path)


def _headers(recorder: Recorder, name: str) -> list[list[str]]:
    return [
        [v for k, v in headers if k.lower() == name.lower()] for _, headers in recorder.requests
    ]


async def test_impersonation_sends_each_group_as_a_header_line(
    kubeconfig: str, api_server: tuple[str, Recorder]
) -> None:
    _, recorder = api_server
    clients = KubeClients(kubeconfig, None)
    try:
        own = await clients.get()
        alice = await clients.get(None, ActAs(user="oidc:alice", groups=("a", "b,c")))
        await alice.request("GET", "/api/v1/namespaces/a/pods")
        await own.request("GET", "/api/v1/namespaces/a/pods")
    finally:
        await clients.aclose()
    assert _headers(recorder, "Impersonate-User") == [["oidc:alice"], []]
    assert _headers(recorder, "Impersonate-Group") == [["a", "b,c"], []]
    # Impersonation is the server's credential asking to act as someone else.
    assert _headers(recorder, "Authorization") == [["Bearer the-servers-own-token"]] * 2


async def test_passthrough_sends_the_callers_token_alone(
    kubeconfig: str, api_server: tuple[str, Recorder]
) -> None:
    _, recorder = api_server
    clients = KubeClients(kubeconfig, None)
    try:
        caller = await clients.get(None, ActAs(bearer="the-callers-token"))
        await caller.request("GET", "/version")
        await (await clients.get()).request("GET", "/version")
    finally:
        await clients.aclose()
    assert _headers(recorder, "Authorization") == [
        ["Bearer the-callers-token"],
        ["Bearer the-servers-own-token"],
    ]


async def test_access_reviews_are_cached_per_identity(
    kubeconfig: str, api_server: tuple[str, Recorder]
) -> None:
    """What alice may do says nothing about what bob may do."""
    _, recorder = api_server
    clients = KubeClients(kubeconfig, None)
    review = AccessRequest(verb="list", resource="pods", namespace="a")
    try:
        alice = await clients.get(None, ActAs(user="alice"))
        assert (await alice.access_review(review))[0] is True
        recorder.allowed = False
        assert (await alice.access_review(review))[0] is True  # cached for alice
        bob = await clients.get(None, ActAs(user="bob"))
        assert (await bob.access_review(review))[0] is False
        assert await clients.get(None, ActAs(user="alice")) is alice
    finally:
        await clients.aclose()
    assert _headers(recorder, "Impersonate-User") == [["alice"], ["bob"]]


async def test_the_identities_kept_are_bounded(kubeconfig: str) -> None:
    clients = KubeClients(kubeconfig, None)
    clients.MAX_IDENTITIES = 3
    try:
        first = await clients.get(None, ActAs(user="u0"))
        for n in range(1, 5):
            await clients.get(None, ActAs(user=f"u{n}"))
        assert await clients.get(None, ActAs(user="u0")) is not first
    finally:
        await clients.aclose()
