"""Native Argo CD reads without a cluster.

The HTTP answers are a real argocd-server's, recorded with what the real argocd CLI printed
for the same commands (tests/data/argocd-recorded.json, made by tests/data/argocd_record.py):
replayed through the adapter's httpx client, the native text must be the CLI's and a failure
Argo CD's own. The adapter's error mapping, login and size cap replay recorded answers too;
the server's routing, the CLI's environment and the credentials' confinement go through the
in-memory MCP client.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import socket
import ssl
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastmcp import Client

from adapters.argocd import ArgoCD, ArgoCDConfig, ArgoCDError, parse_server, tls_verification
from adapters.errors import BackendError
from kube_ai_proxy.backends import Backends, BackendsFactory
from kube_ai_proxy.config import Settings
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.tabwriter import tabwriter
from kube_ai_proxy.gofmt.times import go_time
from kube_ai_proxy.mcp.server import create_server
from kube_ai_proxy.native import argocd as argocd_reads
from kube_ai_proxy.native.base import ArgoCDContext, NativeAnswer
from kube_ai_proxy.native.route import argocd_handler
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.command import CliCommand, parse_command

DATA = Path(__file__).parent / "data"
RECORDED: dict[str, Any] = json.loads((DATA / "argocd-recorded.json").read_text())
CASES: list[dict[str, Any]] = RECORDED["cases"]
SERVER: str = RECORDED["server"]
TOKEN = "recorded-read-only-token"
SPECS = CliSpecs()


def parsed(command: str) -> CliCommand:
    """The command as the server parses it (not validated: some are refused there)."""
    return parse_command(SPECS["argocd"], shlex.split(command)[1:])


def normalized(text: str) -> str:
    # Connection states are tried again for every request (see the recorder).
    return re.sub(r'("attemptedAt": |attemptedAt: )"[^"]*"', r'\1"<time>"', text)


class Replay:
    """An httpx handler answering each request with the recorded answer to the same method,
    path and query, in the recorded order; anything unrecorded fails the test."""

    def __init__(self, exchanges: list[dict[str, Any]]) -> None:
        self.answers: dict[tuple[str, str], deque[dict[str, Any]]] = defaultdict(deque)
        for exchange in exchanges:
            self.answers[(exchange["method"], exchange["path"])].append(exchange)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.raw_path.decode())
        if not self.answers[key]:
            raise AssertionError(f"no recorded answer for {key}")
        exchange = self.answers[key].popleft()
        body = exchange["body"] if "body" in exchange else RECORDED["answers"][exchange["answer"]]
        return httpx.Response(
            exchange["status"],
            headers={"content-type": exchange["content_type"]},
            content=body.encode(),
        )

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def argocd_for(replay: Replay, **config: Any) -> ArgoCD:
    settings = {"server": SERVER, "token": TOKEN, **config}
    return ArgoCD(ArgoCDConfig(**settings), transport=replay.transport)


def context(argocd: ArgoCD, budget: int = 10_000_000, allow_secrets: bool = False) -> ArgoCDContext:
    async def client_version() -> dict[str, Any]:
        version: dict[str, Any] = RECORDED["client_version"]
        return version

    return ArgoCDContext(
        argocd=argocd,
        budget=budget,
        allow_secrets=allow_secrets,
        timeout=60,
        client_version=client_version,
        app_url_base=f"https://{SERVER}",
    )


async def answer_for(case: dict[str, Any], budget: int = 10_000_000) -> tuple[NativeAnswer, Replay]:
    replay = Replay(case["exchanges"])
    argocd = argocd_for(replay)
    try:
        answer = await argocd_reads.native_argocd(parsed(case["command"]), context(argocd, budget))
    finally:
        await argocd.aclose()
    return answer, replay


def case_for(command: str) -> dict[str, Any]:
    return next(c for c in CASES if c["command"] == command)


# --- replayed against what the CLI printed ---------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["command"] for c in CASES])
async def test_native_answer_is_what_the_cli_printed(case: dict[str, Any]) -> None:
    command = parsed(case["command"])
    assert argocd_handler(command) is argocd_reads.native_argocd
    answer, replay = await answer_for(case)
    assert all(not queue for queue in replay.answers.values()), "a recorded request was not made"
    if case["exit_code"] == 0:
        assert answer.error_code is None, answer.stderr
        assert normalized(answer.output) == normalized(case["stdout"])
        assert answer.data is not None
    else:
        # The CLI logs Argo CD's message as JSON on stderr and exits 20.
        message = json.loads(case["stderr"].splitlines()[-1])["msg"]
        assert answer.exit_code == case["exit_code"] == 20
        assert answer.error_code is not None
        assert message.rsplit(" desc = ", 1)[-1] in answer.stderr


def test_every_request_carries_the_token_and_nothing_else_of_ours() -> None:
    answer, replay = asyncio.run(answer_for(case_for("argocd app get billing")))
    assert answer.error_code is None
    assert [r.url.path for r in replay.requests] == [
        "/api/v1/applications/billing",
        "/api/v1/projects/team-a",
        "/api/v1/settings",
    ]
    for request in replay.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.url.host == SERVER.split(":")[0]


async def test_a_project_with_sync_windows_goes_to_the_cli() -> None:
    (case,) = RECORDED["deferred"]
    assert case["command"] == "argocd app get scheduled"
    replay = Replay(case["exchanges"])
    argocd = argocd_for(replay)
    try:
        with pytest.raises(Defer):
            await argocd_reads.native_argocd(parsed(case["command"]), context(argocd))
    finally:
        await argocd.aclose()


@pytest.mark.parametrize(
    "command",
    [
        "argocd app get billing --show-operation",
        "argocd app get billing --show-params",
        "argocd app get billing --refresh",
        "argocd app get billing -o tree",
        "argocd app get",
        "argocd app get a b",
        "argocd app get Billing",
        "argocd app get a/b/c",
        "argocd app resources billing --output tree=detailed",
        "argocd app manifests billing --revision v1",
        "argocd app manifests billing --local /tmp/x",
        "argocd app list --loglevel debug",
        "argocd app list extra",
        "argocd app list -o wide2",
        "argocd app history",
        "argocd proj get",
        "argocd repo list --refresh soft",
        "argocd cluster list -o name",
        "argocd app diff billing",
        "argocd app sync billing",
        "argocd app list --grpc-web",
    ],
)
def test_what_is_not_printed_here_is_not_routed(command: str) -> None:
    assert argocd_handler(parsed(command)) is None


async def test_a_long_app_list_is_cut_at_a_row_with_its_summaries() -> None:
    case = case_for("argocd app list")
    whole, _ = await answer_for(case)
    assert whole.data is not None
    every = whole.data["apps"]
    budget = len(case["stdout"].splitlines(keepends=True)[0]) + 260
    cut, _ = await answer_for(case, budget=budget)
    assert cut.truncated
    assert cut.data is not None
    kept = cut.data["apps"]
    assert 0 < len(kept) < len(every)
    assert kept == every[: len(kept)]
    assert len(cut.output) <= budget
    assert case["stdout"].startswith(cut.output)
    assert len(cut.output.splitlines()) == len(kept) + 1
    assert cut.next is not None and f"{len(kept)} of {len(every)} applications" in cut.next
    assert len(json.dumps(cut.data, separators=(",", ":"))) <= budget


async def test_a_list_summary_is_not_the_specs() -> None:
    answer, _ = await answer_for(case_for("argocd app list"))
    assert answer.data is not None
    for summary in answer.data["apps"]:
        assert set(summary) == {
            "name",
            "namespace",
            "project",
            "sync",
            "health",
            "syncPolicy",
            "conditions",
            "repo",
            "path",
            "targetRevision",
            "revision",
            "destination",
        }
    billing = next(s for s in answer.data["apps"] if s["name"] == "billing")
    assert billing["sync"] == "OutOfSync"
    assert billing["syncPolicy"] == "Auto-Prune"
    assert billing["conditions"] == "OrphanedResourceWarning,SyncError(2)"


async def test_json_larger_than_the_budget_is_cut_without_data() -> None:
    answer, _ = await answer_for(case_for("argocd app list -o json"), budget=2000)
    assert answer.truncated
    assert answer.data is None
    assert answer.next is not None and "-p PROJECT" in answer.next


# --- Go's printing -----------------------------------------------------------------------------


def test_tabwriter_block_rules() -> None:
    """text/tabwriter: a line without a tab ends the blocks; cells wider than others push only
    their own block; widths count runes."""
    text = "SOURCE\trepo\nID\tDATE\tREVISION\n1\tlong date\tx\n\nSOURCE\tr\nID\tD\tR\n"
    assert tabwriter(text) == (
        "SOURCE  repo\n"
        "ID      DATE       REVISION\n"
        "1       long date  x\n"
        "\n"
        "SOURCE  r\n"
        "ID      D  R\n"
    )
    assert tabwriter("ä\tb\nxyz\tc\n") == "ä    b\nxyz  c\n"
    assert tabwriter("a\tb") == "a  b"


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


def test_times_print_in_the_local_zone_as_go_does(zone: Callable[[str], None]) -> None:
    zone("UTC")
    assert go_time("2026-11-20T10:15:00Z") == "2026-11-20 10:15:00 +0000 UTC"
    assert go_time(None) == "<nil>"
    zone("America/New_York")
    assert go_time("2026-11-20T10:15:00Z") == "2026-11-20 05:15:00 -0500 EST"
    assert go_time("2026-07-01T10:15:00.250Z") == "2026-07-01 06:15:00.25 -0400 EDT"
    zone("Asia/Kolkata")
    assert go_time("2026-11-20T10:15:00Z") == "2026-11-20 15:45:00 +0530 IST"
    zone("No/Such_Zone")
    with pytest.raises(Defer):
        go_time("2026-11-20T10:15:00Z")


async def test_history_defers_in_a_zone_go_may_read_differently(
    zone: Callable[[str], None],
) -> None:
    zone("No/Such_Zone")
    with pytest.raises(Defer):
        await answer_for(case_for("argocd app history billing"))


# --- the adapter -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "base", "cli", "plaintext"),
    [
        ("argocd.example.com", "https://argocd.example.com", "argocd.example.com", False),
        (
            "argocd.example.com:8443",
            "https://argocd.example.com:8443",
            "argocd.example.com:8443",
            False,
        ),
        ("https://argocd.example.com/", "https://argocd.example.com", "argocd.example.com", False),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080", "127.0.0.1:8080", True),
        (
            "https://cd.example.com/argo-cd/",
            "https://cd.example.com/argo-cd",
            "cd.example.com",
            False,
        ),
        ("[::1]:8080", "https://[::1]:8080", "[::1]:8080", False),
    ],
)
def test_server_addresses(server: str, base: str, cli: str, plaintext: bool) -> None:
    address = parse_server(server)
    assert (address.base_url, address.cli_address, address.plaintext) == (base, cli, plaintext)


@pytest.mark.parametrize(
    "server",
    [
        "",
        "ftp://x",
        "https://user:secret@argocd.example.com",
        "https://x/?token=1",
        "https://x:99999",
    ],
)
def test_bad_server_addresses(server: str) -> None:
    with pytest.raises(BackendError) as raised:
        parse_server(server)
    assert raised.value.code == "unavailable"
    assert "secret" not in raised.value.message


def test_tls_verification(tmp_path: Path) -> None:
    assert tls_verification(ArgoCDConfig(server="x", insecure=True)) is False
    verify = tls_verification(ArgoCDConfig(server="x"))
    assert isinstance(verify, ssl.SSLContext)
    assert verify.verify_mode == ssl.CERT_REQUIRED and verify.check_hostname
    missing = tmp_path / "none.pem"
    with pytest.raises(BackendError) as raised:
        tls_verification(ArgoCDConfig(server="x", ca_file=str(missing)))
    assert raised.value.code == "unavailable"
    assert str(missing) in raised.value.message


ADAPTER: dict[str, dict[str, Any]] = RECORDED["adapter"]


@pytest.mark.parametrize(
    ("case", "code", "status", "words"),
    [
        ("no_token", "rbac_denied", 401, ["no session information", "ARGOCD_AUTH_TOKEN"]),
        ("project_not_found", "not_found", 404, ['appprojects.argoproj.io "nope" not found']),
    ],
)
async def test_error_answers(case: str, code: str, status: int, words: list[str]) -> None:
    exchange = ADAPTER[case]
    replay = Replay([exchange])
    argocd = argocd_for(replay)
    with pytest.raises(ArgoCDError) as raised:
        await argocd.get(exchange["path"])
    await argocd.aclose()
    assert (raised.value.code, raised.value.status) == (code, status)
    for word in words:
        assert word in raised.value.message
    assert TOKEN not in raised.value.message


async def test_a_login_gets_a_session_token_and_renews_it() -> None:
    """Username and password: `POST /api/v1/session` once; a 401 later (an expired session)
    logs in again, once, and the request is repeated with the new token."""
    replay = Replay([ADAPTER["login"], ADAPTER["bad_token"], ADAPTER["login"], ADAPTER["list"]])
    argocd = argocd_for(replay, token=None, username="admin", password="the-password")
    listed = await argocd.get("/api/v1/applications")
    await argocd.aclose()
    assert [a["metadata"]["name"] for a in listed["items"]][:2] == ["billing", "guestbook"]
    methods = [(r.method, r.url.path) for r in replay.requests]
    assert methods == [
        ("POST", "/api/v1/session"),
        ("GET", "/api/v1/applications"),
        ("POST", "/api/v1/session"),
        ("GET", "/api/v1/applications"),
    ]
    assert json.loads(replay.requests[0].content) == {
        "username": "admin",
        "password": "the-password",
    }
    assert replay.requests[3].headers["authorization"] == "Bearer recorded-session-token"
    assert argocd.scrub("x recorded-session-token the-password y") == "x REDACTED REDACTED y"


async def test_a_refused_api_token_is_not_retried() -> None:
    replay = Replay([ADAPTER["bad_token"]])
    argocd = argocd_for(replay)
    with pytest.raises(ArgoCDError) as raised:
        await argocd.get("/api/v1/applications")
    await argocd.aclose()
    assert raised.value.status == 401
    assert len(replay.requests) == 1


async def test_answers_are_read_up_to_a_cap() -> None:
    replay = Replay([ADAPTER["list"]])
    argocd = argocd_for(replay)
    with pytest.raises(BackendError) as raised:
        await argocd.get("/api/v1/applications", max_bytes=1000)
    await argocd.aclose()
    assert raised.value.code == "api_error"
    assert "more than 1000 bytes" in raised.value.message
    assert "-p" in raised.value.message


async def test_an_unreachable_server_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argocd = ArgoCD(ArgoCDConfig(server=f"127.0.0.1:{port}", token=TOKEN))
    with pytest.raises(BackendError) as raised:
        await argocd.get("/api/version")
    await argocd.aclose()
    assert raised.value.code == "unavailable"
    assert "could not be reached" in raised.value.message


async def test_a_server_echoing_the_token_is_scrubbed() -> None:
    """Argo CD does not echo credentials; if a proxy in front of it did, the message would
    still not carry them."""

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"message": f"bad {request.headers['authorization']}"})

    argocd = ArgoCD(ArgoCDConfig(server=SERVER, token=TOKEN), transport=httpx.MockTransport(echo))
    with pytest.raises(BackendError) as raised:
        await argocd.get("/api/v1/applications")
    await argocd.aclose()
    assert TOKEN not in raised.value.message
    assert "Bearer REDACTED" in raised.value.message


async def test_manifests_redact_secrets() -> None:
    """A real argocd-server without redis answers no managed resources (see e2e), so this one
    answer is made here: a Secret among an application's target manifests is redacted in the
    text and the data, as the CLI path's output guard does."""
    app = RECORDED["answers"][case_for("argocd app get billing -o json")["exchanges"][0]["answer"]]
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "team-a"},
        "data": {"password": "c2VjcmV0LXZhbHVl"},
    }
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"a": "1"},
    }
    managed = {
        "items": [
            {"kind": "Secret", "name": "db", "targetState": json.dumps(secret)},
            {"kind": "ConfigMap", "name": "c", "targetState": json.dumps(config_map)},
            {"kind": "Job", "name": "gone", "targetState": "null"},
        ]
    }

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/managed-resources"):
            return httpx.Response(200, json=managed)
        return httpx.Response(200, text=app)

    argocd = ArgoCD(ArgoCDConfig(server=SERVER, token=TOKEN), transport=httpx.MockTransport(answer))
    result = await argocd_reads.native_argocd(
        parsed("argocd app manifests billing"), context(argocd)
    )
    await argocd.aclose()
    assert result.error_code is None
    assert "c2VjcmV0LXZhbHVl" not in result.output + json.dumps(result.data)
    assert "password: REDACTED" in result.output
    assert result.output.count("---\n") == 3
    assert result.output.endswith("---\nnull\n\n")
    assert result.data is not None and result.data["manifests"][1] == config_map


# --- through the server ------------------------------------------------------------------------


def replaying(replay: Replay) -> BackendsFactory:
    """The server's backends, its Argo CD client answering from a recording."""

    def backends(settings: Settings) -> Backends:
        return Backends(
            settings, connect_argocd=lambda config: ArgoCD(config, transport=replay.transport)
        )

    return backends


def argocd_settings(**extra: Any) -> Settings:
    base: dict[str, Any] = {
        "rbac_preflight": False,
        "argocd_server": SERVER,
        "argocd_auth_token": TOKEN,
    }
    return Settings(**{**base, **extra})


async def test_the_server_answers_natively_with_data(fake_bin: Path, tmp_path: Path) -> None:
    case = case_for("argocd app list")
    replay = Replay(case["exchanges"])
    audit = tmp_path / "audit.jsonl"
    server = create_server(argocd_settings(audit_log=str(audit)), replaying(replay))
    async with Client(server) as client:
        raw = await client.call_tool("execute_argocd", {"command": "argocd app list"})
    result = raw.structured_content or {}
    assert result["backend"] == "native"
    assert result["output"] == case["stdout"]
    assert [a["name"] for a in result["data"]["apps"]][:2] == ["billing", "guestbook"]
    assert len(replay.requests) == 1
    assert TOKEN not in json.dumps(result) + audit.read_text()


async def test_native_errors_are_results(fake_bin: Path) -> None:
    replay = Replay(case_for("argocd app get nope")["exchanges"])
    async with Client(create_server(argocd_settings(), replaying(replay))) as client:
        raw = await client.call_tool(
            "execute_argocd", {"command": "argocd app get nope"}, raise_on_error=False
        )
    assert raw.is_error
    result = raw.structured_content or {}
    assert result["backend"] == "native"
    assert result["exit_code"] == 20
    assert result["error"]["code"] == "rbac_denied"
    assert "permission denied" in result["error"]["message"]


async def test_what_the_native_path_defers_the_cli_answers(fake_bin: Path) -> None:
    """A handler that raises Defer after reading (sync windows) hands the call to the CLI:
    the result is the CLI's, not an error."""
    (case,) = RECORDED["deferred"]
    replay = Replay(case["exchanges"])
    async with Client(create_server(argocd_settings(), replaying(replay))) as client:
        raw = await client.call_tool("execute_argocd", {"command": case["command"]})
    result = raw.structured_content or {}
    assert not raw.is_error
    assert result["backend"] == "cli"
    assert json.loads(result["output"])["argv"][:3] == ["app", "get", "scheduled"]


async def test_version_asks_the_cli_for_its_own_once(
    fake_bin: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case = case_for("argocd version")
    replay = Replay(case["exchanges"] * 2)
    marker = tmp_path / "ran"
    monkeypatch.setenv("FAKE_CLI_MODE", "payload")
    monkeypatch.setenv("FAKE_CLI_PAYLOAD", json.dumps({"client": RECORDED["client_version"]}))
    monkeypatch.setenv("FAKE_CLI_MARKER", str(marker))
    async with Client(create_server(argocd_settings(), replaying(replay))) as client:
        for _ in range(2):
            raw = await client.call_tool("execute_argocd", {"command": "argocd version"})
            result = raw.structured_content or {}
            assert result["backend"] == "native"
            assert result["output"] == case["stdout"]
    runs = [json.loads(line) for line in marker.read_text().splitlines()]
    assert runs == [{"program": "argocd", "argv": ["version", "--client", "-o", "json"]}]


async def test_without_a_server_or_credentials_the_cli_answers(fake_bin: Path) -> None:
    """No ARGOCD_SERVER: the argocd CLI uses its own configuration; a server without any
    credentials: the CLI too (it may have a login of its own)."""
    for settings in (
        Settings(rbac_preflight=False),
        Settings(rbac_preflight=False, argocd_server=SERVER),
    ):
        async with Client(create_server(settings)) as client:
            raw = await client.call_tool("execute_argocd", {"command": "argocd app list"})
        result = raw.structured_content or {}
        assert result["backend"] == "cli"
        assert json.loads(result["output"])["argv"] == ["app", "list"]


def cli_env_of(output: str) -> dict[str, str]:
    env: dict[str, str] = json.loads(output)["env"]
    return env


@pytest.mark.parametrize(
    ("settings", "server", "options"),
    [
        ({"argocd_server": "cd.example.com:8443"}, "cd.example.com:8443", ""),
        ({"argocd_server": "http://127.0.0.1:8080"}, "127.0.0.1:8080", "--plaintext"),
        (
            {"argocd_server": "https://cd.example.com/argo cd", "argocd_insecure": True},
            "cd.example.com",
            "--grpc-web-root-path='argo cd' --insecure",
        ),
        (
            {"argocd_server": "cd.example.com", "argocd_ca_file": "/etc/argo cd/ca.pem"},
            "cd.example.com",
            "--server-crt='/etc/argo cd/ca.pem'",
        ),
    ],
)
async def test_the_cli_reaches_the_same_server(
    fake_bin: Path, settings: dict[str, Any], server: str, options: str, argocd_answers: None
) -> None:
    everything = {"rbac_preflight": False, "native": False, "argocd_auth_token": TOKEN, **settings}
    async with Client(create_server(Settings(**everything))) as client:
        raw = await client.call_tool("execute_argocd", {"command": "argocd app sync billing"})
    env = cli_env_of((raw.structured_content or {})["output"])
    assert env["ARGOCD_SERVER"] == server
    assert env.get("ARGOCD_OPTS", "") == options
    assert env["ARGOCD_AUTH_TOKEN"] == TOKEN


async def test_a_password_reaches_no_program(
    fake_bin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI gets the session token the server logged in for, never the password; kubectl
    gets neither."""
    monkeypatch.setenv("ARGOCD_PASSWORD", "the-password")
    replay = Replay([ADAPTER["login"]])
    settings = Settings(
        rbac_preflight=False,
        native=False,
        argocd_server=SERVER,
        argocd_username="admin",
        journal="off",  # no preview of the sync: the replay has only the login
    )
    assert settings.argocd_password is not None
    async with Client(create_server(settings, replaying(replay))) as client:
        raw = await client.call_tool("execute_argocd", {"command": "argocd app sync billing"})
        argocd_env = cli_env_of((raw.structured_content or {})["output"])
        raw = await client.call_tool("execute_kubectl", {"command": "kubectl get pods"})
        kubectl_env = cli_env_of((raw.structured_content or {})["output"])
    assert argocd_env["ARGOCD_AUTH_TOKEN"] == "recorded-session-token"
    assert "ARGOCD_PASSWORD" not in argocd_env
    assert "the-password" not in json.dumps(argocd_env)
    assert not {"ARGOCD_PASSWORD", "ARGOCD_AUTH_TOKEN"} & set(kubectl_env)
    # The login, then the probe of Argo CD while the CLI ran (reachability.py): no token.
    assert [r.url.path for r in replay.requests] == ["/api/v1/session", "/api/version"]
    assert "authorization" not in replay.requests[1].headers


# --- progress --------------------------------------------------------------------------------


async def test_progress_reaches_the_client_while_a_command_waits(
    fake_bin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync that takes five seconds: the client hears of it every two, with the elapsed time,
    the call's timeout and what runs."""
    monkeypatch.setenv("FAKE_CLI_MODE", "slow")
    monkeypatch.setenv("FAKE_CLI_SECONDS", "5")
    events: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        events.append((progress, total, message))

    settings = Settings(rbac_preflight=False, native=False)
    async with Client(create_server(settings)) as client:
        raw = await client.call_tool(
            "execute_argocd",
            {"command": "argocd app sync guestbook --timeout 300", "timeout": 30},
            progress_handler=on_progress,
        )
    assert (raw.structured_content or {})["output"] == "done\n"
    assert len(events) == 2
    assert [round(p) for p, _, _ in events] == [2, 4]
    assert all(total == 30 and message == "argocd app sync running" for _, total, message in events)


def test_recording_is_credential_free() -> None:
    text = (DATA / "argocd-recorded.json").read_text()
    assert "eyJ" not in text  # no JWT: tokens were replaced before they were written
    assert "repo-password-not-returned" not in text
    assert "cluster-token-not-returned" not in text
    assert os.path.getsize(DATA / "argocd-recorded.json") < 400_000


@pytest.mark.parametrize("value", ["yes", "no"])
async def test_account_can_i_prints_argo_cds_answer(value: str) -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.raw_path.decode())
        return httpx.Response(200, json={"value": value})

    def backends(settings: Settings) -> Backends:
        return Backends(
            settings,
            connect_argocd=lambda c: ArgoCD(c, transport=httpx.MockTransport(answer)),
        )

    async with Client(create_server(argocd_settings(), backends)) as client:
        raw = await client.call_tool(
            "execute_argocd", {"command": "argocd account can-i sync applications 'team-a/*'"}
        )
    result = raw.structured_content or {}
    assert result["backend"] == "native"
    assert (result["output"], result["exit_code"]) == (f"{value}\n", 0)
    assert result["data"] == {"allowed": value == "yes", "value": value}
    assert asked == ["/api/v1/account/can-i/applications/sync/team-a/%2A"]


@pytest.mark.parametrize(
    "words",
    [
        "account can-i sync applications",
        "account can-i action/apps/Deployment/restart x y",
        # Dot segments would make another request path of it.
        "account can-i get applications ../../../applications",
        "account can-i get applications team/..",
    ],
)
def test_account_can_i_with_other_words_goes_to_the_cli(words: str) -> None:
    command = parse_command(CliSpecs()["argocd"], words.split())
    assert argocd_handler(command) is None
