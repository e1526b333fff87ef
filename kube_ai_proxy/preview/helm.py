"""What a helm write would change, before it happens: the deployed revision's manifest and values
against the new ones, resource by resource, as helm-diff shows it.

- `install` and `upgrade`: the command itself with `--dry-run=server -o json` (helm renders
  the chart against the cluster, lookups included, and installs nothing), against what `helm
  get manifest` and `helm get values` say is deployed (nothing, for a new release).
- `rollback REL N`: revision N's manifest and values against the deployed ones (N omitted or
  0: the revision before the deployed one).
- `uninstall`: the deployed manifest's resources, all going.

Values whose key names a credential (`password`, `token`...) are shown as `(hidden)`, and
`(hidden) changed` when they change, as a Secret's data is.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import yaml

from kube_ai_proxy.output.redact import secret_looking
from kube_ai_proxy.parse.command import CliCommand, Flag
from kube_ai_proxy.preview import NoPreview
from kube_ai_proxy.preview.diff import change, diff_text, summary
from kube_ai_proxy.preview.kubectl import Run
from kube_ai_proxy.preview.undo import Previewed, Undo, helm_rollback, helm_uninstall
from kube_ai_proxy.result import Preview

HELM_PREVIEWED = frozenset({("install",), ("upgrade",), ("rollback",), ("uninstall",)})
# The flags the helper commands (helm get, helm history) share with the command.
_WHERE = ("namespace", "kube-context")
_HIDDEN = "(hidden)"

Manifest = dict[tuple[str, str, str], dict[str, Any]]


def _helper(command: CliCommand, verb: tuple[str, ...], release: str, *flags: Flag) -> CliCommand:
    kept = tuple(flag for flag in command.flags if flag.name in _WHERE)
    return CliCommand("helm", verb, (*kept, *flags), (release,))


# Kinds a chart commonly renders that live in no namespace.
_CLUSTER_KINDS = frozenset(
    {
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "Namespace",
        "PersistentVolume",
        "PriorityClass",
        "StorageClass",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "IngressClass",
    }
)


def _objects(manifest: str, namespace: str) -> Manifest:
    """A rendered manifest's objects by (kind, namespace, name); a namespaced object without
    one is in the release's namespace, and says so."""
    found: Manifest = {}
    for document in yaml.safe_load_all(manifest or ""):
        if not isinstance(document, dict) or "kind" not in document:
            continue
        kind = str(document["kind"])
        metadata = document.setdefault("metadata", {})
        if kind not in _CLUSTER_KINDS:
            metadata.setdefault("namespace", namespace)
        found[(kind, str(metadata.get("namespace", "")), str(metadata.get("name")))] = document
    return found


async def _deployed(
    run: Run, command: CliCommand, release: str, revision: str | None = None
) -> tuple[str, dict[str, Any]] | None:
    """A revision's manifest and user-supplied values (the deployed one by default); None when
    the release does not exist."""
    at = (Flag("revision", revision),) if revision else ()
    try:
        manifest = await run(_helper(command, ("get", "manifest"), release, *at))
    except NoPreview as exc:
        if "not found" in str(exc):
            return None
        raise
    printed = await run(_helper(command, ("get", "values"), release, Flag("output", "json"), *at))
    values = json.loads(printed or "{}") or {}
    return manifest, values if isinstance(values, dict) else {}


async def _revisions(run: Run, command: CliCommand, release: str) -> list[int]:
    """The release's revisions, oldest first."""
    printed = await run(_helper(command, ("history",), release, Flag("output", "json")))
    return sorted(int(entry["revision"]) for entry in json.loads(printed) if "revision" in entry)


def _masked(before: Any, after: Any) -> tuple[Any, Any]:
    """Both values trees with the values of credential-looking keys hidden, and said on the
    after side to change when they do."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return _hidden_in(before), _hidden_in(after)
    old_out, new_out = {}, {}
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        if secret_looking(key) and not isinstance(old if key in before else new, dict):
            same = key in before and old == new
            old_out[key], new_out[key] = _HIDDEN, _HIDDEN if same else f"{_HIDDEN} changed"
        else:
            old_out[key], new_out[key] = _masked(old, new)
        if key not in before:
            del old_out[key]
        if key not in after:
            del new_out[key]
    return old_out, new_out


def _hidden_in(value: Any) -> Any:
    """One side alone (the other has no tree here): its credentials hidden."""
    if isinstance(value, dict):
        return {
            key: _HIDDEN if secret_looking(key) and not isinstance(item, dict) else _hidden_in(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_hidden_in(item) for item in value]
    return value


def _values_diff(release: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    old, new = _masked(dict(before), dict(after))
    if old == new:
        return ""
    lines = [yaml.safe_dump(side, sort_keys=True).splitlines(keepends=True) for side in (old, new)]
    return "".join(
        difflib.unified_diff(
            lines[0], lines[1], f"live/values/{release}", f"after/values/{release}"
        )
    )


def _compared(
    release: str,
    before: tuple[str, dict[str, Any]] | None,
    after: tuple[str, dict[str, Any]] | None,
    namespace: str,
) -> Preview:
    old = _objects(before[0], namespace) if before else {}
    new = _objects(after[0], namespace) if after else {}
    changes = [change(old.get(key), new.get(key)) for key in sorted(old.keys() | new.keys())]
    values = _values_diff(release, before[1] if before else {}, after[1] if after else {})
    return Preview(summary=summary(changes), diff=diff_text(changes) + values)


async def helm_preview(
    command: CliCommand, run: Run, namespace: str, context: str | None
) -> Previewed:
    """What `command` would change, and how to revert it: `run` runs a helm command and
    returns what it printed (or raises NoPreview with helm's error); `namespace` is the
    release's, `context` the command's."""
    verb, args = command.verb, command.args
    if command.has("generate-name") or not args:
        raise NoPreview("the release's name is generated when it installs")
    release = args[0]
    deployed = await _deployed(run, command, release)
    revisions = await _revisions(run, command, release) if deployed is not None else []
    back = (helm_rollback(release, revisions[-1], namespace, context),) if revisions else ()
    if verb == ("uninstall",):
        if not command.bool_flag("keep-history"):
            back = (
                Undo(
                    None,
                    note=f"helm uninstall removes release {release} with its history: "
                    "install it again from its chart to revert",
                ),
            )
        return Previewed(_compared(release, deployed, None, namespace), back)
    if verb == ("rollback",):
        if deployed is None:
            raise NoPreview(f"release {release} is not deployed")
        target = args[1] if len(args) > 1 and args[1] != "0" else None
        if target is None and len(revisions) < 2:
            raise NoPreview(f"release {release} has no revision before the deployed one")
        revision = target or str(revisions[-2])
        wanted = await _deployed(run, command, release, revision)
        return Previewed(_compared(release, deployed, wanted, namespace), back)
    kept = tuple(f for f in command.flags if f.name not in ("dry-run", "output"))
    dry = replace(command, flags=(*kept, Flag("dry-run", "server"), Flag("output", "json")))
    rendered = json.loads(await run(dry))
    after = (str(rendered.get("manifest") or ""), dict(rendered.get("config") or {}))
    if deployed is None:
        back = (helm_uninstall(release, namespace, context),)
    return Previewed(_compared(release, deployed, after, namespace), back)
