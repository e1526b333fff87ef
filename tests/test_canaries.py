"""Canaries: what the code relies on in its dependencies beyond their public APIs, one test per
use. Each use lives in one function (named in the failure message, whose docstring says what
it needs and why); an upgrade that changes the thing fails here, fast and by name, rather than
as a wrong answer or a slow path somewhere else."""

from __future__ import annotations

import inspect
import re
import sys
from importlib.metadata import version

from fastmcp.server.context import Context  # the annotation of a tool defined below


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


async def test_fastmcp_mcp_server_takes_the_tool_input_schema_lookup() -> None:
    from fastmcp import Client

    from kube_ai_proxy.config import Settings
    from kube_ai_proxy.mcp.server import create_server

    message = _changed(
        "fastmcp",
        "FastMCP._mcp_server (the MCP SDK's low-level Server)",
        "kube_ai_proxy/mcp/server.py:create_server (get_tool_input_schema)",
    )
    server = create_server(Settings(rbac_preflight=False, native=False))
    lookup = getattr(getattr(server, "_mcp_server", None), "get_tool_input_schema", None)
    assert callable(lookup), message
    # The lookup answers what tools/list advertises, tool by tool.
    async with Client(server) as client:
        listed = {tool.name: tool.input_schema for tool in await client.list_tools()}
    assert listed and {name: lookup(name) for name in listed} == listed, message
    assert lookup("no_such_tool") is None


async def test_fastmcp_state_store_is_the_servers_to_replace() -> None:
    from fastmcp import Client, FastMCP

    from kube_ai_proxy.mcp.state import KubeMCP, ProcessState

    message = _changed(
        "fastmcp",
        "FastMCP._state_store (read by Context's state methods and the visibility rules)",
        "kube_ai_proxy/mcp/state.py:KubeMCP",
    )
    assert isinstance(inspect.getattr_static(FastMCP, "_state_store", None), property), message
    server = KubeMCP("canary")
    assert isinstance(server._state_store, ProcessState), message

    @server.tool
    async def remember(ctx: Context) -> str:
        await ctx.set_state("seen", {"n": 1})
        value = await ctx.get_state("seen")
        await ctx.delete_state("seen")
        return f"{value} {await ctx.get_state('seen')}"

    # Listing reads the session's visibility rules from the store; a tool keeps state in it.
    async with Client(server) as client:
        assert [tool.name for tool in await client.list_tools()] == ["remember"], message
        answer = await client.call_tool("remember", {})
    assert answer.data == "{'n': 1} None", message


def test_fastmcp_server_extension_binds_without_registering() -> None:
    """The task engine is bound to the server (its handlers and lifespan reach it through
    `.server`) without being registered: the server's own tasks extension routes to it."""
    from fastmcp import FastMCP

    from kube_ai_proxy.config import Settings
    from kube_ai_proxy.mcp.task_engine import task_engine

    message = _changed(
        "fastmcp",
        "ServerExtension._bind",
        "kube_ai_proxy/mcp/task_engine.py:task_engine",
    )
    server: FastMCP[None] = FastMCP("canary")
    engine = task_engine(Settings(tasks="on"), server)
    assert engine.server is server, message
    assert engine.identifier not in server._extensions, message
