"""Native `kubectl events`: which commands it serves, and what it prints from API responses
recorded from the e2e cluster, against the text kubectl printed from the same cluster at the
same moment (tests/data/events-recorded.json, made by tests/data/events_record.py).

Each case replays the handler's requests from the recording and counts LAST SEEN to a moment
inside the window in which kubectl ran; some such moment must give kubectl's text exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.errors import BackendError
from kube_ai_proxy.errors import CommandError, Defer
from kube_ai_proxy.native.base import NativeAnswer, NativeContext
from kube_ai_proxy.native.kubectl import events as kubectl_events
from kube_ai_proxy.native.route import native_handler
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.command import CliCommand
from kube_ai_proxy.parse.plan import plan
from tests.fakes.kube import kube_of
from tests.test_describe_recorded import ReplayAPI

RECORDING = Path(__file__).parent / "data" / "events-recorded.json"
# Read only when there: the recorder imports `replay` from here before it writes the file.
CASES: list[dict[str, Any]] = (
    json.loads(RECORDING.read_text())["cases"] if RECORDING.exists() else []
)
PRINTED = [c for c in CASES if not c["deferred"]]


def parsed(line: str) -> CliCommand:
    return plan(CliSpecs(), "kubectl", line).command


def _case(command: str) -> dict[str, Any]:
    return next(c for c in CASES if c["command"] == command)


async def run_case(
    case: dict[str, Any], now: float, budget: int = 50_000
) -> tuple[NativeAnswer, ReplayAPI]:
    api = ReplayAPI(case["exchanges"])
    return await answer_from(api, case, now, budget), api


async def answer_from(
    api: ReplayAPI, case: dict[str, Any], now: float, budget: int = 50_000
) -> NativeAnswer:
    command = parsed(case["command"])
    namespace = command.value("namespace") or "default"
    ctx = NativeContext(kube_of(api), namespace, budget, False, 60, now=lambda: now)
    return await kubectl_events.native_events(command, ctx)


def _moments(start: float, end: float) -> list[float]:
    """Moments across kubectl's run: its ages were counted to one of them."""
    steps = max(1, int((end - start) / 0.05))
    return [start + (end - start) * step / steps for step in range(steps + 1)]


async def replay(case: dict[str, Any]) -> NativeAnswer | None:
    """The answer that gives kubectl's text at some moment of its run, or None."""
    kubectl = case["kubectl"]
    for now in _moments(*case["clock"]):
        answer, _ = await run_case(case, now)
        if (answer.output, answer.stderr, answer.exit_code) == (
            kubectl["stdout"],
            kubectl["stderr"].strip(),
            kubectl["exit_code"],
        ):
            return answer
    return None


# --- routing --------------------------------------------------------------------------------

SERVED = [
    "kubectl events",
    "kubectl events -n web",
    "kubectl events --namespace=web",
    "kubectl events -A",
    "kubectl events --all-namespaces -n web",
    "kubectl events --for pod/web-0",
    "kubectl events --for=deployment.apps/web -n web",
    "kubectl events --types Warning",
    "kubectl events --types=Normal,Warning",
    "kubectl events --types normal --types WARNING",
    "kubectl events --types=",
    "kubectl events --no-headers",
    "kubectl events -o json",
    "kubectl events -oyaml",
    "kubectl events --output=json --no-headers",
    "kubectl events --chunk-size=10",
    "kubectl events --context=kind-kind -n web",
]

TO_KUBECTL = [
    "kubectl events -w",
    "kubectl events --watch -n web",
    "kubectl events -w=false",
    "kubectl events -o wide",
    "kubectl events -o name",
    "kubectl events -o JSON",
    "kubectl events -o jsonpath={.items[*].reason}",
    "kubectl events -o go-template={{.kind}}",
    "kubectl events --template={{.kind}} -o go-template",
    "kubectl events --show-managed-fields -o json",
    "kubectl events --allow-missing-template-keys=false -o json",
    "kubectl events --types Bogus",
    "kubectl events --types=Normal,",
    "kubectl events --types=Normal,Warning,Error",
    "kubectl events '--types= Normal'",
    "kubectl events '--types=\"Normal\"'",
    "kubectl events --for pod",
    "kubectl events --for pod/",
    "kubectl events --for /web",
    "kubectl events --for pod/a/b",
    "kubectl events --chunk-size=many",
    "kubectl events --chunk-size=-1",
    "kubectl events --no-headers=false",
    "kubectl events -A=false",
    "kubectl events pods",
    "kubectl events --request-timeout=5s",
]


@pytest.mark.parametrize("line", SERVED)
def test_what_is_native(line: str) -> None:
    assert native_handler(parsed(line)) is kubectl_events.native_events


@pytest.mark.parametrize("line", TO_KUBECTL)
def test_what_runs_kubectl(line: str) -> None:
    assert native_handler(parsed(line)) is None


def test_get_events_is_still_get() -> None:
    assert native_handler(parsed("kubectl get events -n web")) is not kubectl_events.native_events


def test_watch_only_is_no_flag_of_kubectl_events() -> None:
    with pytest.raises(CommandError, match="unknown flag --watch-only"):
        parsed("kubectl events --watch-only")


# --- printing, from recorded answers --------------------------------------------------------


def test_the_recording_is_there() -> None:
    assert RECORDING.exists(), "record it: `.venv/bin/python -m tests.data.events_record`"
    assert len(PRINTED) >= 10


@pytest.mark.parametrize("case", PRINTED, ids=[c["command"] for c in PRINTED])
async def test_replayed_text_is_kubectls(case: dict[str, Any]) -> None:
    answer = await replay(case)
    if answer is None:  # show the difference at the end of kubectl's run
        answer, _ = await run_case(case, case["clock"][1])
        assert answer.output == case["kubectl"]["stdout"]
        assert answer.stderr == case["kubectl"]["stderr"].strip()
    assert answer.exit_code == case["kubectl"]["exit_code"] == 0
    assert not answer.truncated


@pytest.mark.parametrize("case", CASES, ids=[c["command"] for c in CASES])
async def test_every_recorded_request_is_made(case: dict[str, Any]) -> None:
    """The handler reads what it read when recorded: nothing recorded is left unasked."""
    api = ReplayAPI(case["exchanges"])
    if case["deferred"]:
        with pytest.raises(Defer):
            await answer_from(api, case, case["clock"][1])
    else:
        await answer_from(api, case, case["clock"][1])
    assert api.pending == []


async def test_data_holds_the_events_kubectl_prints_as_json() -> None:
    printed = json.loads(_case("kubectl events -n e2e-events -o json")["kubectl"]["stdout"])
    assert printed["kind"] == "EventList"
    for command in ("kubectl events -n e2e-events", "kubectl events -n e2e-events -o json"):
        case = _case(command)
        answer, _ = await run_case(case, case["clock"][1])
        assert answer.data == {"events": printed["items"]}
    assert len(printed["items"]) == 18


async def test_the_table_lists_what_json_lists_in_the_same_order() -> None:
    case = _case("kubectl events -n e2e-events")
    answer, _ = await run_case(case, case["clock"][1])
    assert answer.data is not None
    rows = answer.output.splitlines()[1:]
    objects = [
        f"{e['involvedObject']['kind']}/{e['involvedObject']['name']}"
        for e in answer.data["events"]
    ]
    assert all(obj in row for row, obj in zip(rows, objects, strict=True))
    # Go's sort is not stable: several events share a second, and more than twelve are sorted.
    assert rows[0].startswith("<unknown> ")


async def test_for_asks_the_server_for_the_kind_version_and_name() -> None:
    case = _case("kubectl events -n e2e-events --for deploy/web")
    requested = [e for e in case["exchanges"] if e["path"].endswith("/events")]
    assert requested[0]["query"] == [
        [
            "fieldSelector",
            "involvedObject.kind=Deployment,involvedObject.apiVersion=apps/v1,"
            "involvedObject.name=web",
        ],
        ["limit", "500"],
    ]


def test_a_small_chunk_size_pages_through_the_list() -> None:
    case = _case("kubectl events -n e2e-events --chunk-size=5")
    pages = [e["query"] for e in case["exchanges"]]
    assert len(pages) == 4  # 18 events, 5 a page
    assert all(["limit", "5"] in query for query in pages)
    assert all(any(k == "continue" for k, _ in query) for query in pages[1:])


async def test_no_events_is_a_note_as_kubectl_prints_it() -> None:
    for command in (
        "kubectl events -n e2e-events-empty",
        "kubectl events -n e2e-events-empty -o yaml",
    ):
        case = _case(command)
        answer, _ = await run_case(case, case["clock"][1])
        assert answer.output == case["kubectl"]["stdout"] == ""
        assert answer.stderr == "No events found in e2e-events-empty namespace."
        assert answer.data == {"events": []}


async def test_a_message_the_tabwriter_would_split_goes_to_kubectl() -> None:
    case = _case("kubectl events -n e2e-events-odd")
    with pytest.raises(Defer):
        await run_case(case, case["clock"][1])
    # What kubectl made of it: the tab is a column, the newline a line of its own.
    assert "column\tsplit" not in case["kubectl"]["stdout"]
    assert "\ntwo\n" in case["kubectl"]["stdout"]


async def test_a_long_table_is_cut_at_a_line_within_the_budget() -> None:
    case = _case("kubectl events -n e2e-events")
    kubectl = case["kubectl"]["stdout"]
    for now in _moments(*case["clock"]):
        answer, _ = await run_case(case, now, budget=1000)
        if kubectl.startswith(answer.output):
            break
    assert kubectl.startswith(answer.output)
    assert answer.truncated
    assert 0 < len(answer.output) <= 1000
    assert answer.output.endswith("\n")
    lines = answer.output.count("\n")
    assert answer.data is not None and len(answer.data["events"]) == lines - 1
    assert (
        answer.next is not None and "--for" in answer.next and f"first {lines} lines" in answer.next
    )


@pytest.mark.parametrize("fmt", ["json", "yaml"])
async def test_long_objects_are_cut_at_a_line_within_the_budget(fmt: str) -> None:
    case = _case(f"kubectl events -n e2e-events -o {fmt}")
    answer, _ = await run_case(case, case["clock"][1], budget=2500)
    assert answer.truncated
    assert 0 < len(answer.output) <= 2500
    assert case["kubectl"]["stdout"].startswith(answer.output)
    assert answer.output.endswith("\n")
    assert answer.data is None


class _Forbidden(ReplayAPI):
    """The API server refusing the list, as it words it."""

    async def request(self, method: str, path: str, **options: Any) -> Any:
        if path.endswith("/events"):
            raise BackendError(
                "rbac_denied",
                'events is forbidden: User "viewer" cannot list resource "events" in API group '
                '"" in the namespace "web"',
            )
        return await super().request(method, path, **options)


async def test_forbidden_is_kubectls_error() -> None:
    ctx = NativeContext(kube_of(_Forbidden([])), "web", 50_000, False, 60)
    answer = await kubectl_events.native_events(parsed("kubectl events -n web"), ctx)
    assert answer.exit_code == 1
    assert answer.error_code == "rbac_denied"
    assert answer.stderr.startswith(
        'Error from server (Forbidden): events is forbidden: User "viewer"'
    )


async def test_an_unknown_for_type_is_left_to_kubectl() -> None:
    ctx = NativeContext(kube_of(ReplayAPI([])), "web", 50_000, False, 60)
    with pytest.raises(Defer):
        await kubectl_events.native_events(parsed("kubectl events --for widgets/x"), ctx)
