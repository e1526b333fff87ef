"""`make run` decides between the user's cluster and the local one by the kubeconfig alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.harness.serve import kubeconfig_problem

GOOD = """\
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: work, context: {cluster: c, user: u}}]
current-context: work
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_a_usable_kubeconfig_is_served(home: Path) -> None:
    (home / ".kube").mkdir()
    (home / ".kube" / "config").write_text(GOOD)
    assert kubeconfig_problem({}) is None
    assert kubeconfig_problem({"KUBECONFIG": str(home / ".kube" / "config")}) is None


def test_no_kubeconfig_at_all(home: Path) -> None:
    assert kubeconfig_problem({}) == (
        f"KUBECONFIG is not set and there is no {home / '.kube' / 'config'}"
    )


def test_a_missing_file_named_by_kubeconfig(home: Path) -> None:
    assert kubeconfig_problem({"KUBECONFIG": "/nowhere/config"}) == (
        "KUBECONFIG names /nowhere/config, which does not exist"
    )


def test_a_file_that_is_not_yaml(home: Path) -> None:
    path = home / "config"
    path.write_text("clusters: [\n")
    problem = kubeconfig_problem({"KUBECONFIG": str(path)})
    assert problem is not None and problem.startswith(f"the kubeconfig {path} cannot be read")


def test_no_current_context_unless_k8s_context_names_one(home: Path) -> None:
    path = home / "config"
    path.write_text(GOOD.replace("current-context: work\n", ""))
    assert kubeconfig_problem({"KUBECONFIG": str(path)}) == (
        f"the kubeconfig {path} sets no current-context (and K8S_CONTEXT is not set)"
    )
    assert kubeconfig_problem({"KUBECONFIG": str(path), "K8S_CONTEXT": "work"}) is None
    assert kubeconfig_problem({"KUBECONFIG": str(path), "K8S_CONTEXT": "play"}) == (
        f"the kubeconfig {path} has no context named 'play'"
    )


def test_the_first_file_that_sets_current_context_wins(home: Path) -> None:
    first, second = home / "a", home / "b"
    first.write_text("apiVersion: v1\nkind: Config\n")
    second.write_text(GOOD)
    assert kubeconfig_problem({"KUBECONFIG": f"{first}:{home / 'missing'}:{second}"}) is None
