"""The pipeline runner: OS pipes, one process group, no orphan after a timeout, bounded memory."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from adapters.cli import Stage, run_pipeline
from adapters.errors import BackendError
from tests.fakes.processes import alive

ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
FAKE = str(Path(__file__).parent / "fakes" / "fake_cli.py")


def wait_gone(pids: list[int], within: float = 5.0) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        left = [pid for pid in pids if alive(pid)]
        if not left:
            return []
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


async def test_stages_are_joined_by_pipes() -> None:
    result = await run_pipeline(
        [Stage(["seq", "1", "1000"], ENV), Stage(["grep", "7"], ENV), Stage(["wc", "-l"], ENV)],
        timeout=10,
        max_bytes=1000,
    )
    assert result.stdout == b"271\n"
    assert result.exit_code == 0
    assert [s.program for s in result.stages] == ["seq", "grep", "wc"]


async def test_upstream_sigpipe_after_head_is_not_a_failure() -> None:
    result = await run_pipeline(
        [Stage(["yes"], ENV), Stage(["head", "-n", "2"], ENV)], timeout=10, max_bytes=1000
    )
    assert result.stdout == b"y\ny\n"
    assert result.exit_code == 0


async def test_failing_stage_sets_the_exit_code() -> None:
    result = await run_pipeline(
        [Stage(["ls", "/nonexistent-dir"], ENV), Stage(["cat"], ENV)], timeout=10, max_bytes=100
    )
    assert result.exit_code == 2
    assert "nonexistent-dir" in result.stderr


async def test_stdin_feeds_the_first_stage() -> None:
    data = b"line\n" * 200_000  # larger than a pipe buffer: feeding must not deadlock
    result = await run_pipeline(
        [Stage(["cat"], ENV), Stage(["wc", "-l"], ENV)], stdin=data, timeout=10, max_bytes=100
    )
    assert result.stdout == b"200000\n"


async def test_timeout_kills_every_process_of_the_pipeline(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    env = {**ENV, "FAKE_CLI_MODE": "sleep", "FAKE_CLI_PIDFILE": str(pidfile)}
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        await run_pipeline(
            [Stage([FAKE], env), Stage(["cat"], ENV), Stage(["grep", "x"], ENV)],
            timeout=1.5,
            max_bytes=100,
        )
    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 5
    pids = json.loads(pidfile.read_text())
    # The CLI and the child it started (a grandchild of the server) are both gone.
    assert wait_gone([pids["self"], pids["child"]]) == []


async def test_cancelled_call_kills_the_pipeline(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    env = {**ENV, "FAKE_CLI_MODE": "sleep", "FAKE_CLI_PIDFILE": str(pidfile)}
    task = asyncio.create_task(run_pipeline([Stage([FAKE], env)], timeout=60, max_bytes=100))
    for _ in range(200):  # the fake writes its pids as soon as it has started its child
        if pidfile.exists() and pidfile.read_text():
            break
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pids = json.loads(pidfile.read_text())
    assert wait_gone([pids["self"], pids["child"]]) == []


async def test_client_that_gives_up_leaves_no_orphan(
    fake_bin: Path, make_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client times out and disconnects: the server's call is cancelled with the session,
    and the pipeline goes with it instead of running on to the server's own timeout."""
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("FAKE_CLI_MODE", "sleep")
    monkeypatch.setenv("FAKE_CLI_PIDFILE", str(pidfile))
    async with make_client() as client:
        with pytest.raises(Exception, match=r"(?i)timed out|timeout"):
            await client.call_tool(
                "execute_kubectl", {"command": "kubectl get pods -w"}, timeout=1.5
            )
    pids = json.loads(pidfile.read_text())
    assert wait_gone([pids["self"], pids["child"]]) == []


async def test_hundred_megabytes_of_output_do_not_grow_memory() -> None:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = await run_pipeline(
            [Stage(["head", "-c", "100000000", "/dev/zero"], ENV)], timeout=60, max_bytes=200_000
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.stdout_total == 100_000_000
    assert len(result.stdout) == 200_000
    assert result.truncated
    assert peak < 5_000_000, f"peak Python allocations {peak} bytes"


async def test_missing_program_is_unavailable() -> None:
    with pytest.raises(BackendError) as caught:
        await run_pipeline(
            [Stage(["no-such-cli"], ENV, install_hint="see its docs")], timeout=5, max_bytes=10
        )
    assert caught.value.code == "unavailable"
    assert caught.value.message == "`no-such-cli` was not found on PATH. Install it: see its docs."


async def test_progress_hook_is_called_while_running() -> None:
    seen: list[float] = []

    async def hook(elapsed: float) -> None:
        seen.append(elapsed)

    await run_pipeline(
        [Stage(["sleep", "1.2"], ENV)], timeout=10, max_bytes=10, progress=hook, progress_every=0.3
    )
    assert len(seen) >= 2
    assert seen == sorted(seen)


def test_no_process_left_in_our_session() -> None:
    """After the tests above, the test process has no stray children."""
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    assert [c for c in children if alive(int(c))] == []


async def test_a_cli_killed_from_outside_is_a_failure_that_names_the_signal(
    fake_bin: Path, make_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL to the CLI alone, as the OOM killer sends it: the call answers at once (not at
    its timeout, though the CLI's child still holds the output pipe), names the signal, and
    leaves no process of the CLI's group behind."""
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("FAKE_CLI_MODE", "sleep")
    monkeypatch.setenv("FAKE_CLI_PIDFILE", str(pidfile))

    async def kill_when_started() -> None:
        for _ in range(200):  # the fake writes its pids as soon as it has started its child
            if pidfile.exists() and pidfile.read_text():
                break
            await asyncio.sleep(0.05)
        os.kill(json.loads(pidfile.read_text())["self"], signal.SIGKILL)

    async with make_client() as client:
        killer = asyncio.create_task(kill_when_started())
        raw = await client.call_tool(
            "execute_kubectl", {"command": "kubectl get pods", "timeout": 60}, raise_on_error=False
        )
        await killer
    result = raw.structured_content or {}
    # Not the call's timeout: the orphaned child, which still held the output pipe, was killed.
    assert result["status"] == "error"
    assert result["exit_code"] == -signal.SIGKILL
    assert result["error"]["code"] == "cli_error"
    message = result["error"]["message"]
    assert "kubectl was killed by SIGKILL" in message
    assert "out-of-memory killer" in message and "check the state" in message
    pids = json.loads(pidfile.read_text())
    assert wait_gone([pids["self"], pids["child"]]) == []


async def test_without_pidfds_a_pipeline_still_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where pidfd_open is refused (an old kernel, a strict seccomp profile) a stage's exit is
    seen when its pipes close."""

    def refused(pid: int) -> int:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "pidfd_open", refused)
    result = await run_pipeline(
        [Stage(["seq", "1", "3"], ENV), Stage(["wc", "-l"], ENV)], timeout=10, max_bytes=100
    )
    assert (result.stdout, result.exit_code) == (b"3\n", 0)
