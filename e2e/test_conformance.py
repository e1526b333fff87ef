"""The official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
e2e/conformance/) against the server on streamable HTTP: every server scenario, in the
current protocol era and in the 2025-11-25 one, judged against
e2e/conformance/expected-failures.yml (each entry with its reason). A failure not in it, or
an entry that passes, fails the test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from e2e import mcp_server
from e2e.harness import CacheLayout, HarnessError
from e2e.harness.conformance import Suite, installed


@pytest.fixture(scope="module")
def suite(cache_layout: CacheLayout) -> Suite:
    try:
        return installed(cache_layout)
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.mark.parametrize("era", [None, "2025-11-25"], ids=["current", "2025-11-25"])
def test_the_official_conformance_suite_passes_but_for_its_baseline(
    suite: Suite, server_env: dict[str, str], tmp_path: Path, era: str | None
) -> None:
    # The suite's client sends no bearer token: the server asks for none (loopback only).
    with mcp_server.http_server(server_env, tmp_path / "server.log", open_access=True) as server:
        done = suite.run_server(server.url, tmp_path / "results", spec_version=era)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-8000:]
    assert "Baseline check passed" in report, report[-8000:]
    totals = re.search(r"Total: (\d+) passed, (\d+) failed", report)
    assert totals is not None, report[-4000:]
    print(f"conformance ({era or 'current'}): {totals.group(0)}, every failure in the baseline")
    # Scenarios this server is built to pass, passed (the 2026 era's own: caching, headers).
    must_pass = ["server-initialize", "completion-complete", "ping", "tools-list"]
    if era is None:
        must_pass += ["caching", "http-header-validation", "dns-rebinding-protection"]
    for scenario in must_pass:
        assert re.search(rf"✓ {scenario}: \d+ passed, 0 failed", report), scenario
