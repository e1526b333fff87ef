"""The command line: `kube-ai-proxy [flags]` or `python -m kube_ai_proxy.main [flags]`."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from kube_ai_proxy import __version__
from kube_ai_proxy.config import Settings, add_arguments, load_settings
from kube_ai_proxy.errors import StartupError

DESCRIPTION = """\
An MCP server that runs kubectl, helm, istioctl and argocd for AI assistants, without a shell.
Every setting can be given as a flag or as the environment variable shown with it; flags win.
By default it speaks MCP over stdio, which is what Claude Desktop and Claude Code start."""

EPILOG = """\
examples:
  kube-ai-proxy                                       stdio, for an MCP client that starts it
  kube-ai-proxy config claude-desktop                 print a Claude Desktop config for this
                                                      machine (also claude-code, vscode, cursor)
  K8S_MCP_ACCESS=read-only kube-ai-proxy              only reads
  K8S_MCP_AUTH_TOKEN=... kube-ai-proxy --transport streamable-http --port 8000
                                                      HTTP on 127.0.0.1:8000/mcp, bearer token
  K8S_MCP_RESIDENT=off kube-ai-proxy                  stdio in this process: by default a stdio
                                                      start is served by a fork of the user's
                                                      resident server, which has the MCP stack
                                                      imported (K8S_MCP_RESIDENT_DIR, _IDLE)
  kube-ai-proxy resident [stop]                       the resident servers, or stop them
docs: README.md and docs/configuration.md"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kube-ai-proxy",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"kube-ai-proxy {__version__}")
    add_arguments(p)
    return p


def settings_from(argv: Sequence[str] | None) -> Settings:
    args = parser().parse_args(argv)
    try:
        return load_settings(vars(args))
    except ValidationError as exc:
        problems = "; ".join(
            (f"{'.'.join(str(p) for p in e['loc'])}: " if e["loc"] else "") + e["msg"]
            for e in exc.errors()
        )
        sys.exit(f"kube-ai-proxy: invalid configuration: {problems}")


class _Stopped(Exception):
    """SIGTERM, once uvicorn has stopped serving."""


def _stop(_signum: int, _frame: object) -> None:
    raise _Stopped


def main(argv: Sequence[str] | None = None) -> None:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["config"]:
        from kube_ai_proxy.clientconfig import main as config_main

        config_main(words[1:])
        return
    if words[:1] == ["resident"]:
        from kube_ai_proxy.resident.manage import main as resident_main

        resident_main(words[1:])
        return
    settings = settings_from(words)
    if settings.workers > 1:
        # Each worker builds its own server; this process only supervises them.
        from kube_ai_proxy.mcp.workers import serve

        serve(settings, words)
        return
    # Imported here so --help and --version answer without loading the MCP stack.
    from kube_ai_proxy.mcp.server import create_server

    try:
        mcp = create_server(settings)
    except StartupError as exc:
        sys.exit(f"kube-ai-proxy: {exc}")
    if settings.transport == "stdio":
        mcp.run(transport="stdio", show_banner=False)
        return
    # uvicorn stops on SIGTERM (calls in flight get the grace), then raises the signal again
    # with the handler it found, which by default ends the process at once: the server's
    # lifespan would never end, and calls running as background tasks would be left with
    # their CLIs. This handler unwinds instead, through the lifespan (mcp/tasks.py).
    signal.signal(signal.SIGTERM, _stop)
    with contextlib.suppress(_Stopped):
        mcp.run(
            transport=settings.transport,
            host=settings.host,
            port=settings.port,
            show_banner=False,
            stateless_http=settings.transport == "streamable-http",
            # SIGTERM: stop accepting, let calls in flight finish for this long, then cancel
            # them (their processes are killed and their audit lines written).
            uvicorn_config={"timeout_graceful_shutdown": settings.shutdown_grace},
            # Loopback servers accept only their own Host and Origin: a web page on a domain
            # that resolves to 127.0.0.1 (DNS rebinding) cannot reach them.
            host_origin_protection="auto",
        )


if __name__ == "__main__":
    main()
