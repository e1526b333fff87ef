"""The MCP servers under test, started as a user starts them, driven by one MCP client.

kube-ai-proxy runs as `python -m kube_ai_proxy.main`, over stdio and as a streamable-HTTP
server (e2e/mcp_server.py); the peers, installed from npm by e2e/bench/package.json, run over
stdio: kubernetes-mcp-server's Go binary (from its platform package, the program its npm
wrapper would spawn) and mcp-server-kubernetes under node. Every one gets the same
environment: the harness's kubeconfig and its built kubectl first on PATH.

Peak RSS is the kernel's high-water mark of the server process (VmHWM), reset per phase by
writing 5 to /proc/PID/clear_refs; child processes (kubectl on the CLI path) are not counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastmcp import Client
from fastmcp.client.transports import ClientTransport, StdioTransport

from e2e.mcp_server import REPO_ROOT, SERVER_ARGS, HttpServer
from kube_ai_proxy.resident import place

BENCH_DIR = Path(__file__).resolve().parent
NODE_MODULES = BENCH_DIR / "node_modules"

# Go's names for the platform, as kubernetes-mcp-server's npm wrapper maps them.
_GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def kms_binary() -> Path:
    arch = _GOARCH.get(platform.machine().lower(), platform.machine())
    name = f"kubernetes-mcp-server-{sys.platform}-{arch}"
    path = NODE_MODULES / name / "bin" / name
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: run `npm install` in {BENCH_DIR} (or `make bench`)")
    return path


def msk_script() -> Path:
    path = NODE_MODULES / "mcp-server-kubernetes" / "dist" / "index.js"
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: run `npm install` in {BENCH_DIR} (or `make bench`)")
    return path


def npm_version(package: str) -> str:
    import json

    manifest = NODE_MODULES / package / "package.json"
    return str(json.loads(manifest.read_text()).get("version", "?"))


@dataclass(frozen=True)
class Launch:
    """How to start one server over stdio."""

    key: str
    label: str
    command: str
    args: tuple[str, ...]
    env: Mapping[str, str]
    log: Path
    cwd: Path | None = None

    def transport(self) -> StdioTransport:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        return StdioTransport(
            command=self.command,
            args=list(self.args),
            env=dict(self.env),
            cwd=str(self.cwd) if self.cwd else None,
            # One process per client: it ends with the client.
            keep_alive=False,
            log_file=self.log,
        )


def ours_stdio(env: Mapping[str, str], logs: Path) -> Launch:
    return Launch(
        "ours",
        "kube-ai-proxy",
        sys.executable,
        tuple(SERVER_ARGS),
        env,
        logs / "kube-ai-proxy-stdio.log",
        REPO_ROOT,
    )


def ours_resident(env: Mapping[str, str], logs: Path, folder: Path) -> Launch:
    """The `kube-ai-proxy` command an MCP client starts: served by a fork of the resident
    server in `folder` (kube_ai_proxy/resident) once one runs there."""
    return Launch(
        "ours",
        "kube-ai-proxy",
        str(Path(sys.executable).with_name("kube-ai-proxy")),
        (),
        # The run measures its servers again at each size, minutes apart: the resident
        # stays until the run stops it.
        {**env, place.DIRECTORY: str(folder), place.IDLE: "7200"},
        logs / "kube-ai-proxy-resident.log",
        REPO_ROOT,
    )


def the_resident(folder: Path) -> int:
    """The pid of the run's one resident in `folder`."""
    residents = place.running(str(folder))
    if len(residents) != 1:
        raise RuntimeError(
            f"{len(residents)} residents run in {folder}, where the run started one: a "
            "resident serves one version of the package, so one whose files changed during "
            "the run gets another. Run the benchmark again, changing no file of "
            "kube_ai_proxy/ or adapters/ while it runs."
        )
    (resident,) = residents
    return resident


def resident_server(folder: Path) -> int:
    """The pid of the one server the resident in `folder` runs now."""
    (child,) = place.servers(the_resident(folder))
    return child


def private_mb(pid: int) -> float | None:
    """The memory only this process holds (Private_Clean + Private_Dirty), in MB: a forked
    server's RSS also counts the pages it still shares with its resident."""
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return None
    kib = sum(int(line.split()[1]) for line in lines if line.startswith("Private_"))
    return kib * 1024 / 1e6


def kms(env: Mapping[str, str], logs: Path) -> Launch:
    return Launch("kms", "kubernetes-mcp-server", str(kms_binary()), (), env, logs / "kms.log")


def msk(env: Mapping[str, str], logs: Path) -> Launch:
    return Launch(
        "msk", "mcp-server-kubernetes", "node", (str(msk_script()),), env, logs / "msk.log"
    )


@dataclass
class Connected:
    """A running server and clients to call it with.

    Over stdio every concurrent caller shares the one session (requests interleave on the
    pipe, as an assistant's parallel tool calls do); over HTTP each caller is a client with
    its own session, as separate assistants are."""

    key: str
    label: str
    transport: str  # "stdio" | "http"
    pid: int
    client: Client[Any]
    http: HttpServer | None = None
    _extra: list[Client[Any]] = field(default_factory=list)

    @asynccontextmanager
    async def callers(self, count: int) -> AsyncIterator[list[Client[Any]]]:
        if self.http is None:
            yield [self.client] * count
            return
        async with AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(self.http.client()) for _ in range(count)]
            yield clients


@asynccontextmanager
async def connect_stdio(launch: Launch, timeout: float = 300) -> AsyncIterator[Connected]:
    before = _children()
    client: Client[Any] = Client(launch.transport(), timeout=timeout)
    async with client:
        pid = _new_child(before, launch.command)
        yield Connected(launch.key, launch.label, "stdio", pid, client)


@asynccontextmanager
async def connect_http(http: HttpServer, timeout: float = 300) -> AsyncIterator[Connected]:
    client = http.client(timeout=timeout)
    async with client:
        yield Connected("ours", "kube-ai-proxy", "http", http.process.pid, client, http)


async def cold_start(
    launch: Launch, call: tuple[str, dict[str, Any]], pause: float = 0.0
) -> tuple[float, float]:
    """Seconds from spawning the server to its answer to the first tools/list, and then the
    seconds its first tool call (`call`) takes, made at once or `pause` seconds later (as a
    person types after the tools are listed): what a lazy import defers shows there."""
    started = time.perf_counter()
    client: Client[ClientTransport] = Client(launch.transport(), timeout=60)
    async with client:
        tools = await client.list_tools()
        listed = time.perf_counter() - started
        await asyncio.sleep(pause)
        began = time.perf_counter()
        result = await client.call_tool_mcp(*call)
        first = time.perf_counter() - began
    if not tools or result.is_error:
        raise RuntimeError(f"{launch.label} failed at its first start: {result.content!r:.300}")
    return listed, first


async def list_tool_names(connected: Connected) -> list[str]:
    return [tool.name for tool in await connected.client.list_tools()]


def _children() -> set[int]:
    me = os.getpid()
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The parent pid is the 2nd field after the parenthesized command name.
        if int(stat.rsplit(")", 1)[1].split()[1]) == me:
            found.add(int(entry))
    return found


def _new_child(before: set[int], command: str) -> int:
    name = Path(command).name
    for pid in sorted(_children() - before):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # A console script runs as `python SCRIPT`: its name is the second word.
        if name in (Path(word.decode()).name for word in argv[:2]):
            return pid
    raise RuntimeError(f"cannot find the process of {command} among this process's children")


def reset_peak_rss(pid: int) -> None:
    # Not permitted: the peak then covers the process's whole life.
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM of the process, in MB (10^6 bytes)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        return None
    return None
