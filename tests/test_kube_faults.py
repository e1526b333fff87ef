"""How the Kubernetes client meets a sick API server: what it tries again, what it never
repeats, how long it waits, and what it says.

The "API server" is a loopback TCP server that plays one scripted behaviour per request (an
answer with any status and headers, a connection reset after reading the request, silence);
the client is the one the server builds from a kubeconfig, so the requests, timeouts and
retries are the real ones.
"""

from __future__ import annotations

import asyncio
import json
import stat
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from adapters.cli import Stage, run_pipeline
from adapters.errors import BackendError, Unreachable
from adapters.kube_retries import call_deadline
from adapters.kubernetes import JSON, KubeClients
from kube_ai_proxy.reachability import stop_when_unreachable

PODS = "/api/v1/namespaces/default/pods"
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: object = field(default_factory=dict)
    headers: tuple[tuple[str, str], ...] = ()


RESET = "reset"  # read the request, then drop the connection without a word
SILENT = "silent"  # read the request, then say nothing


@dataclass
class Script:
    """What the server does for each request, in order (the last is repeated), and what it
    saw: each request's method, path and Authorization header."""

    steps: list[Answer | str]
    seen: list[tuple[str, str, str]] = field(default_factory=list)
    by_token: dict[str, Answer] = field(default_factory=dict)

    def next(self, token: str) -> Answer | str:
        if token in self.by_token:
            return self.by_token[token]
        return self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]


async def _serve_one(
    script: Script, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            headers = {k.lower(): v for k, v in headers.items()}
            await reader.readexactly(int(headers.get("content-length", "0")))
            token = headers.get("authorization", "")
            script.seen.append((method, path.split("?")[0], token))
            step = script.next(token)
            if step == RESET:
                writer.transport.abort()
                return
            if step == SILENT:
                await asyncio.sleep(3600)
            assert isinstance(step, Answer)
            body = json.dumps(step.body).encode()
            extra = "".join(f"{k}: {v}\r\n" for k, v in step.headers)
            writer.write(
                f"HTTP/1.1 {step.status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n{extra}\r\n".encode()
                + body
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Script]]:
    script = Script([Answer()])
    listening = await asyncio.start_server(lambda r, w: _serve_one(script, r, w), "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield f"http://127.0.0.1:{port}", script
        listening.close()


def _kubeconfig(tmp_path: Path, url: str, user: dict[str, object] | None = None) -> str:
    path = tmp_path / "kubeconfig"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": url}}],
        "users": [{"name": "u", "user": user or {"token": "server-token"}}],
        "contexts": [{"name": "sick", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "sick",
    }
    path.write_text(json.dumps(config))
    return str(path)


@pytest.fixture
async def clients(tmp_path: Path, server: tuple[str, Script]) -> AsyncIterator[KubeClients]:
    kube = KubeClients(_kubeconfig(tmp_path, server[0]), None, request_timeout=0.5)
    try:
        yield kube
    finally:
        await kube.aclose()


async def test_a_read_whose_connection_is_reset_is_tried_again_and_answers(
    server: tuple[str, Script], clients: KubeClients
) -> None:
    _, script = server
    script.steps = [RESET, RESET, Answer(body={"items": []})]
    body = await (await clients.get()).request("GET", PODS)
    assert body == {"items": []}
    assert [s[:2] for s in script.seen] == [("GET", PODS)] * 3


async def test_a_write_whose_connection_is_reset_is_never_sent_again(
    server: tuple[str, Script], clients: KubeClients
) -> None:
    _, script = server
    script.steps = [RESET, Answer(status=201)]
    api = await clients.get()
    with pytest.raises(Unreachable) as raised:
        await api.request("POST", CONFIGMAPS, body={"kind": "ConfigMap"}, content_type=JSON)
    assert [s[:2] for s in script.seen] == [("POST", CONFIGMAPS)]
    message = raised.value.message
    assert "the API server of context 'sick' at http://127.0.0.1:" in message
    assert "closed the connection before answering" in message
    assert "may have taken effect" in message and "not tried again" in message


async def test_a_black_hole_is_reported_after_the_request_timeout_and_not_retried(
    server: tuple[str, Script], clients: KubeClients
) -> None:
    _, script = server
    script.steps = [SILENT]
    with pytest.raises(Unreachable) as raised:
        await (await clients.get()).request("GET", PODS)
    assert "did not answer within 0.5s (K8S_MCP_REQUEST_TIMEOUT)" in raised.value.message
    assert len(script.seen) == 1


async def test_429_is_honoured_for_writes_too_and_the_wait_is_the_servers(
    server: tuple[str, Script], clients: KubeClients
) -> None:
    _, script = server
    busy = Answer(
        status=429, body={"message": "too many requests"}, headers=(("Retry-After", "1"),)
    )
    script.steps = [busy, Answer(status=201, body={"created": True})]
    started = time.monotonic()
    body = await (await clients.get()).request("POST", CONFIGMAPS, body={}, content_type=JSON)
    assert body == {"created": True}
    assert len(script.seen) == 2
    # Retry-After was honoured: the second attempt waited the second it asked for.
    assert time.monotonic() - started >= 1.0


async def test_a_wait_longer_than_the_call_has_left_is_answered_at_once(
    server: tuple[str, Script], clients: KubeClients
) -> None:
    _, script = server
    script.steps = [
        Answer(status=429, body={"message": "slow down"}, headers=(("Retry-After", "30"),))
    ]
    api = await clients.get()
    with call_deadline(5), pytest.raises(BackendError) as raised:
        await api.request("GET", PODS)
    assert raised.value.code == "unavailable"
    assert "slow down" in raised.value.message
    assert "asked to try again in 30s, after the call's time is up" in raised.value.message
    assert len(script.seen) == 1


async def test_429_without_retry_after_says_the_server_is_busy(
    server: tuple[str, Script], clients: KubeClients
) -> None:
    _, script = server
    script.steps = [Answer(status=429, body={"message": "rejected"})]
    with pytest.raises(BackendError) as raised:
        await (await clients.get()).request("GET", PODS)
    assert "too busy to serve this request (429" in raised.value.message
    assert len(script.seen) == 1


@pytest.mark.parametrize(
    ("method", "status", "tries"),
    [("GET", 503, 5), ("GET", 500, 1), ("POST", 503, 1), ("POST", 500, 1)],
)
async def test_server_errors_retry_reads_as_client_go_does_and_never_writes(
    server: tuple[str, Script], clients: KubeClients, method: str, status: int, tries: int
) -> None:
    _, script = server
    script.steps = [Answer(status=status, body={"message": "etcd is sick"})]
    with pytest.raises(BackendError) as raised:
        await (await clients.get()).request(
            method, PODS, body={} if method == "POST" else None, content_type=JSON
        )
    assert len(script.seen) == tries
    assert "etcd is sick" in raised.value.message
    assert ("may have taken effect" in raised.value.message) == (method == "POST")


async def test_a_read_retried_after_503_with_retry_after_answers(
    server: tuple[str, Script], clients: KubeClients
) -> None:
    _, script = server
    script.steps = [Answer(status=500, headers=(("Retry-After", "0"),)), Answer(body={"ok": 1})]
    assert await (await clients.get()).request("GET", PODS) == {"ok": 1}
    assert len(script.seen) == 2


async def test_access_reviews_are_retried_like_reads(
    server: tuple[str, Script], clients: KubeClients
) -> None:
    _, script = server
    review = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    script.steps = [RESET, Answer(body={"status": {"allowed": True}})]
    body = await (await clients.get()).request("POST", review, body={}, content_type=JSON)
    assert body["status"]["allowed"] is True
    assert len(script.seen) == 2


async def test_a_refused_connection_names_the_context_and_how_often_it_was_tried(
    tmp_path: Path,
) -> None:
    free = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = free.sockets[0].getsockname()[1]
    free.close()
    await free.wait_closed()
    kube = KubeClients(_kubeconfig(tmp_path, f"http://127.0.0.1:{port}"), None)
    try:
        assert await kube.unreachable() is not None
        with pytest.raises(Unreachable) as raised:
            await (await kube.get()).request("POST", CONFIGMAPS, body={}, content_type=JSON)
    finally:
        await kube.aclose()
    # Nothing was sent, so even a write is tried again.
    assert f"the API server of context 'sick' at http://127.0.0.1:{port} cannot be reached" in (
        raised.value.message
    )
    assert "(tried 5 times)" in raised.value.message


async def test_a_tls_connection_that_fails_is_not_tried_again(tmp_path: Path) -> None:
    connections = 0

    async def plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        # Whatever the client says, an answer that is not TLS: the handshake fails.
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    listening = await asyncio.start_server(plain_http, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    kube = KubeClients(_kubeconfig(tmp_path, f"https://127.0.0.1:{port}"), None)
    try:
        with pytest.raises(Unreachable) as raised:
            await (await kube.get()).request("GET", PODS)
    finally:
        await kube.aclose()
        listening.close()
    assert "the TLS connection failed" in raised.value.message
    assert connections == 1


def _exec_plugin(tmp_path: Path, expires_in: float | None) -> dict[str, object]:
    """A kubeconfig user whose token comes from an exec plugin (a script): `token-N` on its
    N-th run, valid for `expires_in` seconds when given."""
    script = tmp_path / "credential-plugin"
    count = tmp_path / "runs"
    count.write_text("0")
    expiry = ""
    if expires_in is not None:
        expiry = (
            ',"expirationTimestamp":"\'"$(date -u -d "+'
            + str(int(expires_in))
            + ' seconds" +%Y-%m-%dT%H:%M:%SZ)"\'"'
        )
    script.write_text(
        "#!/bin/sh\n"
        f"n=$(( $(cat {count}) + 1 )); echo $n > {count}\n"
        'echo \'{"apiVersion":"client.authentication.k8s.io/v1",'
        '"kind":"ExecCredential","status":{"token":"token-\'$n\'"' + expiry + "}}'\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(script),
            "interactiveMode": "Never",
        }
    }


async def test_a_token_the_api_server_refuses_is_fetched_again_from_the_exec_plugin(
    tmp_path: Path, server: tuple[str, Script]
) -> None:
    url, script = server
    script.by_token = {"Bearer token-1": Answer(status=401, body={"message": "Unauthorized"})}
    script.steps = [Answer(body={"ok": True})]
    kube = KubeClients(_kubeconfig(tmp_path, url, _exec_plugin(tmp_path, None)), None)
    try:
        assert await (await kube.get()).request("GET", PODS) == {"ok": True}
    finally:
        await kube.aclose()
    assert [s[2] for s in script.seen] == ["Bearer token-1", "Bearer token-2"]


async def test_an_expired_exec_token_is_fetched_again_before_the_request(
    tmp_path: Path, server: tuple[str, Script]
) -> None:
    url, script = server
    # Valid for 5 s: within the 10 s of skew client-go allows too, so expired at once.
    kube = KubeClients(_kubeconfig(tmp_path, url, _exec_plugin(tmp_path, 5)), None)
    try:
        api = await kube.get()
        await api.request("GET", PODS)
        await api.request("GET", PODS)
    finally:
        await kube.aclose()
    # The plugin runs on first use; its token is expired by the next request, which runs it
    # again rather than send it.
    assert [s[2] for s in script.seen] == ["Bearer token-1", "Bearer token-2"]


async def test_credentials_refused_twice_name_the_context_and_how_to_refresh_them(
    tmp_path: Path, server: tuple[str, Script]
) -> None:
    url, script = server
    script.steps = [Answer(status=401, body={"message": "Unauthorized"})]
    kube = KubeClients(_kubeconfig(tmp_path, url, _exec_plugin(tmp_path, None)), None)
    try:
        with pytest.raises(BackendError) as raised:
            await (await kube.get()).request("GET", PODS)
    finally:
        await kube.aclose()
    assert len(script.seen) == 2  # refused, refreshed once, refused again
    message = raised.value.message
    assert "the API server of context 'sick'" in message
    assert "rejected the credentials (401)" in message and "log in again" in message


async def test_a_log_stream_broken_off_keeps_what_arrived_and_says_so(tmp_path: Path) -> None:
    async def half_a_log(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nline1\n\r\n")
        await writer.drain()
        writer.transport.abort()

    listening = await asyncio.start_server(half_a_log, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    kube = KubeClients(_kubeconfig(tmp_path, f"http://127.0.0.1:{port}"), None)
    try:
        streamed = await (await kube.get()).stream_text(f"{PODS}/p/log", [], 1000)
    finally:
        await kube.aclose()
        listening.close()
    assert streamed.body == b"line1\n"
    assert streamed.broken is not None and "broke off the stream after 6 bytes" in streamed.broken


async def test_a_cli_is_stopped_when_the_probe_finds_its_server_gone_and_keeps_its_output(
    tmp_path: Path,
) -> None:
    started = tmp_path / "started"
    script = f"echo first line; echo said >&2; touch {started}; exec sleep 30"
    stage = Stage(["sh", "-c", script], {"PATH": "/usr/bin:/bin"})

    async def gone() -> Unreachable:
        # The CLI is another process: its file is the only sign it has printed.
        while not started.exists():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return Unreachable("the API server of context 'x' did not answer within 0.1s")

    began = time.monotonic()
    async with stop_when_unreachable(gone) as stop:
        outcome = await run_pipeline([stage], timeout=60, max_bytes=1000, stop=stop, partial=True)
    assert time.monotonic() - began < 30  # the sleep was killed, not waited for
    assert outcome.stdout == b"first line\n"
    assert outcome.stderr == "said\n"
    assert outcome.stopped is not None
    assert outcome.stopped.message.endswith("within 0.1s. The command was stopped.")
    # Without `partial` (a guarded CLI, whose output cannot be redacted cut short): raised.
    async with stop_when_unreachable(gone) as stop:
        with pytest.raises(Unreachable):
            await run_pipeline([stage], timeout=60, max_bytes=1000, stop=stop)


async def test_a_server_that_goes_away_while_the_cli_waits_stops_it() -> None:
    answers: list[Unreachable | None] = [None, None]  # answering, then gone

    async def probe() -> Unreachable | None:
        return answers.pop(0) if answers else Unreachable("the API server went away")

    stage = Stage(["sh", "-c", "echo waiting; exec sleep 30"], {"PATH": "/usr/bin:/bin"})
    async with stop_when_unreachable(probe, every=0.2) as stop:
        outcome = await run_pipeline([stage], timeout=60, max_bytes=1000, stop=stop, partial=True)
    assert outcome.stdout == b"waiting\n"
    assert outcome.stopped is not None and "went away" in outcome.stopped.message
    assert outcome.duration < 30


async def test_a_cli_runs_on_when_the_probe_finds_its_server_answering() -> None:
    async def answering() -> None:
        return None

    stage = Stage(["sh", "-c", "sleep 0.3; echo done"], {"PATH": "/usr/bin:/bin"})
    async with stop_when_unreachable(answering) as stop:
        outcome = await run_pipeline([stage], timeout=60, max_bytes=1000, stop=stop, partial=True)
    assert outcome.stdout == b"done\n" and outcome.stopped is None


async def test_a_timeout_keeps_what_was_printed_until_then() -> None:
    stage = Stage(["sh", "-c", "echo watching; exec sleep 30"], {"PATH": "/usr/bin:/bin"})
    outcome = await run_pipeline([stage], timeout=0.5, max_bytes=1000, partial=True)
    assert outcome.stdout == b"watching\n"
    assert outcome.stopped is not None and outcome.stopped.code == "timeout"
    with pytest.raises(BackendError) as raised:
        await run_pipeline([stage], timeout=0.5, max_bytes=1000)
    assert raised.value.code == "timeout"


async def test_a_context_whose_plugin_hangs_holds_back_no_other_context(
    tmp_path: Path, server: tuple[str, Script]
) -> None:
    url = server[0]
    stuck = tmp_path / "stuck-plugin"
    released = tmp_path / "released"
    # Stuck until the test releases it; then it fails (as a plugin waiting on a login would).
    stuck.write_text(f"#!/bin/sh\nwhile [ ! -e {released} ]; do sleep 0.1; done\nexit 1\n")
    stuck.chmod(0o755)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": url}}],
        "users": [
            {"name": "fine", "user": {"token": "fine-token"}},
            {
                "name": "stuck",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": str(stuck),
                        "interactiveMode": "Never",
                    }
                },
            },
        ],
        "contexts": [
            {"name": "fine", "context": {"cluster": "c", "user": "fine"}},
            {"name": "stuck", "context": {"cluster": "c", "user": "stuck"}},
        ],
        "current-context": "fine",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config))
    kube = KubeClients(str(path), None)

    async def as_stuck() -> Any:
        return await (await kube.get("stuck")).request("GET", PODS)

    waiting = asyncio.create_task(as_stuck())
    try:
        await asyncio.sleep(0.2)  # the stuck context's plugin runs
        body = await (await kube.get("fine")).request("GET", PODS)
        assert body == {} and not waiting.done()
    finally:
        released.touch()
        with pytest.raises(BackendError):
            await waiting
        await kube.aclose()
