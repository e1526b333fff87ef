"""How many CLI processes run at once, per CLI, and the line of calls waiting for one; the
same for the reads answered from the Kubernetes API (`API`).

A big read's CLI is CPU-bound (kubectl decodes and prints every object it lists). Unbounded,
N such calls at once share the CPU, each takes N times as long, and past their timeout all of
them fail together. Bounded, calls wait their turn, first come first served: the first ones
answer at the speed of one, and a call that cannot start within its timeout, or finds the
line full, says so (`timeout`, `unavailable`) without starting anything.

Calls waiting in line for the same read (the same command run the same way, as the same
identity) share one run. Each of them came before that run started, so its answer is as
recent as each asked for; a call never joins a run already under way.

Calls that wait on the cluster (a watch, a followed log, `rollout status`, helm `--wait`)
spend their time idle, not computing, and do not take a place: they would hold it for
minutes.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from kube_ai_proxy.errors import CommandError

T = TypeVar("T")

# The places of the reads answered from the Kubernetes API (native/): each holds its answer
# in memory while it is read and printed.
API = "api"


class _Gone(Exception):
    """The call running a shared read was cancelled before it ended."""


@dataclass
class _Shared:
    """A read waiting in line that later calls may join."""

    answer: asyncio.Future[Any] = field(default_factory=asyncio.Future)


class BackendSlots:
    """The places of one backend (a CLI, or the Kubernetes API): `run` starts work when one
    is free."""

    def __init__(self, tool: str, running: int, waiting: int) -> None:
        self.tool = tool
        # What takes a place, as messages say it.
        self.what = "native reads" if tool == API else f"{tool} processes"
        self.running = running
        self.waiting = waiting
        self._busy = 0
        self._line: deque[asyncio.Future[None]] = deque()
        self._shared: dict[Hashable, _Shared] = {}

    @property
    def queued(self) -> int:
        return len(self._line)

    async def run(
        self, work: Callable[[float], Awaitable[T]], *, timeout: float, key: Hashable | None = None
    ) -> T:
        """`work(seconds_left)` once a place is free, within `timeout` seconds in all. With a
        `key`, a call whose key is already waiting in line gets that call's answer instead."""
        deadline = time.monotonic() + timeout
        while key is not None and key in self._shared:
            waiting = self._shared[key]
            try:
                async with asyncio.timeout_at(_loop_time(deadline)):
                    return cast(T, await asyncio.shield(waiting.answer))
            except TimeoutError:
                raise self._too_long(timeout) from None
            except _Gone:
                continue  # its caller left: wait again, as a call of its own
        shared: _Shared | None = None
        if key is not None and not self._free():
            shared = self._shared[key] = _Shared()
        try:
            await self._take(deadline, timeout)
        except BaseException as exc:
            self._end_shared(key, shared, _for_joiners(exc))
            raise
        # Started: later calls with the same key wait for a run of their own.
        self._end_shared(key, shared, None)
        try:
            answer = await work(max(deadline - time.monotonic(), 0.1))
        except BaseException as exc:
            if shared is not None:
                _settle(shared.answer, _for_joiners(exc))
            raise
        finally:
            self._give_back()
        if shared is not None:
            _settle(shared.answer, answer)
        return answer

    def _free(self) -> bool:
        return self._busy < self.running and not self._line

    async def _take(self, deadline: float, timeout: float) -> None:
        if self._free():
            self._busy += 1
            return
        if len(self._line) >= self.waiting:
            raise CommandError(
                "unavailable",
                f"the server is busy: {self._busy} {self.what} are running and "
                f"{len(self._line)} calls wait for one (K8S_MCP_MAX_PROCESSES, "
                "K8S_MCP_MAX_QUEUED). Try again in a moment, or narrow the command so that it "
                "runs faster.",
            )
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._line.append(turn)
        try:
            async with asyncio.timeout_at(_loop_time(deadline)):
                await turn  # the place is handed over: _busy already counts it
        except BaseException as exc:
            if turn.done() and not turn.cancelled():
                self._give_back()  # handed over as the wait ended: pass it on
            else:
                self._line.remove(turn)
            if isinstance(exc, TimeoutError):
                raise self._too_long(timeout) from None
            raise

    def _give_back(self) -> None:
        while self._line:
            turn = self._line.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._busy -= 1

    def _end_shared(
        self, key: Hashable | None, shared: _Shared | None, error: BaseException | None
    ) -> None:
        if shared is None:
            return
        if self._shared.get(key) is shared:
            del self._shared[key]
        if error is not None:
            _settle(shared.answer, error)

    def _too_long(self, timeout: float) -> CommandError:
        return CommandError(
            "timeout",
            f"the call waited {timeout:g}s for one of the {self.running} {self.what} that may "
            "run at once (K8S_MCP_MAX_PROCESSES) and did not start. Raise `timeout`, "
            "try again when fewer calls run, or narrow the command so that it runs faster.",
        )


class Slots:
    """The places of every backend of one server."""

    def __init__(self, running: int, waiting: int) -> None:
        self.running = running
        self.waiting = waiting
        self._by_tool: dict[str, BackendSlots] = {}

    def of(self, tool: str) -> BackendSlots:
        slots = self._by_tool.get(tool)
        if slots is None:
            slots = self._by_tool[tool] = BackendSlots(tool, self.running, self.waiting)
        return slots


def _settle(future: asyncio.Future[T], outcome: T | BaseException) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
        future.exception()  # retrieved: a read nobody joined must not log "never retrieved"
    else:
        future.set_result(outcome)


def _for_joiners(exc: BaseException) -> BaseException:
    """What the calls that joined a read get when its run failed: its error, or, when its own
    caller was cancelled, the cue to wait again on their own."""
    return _Gone() if isinstance(exc, asyncio.CancelledError) else exc


def _loop_time(deadline: float) -> float:
    """A time.monotonic() deadline on the running loop's clock."""
    return asyncio.get_running_loop().time() + (deadline - time.monotonic())
