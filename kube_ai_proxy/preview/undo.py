"""How to revert a write, worked out while it is previewed: the objects as they were, applied
back; what it created, deleted; a helm release, rolled back to the revision before. The journal
keeps them (journal.py), and kube://changes lists them.

A Secret is kept by name only: its prior values are never written anywhere, so its revert is
refused, with the reason.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from kube_ai_proxy.preview.diff import LAST_APPLIED, SERVER_METADATA
from kube_ai_proxy.result import Preview


@dataclass(frozen=True)
class Undo:
    """One step of a revert: a command to run (through the same tools, previewed and confirmed
    like any write), with what it reads on stdin; or, when there is none, why."""

    command: str | None
    stdin: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Previewed:
    """A write's preview, and how to revert it once it ran."""

    preview: Preview
    undo: tuple[Undo, ...] = ()


def _where(obj: Mapping[str, Any]) -> tuple[str, str | None, str]:
    metadata = obj.get("metadata") or {}
    return str(obj.get("kind", "")), metadata.get("namespace"), str(metadata.get("name", ""))


def _context(context: str | None) -> str:
    return f" --context={context}" if context else ""


def restore(before: Mapping[str, Any], context: str | None) -> Undo:
    """Put `before` back as it was (server-side apply of it)."""
    kind, namespace, name = _where(before)
    if kind == "Secret":
        return Undo(
            None,
            note=f"Secret {namespace}/{name}: its prior values are not kept (Secrets are "
            "journaled by name only), so it cannot be reverted from here; restore it from its "
            "source.",
        )
    prior = copy.deepcopy(dict(before))
    prior.pop("status", None)
    metadata = prior.setdefault("metadata", {})
    for field in (*SERVER_METADATA, "ownerReferences"):
        metadata.pop(field, None)
    (metadata.get("annotations") or {}).pop(LAST_APPLIED, None)
    manifest = yaml.safe_dump(prior, sort_keys=False)
    return Undo(f"kubectl apply --server-side --force-conflicts{_context(context)} -f -", manifest)


def remove(after: Mapping[str, Any], context: str | None) -> Undo:
    """Delete what the write created."""
    kind, namespace, name = _where(after)
    group, _, version = str(after.get("apiVersion", "")).rpartition("/")
    qualified = f"{kind}.{version}.{group}" if group else kind
    where = f" -n {namespace}" if namespace else ""
    return Undo(f"kubectl delete {qualified}/{name}{where}{_context(context)}")


def helm_rollback(release: str, revision: int, namespace: str, context: str | None) -> Undo:
    where = f" --kube-context={context}" if context else ""
    return Undo(f"helm rollback {release} {revision} -n {namespace}{where}")


def helm_uninstall(release: str, namespace: str, context: str | None) -> Undo:
    where = f" --kube-context={context}" if context else ""
    return Undo(f"helm uninstall {release} -n {namespace}{where}")
