"""Several server processes on one port (K8S_MCP_WORKERS): uvicorn's own workers.

Python runs one thread of Python at a time, so one process answers on one core however many
calls it holds. uvicorn's supervisor binds the port once, starts the workers (new processes,
not forks), restarts one that dies, and stops them all on SIGTERM, each finishing its calls
in flight within the grace. Each worker is a whole server, built from the same flags and
environment as the process that was started: over stateless streamable HTTP any worker may
answer any request.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from kube_ai_proxy.config import WORKER_ARGS, Settings, add_arguments, is_loopback, load_settings
from kube_ai_proxy.errors import StartupError

if TYPE_CHECKING:
    from starlette.applications import Starlette


def serve(settings: Settings, words: Sequence[str]) -> None:
    """Run `settings.workers` workers on settings.host:port until SIGTERM or SIGINT."""
    from uvicorn import Config
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    os.environ[WORKER_ARGS] = json.dumps(list(words))
    config = Config(
        f"{__name__}:app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        lifespan="on",
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace),
    )
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    # uvicorn stops every worker when one cannot start: the server did not start.
    if any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes):
        sys.exit(STARTUP_FAILURE)


def app() -> Starlette:
    """One worker's ASGI app (uvicorn calls this in each worker process)."""
    import fastmcp
    from uvicorn.config import STARTUP_FAILURE

    from kube_ai_proxy.mcp.server import create_server

    # The words were checked when the server started (main.py); read them as it did.
    parser = argparse.ArgumentParser(prog="kube-ai-proxy")
    add_arguments(parser)
    settings = load_settings(vars(parser.parse_args(json.loads(os.environ[WORKER_ARGS]))))
    # As FastMCP.run does for one process: a loopback server accepts only its own Host (and
    # Origin), so a web page on a domain that resolves to 127.0.0.1 cannot reach it.
    allowed = fastmcp.settings.http_allowed_hosts
    if is_loopback(settings.host):
        allowed = [*(allowed or []), settings.host]
    try:
        server = create_server(settings)
    except StartupError as exc:
        print(f"kube-ai-proxy: {exc}", file=sys.stderr)
        sys.exit(STARTUP_FAILURE)
    return server.http_app(
        transport="streamable-http",
        stateless_http=True,
        host_origin_protection="auto",
        allowed_hosts=allowed,
    )
