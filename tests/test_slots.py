"""The places of a backend (slots.py): a bound on processes at once, a line in order, a full
line refused, a wait bounded by the call's timeout, and waiting reads that share one run."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

from kube_ai_proxy.errors import CommandError
from kube_ai_proxy.slots import BackendSlots


class Work:
    """Work that runs until released, counting its runs and how many ran at once."""

    def __init__(self) -> None:
        self.runs = 0
        self.now = 0
        self.most = 0
        self.order: list[str] = []
        self.release = asyncio.Event()
        self.left: list[float] = []

    def named(self, name: str, fail: Exception | None = None) -> Callable[[float], Awaitable[str]]:
        async def work(seconds_left: float) -> str:
            self.runs += 1
            self.now += 1
            self.most = max(self.most, self.now)
            self.order.append(name)
            self.left.append(seconds_left)
            try:
                await self.release.wait()
                if fail is not None:
                    raise fail
                return f"answer of {name}"
            finally:
                self.now -= 1

        return work


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_runs_at_most_the_bound_at_once_and_the_rest_in_order() -> None:
    slots, work = BackendSlots("kubectl", running=2, waiting=10), Work()
    calls = [asyncio.create_task(slots.run(work.named(f"c{i}"), timeout=5)) for i in range(6)]
    await _settle()
    assert work.now == 2 and slots.queued == 4
    work.release.set()
    answers = await asyncio.gather(*calls)
    assert answers == [f"answer of c{i}" for i in range(6)]
    assert work.most == 2
    assert work.order == [f"c{i}" for i in range(6)]


async def test_a_full_line_is_refused_at_once_as_unavailable() -> None:
    slots, work = BackendSlots("helm", running=1, waiting=1), Work()
    first = asyncio.create_task(slots.run(work.named("a"), timeout=5))
    second = asyncio.create_task(slots.run(work.named("b"), timeout=5))
    await _settle()
    with pytest.raises(CommandError) as refused:
        await slots.run(work.named("c"), timeout=5)
    assert refused.value.code == "unavailable"
    assert "1 helm processes are running and 1 calls wait" in refused.value.message
    assert "K8S_MCP_MAX_QUEUED" in refused.value.message
    work.release.set()
    assert list(await asyncio.gather(first, second)) == ["answer of a", "answer of b"]
    assert work.runs == 2


async def test_a_call_that_cannot_start_within_its_timeout_says_so_and_leaves_the_line() -> None:
    slots, work = BackendSlots("kubectl", running=1, waiting=5), Work()
    holder = asyncio.create_task(slots.run(work.named("holder"), timeout=5))
    await _settle()
    with pytest.raises(CommandError) as late:
        await slots.run(work.named("late"), timeout=0.05)
    assert late.value.code == "timeout"
    assert "K8S_MCP_MAX_PROCESSES" in late.value.message
    assert slots.queued == 0
    work.release.set()
    await holder
    # The place is free again: nothing was leaked by the call that gave up.
    assert await slots.run(work.named("next"), timeout=1) == "answer of next"
    assert work.order == ["holder", "next"]


async def test_the_time_spent_waiting_is_taken_from_the_calls_timeout() -> None:
    slots, work = BackendSlots("kubectl", running=1, waiting=5), Work()
    holder = asyncio.create_task(slots.run(work.named("holder"), timeout=5))
    await _settle()
    waiter = asyncio.create_task(slots.run(work.named("waiter"), timeout=5))
    await asyncio.sleep(0.3)
    work.release.set()
    await asyncio.gather(holder, waiter)
    assert work.left[0] > 4.9
    assert work.left[1] < 4.8


async def test_waiting_reads_with_the_same_key_share_one_run() -> None:
    slots, work = BackendSlots("kubectl", running=1, waiting=10), Work()
    running = asyncio.create_task(slots.run(work.named("first"), timeout=5, key="get pods"))
    await _settle()
    # The first runs already: the next one with its key waits for a run of its own, and
    # the ones after it join that run.
    waiting = [
        asyncio.create_task(slots.run(work.named(f"w{i}"), timeout=5, key="get pods"))
        for i in range(5)
    ]
    other = asyncio.create_task(slots.run(work.named("other"), timeout=5, key="get svc"))
    await _settle()
    assert slots.queued == 2  # one run for the five, one for the other key
    work.release.set()
    answers = await asyncio.gather(running, *waiting, other)
    assert answers == ["answer of first", *["answer of w0"] * 5, "answer of other"]
    assert work.order == ["first", "w0", "other"]


async def test_calls_without_a_key_never_share() -> None:
    slots, work = BackendSlots("kubectl", running=1, waiting=10), Work()
    calls = [asyncio.create_task(slots.run(work.named(f"c{i}"), timeout=5)) for i in range(3)]
    await _settle()
    work.release.set()
    await asyncio.gather(*calls)
    assert work.runs == 3


async def test_a_shared_runs_error_is_every_joiners_error() -> None:
    slots, work = BackendSlots("kubectl", running=1, waiting=10), Work()
    holder = asyncio.create_task(slots.run(work.named("holder"), timeout=5))
    await _settle()
    failure = CommandError("cli_error", "the server said no")
    calls = [
        asyncio.create_task(slots.run(work.named(f"w{i}", fail=failure), timeout=5, key="k"))
        for i in range(3)
    ]
    await _settle()
    work.release.set()
    await holder
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert outcomes == [failure] * 3
    assert work.runs == 2


async def test_joiners_run_on_their_own_when_the_call_they_joined_is_cancelled() -> None:
    slots, work = BackendSlots("kubectl", running=1, waiting=10), Work()
    holder = asyncio.create_task(slots.run(work.named("holder"), timeout=5))
    await _settle()
    leader = asyncio.create_task(slots.run(work.named("leader"), timeout=5, key="k"))
    await _settle()
    joiners = [
        asyncio.create_task(slots.run(work.named(f"j{i}"), timeout=5, key="k")) for i in range(2)
    ]
    await _settle()
    leader.cancel()
    await _settle()
    work.release.set()
    assert await asyncio.gather(*joiners) == ["answer of j0", "answer of j0"]
    await holder
    assert leader.cancelled()
    assert work.order == ["holder", "j0"]
    assert slots.queued == 0


async def test_a_cancelled_run_gives_its_place_back() -> None:
    slots, work = BackendSlots("kubectl", running=1, waiting=10), Work()
    running = asyncio.create_task(slots.run(work.named("a"), timeout=5))
    waiter = asyncio.create_task(slots.run(work.named("b"), timeout=5))
    await _settle()
    running.cancel()
    await _settle()
    assert work.order == ["a", "b"] and work.now == 1
    work.release.set()
    assert await waiter == "answer of b"


async def _at_once(client: Client[Any], commands: list[str]) -> list[dict[str, Any]]:
    async def one(command: str) -> dict[str, Any]:
        result = await client.call_tool(
            "execute_kubectl", {"command": command}, raise_on_error=False
        )
        structured: dict[str, Any] = result.structured_content or {}
        return structured

    return list(await asyncio.gather(*(one(command) for command in commands)))


def _runs(marker: Path) -> int:
    """The CLI's runs, but for the dry runs that preview a write."""
    lines = marker.read_text().splitlines() if marker.exists() else []
    return sum(1 for line in lines if "--dry-run=server" not in json.loads(line)["argv"])


@pytest.fixture
def slow_cli(fake_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    marker = tmp_path / "runs.jsonl"
    monkeypatch.setenv("FAKE_CLI_MODE", "slow")
    monkeypatch.setenv("FAKE_CLI_SECONDS", "0.5")
    monkeypatch.setenv("FAKE_CLI_MARKER", str(marker))
    return marker


async def test_the_same_read_asked_at_once_runs_twice_at_most(
    slow_cli: Path, make_client: Callable[..., Client[Any]]
) -> None:
    async with make_client(max_processes=1) as client:
        results = await _at_once(client, ["kubectl get pods -n shop"] * 5)
    assert [r["status"] for r in results] == ["success"] * 5
    assert {r["output"].strip() for r in results} == {"done"}
    # The first runs at once; the four that waited for it share the next run.
    assert _runs(slow_cli) == 2


async def test_writes_asked_at_once_each_run_one_at_a_time(
    slow_cli: Path, make_client: Callable[..., Client[Any]]
) -> None:
    async with make_client(max_processes=1) as client:
        results = await _at_once(client, ["kubectl delete pod web-1 -n shop"] * 3)
    assert [r["status"] for r in results] == ["success"] * 3
    assert _runs(slow_cli) == 3


async def test_a_full_line_refuses_the_call_but_waits_on_the_cluster_take_no_place(
    slow_cli: Path, make_client: Callable[..., Client[Any]]
) -> None:
    async with make_client(max_processes=1, max_queued=0) as client:
        gets = await _at_once(client, ["kubectl get pods -n a", "kubectl get pods -n b"])
        waits = await _at_once(client, ["kubectl rollout status deploy/web -n a"] * 3)
    assert sorted(r["status"] for r in gets) == ["error", "success"]
    (refused,) = [r for r in gets if r["status"] == "error"]
    assert refused["error"]["code"] == "unavailable"
    assert "K8S_MCP_MAX_PROCESSES" in refused["error"]["message"]
    assert [r["status"] for r in waits] == ["success"] * 3
