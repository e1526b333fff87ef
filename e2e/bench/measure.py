"""Timing loops and their statistics. Every loop is bounded in count and in time.

A `Call` is one request of any subject (an MCP tools/call, an HTTP GET, a kubectl run); it
returns an `Outcome` or raises, which counts as an error.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)  # backend, sizes, truncated, error


Call = Callable[[], Awaitable[Outcome]]


@dataclass
class Series:
    """Sequential calls, one at a time, after a warm-up."""

    latencies: list[float] = field(default_factory=list)  # seconds, successful calls
    errors: int = 0
    elapsed: float = 0.0  # wall time of the timed calls (for throughput at concurrency 1)
    first: dict[str, Any] = field(default_factory=dict)  # detail of the first answer
    error_sample: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "latencies": self.latencies,
            "errors": self.errors,
            "elapsed": self.elapsed,
            "first": self.first,
            "error_sample": self.error_sample,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Series:
        return cls(
            data["latencies"], data["errors"], data["elapsed"], data["first"], data["error_sample"]
        )

    @property
    def count(self) -> int:
        return len(self.latencies)

    def percentile(self, p: float) -> float | None:
        return percentile(self.latencies, p)

    @property
    def throughput(self) -> float | None:
        """Calls per second back to back (concurrency 1)."""
        done = self.count + self.errors
        return done / self.elapsed if self.elapsed > 0 and self.count else None


@dataclass
class Load:
    """Calls from `concurrency` callers at once for a while."""

    concurrency: int
    calls: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    error_sample: str = ""
    cut_short: bool = False  # the drain limit ended calls still running

    def to_json(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "calls": self.calls,
            "errors": self.errors,
            "elapsed": self.elapsed,
            "latencies": self.latencies,
            "error_sample": self.error_sample,
            "cut_short": self.cut_short,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Load:
        return cls(**data)

    @property
    def throughput(self) -> float | None:
        return self.calls / self.elapsed if self.elapsed > 0 else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100), linear between closest ranks; None without data."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[int(p) - 1] if p < 100 else max(values)


async def _attempt(call: Call) -> tuple[Outcome | None, str]:
    try:
        outcome = await call()
    except Exception as exc:  # any failure of a subject is an error of that subject
        return None, f"{type(exc).__name__}: {exc}"[:300]
    if not outcome.ok:
        return outcome, str(outcome.detail.get("error", "error"))[:300]
    return outcome, ""


async def sequential(call: Call, count: int, seconds: float, warmup: int = 2) -> Series:
    """`warmup` untimed calls, then up to `count` timed ones, stopping after `seconds` (but
    never before 3 timed calls, so that every row has a median)."""
    series = Series()
    for _ in range(warmup):
        outcome, problem = await _attempt(call)
        if outcome is not None and not series.first:
            series.first = outcome.detail
        if problem and not series.error_sample:
            series.error_sample = problem
    started = time.perf_counter()
    deadline = started + seconds
    for index in range(count):
        if index >= 3 and time.perf_counter() > deadline:
            break
        began = time.perf_counter()
        outcome, problem = await _attempt(call)
        took = time.perf_counter() - began
        if outcome is not None and not series.first:
            series.first = outcome.detail
        if problem:
            series.errors += 1
            series.error_sample = series.error_sample or problem
        else:
            series.latencies.append(took)
        if series.errors >= 3 and not series.latencies:
            break  # it does not work; say so rather than wait
    series.elapsed = time.perf_counter() - started
    return series


async def concurrent(calls: Sequence[Call], seconds: float, max_calls: int, drain: float) -> Load:
    """One worker per element of `calls` (each its own caller), each calling back to back
    until `seconds` pass or `max_calls` were started; calls still running then get `drain`
    seconds to finish before they are cancelled (and counted as errors)."""
    load = Load(concurrency=len(calls))
    started = time.perf_counter()
    deadline = started + seconds
    issued = 0

    async def worker(call: Call) -> None:
        nonlocal issued
        while time.perf_counter() < deadline and issued < max_calls:
            issued += 1
            began = time.perf_counter()
            _outcome, problem = await _attempt(call)
            if problem:
                load.errors += 1
                load.error_sample = load.error_sample or problem
            else:
                load.calls += 1
                load.latencies.append(time.perf_counter() - began)

    tasks = [asyncio.create_task(worker(call)) for call in calls]
    done, pending = await asyncio.wait(tasks, timeout=seconds + drain)
    for task in pending:
        task.cancel()
    if pending:
        load.cut_short = True
        load.errors += len(pending)
        load.error_sample = load.error_sample or f"{len(pending)} calls still running, cancelled"
        await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()
    load.elapsed = time.perf_counter() - started
    return load
