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

ARGOCD_PREVIEWED = frozenset({("app", "sync"), ("app", "delete"), ("app", "rollback")})


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
    if not command.args or (len(command.args) > 1 and command.verb != ("app", "rollback")):
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
    history = ((app or {}).get("status") or {}).get("history") or []
    if command.verb == ("app", "rollback"):
        return await _rollback_preview(command, argocd, name, query, items, history)
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
    undo: tuple[Undo, ...] = ()
    if history and "id" in history[-1]:
        undo = (Undo(f"argocd app rollback {command.args[0]} {history[-1]['id']}"),)
    return Previewed(Preview(summary=summary(changes), diff=diff_text(changes)), undo)


async def _rollback_preview(
    command: CliCommand,
    argocd: ArgoCD,
    name: str,
    query: dict[str, str],
    items: list[dict[str, Any]],
    history: list[dict[str, Any]],
) -> Previewed:
    """`app rollback APP [ID]`: the manifests of history entry ID (omitted or 0: the one
    before the deployed one) against what is live."""
    wanted = command.args[1] if len(command.args) > 1 and command.args[1] != "0" else None
    if wanted is None:
        if len(history) < 2:
            raise NoPreview(f"application {name} has no deployment before the current one")
        entry = history[-2]
    else:
        entry = next((e for e in history if str(e.get("id")) == wanted), {})
    revision = entry.get("revision")
    if not revision:
        raise NoPreview(f"application {name} has no history entry {wanted}")
    rendered = await argocd.get(
        f"/api/v1/applications/{name}/manifests", {**query, "revision": str(revision)}
    )
    target = {}
    for text in (rendered or {}).get("manifests") or []:
        obj = json.loads(text)
        metadata = obj.get("metadata") or {}
        target[(obj.get("kind"), metadata.get("name"))] = obj
    changes = []
    for item in items:
        live = _state(item, "normalizedLiveState", "liveState")
        wanted_obj = target.pop((item.get("kind"), item.get("name")), None)
        if wanted_obj is not None and live is not None:
            # The target renders without the namespace Argo CD puts it in.
            wanted_obj.setdefault("metadata", {}).setdefault(
                "namespace", (live.get("metadata") or {}).get("namespace")
            )
        if wanted_obj is not None:
            changes.append(change(_projected(live, wanted_obj), wanted_obj))
        elif live is not None:
            changes.append(change(live, live))  # not in that revision: left as it is
    changes += [change(None, obj) for obj in target.values()]
    undo: tuple[Undo, ...] = ()
    if history and "id" in history[-1]:
        undo = (Undo(f"argocd app rollback {command.args[0]} {history[-1]['id']}"),)
    return Previewed(Preview(summary=summary(changes), diff=diff_text(changes)), undo)


def _projected(live: Any, target: Any) -> Any:
    """`live` cut to what `target` sets: a revision's manifest is applied over the live object,
    so what it does not set (defaults, what controllers added) stays as it is."""
    if isinstance(live, dict) and isinstance(target, dict):
        return {key: _projected(live[key], target[key]) for key in target if key in live}
    if isinstance(live, list) and isinstance(target, list) and len(live) == len(target):
        return [_projected(item, wanted) for item, wanted in zip(live, target, strict=True)]
    return live


def _names(objects: list[dict[str, Any]]) -> str:
    lines = []
    for obj in objects:
        metadata = obj.get("metadata") or {}
        where = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
        lines.append(f"- {obj.get('kind')} {where}{metadata.get('name')}\n")
    return "".join(lines)
