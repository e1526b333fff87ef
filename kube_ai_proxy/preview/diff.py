"""What a write changes, object by object, as `kubectl diff` shows it: a unified diff of the live
object against what the API server's dry run returned, without what the server keeps for
itself (status, managedFields, resourceVersion, generation...).

A Secret's values never appear: each key of its `data` is shown as `(hidden)`, and
`(hidden) changed` on the new side when its value changes. kubectl's last-applied annotation
is left out too, since it is a copy of the object as applied, Secret values included.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml

# What the server sets on every write, which says nothing about what the write changes.
SERVER_METADATA = (
    "managedFields",
    "resourceVersion",
    "generation",
    "uid",
    "creationTimestamp",
    "selfLink",
)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_HIDDEN = "(hidden)"

Action = Literal["created", "changed", "deleted", "unchanged"]


@dataclass(frozen=True)
class Change:
    """One object's change."""

    kind: str
    namespace: str | None
    name: str
    action: Action
    diff: str  # unified, empty when unchanged

    @property
    def label(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


def _comparable(obj: Mapping[str, Any], secret_keys: Mapping[str, str]) -> dict[str, Any]:
    shown = copy.deepcopy(dict(obj))
    shown.pop("status", None)
    metadata = shown.get("metadata") or {}
    for name in SERVER_METADATA:
        metadata.pop(name, None)
    annotations = metadata.get("annotations") or {}
    annotations.pop(LAST_APPLIED, None)
    if not annotations:
        metadata.pop("annotations", None)
    if shown.get("kind") == "Secret":
        shown.pop("stringData", None)
        if secret_keys:
            shown["data"] = dict(secret_keys)
        else:
            shown.pop("data", None)
    return shown


def _secret_keys(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Each side's Secret keys, their values replaced by whether they change."""
    # A chart renders `stringData` as often as `data`: both are the Secret's keys.
    old = {**((before or {}).get("data") or {}), **((before or {}).get("stringData") or {})}
    new = {**((after or {}).get("data") or {}), **((after or {}).get("stringData") or {})}
    if (after or before or {}).get("kind") != "Secret":
        return {}, {}
    return (
        {key: _HIDDEN for key in old},
        # Unchanged, a key reads the same on both sides: the diff marks only what changes.
        {
            key: _HIDDEN if key in old and old[key] == value else f"{_HIDDEN} changed"
            for key, value in new.items()
        },
    )


def _yaml(obj: Mapping[str, Any] | None) -> list[str]:
    if obj is None:
        return []
    text = yaml.safe_dump(obj, sort_keys=True, default_flow_style=False)
    return text.splitlines(keepends=True)


def change(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> Change:
    """The change from `before` (the live object; None: it does not exist) to `after` (the dry
    run's; None: the write deletes it)."""
    subject = after or before
    if subject is None:
        raise ValueError("a change needs an object before or after it")
    metadata = subject.get("metadata") or {}
    old_keys, new_keys = _secret_keys(before, after)
    old = _comparable(before, old_keys) if before is not None else None
    new = _comparable(after, new_keys) if after is not None else None
    action: Action = (
        "created"
        if old is None
        else "deleted"
        if new is None
        else "unchanged"
        if old == new
        else "changed"
    )
    kind = str(subject.get("kind", ""))
    namespace = metadata.get("namespace")
    name = str(metadata.get("name", ""))
    path = f"{kind}/{namespace + '/' if namespace else ''}{name}"
    diff = ""
    if action != "unchanged":
        diff = "".join(
            difflib.unified_diff(_yaml(old), _yaml(new), f"live/{path}", f"after/{path}", n=3)
        )
    return Change(kind, namespace, name, action, diff)


def summary(changes: Sequence[Change], also_deleted: int = 0) -> str:
    """`2 changed, 1 created, 0 deleted` (and how many stay as they are, when any do);
    `also_deleted`: objects that go besides `changes` (a drain's pods)."""
    counts = {action: 0 for action in ("changed", "created", "deleted", "unchanged")}
    counts["deleted"] += also_deleted
    for each in changes:
        counts[each.action] += 1
    text = f"{counts['changed']} changed, {counts['created']} created, {counts['deleted']} deleted"
    return text + (f", {counts['unchanged']} unchanged" if counts["unchanged"] else "")


def diff_text(changes: Sequence[Change]) -> str:
    return "".join(each.diff for each in changes)
