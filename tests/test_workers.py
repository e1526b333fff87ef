"""K8S_MCP_WORKERS: which settings go with several workers, and what one worker is built from
(e2e/test_workers.py runs them)."""

from __future__ import annotations

import json

import pytest

from kube_ai_proxy.cli_run import cli_env
from kube_ai_proxy.config import WORKER_ARGS, Settings
from kube_ai_proxy.mcp import workers


def test_workers_serve_stateless_streamable_http_only() -> None:
    for transport in ("stdio", "sse"):
        with pytest.raises(ValueError, match="serve streamable-http only"):
            Settings(transport=transport, workers=2)
    assert Settings(transport="streamable-http", workers=4).workers == 4


def test_workers_cannot_share_a_metrics_port() -> None:
    with pytest.raises(ValueError, match="metrics_port cannot be shared"):
        Settings(transport="streamable-http", workers=2, metrics_port=9100)


def test_tasks_with_workers_need_a_shared_backend() -> None:
    with pytest.raises(ValueError, match="need a shared tasks_backend"):
        Settings(transport="streamable-http", workers=2, tasks="on")
    # auto: a task made in one worker could not be found by another.
    assert not Settings(transport="streamable-http", workers=2).tasks_on
    shared = Settings(transport="streamable-http", workers=2, tasks_backend="redis://r:6379/0")
    assert shared.tasks_on


def test_a_worker_builds_its_server_from_the_command_line_it_was_started_with(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    words = ["--transport", "streamable-http", "--workers", "2", "--access", "read-only"]
    monkeypatch.setenv(WORKER_ARGS, json.dumps(words))
    app = workers.app()
    routes = {getattr(route, "path", None) for route in app.routes}
    assert "/mcp" in routes


def test_the_clis_never_see_the_workers_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKER_ARGS, json.dumps(["--auth-token", "secret"]))
    assert WORKER_ARGS not in cli_env(Settings(), "kubectl")
