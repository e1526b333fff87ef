"""The background programs the e2e harness runs for a test (redis, git, Argo CD's components,
the identity provider): started in a session of their own with their output in a log, waited
for until they answer, and stopped with their whole process group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

from e2e.harness.errors import HarnessError
from e2e.harness.progress import step

LOOPBACK = "127.0.0.1"


def free_ports(count: int) -> list[int]:
    """Ports free on loopback now; the probes are open together, so the ports differ."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind((LOOPBACK, 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def log_tail(log: Path, size: int = 3000) -> str:
    return f"its log ({log}) ends with:\n{log.read_text(errors='replace')[-size:]}"


def start(
    argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,  # a Ctrl-C meant for the tests is not theirs
        )


def stop(process: subprocess.Popen[bytes], grace: float = 10) -> None:
    """SIGTERM to the process group, SIGKILL after `grace` seconds; waited for either way."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


def wait_until(
    name: str,
    process: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    log: Path,
    seconds: float = 60,
) -> None:
    """Until `ready()` is true; a process that exits or stays unready fails with its log."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise HarnessError(f"{name} exited ({process.returncode}); {log_tail(log)}")
        if ready():
            return
        if time.monotonic() > deadline:
            raise HarnessError(f"{name} was not ready after {seconds:g} s; {log_tail(log)}")
        time.sleep(0.2)


@contextmanager
def running(
    name: str,
    argv: Sequence[str],
    log: Path,
    ready: Callable[[], bool],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    seconds: float = 60,
    announce: str | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start, wait until ready (one progress line for it when `announce` is given), yield,
    stop."""
    process = start(argv, log, env, cwd)
    try:
        with step(announce, done=f"{name} answers") if announce else nullcontext():
            wait_until(name, process, ready, log, seconds)
        yield process
    finally:
        stop(process)
