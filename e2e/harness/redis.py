"""A redis-server from Debian's packages for a test: on a free loopback port, nothing written
to disk, stopped at the end. Argo CD's components share one as their cache."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from e2e.harness.debian import ensure
from e2e.harness.errors import HarnessError
from e2e.harness.processes import LOOPBACK, free_ports, running


@dataclass(frozen=True)
class Redis:
    address: str  # 127.0.0.1:PORT
    log: Path


def _answers(port: int) -> bool:
    """A PING answered with +PONG (listening is not enough: redis loads before it serves)."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server(workdir: Path) -> Iterator[Redis]:
    ensure(("redis-server",), "the Argo CD e2e tests' cache")
    binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin")
    if binary is None:
        raise HarnessError("redis-server is installed but not on PATH (look in /usr/bin)")
    workdir.mkdir(parents=True, exist_ok=True)
    (port,) = free_ports(1)
    log = workdir / "redis.log"
    argv = [
        binary,
        "--bind",
        LOOPBACK,
        "--port",
        str(port),
        "--dir",
        str(workdir),
        # A cache: no snapshots, no append-only file.
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "yes",
    ]
    with running("redis-server", argv, log, lambda: _answers(port)):
        yield Redis(f"{LOOPBACK}:{port}", log)
