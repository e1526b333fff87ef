"""Run a validated pipeline of programs, joined by OS pipes, without a shell.

Every stage is exec'd directly (`asyncio.create_subprocess_exec`) as the leader of a new process
group of its own, and a timeout or a cancelled call kills every one of those groups and reaps
the stages, so no process of the pipeline (nor a child a stage started) outlives the call.
Output is read incrementally and only the first `max_bytes` are kept; the rest is drained and
counted, so a command that prints gigabytes costs time, not memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import time
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.errors import BackendError

ProgressHook = Callable[[float], Awaitable[None]]

_CHUNK = 64 * 1024
_STDERR_KEEP = 16 * 1024


@dataclass(frozen=True)
class Stage:
    argv: Sequence[str]  # argv[0] is looked up on `path`
    env: Mapping[str, str]
    path: str | None = None  # PATH used to find argv[0]; None: env's PATH
    install_hint: str = ""


@dataclass(frozen=True)
class StageExit:
    program: str
    exit_code: int
    stderr: str


@dataclass(frozen=True)
class PipelineResult:
    stdout: bytes  # at most max_bytes
    stdout_total: int  # bytes the last stage wrote in all
    stages: tuple[StageExit, ...]
    duration: float
    # Why the pipeline was stopped before it ended (its timeout, or the caller's `stop`); its
    # output is what the stages printed until then.
    stopped: BackendError | None = None

    @property
    def truncated(self) -> bool:
        return self.stdout_total > len(self.stdout)

    @property
    def exit_code(self) -> int:
        """pipefail: the rightmost failing stage's code, else 0. A stage that died of SIGPIPE
        because a later stage stopped reading (`| head`) did not fail."""
        last = len(self.stages) - 1
        for i, stage in reversed(list(enumerate(self.stages))):
            if stage.exit_code == 0 or (i < last and stage.exit_code == -signal.SIGPIPE):
                continue
            return stage.exit_code
        return 0

    @property
    def stderr(self) -> str:
        return "".join(s.stderr for s in self.stages)


def resolve(stage: Stage) -> str:
    program = stage.argv[0]
    found = shutil.which(
        program, path=stage.path if stage.path is not None else stage.env.get("PATH")
    )
    if found is None:
        hint = f" Install it: {stage.install_hint}." if stage.install_hint else ""
        raise BackendError("unavailable", f"`{program}` was not found on PATH.{hint}")
    return found


async def _read_limited(stream: asyncio.StreamReader, keep: int) -> tuple[bytes, int]:
    kept = bytearray()
    total = 0
    while chunk := await stream.read(_CHUNK):
        total += len(chunk)
        if len(kept) < keep:
            kept += chunk[: keep - len(kept)]
    return bytes(kept), total


async def _feed(stream: asyncio.StreamWriter, data: bytes) -> None:
    # A stage that exits without reading all its input closes the pipe; that is not an error.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stream.write(data)
        await stream.drain()
    stream.close()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        await stream.wait_closed()


async def _exited(pid: int) -> None:
    """Until the process `pid` has exited. (On Python 3.11, Process.wait() also waits until
    every pipe of the process is closed, which an orphan it left may never do.)"""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # exited and reaped already
    loop = asyncio.get_running_loop()
    readable = asyncio.Event()
    try:
        loop.add_reader(pidfd, readable.set)
        try:
            await readable.wait()
        finally:
            loop.remove_reader(pidfd)
    finally:
        os.close(pidfd)


async def _reap(proc: asyncio.subprocess.Process) -> int:
    """The stage's exit code, once it exited; then whatever it started and left running is
    killed. Such an orphan (the CLI itself killed by the OOM killer, say) still holds the
    stage's pipes open, and the pipeline would wait for it until its timeout."""
    try:
        await _exited(proc.pid)
    except OSError:
        # No pidfd here (a kernel before 5.3, a seccomp profile that refuses it): the stage's
        # exit is then seen when its pipes close, as before.
        return await proc.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    return await proc.wait()


def _kill_groups(procs: Sequence[asyncio.subprocess.Process]) -> None:
    """SIGKILL every stage's process group: the stages and whatever they started."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


async def _spawn(stages: Sequence[Stage], stdin: bytes | None) -> list[asyncio.subprocess.Process]:
    """Start the stages, last to first, each in a process group of its own. (One group for the
    whole pipeline would need a leader that outlives the others' start, and any stage may exit
    at once: sed refusing its script, `head -n 0`.)"""
    programs = [resolve(s) for s in stages]
    pipes = [os.pipe() for _ in stages[:-1]]  # pipes[i] joins stage i to stage i+1
    procs: list[asyncio.subprocess.Process] = []
    try:
        for i in reversed(range(len(stages))):
            last, first = i == len(stages) - 1, i == 0
            stage_stdin: int | None
            if first:
                stage_stdin = (
                    asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL
                )
            else:
                stage_stdin = pipes[i - 1][0]
            proc = await asyncio.create_subprocess_exec(
                programs[i],
                *stages[i].argv[1:],
                stdin=stage_stdin,
                stdout=asyncio.subprocess.PIPE if last else pipes[i][1],
                stderr=asyncio.subprocess.PIPE,
                env=dict(stages[i].env),
                process_group=0,
            )
            procs.insert(0, proc)
            # The parent's copies must be closed, or the reader never sees end-of-file.
            if not last:
                os.close(pipes[i][1])
            if not first:
                os.close(pipes[i - 1][0])
    except BaseException:
        _kill_groups(procs)
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()
        for r, w in pipes:
            for fd in (r, w):
                with contextlib.suppress(OSError):
                    os.close(fd)
        raise
    return procs


async def run_pipeline(
    stages: Sequence[Stage],
    *,
    stdin: bytes | None = None,
    timeout: float,
    max_bytes: int,
    progress: ProgressHook | None = None,
    progress_every: float = 2.0,
    stop: asyncio.Future[BackendError] | None = None,
    partial: bool = False,
) -> PipelineResult:
    """Run `stages` as one pipeline. When it runs longer than `timeout`, or `stop` is given
    an error first, every process is killed and that error (BackendError('timeout') for the
    timeout) is raised; with `partial`, it is the result's `stopped` instead, with what the
    stages printed until then (a watch, a follow, a rollout's progress)."""
    if not stages:
        raise ValueError("a pipeline needs at least one stage")
    started = time.monotonic()
    procs = await _spawn(stages, stdin)
    tasks: list[asyncio.Task[tuple[bytes, int]]] = []
    reapers: list[asyncio.Task[int]] = []
    ticker: asyncio.Task[None] | None = None
    collecting: asyncio.Task[_Collected] | None = None

    async def tick(hook: ProgressHook) -> None:
        while True:
            await asyncio.sleep(progress_every)
            await hook(time.monotonic() - started)

    try:
        feeder = None
        if stdin is not None and procs[0].stdin is not None:
            feeder = asyncio.create_task(_feed(procs[0].stdin, stdin))
        reapers = [asyncio.create_task(_reap(p)) for p in procs]
        out_task = asyncio.create_task(_read_limited(_stream(procs[-1].stdout), max_bytes))
        tasks = [asyncio.create_task(_read_limited(_stream(p.stderr), _STDERR_KEEP)) for p in procs]
        if progress is not None:
            ticker = asyncio.create_task(tick(progress))

        async def collect() -> _Collected:
            out = await out_task
            errs = [await t for t in tasks]
            codes = [await reaper for reaper in reapers]
            if feeder is not None:
                await feeder
            return out, errs, codes

        collecting = asyncio.create_task(collect())
        waiting: set[asyncio.Future[Any]] = {collecting} if stop is None else {collecting, stop}
        done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=FIRST_COMPLETED)
        stopped = None
        if collecting not in done:
            stopped = stop.result() if stop is not None and stop in done else _timed_out(timeout)
            if not partial:
                raise stopped
            # Killed, the stages close their pipes: what they printed is then all read.
            _kill_groups(procs)
            try:
                async with asyncio.timeout(_DRAIN_SECONDS):
                    await asyncio.shield(collecting)
            except TimeoutError:
                raise stopped from None  # a process outside the groups holds a pipe open
        (stdout, total), errs, codes = collecting.result()
    finally:
        if ticker is not None:
            ticker.cancel()
        if collecting is not None:
            collecting.cancel()
        _kill_groups(procs)  # empty after a normal exit; this only catches stragglers
        for task in [*tasks, *reapers]:
            task.cancel()
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()
    exits = tuple(
        StageExit(
            program=os.path.basename(str(stage.argv[0])),
            exit_code=code,
            stderr=err.decode("utf-8", "replace"),
        )
        for stage, code, (err, _) in zip(stages, codes, errs, strict=True)
    )
    return PipelineResult(stdout, total, exits, time.monotonic() - started, stopped)


_Collected = tuple[tuple[bytes, int], list[tuple[bytes, int]], list[int]]

# How long the output of a stopped pipeline may take to be read to its end, once its
# processes are killed.
_DRAIN_SECONDS = 5.0


def _timed_out(timeout: float) -> BackendError:
    return BackendError(
        "timeout",
        f"the command ran longer than {timeout:g}s and was stopped (every process of the "
        "pipeline was killed). Raise `timeout` (up to the server's maximum), or narrow the "
        "command (-l selector, --tail, | head).",
    )


def _stream(stream: asyncio.StreamReader | None) -> asyncio.StreamReader:
    if stream is None:  # pragma: no cover - every stage is spawned with stdout/stderr=PIPE
        raise RuntimeError("stage spawned without a pipe")
    return stream
