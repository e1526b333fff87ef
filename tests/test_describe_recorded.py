"""Native `kubectl describe` on API responses recorded from the e2e cluster, against the text
kubectl printed from the same cluster at the same moment (tests/data/describe-recorded.json,
made by tests/data/describe_record.py).

Each case replays the handler's requests from the recording and counts ages to a moment inside
the window in which kubectl ran; some such moment must give kubectl's text exactly.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from adapters.errors import BackendError
from adapters.kubernetes import JSON, KubeAPI
from kube_ai_proxy.native.base import NativeAnswer, NativeContext
from kube_ai_proxy.native.kubectl import describe as kubectl_describe
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.plan import plan
from tests.fakes.kube import kube_of

# kubectl printed times in UTC when the cases were recorded.
pytestmark = pytest.mark.usefixtures("utc")

DATA = Path(__file__).parent / "data"
CASES: list[dict[str, Any]] = json.loads((DATA / "describe-recorded.json").read_text())["cases"]
DISCOVERY: dict[str, Any] = json.loads((DATA / "discovery-v1.35.4.json").read_text())


class ReplayAPI(KubeAPI):
    """Answers each request with the recorded response to the same request."""

    def __init__(self, exchanges: Sequence[dict[str, Any]]) -> None:
        super().__init__(cast(Any, None), None)
        self.pending = list(exchanges)
        self.seen: list[tuple[str, str, list[list[str]]]] = []

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, Any]] = (),
        accept: str = JSON,
        body: Any = None,
        content_type: str | None = None,
        timeout: float | None = None,
        warnings: list[str] | None = None,
        max_bytes: int | None = None,
        trim: Callable[[Any], Any] | None = None,
    ) -> Any:
        if path in ("/api", "/apis"):
            return DISCOVERY[path.strip("/")]
        asked = [[k, str(v)] for k, v in query]
        self.seen.append((method, path, asked))
        for index, exchange in enumerate(self.pending):
            if (exchange["method"], exchange["path"], exchange["query"]) == (method, path, asked):
                del self.pending[index]
                if warnings is not None:
                    warnings.extend(exchange["warnings"])
                if "error" in exchange:
                    raise BackendError(exchange["error"]["code"], exchange["error"]["message"])
                answer = exchange["body"]
                return answer if trim is None else trim(copy.deepcopy(answer))
        raise AssertionError(
            f"{method} {path} {asked} was not recorded: re-record with "
            "`.venv/bin/python -m tests.data.describe_record`"
        )


def _moments(start: float, end: float) -> Iterator[float]:
    """Moments across kubectl's run: its ages were counted to one of them."""
    steps = max(1, int((end - start) / 0.05))
    for step in range(steps + 1):
        yield start + (end - start) * step / steps


def _agrees(answer: NativeAnswer, kubectl: dict[str, Any]) -> bool:
    return bool(
        answer.output == kubectl["stdout"]
        and answer.stderr == kubectl["stderr"].strip()
        and answer.exit_code == kubectl["exit_code"]
    )


async def run_case(case: dict[str, Any], now: float) -> tuple[NativeAnswer, ReplayAPI]:
    command = plan(CliSpecs(), "kubectl", case["command"]).command
    api = ReplayAPI(case["exchanges"])
    namespace = command.value("namespace") or "default"
    ctx = NativeContext(kube_of(api), namespace, 50_000, False, 60, now=lambda: now)
    return await kubectl_describe.native_describe(command, ctx), api


async def replay(case: dict[str, Any]) -> NativeAnswer | None:
    """The answer that gives kubectl's text at some moment of its run, or None."""
    for now in _moments(*case["clock"]):
        answer, _ = await run_case(case, now)
        if _agrees(answer, case["kubectl"]):
            return answer
    return None


@pytest.mark.parametrize("case", CASES, ids=[c["command"] for c in CASES])
async def test_replayed_text_is_kubectls(case: dict[str, Any]) -> None:
    answer = await replay(case)
    if answer is None:  # show the difference at the end of kubectl's run
        answer, _ = await run_case(case, case["clock"][1])
        assert answer.output == case["kubectl"]["stdout"]
        assert answer.stderr == case["kubectl"]["stderr"].strip()
    assert answer.exit_code == case["kubectl"]["exit_code"]


@pytest.mark.parametrize("case", CASES, ids=[c["command"] for c in CASES])
async def test_every_recorded_request_is_made(case: dict[str, Any]) -> None:
    """The handler reads what kubectl reads: nothing recorded is left unasked."""
    _, api = await run_case(case, case["clock"][1])
    assert api.pending == []


def _case(command_start: str) -> dict[str, Any]:
    return next(c for c in CASES if c["command"].startswith(command_start))


async def test_data_holds_objects_and_events() -> None:
    answer, _ = await run_case(_case("kubectl describe deployment web"), 0)
    assert answer.data is not None
    (deployment,) = answer.data["objects"]
    assert deployment["kind"] == "Deployment"
    assert answer.data["events"]
    assert {e["involvedObject"]["kind"] for e in answer.data["events"]} == {"Deployment"}


async def test_listed_objects_get_their_kind() -> None:
    answer, _ = await run_case(_case("kubectl describe pods -n e2e-describe -l app=web "), 0)
    assert answer.data is not None
    assert {o["kind"] for o in answer.data["objects"]} == {"Pod"}
    assert len(answer.data["objects"]) == 2


async def test_secret_values_stay_out_of_text_and_data() -> None:
    case = _case("kubectl describe secret db")
    answer, _ = await run_case(case, 0)
    assert answer.data is not None
    (secret,) = answer.data["objects"]
    assert set(secret["data"].values()) == {"REDACTED"}
    recorded = next(e["body"] for e in case["exchanges"] if e["path"].endswith("/secrets/db"))
    for value in recorded["data"].values():
        assert value not in answer.output + json.dumps(answer.data)
    assert "password:  19 bytes" in answer.output


async def test_show_events_false_fetches_no_events() -> None:
    case = _case("kubectl describe pods -n e2e-describe -l app=web --show-events=false")
    _, api = await run_case(case, 0)
    assert not any(path.endswith("/events") for _, path, _ in api.seen)


async def test_chunk_size_pages_the_list() -> None:
    _, api = await run_case(_case("kubectl describe rs"), 0)
    pages = [q for _, path, q in api.seen if path.endswith("/replicasets") and ["limit", "1"] in q]
    assert len(pages) >= 2
    assert any(k == "continue" for q in pages for k, _ in q)


async def test_a_small_budget_describes_fewer_objects() -> None:
    case = _case("kubectl describe jobs")
    command = plan(CliSpecs(), "kubectl", case["command"]).command
    ctx = NativeContext(kube_of(ReplayAPI(case["exchanges"])), "e2e-describe", 10, False, 60)
    answer = await kubectl_describe.native_describe(command, ctx)
    assert answer.truncated
    assert answer.next is not None and "fit the output budget" in answer.next
    assert answer.data is not None and len(answer.data["objects"]) == 1
