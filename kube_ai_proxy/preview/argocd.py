"""What an Argo CD write would change, from Argo CD's own comparison (its REST API's managed
resources, what `argocd app diff` shows): for `app sync`, each resource's live state against
the state the sync would leave (`predictedLiveState`, else the target); for `app delete
--cascade`, the resources that go with the application.

The revert of a sync is a rollback to the history entry deployed before it.
"""

from __future__ import annotations

import json
from typing import Any

from adapters.argocd import ArgoCD
from kube_ai_proxy.parse.command import CliCommand
from kube_ai_proxy.preview import NoPreview
from kube_ai_proxy.preview.diff import change, diff_text, summary
from kube_ai_proxy.preview.undo import Previewed, Undo
from kube_ai_proxy.result import Preview

ARGOCD_PREVIEWED = frozenset({("app", "sync"), ("app", "delete")})


def _state(item: dict[str, Any], *fields: str) -> dict[str, Any] | None:
    """The first of `fields` that holds an object (Argo CD sends each as a JSON string)."""
    for field in fields:
        text = item.get(field)
        if text in (None, "", "null"):
            continue
        try:
            found = json.loads(str(text))
        except ValueError:
            raise NoPreview(f"Argo CD sent a {field} that is not JSON") from None
        if isinstance(found, dict):
            return found
    return None


def _app(command: CliCommand) -> tuple[str, dict[str, str]]:
    """The application's name and the query that names its namespace (`NS/NAME` or -N)."""
    if len(command.args) != 1:
        raise NoPreview("only a single application, named, is previewed")
    name = command.args[0]
    namespace = command.value("app-namespace")
    if "/" in name:
        namespace, _, name = name.partition("/")
    return name, ({"appNamespace": namespace} if namespace else {})


async def argocd_preview(command: CliCommand, argocd: ArgoCD) -> Previewed:
    name, query = _app(command)
    app = await argocd.get(f"/api/v1/applications/{name}", query)
    managed = await argocd.get(f"/api/v1/applications/{name}/managed-resources", query)
    items = [item for item in (managed or {}).get("items") or [] if isinstance(item, dict)]
    if command.verb == ("app", "delete"):
        if command.value("cascade") == "false":
            return Previewed(Preview(summary="0 changed, 0 created, 0 deleted"))
        gone = [live for item in items if (live := _state(item, "liveState")) is not None]
        return Previewed(
            Preview(summary=summary([change(obj, None) for obj in gone]), diff=_names(gone)),
            (Undo(None, note=f"a deleted application ({name}) is created again from its source"),),
        )
    if command.has("resource") or command.has("label") or command.bool_flag("dry-run"):
        raise NoPreview("a sync of some resources, or a dry run, is not previewed")
    prune = command.bool_flag("prune")
    changes = []
    for item in items:
        live = _state(item, "normalizedLiveState", "liveState")
        target = _state(item, "predictedLiveState", "targetState")
        if target is None and not prune:
            continue  # not in git any more, and left alone without --prune
        if live is None and target is None:
            continue
        changes.append(change(live, target))
    history = ((app or {}).get("status") or {}).get("history") or []
    undo: tuple[Undo, ...] = ()
    if history and "id" in history[-1]:
        undo = (Undo(f"argocd app rollback {command.args[0]} {history[-1]['id']}"),)
    return Previewed(Preview(summary=summary(changes), diff=diff_text(changes)), undo)


def _names(objects: list[dict[str, Any]]) -> str:
    lines = []
    for obj in objects:
        metadata = obj.get("metadata") or {}
        where = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
        lines.append(f"- {obj.get('kind')} {where}{metadata.get('name')}\n")
    return "".join(lines)
