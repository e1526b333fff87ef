"""The calls running as background tasks in this process. A call the client waits on ends with
its HTTP request when the server stops (uvicorn gives it the shutdown grace); a task has no
request to wait on, so the server gives these the same grace, then cancels them: their
processes are killed and their audit lines written (call.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class RunningTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    @contextmanager
    def running(self) -> Iterator[None]:
        """While the block runs, the current asyncio task is a running background call."""
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - a coroutine always runs in a task here
            yield
            return
        self._tasks.add(task)
        try:
            yield
        finally:
            self._tasks.discard(task)

    async def stop(self, grace: float) -> None:
        """Let the running calls finish within `grace` seconds, then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
