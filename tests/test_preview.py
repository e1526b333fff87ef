"""Previews of writes (preview/): the diff of a live object against the dry run's, without what
the server keeps for itself, and never a Secret's values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastmcp import Client

from kube_ai_proxy.config import Settings
from kube_ai_proxy.judge.confirmation import QUESTION_DIFF_CHARS, question
from kube_ai_proxy.mcp.server import create_server
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.command import parse_command
from kube_ai_proxy.preview.diff import change, diff_text, summary
from kube_ai_proxy.preview.helm import _values_diff
from kube_ai_proxy.preview.kubectl import dry_run_of
from kube_ai_proxy.preview.run import previewable, server_dry_run


def deployment(replicas: int, **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", **metadata},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "web"}]}}},
        "status": {"readyReplicas": replicas},
    }


def test_a_changed_field_is_the_diff_and_server_fields_are_not() -> None:
    live = deployment(3, resourceVersion="41", generation=7, uid="u-1", managedFields=[{}])
    after = deployment(0, resourceVersion="42", generation=8, uid="u-1", managedFields=[{}, {}])
    found = change(live, after)
    assert found.action == "changed"
    assert found.label == "Deployment shop/web"
    removed = [
        line for line in found.diff.splitlines() if line.startswith("-") and "---" not in line
    ]
    added = [line for line in found.diff.splitlines() if line.startswith("+") and "+++" not in line]
    assert removed == ["-  replicas: 3"]
    assert added == ["+  replicas: 0"]
    assert "--- live/Deployment/shop/web" in found.diff
    assert "resourceVersion" not in found.diff and "readyReplicas" not in found.diff


def test_created_unchanged_and_the_summary() -> None:
    created = change(None, deployment(2))
    same = change(deployment(2, resourceVersion="1"), deployment(2, resourceVersion="2"))
    changed = change(deployment(2), deployment(3))
    assert (created.action, same.action) == ("created", "unchanged")
    assert same.diff == ""
    assert created.diff.count("\n+") > 3
    assert summary([created, same, changed]) == "1 changed, 1 created, 0 deleted, 1 unchanged"
    assert summary([changed]) == "1 changed, 0 created, 0 deleted"
    assert diff_text([created, same]) == created.diff


def test_a_secret_shows_its_keys_never_its_values() -> None:
    def secret(data: dict[str, str]) -> dict[str, Any]:
        last = json.dumps({"data": data})  # kubectl's copy of the object as applied
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "db",
                "namespace": "shop",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last},
            },
            "data": data,
        }

    live = secret({"user": "YWRtaW4=", "password": "aHVudGVyMg=="})
    after = secret({"user": "YWRtaW4=", "password": "czNjcjN0", "token": "dG9rZW4="})
    found = change(live, after)
    assert found.action == "changed"
    for value in ("YWRtaW4=", "aHVudGVyMg==", "czNjcjN0", "dG9rZW4=", "admin", "hunter2"):
        assert value not in found.diff
    assert "+  password: (hidden) changed" in found.diff
    assert "+  token: (hidden) changed" in found.diff
    assert "\n   user: (hidden)\n" in found.diff  # unchanged: context, not a change
    same = change(live, secret({"user": "YWRtaW4=", "password": "aHVudGVyMg=="}))
    assert same.action == "unchanged"
    assert "last-applied" not in found.diff
    created = change(None, secret({"password": "aHVudGVyMg=="}))
    assert "aHVudGVyMg==" not in created.diff and "password: (hidden) changed" in created.diff


def _command(line: str) -> Any:
    tool, *words = line.split()
    return parse_command(CliSpecs()[tool], words)  # type: ignore[index]


def test_which_writes_are_previewed_and_how_the_dry_run_runs() -> None:
    for line in (
        "kubectl apply -f -",
        "kubectl scale deploy/web --replicas=0",
        "kubectl create deployment web --image=nginx",
        "kubectl set image deploy/web web=nginx:2",
        "kubectl rollout restart deploy/web",
        "helm upgrade shop ./chart",
        "helm uninstall shop",
    ):
        assert previewable(_command(line)), line
    assert previewable(_command("kubectl delete pod web-1"))
    assert previewable(_command("argocd app sync shop"))
    assert previewable(_command("kubectl drain node-1 --ignore-daemonsets"))
    for line in ("kubectl rollout pause deploy/web", "kubectl get pods", "helm list"):
        assert not previewable(_command(line)), line
    dry = dry_run_of(_command("kubectl apply -f - -o name --dry-run=client"))
    assert dry.argv()[-3:] == ["--filename=-", "--dry-run=server", "--output=json"]
    assert server_dry_run(_command("kubectl apply -f - --dry-run=server"))
    assert not server_dry_run(_command("kubectl apply -f - --dry-run=client"))


def test_a_long_diff_is_cut_in_the_question_and_says_so() -> None:
    diff = "".join(f"+line {i}\n" for i in range(2000))
    asked = question(
        "kubectl apply -f -", "kube context dev", "1 changed, 0 created, 0 deleted", diff
    )
    assert "What it would change: 1 changed, 0 created, 0 deleted." in asked
    assert len(asked) < QUESTION_DIFF_CHARS + 500
    assert f"({len(diff) - QUESTION_DIFF_CHARS} more characters of the diff not shown)" in asked
    assert asked.endswith("Allow it?")


async def test_a_write_that_cannot_be_previewed_says_so_in_the_question(
    fake_bin: Path, tmp_path: Path
) -> None:
    """The fake kubectl prints its argv, not an object: the preview fails, and the question
    says so in one line rather than showing an empty diff."""
    questions: list[str] = []

    async def user(message: str, response_type: Any, params: Any, context: Any) -> Any:
        questions.append(message)
        return response_type(value=False)

    server = create_server(Settings(rbac_preflight=False, native=False, confirm="writes"))
    async with Client(server, elicitation_handler=user) as client:
        await client.call_tool(
            "execute_kubectl",
            {"command": "kubectl scale deploy/web --replicas=0"},
            raise_on_error=False,
        )
        await client.call_tool(
            "execute_kubectl", {"command": "kubectl rollout pause deploy/web"}, raise_on_error=False
        )
    assert "What it would change: not previewed: " in questions[0]
    assert "What it would change: kubectl rollout pause is not previewed." in questions[1]


def test_helm_values_hide_credentials_and_say_whether_they_change() -> None:
    before = {
        "image": {"tag": "1.0"},
        "db": {"password": "hunter2", "user": "wp"},
        "apiToken": "t1",
    }
    after = {"image": {"tag": "2.1"}, "db": {"password": "s3cret", "user": "wp"}, "apiToken": "t1"}
    diff = _values_diff("shop", before, after)
    for value in ("hunter2", "s3cret", "t1"):
        assert value not in diff
    assert "-  tag: '1.0'" in diff and "+  tag: '2.1'" in diff
    assert "-  password: (hidden)\n+  password: (hidden) changed\n" in diff
    assert " apiToken: (hidden)\n" in diff
    added = _values_diff("shop", {}, {"auth": {"password": "x1y2"}, "replicas": 2})
    assert "x1y2" not in added and "+  password: (hidden)\n" in added
    listed = _values_diff("shop", {"tokens": ["t-old"]}, {"tokens": ["t-new", "t-2"]})
    assert "t-old" not in listed and "t-new" not in listed and "t-2" not in listed
    assert "+tokens: (hidden) changed" in listed
