"""Native helm reads without a cluster.

The rendering runs on helm's JSON recorded from the e2e cluster (tests/data/helm-recorded.json,
made by tests/data/helm_record.py) and must give what the real helm printed there. The pyhelm3
adapter runs a fake helm: no shell, the call's environment, its timeout and its output cap, and
pyhelm3's error classes.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyhelm3.errors
import pytest
from fastmcp import Client

from adapters.errors import BackendError
from adapters.helm import Helm, HelmCall, HelmClient, HelmCommand
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.json import go_json
from kube_ai_proxy.gofmt.uitable import uitable
from kube_ai_proxy.gofmt.yaml import go_yaml
from kube_ai_proxy.native import helm as helm_reads
from kube_ai_proxy.native.base import NativeContext
from kube_ai_proxy.native.helm import render
from kube_ai_proxy.native.route import native_handler
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.command import CliCommand
from kube_ai_proxy.parse.plan import plan
from tests.fakes.kube import kube_of

DATA = Path(__file__).parent / "data"
RECORDED: dict[str, Any] = json.loads((DATA / "helm-recorded.json").read_text())
CASES: list[dict[str, str]] = RECORDED["cases"]
SECRETS = ("blog-db-password", "shop-db-password", "demo-password", "demo-root-password")
SPECS = CliSpecs()


def parsed(command: str) -> CliCommand:
    return plan(SPECS, "helm", command).command


FETCH = {case["command"]: case["fetch"] for case in CASES}


def fetched_for(command: str) -> Any:
    """What pyhelm3 hands the handler: helm's JSON, with `get values`' null read as {}."""
    raw = json.loads(RECORDED["fetched"][FETCH[command]])
    if shlex.split(command)[1:3] == ["get", "values"]:
        return raw or {}
    return raw


@pytest.mark.parametrize("case", CASES, ids=[c["command"] for c in CASES])
def test_rendering_gives_what_helm_printed(case: dict[str, str]) -> None:
    command = parsed(case["command"])
    assert native_handler(command) is helm_reads.native_helm
    text, _ = render(command, fetched_for(case["command"]), allow_secrets=True)
    assert text == case["output"]


SECRET_CASES = [c for c in CASES if " get " in c["command"] or " status " in c["command"]]


@pytest.mark.parametrize("case", SECRET_CASES, ids=[c["command"] for c in SECRET_CASES])
def test_values_and_manifests_are_redacted(case: dict[str, str]) -> None:
    command = parsed(case["command"])
    text, data = render(command, fetched_for(case["command"]), allow_secrets=False)
    shown = text + json.dumps(data)
    for secret in SECRETS:
        assert secret not in shown
    if command.verb == ("get", "values"):
        expected = case["output"]
        for secret in SECRETS:
            expected = expected.replace(secret, "REDACTED")
        assert text == expected


def test_data_is_helms_json() -> None:
    text, data = render(parsed("helm history blog -n e2e-helm"), [], allow_secrets=True)
    assert data == {"history": []}
    assert text == "REVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION\tDESCRIPTION\n"
    _, data = render(parsed("helm get values x"), {}, allow_secrets=True)
    assert data == {"values": {}}
    command = "helm status blog -n e2e-helm -o json"
    _, data = render(parsed(command), fetched_for(command), allow_secrets=True)
    assert data == fetched_for(command)


@pytest.mark.parametrize(
    ("command", "native"),
    [
        ("helm list -A -o yaml --time-format 2006", True),
        ("helm ls -aq --max=10 --offset=2 -f x -l a=b", True),
        ("helm status x --revision 3 --show-desc", True),
        ("helm get manifest x --kube-context other", True),
        ("helm list --offset -1", False),  # helm panics on it
        ("helm list --max 0x10", False),  # pflag reads 16; not reproduced
        ("helm get values x --revision 010", False),
        ("helm list -o wide", False),
        ("helm list --debug", False),
        ("helm status x --show-resources", False),
        ("helm get all x", False),
        ("helm get hooks x", False),
        ("helm list --kube-context=", False),
        ("helm status", False),
        ("helm status a b", False),
        ("helm list extra", False),
        ("helm list --all=false", False),
    ],
)
def test_which_commands_are_native(command: str, native: bool) -> None:
    assert (native_handler(parsed(command)) is not None) is native


def test_go_numbers() -> None:
    # encoding/json: 'f' in [1e-6, 1e21), else 'e' without a leading exponent zero.
    assert [go_json(v) for v in (1.5, 1e-7, 1e21, 1e20, 0.000001, 1234567.5, -2.0)] == [
        "1.5",
        "1e-7",
        "1e+21",
        "100000000000000000000",
        "0.000001",
        "1234567.5",
        "-2",
    ]
    # go-yaml: strconv 'g' (shortest), %e from exponent 6 and below -4.
    assert [go_yaml(v).strip() for v in (1.5, 1e-7, 1e21, 0.0001, 1234567.5, 123456.5)] == [
        "1.5",
        "1e-07",
        "1e+21",
        "0.0001",
        "1.2345675e+06",
        "123456.5",
    ]
    assert go_yaml(None) == "null\n"
    assert go_yaml([]) == "[]\n"
    assert go_json("<a & b>") == '"\\u003ca \\u0026 b\\u003e"'


def test_what_cannot_be_printed_exactly_raises() -> None:
    with pytest.raises(Defer):
        go_yaml({"a": "emoji \U0001f600"})
    with pytest.raises(Defer):
        uitable([["NAME"], ["ünï"]])
    with pytest.raises(Defer):
        uitable([["NAME"], ["two\nlines"]])


# --- through the handler, with a fake client -----------------------------------------------


class FakeClient:
    def __init__(self, answer: Any = None, error: Exception | None = None) -> None:
        self.answer = answer
        self.error = error
        self.calls: list[tuple[str, Any]] = []

    async def _give(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((name, (args, kwargs)))
        if self.error is not None:
            raise self.error
        return self.answer

    async def releases(self, **kwargs: Any) -> Any:
        return await self._give("releases", **kwargs)

    async def release(self, *args: Any, **kwargs: Any) -> Any:
        return await self._give("release", *args, **kwargs)

    async def history(self, *args: Any, **kwargs: Any) -> Any:
        return await self._give("history", *args, **kwargs)

    async def values(self, *args: Any, **kwargs: Any) -> Any:
        return await self._give("values", *args, **kwargs)


def _ctx(client: FakeClient, budget: int = 50_000) -> NativeContext:
    async def helm() -> HelmClient:
        return client  # type: ignore[return-value]

    return NativeContext(
        kube=kube_of(None),
        namespace="default",
        budget=budget,
        allow_secrets=False,
        timeout=10,
        helm=helm,
    )


async def test_the_handler_passes_the_flags_to_helm() -> None:
    client = FakeClient(answer=[])
    command = parsed("helm ls -n web -aq -d -r --max=3 --offset=1 -f ^b -l x=y --time-format=2006")
    answer = await helm_reads.native_helm(command, _ctx(client))
    assert answer.output == ""
    assert answer.data == {"releases": []}
    (name, (_, kwargs)), *_ = client.calls
    assert name == "releases"
    assert kwargs == {
        "namespace": "web",
        "all_namespaces": False,
        "all_states": True,
        "deployed": False,
        "failed": False,
        "pending": False,
        "superseded": False,
        "uninstalled": False,
        "uninstalling": False,
        "by_date": True,
        "reverse": True,
        "max_releases": 3,
        "offset": 1,
        "name_filter": "^b",
        "selector": "x=y",
        "time_format": "2006",
    }


async def test_helm_errors_keep_helms_words() -> None:
    error = pyhelm3.errors.ReleaseNotFoundError(1, b"", b"Error: release: not found\n")
    answer = await helm_reads.native_helm(parsed("helm status x"), _ctx(FakeClient(error=error)))
    assert (answer.error_code, answer.exit_code, answer.stderr) == (
        "not_found",
        1,
        "Error: release: not found",
    )
    timeout = BackendError("timeout", "helm ran too long")
    answer = await helm_reads.native_helm(parsed("helm list"), _ctx(FakeClient(error=timeout)))
    assert answer.error_code == "timeout"


async def test_an_answer_it_cannot_print_goes_to_helm() -> None:
    release = {"name": "r\u00fc", "namespace": "n", "revision": "1", "updated": "-"}
    with pytest.raises(Defer):
        await helm_reads.native_helm(parsed("helm list"), _ctx(FakeClient([release])))


@pytest.mark.parametrize("verb", ["status", "get manifest"])
async def test_a_manifest_that_cannot_be_redacted_is_withheld(verb: str) -> None:
    release = {"name": "x", "info": {}, "manifest": "kind: Secret\ndata: {a: [\n"}
    answer = await helm_reads.native_helm(parsed(f"helm {verb} x"), _ctx(FakeClient(release)))
    assert answer.error_code == "api_error"
    assert answer.output == ""
    assert answer.data is None


async def test_data_larger_than_the_budget_is_left_out() -> None:
    command = "helm status blog -n e2e-helm"
    client = FakeClient(answer=fetched_for(command))
    answer = await helm_reads.native_helm(parsed(command), _ctx(client, budget=2000))
    assert answer.data is None
    assert answer.truncated
    assert answer.next is not None and "helm get manifest" in answer.next
    assert answer.output.startswith("NAME: blog\n")


# --- the pyhelm3 adapter on a fake helm ----------------------------------------------------

FAKE_HELM = """#!{python}
import json, os, sys, time
args = sys.argv[1:]
with open(os.environ["FAKE_HELM_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:1] == ["version"]:
    print("v3.22.0", end="")
elif os.environ.get("FAKE_HELM_MODE") == "missing":
    print("Error: release: not found", file=sys.stderr)
    sys.exit(1)
elif os.environ.get("FAKE_HELM_MODE") == "sleep":
    print(os.getpid(), flush=True)
    time.sleep(60)
elif os.environ.get("FAKE_HELM_MODE") == "flood":
    sys.stdout.write("x" * 100000)
else:
    json.dump({{"args": args, "secret": os.environ.get("K8S_MCP_AUTH_TOKEN")}}, sys.stdout)
"""


@pytest.fixture
def fake_helm(tmp_path: Path) -> Callable[..., HelmCall]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "helm"
    program.write_text(FAKE_HELM.format(python=sys.executable))
    program.chmod(0o755)
    log = tmp_path / "helm.log"
    log.touch()

    def call(mode: str = "", timeout: float = 10, max_bytes: int = 10_000) -> HelmCall:
        env = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_HELM_LOG": str(log),
            "FAKE_HELM_MODE": mode,
        }
        return HelmCall(env, timeout, max_bytes, kube_context="ctx")

    return call


def _runs(call: HelmCall) -> list[list[str]]:
    return [json.loads(line) for line in Path(call.env["FAKE_HELM_LOG"]).read_text().splitlines()]


async def test_the_client_asks_helm_for_its_version_once(
    fake_helm: Callable[..., HelmCall],
) -> None:
    helm = Helm()
    call = fake_helm()
    first = await helm.client(call)
    second = await helm.client(call)
    assert isinstance(first, pyhelm3.Client)
    assert str(first.version) == str(second.version) == "3.22.0"
    assert [args for args in _runs(call) if args[:1] == ["version"]] == [
        ["version", "--template", "{{ .Version }}", "--kube-context", "ctx"]
    ]


async def test_helm_runs_without_a_shell(fake_helm: Callable[..., HelmCall]) -> None:
    call = fake_helm()
    client = await Helm().client(call)
    answer = await client.release("a; touch pwned $(id)", namespace="web", revision=2)
    assert answer["args"] == [
        "status",
        "a; touch pwned $(id)",
        "--output",
        "json",
        "--namespace",
        "web",
        "--revision",
        "2",
        "--kube-context",
        "ctx",
    ]
    assert answer["secret"] is None  # the call's environment, not the server's


async def test_releases_asks_for_what_was_asked(fake_helm: Callable[..., HelmCall]) -> None:
    client = await Helm().client(fake_helm())
    answer: Any = await client.releases(failed=True, name_filter="^a", time_format="2006")
    assert answer["args"] == [
        "list",
        "--output",
        "json",
        "--max=256",
        "--failed",
        "--filter=^a",
        "--time-format=2006",
        "--kube-context",
        "ctx",
    ]


async def test_pyhelm3s_error_classes_are_kept(fake_helm: Callable[..., HelmCall]) -> None:
    client = await Helm().client(fake_helm("missing"))
    with pytest.raises(pyhelm3.errors.ReleaseNotFoundError) as caught:
        await client.history("gone", namespace=None)
    assert caught.value.returncode == 1
    assert b"release: not found" in caught.value.stderr


async def test_an_answer_past_the_cap_is_an_error(fake_helm: Callable[..., HelmCall]) -> None:
    client = await Helm().client(fake_helm("flood", max_bytes=1000))
    with pytest.raises(BackendError, match="100000 bytes, more than the 1000"):
        await client.values("x", namespace=None)


async def test_a_timeout_kills_helm(fake_helm: Callable[..., HelmCall]) -> None:
    call = fake_helm("sleep", timeout=1)
    client = await Helm().client(call)
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        await client.release("x", namespace=None)
    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 5


def test_client_version_runs_without_a_shell(fake_helm: Callable[..., HelmCall]) -> None:
    call = fake_helm()
    command = HelmCommand(str(Path(call.env["PATH"].split(os.pathsep)[0]) / "helm"), call)
    assert str(command.client_version()) == "3.22.0"
    assert _runs(call) == [["version", "--template", "{{ .Version }}"]]


# --- through the MCP server ----------------------------------------------------------------

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: ctx, context: {cluster: c, user: u, namespace: web}}]
current-context: ctx
"""


async def test_native_helm_through_the_server(
    fake_helm: Callable[..., HelmCall],
    make_client: Callable[..., Client[Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    call = fake_helm()
    monkeypatch.setenv("PATH", call.env["PATH"])
    monkeypatch.setenv("FAKE_HELM_LOG", call.env["FAKE_HELM_LOG"])
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    async with make_client(native=True) as client:
        raw = await client.call_tool("execute_helm", {"command": "helm get notes blog -n web"})
    result = raw.structured_content or {}
    assert result["backend"] == "native"
    # The fake answers with its argv: a release without notes.
    assert result["output"] == ""
    assert result["data"] == {"notes": ""}
    assert ["status", "blog", "--output", "json", "--namespace", "web"] in _runs(call)


async def test_no_helm_is_unavailable(tmp_path: Path) -> None:
    call = HelmCall({"PATH": str(tmp_path)}, 5, 1000)
    with pytest.raises(BackendError) as caught:
        await asyncio.wait_for(Helm().client(call), 5)
    assert caught.value.code == "unavailable"
