"""The progress line of an argocd command that waits on the controller: what the named
applications' status says, read from Argo CD's API (answers replayed here; e2e reads a real
controller's)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from adapters.argocd import ArgoCD, ArgoCDConfig
from kube_ai_proxy.native.argocd_progress import describe, status_reader, watched_apps
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.command import CliCommand, parse_command

RUNNING: dict[str, Any] = {
    "metadata": {"name": "shop"},
    "status": {
        "sync": {"status": "OutOfSync"},
        "health": {"status": "Progressing"},
        "operationState": {
            "phase": "Running",
            "message": "waiting for healthy state of apps/Deployment/web\n",
            "syncResult": {
                "resources": [
                    {"kind": "ConfigMap", "status": "Synced"},
                    {"kind": "Job", "hookPhase": "Succeeded", "status": ""},
                    {"kind": "Deployment", "status": "OutOfSync", "hookPhase": "Running"},
                ]
            },
        },
    },
}


def argocd(line: str) -> CliCommand:
    return parse_command(CliSpecs()["argocd"], line.split())


def test_a_running_operation() -> None:
    assert describe("shop", RUNNING) == (
        "shop: operation Running (2/3 resources done): waiting for healthy state of "
        "apps/Deployment/web; sync OutOfSync, health Progressing"
    )


def test_before_an_operation_and_while_deleting() -> None:
    assert describe("shop", {}) == "shop: sync Unknown, health Unknown"
    deleting = {"metadata": {"deletionTimestamp": "2026-12-05T10:00:00Z"}, "status": {}}
    assert describe("shop", deleting) == "shop: being deleted; sync Unknown, health Unknown"
    assert describe("shop", "not an object") == "shop: sync Unknown, health Unknown"


@pytest.mark.parametrize(
    ("line", "apps"),
    [
        ("app sync shop", [("shop", "")]),
        ("app sync a b c d", [("a", ""), ("b", ""), ("c", "")]),
        ("app wait team/shop", [("shop", "team")]),
        ("app wait shop -N team", [("shop", "team")]),
        ("app rollback shop 3", [("shop", "")]),
        ("app delete shop -y", [("shop", "")]),
        ("app sync -l team=a", []),
        ("app get shop", []),
    ],
)
def test_which_applications_are_watched(line: str, apps: list[tuple[str, str]]) -> None:
    assert watched_apps(argocd(line)) == apps


def client(handler: Any) -> ArgoCD:
    return ArgoCD(
        ArgoCDConfig(server="cd.example.com", token="t0ken"), transport=httpx.MockTransport(handler)
    )


async def test_the_reader_asks_argo_cd_for_each_application() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if request.url.path.endswith("/shop"):
            return httpx.Response(200, json=RUNNING)
        return httpx.Response(403, json={"error": "permission denied", "code": 7})

    read = status_reader(argocd("app sync shop team/gone"), client(answer))
    assert read is not None
    assert await read() == (
        f"{describe('shop', RUNNING)}; gone: not found (deleted, or not readable)"
    )
    assert asked == [
        "https://cd.example.com/api/v1/applications/shop",
        "https://cd.example.com/api/v1/applications/gone?appNamespace=team",
    ]


async def test_a_slow_or_failing_read_is_said_and_not_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("kube_ai_proxy.native.argocd_progress.READ_SECONDS", 0.05)

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(1)
        return httpx.Response(200, json=RUNNING)

    read = status_reader(argocd("app wait shop"), client(slow))
    assert read is not None
    assert await read() == "shop: status not read in time"

    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"error": "boom"})

    read = status_reader(argocd("app wait shop"), client(broken))
    assert read is not None
    assert await read() == "shop: status not read (api_error)"


def test_nothing_to_read_without_a_client_or_a_name() -> None:
    assert status_reader(argocd("app sync shop"), None) is None
    assert status_reader(argocd("app sync -l a=b"), client(lambda r: httpx.Response(200))) is None
