"""The journal of writes (journal.py) and how each is reverted (preview/undo.py)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastmcp import Client

from kube_ai_proxy.config import Settings
from kube_ai_proxy.journal import MAX_ENTRIES, Journal
from kube_ai_proxy.mcp.server import create_server
from kube_ai_proxy.preview.undo import Undo, helm_rollback, remove, restore


def live_deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "uid": "u-1",
            "resourceVersion": "42",
            "generation": 3,
            "creationTimestamp": "2026-12-01T00:00:00Z",
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{...}",
                "team": "a",
            },
        },
        "spec": {"replicas": 3},
        "status": {"readyReplicas": 3},
    }


def test_a_restore_applies_the_object_as_it_was_without_what_the_server_set() -> None:
    undo = restore(live_deployment(), "prod")
    assert undo.command == "kubectl apply --server-side --force-conflicts --context=prod -f -"
    assert undo.stdin is not None
    prior = yaml.safe_load(undo.stdin)
    assert prior["spec"] == {"replicas": 3}
    assert prior["metadata"] == {"name": "web", "namespace": "shop", "annotations": {"team": "a"}}
    assert "status" not in prior


def test_a_secret_is_never_restored_and_says_why() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "a"}}
    secret["data"] = {"password": "aHVudGVyMg=="}
    undo = restore(secret, None)
    assert undo.command is None and undo.stdin is None
    assert "Secret a/db" in undo.note and "not kept" in undo.note


def test_what_was_created_is_deleted_and_a_release_rolled_back() -> None:
    assert (
        remove(live_deployment(), None).command == "kubectl delete Deployment.v1.apps/web -n shop"
    )
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert remove(config_map, "dev").command == "kubectl delete ConfigMap/c --context=dev"
    assert helm_rollback("shop", 4, "shop", None).command == "helm rollback shop 4 -n shop"


def test_the_journal_keeps_the_newest_entries_privately(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state" / "journal.jsonl")
    for i in range(MAX_ENTRIES + 5):
        journal.record(f"kubectl scale --replicas={i}", "1 changed", (Undo("x"),), "alice")
    recent = journal.recent()
    assert len(recent) == MAX_ENTRIES
    assert recent[0].command == f"kubectl scale --replicas={MAX_ENTRIES + 4}"
    assert recent[-1].command == "kubectl scale --replicas=5"
    assert recent[0].caller == "alice" and recent[0].revert[0].command == "x"
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    with journal.path.open("a") as broken:
        broken.write("not json\n")
    assert len(journal.recent()) == MAX_ENTRIES


def test_where_the_journal_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert Settings().journal_path == tmp_path / "kube-ai-proxy" / "journal.jsonl"
    assert Settings(journal="/var/lib/j.jsonl").journal_path == Path("/var/lib/j.jsonl")
    assert Settings(journal="off").journal_path is None
    assert Settings(access="read-only").journal_path is None


async def test_kube_changes_lists_the_journal_and_says_when_there_is_none(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    Journal(path).record("kubectl apply -f -", "1 changed, 0 created, 0 deleted", (), "bob")
    settings: dict[str, Any] = {"rbac_preflight": False, "native": False}
    async with Client(create_server(Settings(journal=str(path), **settings))) as client:
        (contents,) = await client.read_resource("kube://changes")
        listed = json.loads(getattr(contents, "text", ""))
    async with Client(create_server(Settings(access="read-only", **settings))) as client:
        (contents,) = await client.read_resource("kube://changes")
        none = json.loads(getattr(contents, "text", ""))
    (entry,) = listed["changes"]
    assert entry["caller"] == "bob" and entry["summary"] == "1 changed, 0 created, 0 deleted"
    assert none == {"changes": [], "note": "no journal is kept (read-only mode)"}


def test_the_journal_remembers_each_restores_version_after_the_write(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    step = restore(live_deployment(), None)
    assert step.stdin is not None
    journal.record("kubectl apply -f -", "1 changed", (step,), None, {step.stdin: "43"})
    journal.record("kubectl apply -f -", "1 changed", (Undo("y", "other: 1\n"),), None, {})
    assert journal.version_after(step.stdin) == "43"
    assert journal.version_after("other: 1\n") is None
    assert journal.version_after("unknown") is None
