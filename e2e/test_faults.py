"""Faults between the server and the API server, made by Toxiproxy (e2e/harness/toxiproxy.py):
the kubeconfig has a second context, `faulty`, that reaches the same API server through the
proxy, and each test switches one fault on (the `faults` fixture clears them before and after).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import ssl
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastmcp import Client

from e2e import mcp_server
from e2e.gates import release_gate_later
from e2e.harness import CacheLayout, Cluster, HarnessError, log_texts, logging_pods
from e2e.harness.throttler import (
    THROTTLED_CONTEXT,
    Throttler,
    throttled_kubeconfig,
    throttler,
)
from e2e.harness.toxiproxy import (
    FAULTY_CONTEXT,
    Proxy,
    api_server_address,
    faulty_kubeconfig,
    toxiproxy,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOGS_NAMESPACE = "e2e-fault-logs"


def wait_for(found: Any, seconds: float) -> Any:
    """`found()`'s first true value, asked every 0.2 s for up to `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not found within {seconds}s: {found}")


@pytest.fixture(scope="module")
def proxy(
    cache_layout: CacheLayout, cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxy]:
    workdir = tmp_path_factory.mktemp("faults")
    try:
        with toxiproxy(cache_layout, workdir) as server:
            yield server.proxy("kube-apiserver", api_server_address(cluster))
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def faults(proxy: Proxy) -> Iterator[Proxy]:
    proxy.clear()
    yield proxy
    proxy.clear()


@pytest.fixture
def fault_env(
    base_server_env: dict[str, str], cluster: Cluster, proxy: Proxy, tmp_path: Path
) -> dict[str, str]:
    kubeconfig = faulty_kubeconfig(cluster, proxy, tmp_path / "kubeconfig")
    return {**base_server_env, "KUBECONFIG": str(kubeconfig)}


async def call(client: Client[Any], command: str, **arguments: Any) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    raw = await client.call_tool(
        "execute_kubectl", {"command": command, **arguments}, raise_on_error=False
    )
    return raw.structured_content or {}, time.monotonic() - started


@pytest.mark.parametrize("native", [True, False], ids=["native", "cli"])
async def test_through_the_proxy_without_a_fault_everything_answers(
    fault_env: dict[str, str], faults: Proxy, native: bool
) -> None:
    env = {**fault_env, "K8S_MCP_NATIVE": str(native).lower()}
    async with mcp_server.stdio_client(env) as client:
        result, _ = await call(client, "kubectl get namespaces", context=FAULTY_CONTEXT)
    assert result["status"] == "success", result
    assert result["backend"] == ("native" if native else "cli")
    assert "default" in result["output"]


def audited(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("native", [True, False], ids=["native", "cli"])
async def test_a_black_hole_answers_unavailable_in_the_request_timeout_and_nothing_else_waits(
    fault_env: dict[str, str], faults: Proxy, native: bool, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    env = {
        **fault_env,
        "K8S_MCP_NATIVE": str(native).lower(),
        # The CLI path alone: the pre-flight would meet the black hole first, natively.
        "K8S_MCP_RBAC_PREFLIGHT": str(native).lower(),
        "K8S_MCP_REQUEST_TIMEOUT": "5",
        "K8S_MCP_AUDIT_LOG": str(audit),
    }
    async with mcp_server.stdio_client(env) as client:
        faults.add("black-hole", "timeout", timeout=0)
        command = "kubectl get pods -o wide | head -3"
        sick = asyncio.create_task(call(client, command, context=FAULTY_CONTEXT, timeout=120))
        await asyncio.sleep(0.5)
        # Meanwhile: the healthy context, help text and a client-only command answer.
        healthy, healthy_took = await call(client, "kubectl get namespaces")
        helped = await client.call_tool("describe_kubectl", {"command": "get"})
        local, _ = await call(client, "kubectl config get-contexts", context=FAULTY_CONTEXT)
        still_waiting = not sick.done()
        result, took = await sick
    assert healthy["status"] == "success", healthy
    assert still_waiting, "the healthy calls answered after the sick one"
    assert "kubectl get" in helped.content[0].text
    assert local["status"] == "success" and FAULTY_CONTEXT in local["output"], local
    assert result["status"] == "error", result
    error = result["error"]
    assert error["code"] == "unavailable", result
    assert f"context '{FAULTY_CONTEXT}' at https://{faults.listen}" in error["message"]
    assert "did not answer within 5s (K8S_MCP_REQUEST_TIMEOUT)" in error["message"]
    if not native:
        assert result["backend"] == "cli" and "The command was stopped" in error["message"]
    # Far within the call's 120 s: the request timeout ended it (figures: docs/reliability.md).
    assert took < 60, took
    print(
        f"black hole ({'native' if native else 'cli'}): unavailable after {took:.1f}s; "
        f"healthy context meanwhile {healthy_took * 1000:.0f} ms"
    )
    lines = audited(audit)
    assert len(lines) == 3, lines  # one per execute call, the faulted one included
    assert sorted(line["status"] for line in lines) == ["error", "success", "success"]


@pytest.mark.parametrize("native", [True, False], ids=["native", "cli"])
async def test_latency_slows_reads_down_and_the_calls_timeout_still_bounds_them(
    fault_env: dict[str, str], faults: Proxy, native: bool
) -> None:
    env = {**fault_env, "K8S_MCP_NATIVE": str(native).lower()}
    async with mcp_server.stdio_client(env) as client:
        faults.add("slow", "latency", latency=3000)
        slow, took = await call(client, "kubectl get namespaces", context=FAULTY_CONTEXT)
        bounded, bounded_took = await call(
            client, "kubectl get namespaces", context=FAULTY_CONTEXT, timeout=2
        )
    assert slow["status"] == "success" and "default" in slow["output"], slow
    assert took >= 3, took  # the latency was there
    assert bounded["error"]["code"] == "timeout", bounded
    assert bounded_took < 10, bounded_took
    print(f"3 s latency ({'native' if native else 'cli'}): answered in {took:.1f}s")


async def test_a_reset_read_is_retried_until_the_connection_heals(
    fault_env: dict[str, str], faults: Proxy
) -> None:
    async with mcp_server.stdio_client(fault_env) as client:
        faults.add("reset", "reset_peer", timeout=0)
        pending = asyncio.create_task(
            call(client, "kubectl get namespaces", context=FAULTY_CONTEXT)
        )
        await asyncio.sleep(1.0)
        faults.remove("reset")
        healed, _ = await pending
        faults.add("reset", "reset_peer", timeout=0)
        broken, _ = await call(client, "kubectl get namespaces", context=FAULTY_CONTEXT)
    assert healed["status"] == "success" and healed["backend"] == "native", healed
    assert broken["error"]["code"] == "unavailable", broken
    assert "(tried 5 times)" in broken["error"]["message"], broken


async def test_a_create_whose_answer_is_lost_is_never_sent_twice_and_says_so(
    fault_env: dict[str, str], faults: Proxy, cluster: Cluster
) -> None:
    name = f"once-{uuid.uuid4().hex[:8]}"
    env = {**fault_env, "K8S_MCP_RBAC_PREFLIGHT": "false"}
    async with mcp_server.stdio_client(env) as client:
        # Every answer is held for 4 s: the create reaches the API server, which acts on it,
        # and its answer is cut on the way back.
        faults.add("slow", "latency", latency=4000)
        pending = asyncio.create_task(
            call(
                client,
                f"kubectl create configmap {name} -n default --from-literal=a=b",
                context=FAULTY_CONTEXT,
            )
        )

        def created() -> bool:
            found = cluster.kubectl("get", "configmap", name, "-n", "default", check=False)
            return found.returncode == 0

        await asyncio.to_thread(wait_for, created, 60)
        faults.add("cut", "reset_peer", timeout=0)
        result, _ = await pending
    try:
        listed = cluster.kubectl_json("get", "configmaps", "-n", "default")
        same = [c for c in listed["items"] if c["metadata"]["name"] == name]
        assert len(same) == 1
        assert result["status"] == "error", result
        assert result["error"]["code"] == "unavailable", result
        message = result["error"]["message"]
        assert f"context '{FAULTY_CONTEXT}'" in message
        assert "may have taken effect" in message and "check the state" in message
    finally:
        cluster.kubectl("delete", "configmap", name, "-n", "default", check=False)


@pytest.mark.parametrize("native", [True, False], ids=["native", "cli"])
async def test_a_server_that_went_down_is_used_again_when_it_is_back(
    fault_env: dict[str, str], faults: Proxy, native: bool
) -> None:
    env = {**fault_env, "K8S_MCP_NATIVE": str(native).lower()}
    async with mcp_server.stdio_client(env) as client:
        before, _ = await call(client, "kubectl get pods -n default", context=FAULTY_CONTEXT)
        faults.enable(False)
        down, _ = await call(client, "kubectl get pods -n default", context=FAULTY_CONTEXT)
        faults.enable(True)
        back, _ = await call(client, "kubectl get pods -n default", context=FAULTY_CONTEXT)
    assert before["status"] == "success", before
    assert down["error"]["code"] == "unavailable", down
    assert f"context '{FAULTY_CONTEXT}'" in down["error"]["message"], down
    assert back["status"] == "success", back
    assert back["output"] == before["output"]


async def test_a_cli_killed_by_a_signal_is_named_and_its_process_group_is_gone(
    fault_env: dict[str, str],
) -> None:
    marker = f"killed-{uuid.uuid4().hex[:8]}"
    async with mcp_server.stdio_client(fault_env) as client:
        pending = asyncio.create_task(
            call(client, f"kubectl get configmaps -n default -w -l {marker}=1", timeout=120)
        )
        pid = await asyncio.to_thread(wait_for, lambda: _process_with(marker), 30)
        os.kill(pid, signal.SIGKILL)
        result, took = await pending
    assert result["status"] == "error" and result["backend"] == "cli", result
    assert result["exit_code"] == -signal.SIGKILL
    assert "kubectl was killed by SIGKILL" in result["error"]["message"]
    assert "out-of-memory killer" in result["error"]["message"]
    assert took < 60, took
    assert _process_with(marker) is None


def _process_with(marker: str) -> int | None:
    """The pid of a process whose command line holds `marker`, if one runs."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"kubectl") and any(marker.encode() in a for a in argv):
            return int(entry.name)
    return None


async def test_a_log_stream_broken_off_returns_what_arrived_and_says_so(
    fault_env: dict[str, str], faults: Proxy, cluster: Cluster
) -> None:
    (pod,) = logging_pods(cluster, LOGS_NAMESPACE)
    async with mcp_server.stdio_client(fault_env) as client:
        pending = asyncio.create_task(
            call(
                client,
                f"kubectl logs -f {pod} -n {LOGS_NAMESPACE}",
                context=FAULTY_CONTEXT,
                timeout=30,
            )
        )
        await asyncio.sleep(3)
        faults.enable(False)
        result, took = await pending
    assert result["status"] == "success" and result["backend"] == "native", result
    assert result["data"]["lines"] == log_texts()
    assert "broke off the stream after" in result["output"], result["output"]
    assert took < 25, took


BIG_NAMESPACE = "e2e-fault-big"
BIG_OBJECTS = 50


@pytest.fixture(scope="module")
def big_list(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """50 ConfigMaps of about 940 KB each: a list of about 47 MB. Yields its size in bytes."""
    data = tmp_path_factory.mktemp("big") / "data"
    data.write_text(base64.b64encode(os.urandom(700_000)).decode())
    cluster.kubectl("create", "namespace", BIG_NAMESPACE, check=False)
    for index in range(BIG_OBJECTS):
        cluster.kubectl(
            "-n",
            BIG_NAMESPACE,
            "create",
            "configmap",
            f"big-{index}",
            f"--from-file=data={data}",
            check=False,
        )
    listed = cluster.kubectl("get", "configmaps", "-n", BIG_NAMESPACE, "-o", "json")
    try:
        yield len(listed.stdout)
    finally:
        cluster.kubectl("delete", "namespace", BIG_NAMESPACE, "--wait=false", check=False)


def _server_peak_kb() -> int:
    """The peak resident memory (VmHWM) of the kube-ai-proxy server this test started."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            argv = (entry / "cmdline").read_bytes()
            status = (entry / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        if parent == me and b"kube_ai_proxy" in argv:
            (line,) = [x for x in status.splitlines() if x.startswith("VmHWM:")]
            return int(line.split()[1])
    raise AssertionError("the server process was not found")


async def test_a_large_list_through_a_slow_link_is_cut_with_bounded_memory(
    fault_env: dict[str, str], faults: Proxy, big_list: int
) -> None:
    assert big_list > 40_000_000, big_list
    async with mcp_server.stdio_client(fault_env) as client:
        warm, _ = await call(client, "kubectl get namespaces", context=FAULTY_CONTEXT)
        before = _server_peak_kb()
        faults.add("slow-link", "bandwidth", rate=4000)  # KB/s
        listed, took = await call(
            client, f"kubectl get configmaps -n {BIG_NAMESPACE} -o json", context=FAULTY_CONTEXT
        )
        grown = _server_peak_kb() - before
        table, _ = await call(
            client, f"kubectl get configmaps -n {BIG_NAMESPACE}", context=FAULTY_CONTEXT
        )
    assert warm["status"] == "success", warm
    assert listed["status"] == "success" and listed["backend"] == "native", listed
    assert listed["truncated"] is True
    assert "`-o name` lists every name, then get a few at a time by name" in listed["next"]
    assert listed["output"].startswith('{\n    "apiVersion": "v1",\n    "items": [')
    # The list is about 47 MB; holding it, parsed, took four times that. Paged by size, the
    # server holds a few megabytes of it at a time.
    assert grown < 64 * 1024, f"the server's peak memory grew by {grown} KB"
    print(f"{big_list / 1e6:.0f} MB list at 4 MB/s: cut after {took:.1f}s, peak +{grown} KB")
    assert table["status"] == "success", table
    assert len(table["output"].splitlines()) == BIG_OBJECTS + 2  # the header, kube-root-ca.crt


async def test_a_large_list_through_the_cli_says_how_to_page(
    fault_env: dict[str, str], big_list: int
) -> None:
    env = {**fault_env, "K8S_MCP_NATIVE": "false"}
    async with mcp_server.stdio_client(env) as client:
        listed, _ = await call(client, f"kubectl get configmaps -n {BIG_NAMESPACE} -o json")
    assert listed["status"] == "error" and listed["backend"] == "cli", listed
    message = listed["error"]["message"]
    assert f"the output ({big_list} bytes) is too large to check for Secret values" in message
    assert "`-o name` lists every name, then get a few at a time by name" in message


@pytest.mark.parametrize("back", [False, True], ids=["gone", "restarted"])
async def test_a_watch_whose_api_server_goes_away_ends_with_what_it_printed_and_says_so(
    fault_env: dict[str, str], faults: Proxy, back: bool
) -> None:
    async with mcp_server.stdio_client(fault_env) as client:
        pending = asyncio.create_task(
            call(client, "kubectl get configmaps -n default -w", context=FAULTY_CONTEXT, timeout=60)
        )
        await asyncio.sleep(3)
        faults.enable(False)  # kubectl's watch connection is closed: it exits with 0
        if back:
            await asyncio.sleep(0.3)
            faults.enable(True)
        result, took = await pending
    assert result["backend"] == "cli", result
    assert "kube-root-ca.crt" in result["output"], result
    assert took < 30, took
    if back:
        assert result["status"] == "success", result
        assert "before the call's 60s timeout: the API server closed it" in result["output"]
        assert "run the command again to go on" in result["output"]
    else:
        assert result["error"]["code"] == "unavailable", result
        message = result["error"]["message"]
        assert f"context '{FAULTY_CONTEXT}'" in message
        assert "what it printed until then is the output" in message


CREDS_ACCOUNT = "e2e-fault-creds"


@dataclass(frozen=True)
class ExecCredentials:
    kubeconfig: Path
    runs: Path  # how often the plugin ran
    namespace: str  # of the account and its Secrets, one per test
    server: str
    ca_file: str

    def last_token_refused(self) -> bool:
        """The API server refuses the token the plugin handed out last. (It caches a token's
        authentication for a few seconds: a revoked one is refused only after that.)"""
        token = (self.kubeconfig.parent / "token").read_text().strip()
        answer = httpx.get(
            f"{self.server}/api",
            headers={"Authorization": f"Bearer {token}"},
            verify=ssl.create_default_context(cafile=self.ca_file),
            trust_env=False,
        )
        return answer.status_code == 401


@pytest.fixture
def exec_credentials(cluster: Cluster, tmp_path: Path) -> Iterator[ExecCredentials]:
    """A kubeconfig whose user is an exec credential plugin (a script) that mints a token of
    the service account e2e-fault-creds bound to a Secret of its own, `cred-N` on its N-th
    run: deleting that Secret revokes the token, as an expiry would. A file `broken` beside
    the kubeconfig makes it hand out a token the API server refuses."""
    # The account and the Secrets its tokens are bound to live in a namespace of their own.
    namespace = f"{CREDS_ACCOUNT}-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", namespace)
    cluster.kubectl("-n", namespace, "create", "serviceaccount", CREDS_ACCOUNT)
    cluster.kubectl(
        "create",
        "clusterrolebinding",
        namespace,
        "--clusterrole=view",
        f"--serviceaccount={namespace}:{CREDS_ACCOUNT}",
    )
    runs = tmp_path / "runs"
    runs.write_text("0")
    kubectl = f"{cluster.kubectl_path} --kubeconfig {cluster.kubeconfig} -n {namespace}"
    plugin = tmp_path / "credential-plugin"
    plugin.write_text(
        "#!/bin/sh\nset -e\n"
        f"n=$(( $(cat {runs}) + 1 )); echo $n > {runs}\n"
        f"if [ -e {tmp_path}/broken ]; then token=not-a-token; else\n"
        f"  {kubectl} create secret generic cred-$n >/dev/null\n"
        f"  token=$({kubectl} create token {CREDS_ACCOUNT} --bound-object-kind=Secret "
        "--bound-object-name=cred-$n)\nfi\n"
        f'echo "$token" > {tmp_path}/token\n'
        'echo \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
        '"status":{"token":"\'$token\'"}}\'\n'
    )
    plugin.chmod(0o755)
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    current = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    exec_user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(plugin),
            "interactiveMode": "Never",
        }
    }
    config["users"].append({"name": "plugin", "user": exec_user})
    config["contexts"] = [{"name": "plugin", "context": {**current["context"], "user": "plugin"}}]
    config["current-context"] = "plugin"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    cluster_entry = next(
        c for c in config["clusters"] if c["name"] == current["context"]["cluster"]
    )
    server = cluster_entry["cluster"]["server"]
    ca_file = cluster_entry["cluster"]["certificate-authority"]
    try:
        yield ExecCredentials(kubeconfig, runs, namespace, server, ca_file)
    finally:
        cluster.kubectl("delete", "clusterrolebinding", namespace, check=False)
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


async def test_a_revoked_exec_token_is_fetched_again_and_a_refused_one_says_how_to_refresh(
    base_server_env: dict[str, str], cluster: Cluster, exec_credentials: ExecCredentials
) -> None:
    kubeconfig, runs = exec_credentials.kubeconfig, exec_credentials.runs
    namespace = exec_credentials.namespace
    env = {**base_server_env, "KUBECONFIG": str(kubeconfig)}
    command = f"kubectl get serviceaccounts -n {namespace} -o name"
    async with mcp_server.stdio_client(env) as client:
        first, _ = await call(client, command)
        fetched = int(runs.read_text())
        cluster.kubectl("-n", namespace, "delete", "secret", f"cred-{fetched}")
        await asyncio.to_thread(wait_for, exec_credentials.last_token_refused, 60)
        renewed, _ = await call(client, command)
        renewals = int(runs.read_text())
        # Revoked again, and this time the plugin hands out a token that is refused too.
        (kubeconfig.parent / "broken").touch()
        cluster.kubectl("-n", namespace, "delete", "secret", f"cred-{renewals}")
        await asyncio.to_thread(wait_for, exec_credentials.last_token_refused, 60)
        refused, _ = await call(client, command)
    assert first["status"] == "success" and first["backend"] == "native", first
    assert CREDS_ACCOUNT in first["output"]
    # The revoked token was refused (401); the plugin ran again, and the call went through.
    assert renewed["status"] == "success" and renewed["output"] == first["output"], renewed
    assert renewals > fetched
    message = refused["error"]["message"]
    assert refused["error"]["code"] == "unavailable", refused
    assert "the API server of context 'plugin'" in message
    assert "rejected the credentials (401)" in message and "log in again" in message


async def test_through_the_cli_a_refused_token_names_the_context_and_how_to_refresh(
    base_server_env: dict[str, str], exec_credentials: ExecCredentials
) -> None:
    kubeconfig, runs = exec_credentials.kubeconfig, exec_credentials.runs
    namespace = exec_credentials.namespace
    env = {
        **base_server_env,
        "KUBECONFIG": str(kubeconfig),
        "K8S_MCP_NATIVE": "false",
        "K8S_MCP_RBAC_PREFLIGHT": "false",
    }
    async with mcp_server.stdio_client(env) as client:
        working, _ = await call(client, f"kubectl get serviceaccounts -n {namespace}")
        assert int(runs.read_text()) >= 1  # kubectl ran the plugin itself
        (kubeconfig.parent / "broken").touch()
        refused, _ = await call(client, f"kubectl get serviceaccounts -n {namespace}")
    assert working["status"] == "success" and CREDS_ACCOUNT in working["output"], working
    assert refused["error"]["code"] == "unavailable", refused
    message = refused["error"]["message"]
    assert "Unauthorized" in message  # kubectl's own words come first
    assert "the API server of context 'plugin'" in message and "log in again" in message


@pytest.fixture(scope="module")
def throttling(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Throttler]:
    try:
        with throttler(cluster, tmp_path_factory.mktemp("throttler")) as proxy:
            yield proxy
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def throttled_env(
    base_server_env: dict[str, str], cluster: Cluster, throttling: Throttler, tmp_path: Path
) -> Iterator[dict[str, str]]:
    kubeconfig = throttled_kubeconfig(cluster, throttling, tmp_path / "kubeconfig")
    throttling.clear()
    yield {**base_server_env, "KUBECONFIG": str(kubeconfig)}
    throttling.clear()


CONFIGMAPS_PATH = r"^/api/v1/namespaces/default/configmaps$"


@pytest.mark.parametrize("native", [True, False], ids=["native", "cli"])
async def test_429_with_retry_after_is_honoured_and_the_read_answers(
    throttled_env: dict[str, str], throttling: Throttler, native: bool
) -> None:
    env = {**throttled_env, "K8S_MCP_NATIVE": str(native).lower()}
    async with mcp_server.stdio_client(env) as client:
        throttling.answer(429, times=2, method="GET", path=CONFIGMAPS_PATH, retry_after=1)
        result, took = await call(
            client, "kubectl get configmaps -n default", context=THROTTLED_CONTEXT
        )
    assert result["status"] == "success", result
    assert result["backend"] == ("native" if native else "cli")
    assert "kube-root-ca.crt" in result["output"]
    # Twice refused, then served: the same read three times, a second apart.
    assert throttling.count("GET", CONFIGMAPS_PATH) == 3
    assert took >= 2, took


async def test_a_wait_past_the_calls_deadline_is_answered_at_once_with_the_wait(
    throttled_env: dict[str, str], throttling: Throttler
) -> None:
    async with mcp_server.stdio_client(throttled_env) as client:
        throttling.answer(429, times=100, method="GET", path=CONFIGMAPS_PATH, retry_after=30)
        result, took = await call(
            client, "kubectl get configmaps -n default", context=THROTTLED_CONTEXT, timeout=10
        )
    assert result["error"]["code"] == "unavailable", result
    message = result["error"]["message"]
    assert f"context '{THROTTLED_CONTEXT}'" in message
    assert "asked to try again in 30s, after the call's time is up" in message
    assert took < 10, took
    assert throttling.count("GET", CONFIGMAPS_PATH) == 1


async def test_5xx_retries_reads_and_never_a_write(
    throttled_env: dict[str, str], throttling: Throttler, cluster: Cluster
) -> None:
    name = f"once-{uuid.uuid4().hex[:8]}"
    # Without the journal the write is not previewed: the one 500 is for the write itself,
    # not for its dry run.
    env = {**throttled_env, "K8S_MCP_RBAC_PREFLIGHT": "false", "K8S_MCP_JOURNAL": "off"}
    async with mcp_server.stdio_client(env) as client:
        throttling.answer(503, times=2, method="GET", path=CONFIGMAPS_PATH)
        read, _ = await call(client, "kubectl get configmaps -n default", context=THROTTLED_CONTEXT)
        throttling.answer(500, times=1, method="POST", path=CONFIGMAPS_PATH)
        write, _ = await call(
            client, f"kubectl create configmap {name} -n default", context=THROTTLED_CONTEXT
        )
    assert read["status"] == "success" and read["backend"] == "native", read
    assert throttling.count("GET", CONFIGMAPS_PATH) == 3
    assert write["status"] == "error" and write["backend"] == "cli", write
    assert "InternalError" in write["error"]["message"] or "500" in write["error"]["message"]
    assert throttling.count("POST", CONFIGMAPS_PATH) == 1  # kubectl did not send it again
    found = cluster.kubectl("get", "configmap", name, "-n", "default", check=False)
    assert found.returncode != 0  # the throttler answered: it never reached the API server


GATED_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: gated}
spec:
  replicas: 1
  selector: {matchLabels: {app: gated}}
  template:
    metadata: {labels: {app: gated}}
    spec:
      schedulingGates: [{name: e2e/hold}]
      containers: [{name: app, image: app:1}]
"""


@pytest.mark.parametrize("back", [False, True], ids=["gone", "restarted"])
async def test_rollout_status_survives_a_restart_and_says_when_the_server_is_gone(
    fault_env: dict[str, str], faults: Proxy, cluster: Cluster, back: bool
) -> None:
    namespace = f"e2e-fault-rollout-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", namespace)
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=GATED_DEPLOYMENT)
    # The request timeout sets how often the server is probed while the CLI waits.
    env = {**fault_env, "K8S_MCP_REQUEST_TIMEOUT": "3"}
    command = f"kubectl rollout status deployment/gated -n {namespace}"
    try:
        async with mcp_server.stdio_client(env) as client:
            pending = asyncio.create_task(
                call(client, command, context=FAULTY_CONTEXT, timeout=120)
            )
            await asyncio.sleep(4)  # kubectl waits for the gated pod
            faults.enable(False)
            if back:
                await asyncio.sleep(1)
                faults.enable(True)  # back before a probe gives up on it
                await release_gate_later(cluster, namespace, 1)
            result, took = await pending
    finally:
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
    assert result["backend"] == "cli", result
    assert "Waiting for deployment" in result["output"], result
    assert took < 90, took
    print(f"rollout status, API server {'restarted' if back else 'gone'}: {took:.1f}s")
    if back:
        assert result["status"] == "success", result
        assert "successfully rolled out" in result["output"]
    else:
        assert result["error"]["code"] == "unavailable", result
        assert "The command was stopped" in result["error"]["message"]
        assert "What it printed until then is the output" in result["error"]["message"]
