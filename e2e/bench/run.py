"""One benchmark run: cold starts, then for each namespace size every scenario on every
subject, the 60-second HTTP soak, and the RBAC pre-flight's own cost. Returns `Results`,
plain JSON, which report.py turns into tables, the plot and docs/benchmarks.md."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastmcp import Client

from e2e.bench import pods
from e2e.bench.kubeapi import KubeHttp
from e2e.bench.measure import Call, Load, Outcome, Series, concurrent, percentile, sequential
from e2e.bench.scenarios import SCENARIOS, PeerCall, Scenario
from e2e.bench.servers import (
    Connected,
    Launch,
    cold_start,
    connect_http,
    connect_stdio,
    kms,
    list_tool_names,
    msk,
    npm_version,
    ours_resident,
    ours_stdio,
    peak_rss_mb,
    private_mb,
    reset_peak_rss,
    resident_server,
    the_resident,
)
from e2e.harness import Cluster
from e2e.harness.progress import say
from e2e.mcp_server import REPO_ROOT, http_server, server_environment
from kube_ai_proxy.resident import place

PEERS = ("kms", "msk")
OURS = ("ours-stdio", "ours-http")


@dataclass(frozen=True)
class Plan:
    """How much to measure; every phase is bounded by a count and by seconds."""

    sizes: tuple[int, ...] = (100, 1000, 10000)
    concurrency: tuple[int, ...] = (10, 50)
    mcp_calls: int = 60
    mcp_seconds: float = 8.0
    floor_calls: int = 100
    floor_seconds: float = 3.0
    kubectl_calls: int = 30
    kubectl_seconds: float = 8.0
    load_seconds: float = 4.0
    load_max_calls: int = 2000
    drain_seconds: float = 60.0
    soak_clients: int = 50
    soak_seconds: float = 60.0
    # The soak's server: one worker (the baseline), then one per core.
    soak_workers: tuple[int, ...] = (1, os.cpu_count() or 1)
    cold_starts: int = 10
    pods_timeout: float = 900.0
    peers: bool = True

    @classmethod
    def quick(cls) -> Plan:
        """A smoke run of the whole pipeline in about two minutes."""
        return cls(
            sizes=(100,),
            mcp_calls=8,
            mcp_seconds=2,
            floor_calls=10,
            floor_seconds=1,
            kubectl_calls=4,
            kubectl_seconds=2,
            load_seconds=1,
            drain_seconds=30,
            soak_seconds=5,
            cold_starts=2,
        )


def budget() -> int:
    from kube_ai_proxy.config import Settings

    value: int = Settings.model_fields["max_output"].default
    return value


async def run(cluster: Cluster, plan: Plan, work_dir: Path) -> dict[str, Any]:
    logs = work_dir / "logs"
    env = server_environment(cluster)
    results: dict[str, Any] = {
        "meta": machine_facts(cluster) | {"plan": plan.__dict__, "budget": budget()},
        "sizes": {},
        "notes": [],
    }
    results["meta"]["started"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["meta"]["load_before"] = os.getloadavg()
    # The `kube-ai-proxy` command's resident server: new for this run (its first start is
    # measured too), stopped at the end.
    resident = Path(tempfile.mkdtemp(prefix="kap-bench-", dir="/tmp"))
    launches: dict[str, Launch] = {
        "ours-stdio": ours_stdio(env, logs),
        "ours-resident": ours_resident(env, logs, resident),
    }
    if plan.peers:
        launches["kms"] = kms(env, logs)
        launches["msk"] = msk(env, logs)

    with http_server(env, logs / "kube-ai-proxy-http.log") as http:
        async with KubeHttp(cluster.kubeconfig) as api, AsyncExitStack() as stack:
            servers: dict[str, Connected] = {
                "ours-stdio": await stack.enter_async_context(
                    connect_stdio(launches["ours-stdio"])
                ),
                "ours-http": await stack.enter_async_context(connect_http(http)),
            }
            for key in PEERS:
                if key in launches:
                    servers[key] = await stack.enter_async_context(connect_stdio(launches[key]))
            results["peer_tools"] = await _check_peer_tools(servers, results["notes"])

            say("preparing namespace bench")
            await pods.prepare_namespace(api)
            try:
                results["preflight"] = (await _preflight_cost(api, plan)).to_json()
                for size in plan.sizes:
                    say(f"growing namespace bench to {size} pods")
                    took = await pods.grow(api, size, plan.pods_timeout)
                    say(f"  {size} pods Running after {took:.0f} s")
                    await asyncio.sleep(2)  # let kwok's last status writes settle
                    if size == plan.sizes[0]:
                        results["cold_start"] = await _cold_starts(launches, plan)
                    fresh = await _fresh_server_rss(launches["ours-stdio"], size)
                    forked = await _resident_server_memory(launches["ours-resident"], size)
                    results["sizes"][str(size)] = await _measure_size(
                        size, plan, api, cluster, servers, results["peer_tools"]
                    ) | {"rss_fresh": fresh, "forked": forked}
                    if size == plan.sizes[0] and plan.soak_seconds > 0:
                        results["soaks"] = [
                            await _soak(env, logs, plan, size, workers)
                            for workers in dict.fromkeys(plan.soak_workers)
                        ]
                    if size == plan.sizes[-1]:
                        results["heap"] = await _heap_peaks()
                results["meta"]["load_after"] = os.getloadavg()
                results["meta"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
            finally:
                place.stop_all(str(resident))
                shutil.rmtree(resident, ignore_errors=True)
                # Also after a failure or ^C: 10,000 pods left on someone's cluster slow it.
                say("emptying namespace bench")
                await pods.delete_pods(api)
    return results


# Seconds between tools/list and the first call in the second set of cold starts.
PAUSE = 1.0


async def _cold_starts(launches: Mapping[str, Launch], plan: Plan) -> dict[str, Any]:
    """New processes, one after the other, each timed to its tools/list answer and to the
    answer to its first `get pods` call."""
    say("cold start: process start to the first tools/list answer, then the first call")
    get = SCENARIOS[0]
    ours = ("execute_kubectl", {"command": get.command})
    calls = {"ours-stdio": ours, "ours-resident": ours} | {
        key: (peer.tool, dict(peer.arguments)) for key, peer in get.peers.items()
    }
    found: dict[str, Any] = {key: [] for key in launches}
    first: dict[str, Any] = {key: [] for key in launches}
    # The same first call a second later, on new processes: what it costs once what the
    # server loads in the background after listing its tools is loaded.
    paused: dict[str, Any] = {key: [] for key in launches}
    resident: dict[str, Any] = {}
    if "ours-resident" in launches:
        resident = await _first_resident_start(launches["ours-resident"], calls["ours-stdio"])
    for _ in range(plan.cold_starts):
        for key, launch in launches.items():
            listed, called = await cold_start(launch, calls[key])
            found[key].append(listed)
            first[key].append(called)
            paused[key].append((await cold_start(launch, calls[key], pause=PAUSE))[1])
    # What any Python server pays before its first answer: the interpreter, and importing
    # the MCP framework (fastmcp's FastMCP, which builds the protocol's pydantic models).
    floors: dict[str, list[float]] = {"python": [], "fastmcp": []}
    rss_floor: dict[str, float] = {}
    for _ in range(plan.cold_starts):
        for key, code in (("python", "pass"), ("fastmcp", "from fastmcp import FastMCP")):
            seconds, peak = await _python_start(code)
            floors[key].append(seconds)
            rss_floor[key] = max(rss_floor.get(key, 0.0), peak)
    for key in launches:
        say(
            f"  {key}: tools/list "
            + ", ".join(f"{v:.2f}" for v in found[key])
            + " s; first call "
            + ", ".join(f"{v:.2f}" for v in first[key])
            + f" s; {PAUSE:g} s later "
            + ", ".join(f"{v:.2f}" for v in paused[key])
            + " s"
        )
    say(
        "  floors: "
        + ", ".join(
            f"{k} {percentile(v, 50) or 0:.2f} s, {rss_floor[k]:.0f} MB" for k, v in floors.items()
        )
    )
    return {
        "tools_list": found,
        "first_call": first,
        "first_call_paused": paused,
        "pause": PAUSE,
        "floors": floors,
        "floor_rss": rss_floor,
        "resident": resident,
    }


async def _first_resident_start(launch: Launch, call: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """The `kube-ai-proxy` command's first start, with no resident yet: it serves in its own
    process and starts the resident, which is then waited for (seconds to ready)."""
    folder = launch.env[place.DIRECTORY]
    listed, called = await cold_start(launch, call)
    started = time.perf_counter()
    while not place.ready(folder):
        if time.perf_counter() - started > 120:
            raise RuntimeError(f"no resident server started in {folder}: see its log there")
        await asyncio.sleep(0.05)
    say(f"  first start (no resident yet): tools/list {listed:.2f} s, first call {called:.3f} s")
    return {
        "first_start": listed,
        "first_start_call": called,
        "ready_after": time.perf_counter() - started,
    }


async def _resident_server_memory(launch: Launch, size: int, calls: int = 3) -> dict[str, Any]:
    """A new server forked by the resident, answering each command a few times: its peak RSS
    (which counts the pages it shares with the resident), the memory only it holds, and the
    resident's RSS (held once, whatever the number of servers)."""
    folder = Path(launch.env[place.DIRECTORY])
    async with connect_stdio(launch) as connected:
        pid = resident_server(folder)
        for scenario in SCENARIOS:
            call = _ours_call(connected.client, scenario)
            for _ in range(calls):
                await call()
        peak, private = peak_rss_mb(pid), private_mb(pid)
    rss = peak_rss_mb(the_resident(folder))
    say(
        f"  [{size} pods] a new server forked by the resident: peak RSS {peak or 0:.0f} MB, "
        f"its own {private or 0:.0f} MB; "
        f"the resident {rss or 0:.0f} MB"
    )
    return {"server_peak_rss": peak, "server_private": private, "resident_rss": rss}


async def _python_start(code: str) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of `python -c code` in this venv, from spawn to exit."""
    return await asyncio.to_thread(_run_python, code)


def _run_python(code: str) -> tuple[float, float]:
    # The child reports its own high-water mark: its rusage's would also count the copy of
    # this process it was forked from before it ran python.
    report = "import pathlib;print(pathlib.Path('/proc/self/status').read_text())"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\n{report}"], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"python -c {code!r} failed: {done.stderr[-2000:]}")
    peak = next(
        int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("VmHWM:")
    )
    return seconds, peak / 1024


async def _check_peer_tools(
    servers: Mapping[str, Connected], notes: list[str]
) -> dict[str, list[str]]:
    """Each peer's tools as it lists them; a mapped tool it no longer has is left out (and
    said), never guessed."""
    listed: dict[str, list[str]] = {}
    for key in PEERS:
        if key not in servers:
            continue
        names = await list_tool_names(servers[key])
        listed[key] = names
        for scenario in SCENARIOS:
            peer = scenario.peers.get(key)
            if peer is not None and peer.tool not in names:
                notes.append(
                    f"{servers[key].label} has no tool `{peer.tool}` any more; "
                    f"`{scenario.title}` is not measured for it"
                )
    return listed


async def _preflight_cost(api: KubeHttp, plan: Plan) -> Series:
    """One SelfSubjectAccessReview as the pre-flight sends it, on the floor's client."""
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": "list", "resource": "pods", "namespace": "bench"}},
    }

    async def call() -> Outcome:
        response = await api.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body)
        return Outcome(response.status_code == 201, {"bytes": len(response.content)})

    return await sequential(call, plan.floor_calls, plan.floor_seconds)


async def _measure_size(
    size: int,
    plan: Plan,
    api: KubeHttp,
    cluster: Cluster,
    servers: Mapping[str, Connected],
    peer_tools: Mapping[str, list[str]],
) -> dict[str, Any]:
    series: dict[str, dict[str, Any]] = {}
    loads: dict[str, dict[str, Any]] = {}
    kubectl_env = cluster.env()
    # Peak RSS per server: over its sequential calls, and over its concurrent phases (where
    # up to 50 big answers are in memory at once), each phase's high-water mark read after it.
    sequential_peak: dict[str, float] = {}
    concurrent_peak: dict[str, float] = {}

    def peak(key: str, into: dict[str, float]) -> None:
        value = peak_rss_mb(servers[key].pid)
        if value is not None:
            into[key] = max(into.get(key, 0.0), value)
        reset_peak_rss(servers[key].pid)

    for server in servers.values():
        reset_peak_rss(server.pid)
    for scenario in SCENARIOS:
        say(f"[{size} pods] {scenario.title}")
        if scenario.floor is not None:
            series[f"floor|{scenario.key}"] = await _series(
                "floor", _floor_call(api, scenario), plan.floor_calls, plan.floor_seconds
            )
        if scenario.kubectl is not None:
            series[f"kubectl|{scenario.key}"] = await _series(
                "kubectl",
                _kubectl_call(cluster, scenario.kubectl, kubectl_env),
                plan.kubectl_calls,
                plan.kubectl_seconds,
            )
        for key in OURS:
            server = servers[key]
            series[f"{key}|{scenario.key}"] = await _series(
                key, _ours_call(server.client, scenario), plan.mcp_calls, plan.mcp_seconds
            )
            peak(key, sequential_peak)
            for level in plan.concurrency:
                async with server.callers(level) as clients:
                    load = await concurrent(
                        [_ours_call(client, scenario) for client in clients],
                        plan.load_seconds,
                        plan.load_max_calls,
                        plan.drain_seconds,
                    )
                peak(key, concurrent_peak)
                loads[f"{key}|{scenario.key}|{level}"] = load.to_json()
                say(
                    f"  {key} x{level}: {load.throughput or 0:.1f} calls/s, "
                    f"{load.errors} errors" + (f" ({load.error_sample})" if load.errors else "")
                )
        for key, peer in scenario.peers.items():
            if key not in servers or peer.tool not in peer_tools.get(key, []):
                continue
            series[f"{key}|{scenario.key}"] = await _series(
                key, _peer_call(servers[key].client, peer), plan.mcp_calls, plan.mcp_seconds
            )
            peak(key, sequential_peak)
    say(
        "  peak RSS (MB), sequential: "
        + ", ".join(f"{k} {v:.0f}" for k, v in sequential_peak.items())
        + "; concurrent: "
        + ", ".join(f"{k} {v:.0f}" for k, v in concurrent_peak.items())
    )
    return {
        "series": series,
        "loads": loads,
        "rss": sequential_peak,
        "rss_concurrent": concurrent_peak,
    }


async def _fresh_server_rss(launch: Launch, size: int, calls: int = 3) -> float | None:
    """The peak RSS of a new server that answers each command a few times, one call at a
    time. The long-running servers' figures also hold what Python's allocator keeps after
    their concurrent phases (and after the smaller sizes): freed memory is not returned."""
    async with connect_stdio(launch) as server:
        for scenario in SCENARIOS:
            call = _ours_call(server.client, scenario)
            for _ in range(calls):
                await call()
        peak = peak_rss_mb(server.pid)
    say(f"  [{size} pods] a new server's peak RSS over sequential calls: {peak or 0:.0f} MB")
    return peak


async def _series(label: str, call: Call, count: int, seconds: float) -> dict[str, Any]:
    result = await sequential(call, count, seconds)
    p50 = result.percentile(50)
    say(
        f"  {label}: p50 {p50 * 1000:.1f} ms over {result.count} calls"
        if p50 is not None
        else f"  {label}: no successful call ({result.error_sample})"
    )
    if result.errors and p50 is not None:
        say(f"    {result.errors} errors: {result.error_sample}")
    return result.to_json()


async def _soak(
    env: Mapping[str, str], logs: Path, plan: Plan, size: int, workers: int
) -> dict[str, Any]:
    """`plan.soak_clients` HTTP clients calling back to back for `plan.soak_seconds`, against
    a new streamable-HTTP server of `workers` workers."""
    scenario = SCENARIOS[0]
    say(
        f"soak: {plan.soak_clients} HTTP clients, {plan.soak_seconds:.0f} s, {scenario.title}, "
        f"{workers} worker(s)"
    )
    settings = {**env, "K8S_MCP_WORKERS": str(workers)}
    with http_server(settings, logs / f"kube-ai-proxy-soak-{workers}.log") as http:
        server = Connected("ours", "kube-ai-proxy", "http", http.process.pid, http.client(), http)
        async with server.callers(plan.soak_clients) as clients:
            # Their sessions and tool lists first, as a team's assistants would have them.
            await asyncio.gather(*(client.list_tools() for client in clients))
            pids = _process_tree(http.process.pid)
            for pid in pids:
                reset_peak_rss(pid)
            others = _control_plane()
            before = _cpu_split(pids, others)
            load = await concurrent(
                [_ours_call(client, scenario) for client in clients],
                plan.soak_seconds,
                # Bounded in count too: far more than 60 s of this machine can serve.
                1_000_000,
                plan.drain_seconds,
            )
            after = _cpu_split(pids, others)
            rss = [peak_rss_mb(pid) for pid in pids if pid != http.process.pid or workers == 1]
    cpu = {key: round(after[key] - before[key], 1) for key in after}
    say(
        f"  {load.calls} calls, {load.throughput or 0:.1f} calls/s, {load.errors} errors; "
        f"CPU seconds: {cpu}"
    )
    return load.to_json() | {
        "rss": max((r for r in rss if r is not None), default=None),
        "size": size,
        "workers": workers,
        "cpu": cpu,
    }


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _control_plane() -> list[int]:
    """The local control plane's processes (API server, etcd, kwok): they share the cores."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                name = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if name in ("kube-apiserver", "etcd", "kwok"):
                found.append(int(entry.name))
    return found


def _cpu_split(server: list[int], others: list[int]) -> dict[str, float]:
    """CPU seconds so far: the server's processes, this process (the clients), the control
    plane's."""
    own = os.times()
    return {
        "server": sum(_cpu_seconds(pid) for pid in server),
        "clients": own.user + own.system,
        "control plane": sum(_cpu_seconds(pid) for pid in others),
    }


def _process_tree(pid: int) -> list[int]:
    """`pid` and its children (a supervisor's workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *(int(child) for child in children)]


async def _heap_peaks() -> dict[str, Any]:
    """Where a server's memory goes at the largest size: its RSS once built and once the
    Kubernetes client is loaded, and for each command the peak of Python's heap
    (tracemalloc) over one call, with the lines that held most at that peak. Measured in a
    child process, so this one's own memory is not counted."""
    say("memory: the heap's peak per command (tracemalloc)")
    done = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "e2e.bench.heap",
        *(scenario.command for scenario in SCENARIOS if scenario.native),
        stdout=subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    out, _ = await done.communicate()
    if done.returncode != 0:
        raise RuntimeError("python -m e2e.bench.heap failed (its output is above)")
    found: dict[str, Any] = json.loads(out)
    return found


def _ours_call(client: Client[Any], scenario: Scenario) -> Call:
    arguments = {"command": scenario.command}
    first = True

    async def call() -> Outcome:
        nonlocal first
        result = await client.call_tool_mcp("execute_kubectl", arguments)
        content = result.structured_content or {}
        ok = not result.is_error and content.get("status") == "success"
        detail: dict[str, Any] = {}
        if first or not ok:
            first = False
            output = str(content.get("output") or "")
            detail = {
                "backend": content.get("backend"),
                "output_chars": len(output),
                "truncated": content.get("truncated"),
                "response_bytes": len(result.model_dump_json(by_alias=True)),
                "mentions_first_pod": pods.FIRST_POD in output,
                "error": (content.get("error") or {}).get("message"),
            }
        return Outcome(ok, detail)

    return call


def _peer_call(client: Client[Any], peer: PeerCall) -> Call:
    first = True

    async def call() -> Outcome:
        nonlocal first
        result = await client.call_tool_mcp(peer.tool, dict(peer.arguments))
        detail: dict[str, Any] = {}
        if first or result.is_error:
            first = False
            text = "".join(getattr(part, "text", "") for part in result.content)
            detail = {
                "output_chars": len(text),
                "response_bytes": len(result.model_dump_json(by_alias=True)),
                "mentions_first_pod": pods.FIRST_POD in text,
                "error": text[:300] if result.is_error else None,
            }
        return Outcome(not result.is_error, detail)

    return call


def _floor_call(api: KubeHttp, scenario: Scenario) -> Call:
    assert scenario.floor is not None
    floor = scenario.floor
    limit = budget()

    async def call() -> Outcome:
        return Outcome(True, {"bytes": await floor(api, limit)})

    return call


def _kubectl_call(cluster: Cluster, argv: tuple[str, ...], env: Mapping[str, str]) -> Call:
    command = [str(cluster.kubectl_path), *argv]

    async def call() -> Outcome:
        process = await asyncio.create_subprocess_exec(
            *command,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        stdout, stderr = await process.communicate()
        ok = process.returncode == 0
        return Outcome(
            ok,
            {
                "output_chars": len(stdout),
                "mentions_first_pod": pods.FIRST_POD.encode() in stdout,
                "error": None if ok else stderr.decode(errors="replace")[:300],
            },
        )

    return call


def machine_facts(cluster: Cluster) -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass

    def version(*command: str) -> str:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return "?"
        return (done.stdout or done.stderr).strip().splitlines()[0] if done.stdout else "?"

    kubectl_version = "?"
    with contextlib.suppress(Exception):  # a fact for the report, not a reason to fail
        kubectl_version = json.loads(cluster.kubectl("version", "-o", "json").stdout)[
            "serverVersion"
        ]["gitVersion"]
    from importlib.metadata import version as dist_version

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "kernel": platform.release(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "node": version("node", "--version"),
        "kubernetes": kubectl_version,
        "cluster": cluster.backend,
        "fastmcp": dist_version("fastmcp"),
        "kube_ai_proxy": dist_version("kube-ai-proxy"),
        "kms_version": npm_version("kubernetes-mcp-server"),
        "msk_version": npm_version("mcp-server-kubernetes"),
        "time": time.strftime("%Y-%m-%d %H:%M %Z"),
        "source": os.environ.get("KAP_BENCH_SOURCE") or _source(),
    }


def _source() -> str:
    """The commit measured, and whether the work tree differed from it."""
    root = Path(__file__).resolve().parent.parent.parent

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "?"
    return commit + (" with uncommitted changes" if git("status", "--porcelain") else "")


def save(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


__all__ = ["Load", "Plan", "Series", "load", "run", "save"]
