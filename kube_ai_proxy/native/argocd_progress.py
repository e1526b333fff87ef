"""What an Argo CD application's operation is doing, in one line, for the progress
notifications of the commands that wait on the controller (`app sync`, `app wait`,
`app rollback`, `app delete`) while the argocd CLI runs them.

The CLI prints its own progress only when it is done; the application's status (the sync
operation's phase and message, how many of its resources are done, sync and health) is what
the controller writes as it goes, read here with the same GET as the native `app get`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from adapters.argocd import ArgoCD
from adapters.errors import BackendError
from kube_ai_proxy.parse.command import CliCommand

WATCHED = frozenset({("app", "sync"), ("app", "wait"), ("app", "rollback"), ("app", "delete")})
# More applications than this in one command: the first ones are reported.
MAX_APPS = 3
# A status read that takes longer than this is skipped: the next tick tries again.
READ_SECONDS = 2.0
_DONE = frozenset({"Synced", "Pruned", "PruneSkipped"})
_HOOK_DONE = frozenset({"Succeeded", "Failed", "Error"})


def watched_apps(command: CliCommand) -> list[tuple[str, str]]:
    """(name, app namespace) of the applications the command names; none for a selector."""
    if command.tool != "argocd" or command.verb not in WATCHED:
        return []
    # `app rollback NAME [ID]`: the second word is a history id.
    names = command.args[:1] if command.verb == ("app", "rollback") else command.args
    default_namespace = command.value("app-namespace") or ""
    apps = []
    for qualified in names[:MAX_APPS]:
        namespace, _, name = qualified.rpartition("/")
        apps.append((name, namespace or default_namespace))
    return apps


def describe(name: str, app: Any) -> str:
    """`NAME: operation Running (1/3 resources done): message; sync OutOfSync, health
    Progressing`, from the application's status."""
    if not isinstance(app, dict):
        app = {}
    status = app.get("status") or {}
    sync = (status.get("sync") or {}).get("status") or "Unknown"
    health = (status.get("health") or {}).get("status") or "Unknown"
    parts = []
    if (app.get("metadata") or {}).get("deletionTimestamp"):
        parts.append("being deleted")
    operation = status.get("operationState") or {}
    phase = operation.get("phase")
    if phase:
        text = f"operation {phase}"
        resources = (operation.get("syncResult") or {}).get("resources") or []
        if resources:
            done = sum(
                1
                for resource in resources
                if resource.get("status") in _DONE or resource.get("hookPhase") in _HOOK_DONE
            )
            text += f" ({done}/{len(resources)} resources done)"
        message = " ".join(str(operation.get("message") or "").split())
        parts.append(f"{text}: {message}" if message else text)
    parts.append(f"sync {sync}, health {health}")
    return f"{name}: " + "; ".join(parts)


async def _one(argocd: ArgoCD, name: str, namespace: str) -> str:
    params = {"appNamespace": namespace} if namespace else {}
    try:
        async with asyncio.timeout(READ_SECONDS):
            app = await argocd.get(f"/api/v1/applications/{quote(name, safe='')}", params)
    except TimeoutError:
        return f"{name}: status not read in time"
    except BackendError as error:
        if error.code in ("not_found", "rbac_denied"):
            # Argo CD answers 403 for an application that does not exist (or no longer does).
            return f"{name}: not found (deleted, or not readable)"
        return f"{name}: status not read ({error.code})"
    return describe(name, app)


def status_reader(
    command: CliCommand, argocd: ArgoCD | None
) -> Callable[[], Awaitable[str]] | None:
    """A reader of the named applications' status for the progress messages of `command`,
    or None when it waits on nothing this can read."""
    apps = watched_apps(command)
    if argocd is None or not apps:
        return None

    async def read() -> str:
        return "; ".join([await _one(argocd, name, namespace) for name, namespace in apps])

    return read
