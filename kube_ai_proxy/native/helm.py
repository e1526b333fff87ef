"""`helm list`, `status`, `history` and `get values|manifest|notes`, answered through pyhelm3.

pyhelm3 runs helm with `--output json` (exec'd by the CLI runner, never a shell: see
adapters/helm.py) and the answer is printed here as helm 3.22 prints it: the tables through
gosuri/uitable (cells padded to the column's width, columns joined by a tab), the status text,
JSON as Go's encoder writes it (compact, HTML characters escaped), YAML as sigs.k8s.io/yaml
writes it (go-yaml v2: keys in its natural order, strings quoted only when they would read
back as something else). `data` holds helm's JSON: the releases, the release, the history, the
values, the manifest's documents, the notes. Values and manifests are redacted unless
K8S_MCP_ALLOW_SECRETS is set.

What cannot be printed exactly goes to the helm CLI: other flags (`--debug`, `--show-resources`,
ints not written in plain decimal), a table cell uitable would measure differently (anything but
printable ASCII), a YAML string go-yaml escapes differently (NEL, the Unicode line separators,
characters outside the Basic Multilingual Plane), a dry-run release.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pyhelm3.errors
import yaml

from adapters.errors import BackendError
from adapters.helm import HelmClient
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.json import go_json
from kube_ai_proxy.gofmt.text import GO_SPACE
from kube_ai_proxy.gofmt.times import ansic
from kube_ai_proxy.gofmt.uitable import uitable
from kube_ai_proxy.gofmt.yaml import go_yaml
from kube_ai_proxy.native.base import ANY, SWITCH, FlagRule, NativeAnswer, NativeContext, serves
from kube_ai_proxy.output.budget import oversize_hint
from kube_ai_proxy.output.redact import (
    redact_helm_release,
    redact_object,
    redact_values,
    redact_yaml_text,
)
from kube_ai_proxy.parse.command import CliCommand
from kube_ai_proxy.result import ErrorCode

_OUTPUT = FlagRule(frozenset({"table", "json", "yaml"}))
_GLOBAL = {"namespace": ANY, "kube-context": ANY}
# Flags whose value helm reads as an int (pflag: strconv.ParseInt with base 0).
_INT_FLAGS = ("max", "offset", "revision")

FLAGS: Mapping[tuple[str, ...], Mapping[str, FlagRule]] = {
    ("list",): {
        **_GLOBAL,
        "all-namespaces": SWITCH,
        "all": SWITCH,
        "deployed": SWITCH,
        "failed": SWITCH,
        "pending": SWITCH,
        "superseded": SWITCH,
        "uninstalled": SWITCH,
        "uninstalling": SWITCH,
        "date": SWITCH,
        "reverse": SWITCH,
        "short": SWITCH,
        "no-headers": SWITCH,
        "max": ANY,
        "offset": ANY,
        "filter": ANY,
        "selector": ANY,
        "time-format": ANY,
        "output": _OUTPUT,
    },
    ("status",): {**_GLOBAL, "revision": ANY, "show-desc": SWITCH, "output": _OUTPUT},
    ("history",): {**_GLOBAL, "max": ANY, "output": _OUTPUT},
    ("get", "values"): {**_GLOBAL, "revision": ANY, "all": SWITCH, "output": _OUTPUT},
    ("get", "manifest"): {**_GLOBAL, "revision": ANY},
    ("get", "notes"): {**_GLOBAL, "revision": ANY},
}

# A decimal int as pflag reads it; other spellings (0x10, 010, 1_0, +1) go to helm.
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]{0,17})")


class CannotRedact(Exception):
    """A manifest that is not YAML to PyYAML: its Secrets cannot be found to be redacted."""


def _redacted_manifest(text: str) -> str:
    redacted = redact_yaml_text(text)
    if redacted is None:
        raise CannotRedact
    return redacted


def can_serve(command: CliCommand) -> bool:
    flags = FLAGS.get(command.verb)
    if command.tool != "helm" or flags is None or not serves(command, flags):
        return False
    if command.verb == ("list",):
        if command.args:
            return False
    elif len(command.args) != 1 or command.args[0].startswith("-"):
        return False
    for name in _INT_FLAGS:
        value = command.value(name)
        if command.has(name) and (value is None or not _DECIMAL.fullmatch(value)):
            return False
    offset = command.value("offset")
    # helm slices its list with a negative offset and panics.
    if offset is not None and int(offset) < 0:
        return False
    # An empty --kube-context means helm's current context, not the server's.
    return not (command.has("kube-context") and not command.value("kube-context"))


# --- the commands ------------------------------------------------------------------------------


def _namespace(command: CliCommand) -> str | None:
    # Without -n helm picks the namespace itself (HELM_NAMESPACE, the context's), as the CLI.
    return command.value("namespace") or None


def _int(command: CliCommand, name: str, default: int) -> int:
    value = command.value(name)
    return int(value) if value else default


async def fetch(command: CliCommand, client: HelmClient) -> Any:
    """helm's JSON for the command: the releases (list), the history, the values (as pyhelm3
    reads them: {} for helm's null), or the release (status, get manifest, get notes)."""
    verb = command.verb
    namespace = _namespace(command)
    if verb == ("list",):
        return await client.releases(
            namespace=namespace,
            all_namespaces=command.bool_flag("all-namespaces"),
            all_states=command.bool_flag("all"),
            deployed=command.bool_flag("deployed"),
            failed=command.bool_flag("failed"),
            pending=command.bool_flag("pending"),
            superseded=command.bool_flag("superseded"),
            uninstalled=command.bool_flag("uninstalled"),
            uninstalling=command.bool_flag("uninstalling"),
            by_date=command.bool_flag("date"),
            reverse=command.bool_flag("reverse"),
            max_releases=_int(command, "max", 256),
            offset=_int(command, "offset", 0),
            name_filter=command.value("filter"),
            selector=command.value("selector"),
            time_format=command.value("time-format"),
        )
    name = command.args[0]
    if verb == ("history",):
        return await client.history(
            name, namespace=namespace, max_revisions=_int(command, "max", 256)
        )
    revision = _int(command, "revision", 0)
    if verb == ("get", "values"):
        return await client.values(
            name, namespace=namespace, revision=revision, computed=command.bool_flag("all")
        )
    return await client.release(name, namespace=namespace, revision=revision)


Rendered = tuple[str, dict[str, Any]]


def render(command: CliCommand, fetched: Any, *, allow_secrets: bool) -> Rendered:
    """What helm prints for the command, and the data behind it, from helm's JSON (`fetch`).
    Raises Defer when helm's printing is not reproduced for this answer."""
    verb = command.verb
    fmt = command.value("output") or "table"
    if verb == ("list",):
        return _list(command, fetched, fmt)
    if verb == ("history",):
        return _history(fetched, fmt)
    if verb == ("get", "values"):
        return _values(command, fetched, fmt, allow_secrets)
    if verb == ("get", "manifest"):
        return _manifest(fetched, allow_secrets)
    if verb == ("get", "notes"):
        notes = str((fetched.get("info") or {}).get("notes", ""))
        return (f"NOTES:\n{notes}\n" if notes else ""), {"notes": notes}
    return _status(command, fetched, fmt, allow_secrets)


def _encoded(fmt: str, value: Any) -> str:
    return go_json(value) + "\n" if fmt == "json" else go_yaml(value)


_LIST_HEADER = ["NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"]
_LIST_KEYS = ("name", "namespace", "revision", "updated", "status", "chart", "app_version")
_HISTORY_HEADER = ["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"]


def _list(command: CliCommand, releases: list[dict[str, Any]], fmt: str) -> Rendered:
    data = {"releases": releases}
    if command.bool_flag("short"):
        names = [release["name"] for release in releases]
        if fmt == "table":
            return "".join(f"{name}\n" for name in names), data
        return _encoded(fmt, names), data
    if fmt != "table":
        return _encoded(fmt, releases), data
    rows = [] if command.bool_flag("no-headers") else [_LIST_HEADER]
    rows += [[str(release.get(key, "")) for key in _LIST_KEYS] for release in releases]
    return uitable(rows), data


def _history(entries: list[dict[str, Any]], fmt: str) -> Rendered:
    data = {"history": entries}
    if fmt != "table":
        return _encoded(fmt, entries), data
    rows = [_HISTORY_HEADER]
    for entry in entries:
        rows.append(
            [
                str(entry.get("revision", 0)),
                ansic(entry.get("updated", "")),
                entry.get("status", ""),
                entry.get("chart", ""),
                entry.get("app_version", ""),
                entry.get("description", ""),
            ]
        )
    return uitable(rows), data


def redacted_release(release: dict[str, Any]) -> dict[str, Any]:
    """The release with its values and manifests redacted: the config and the manifest
    (output.redact.redact_helm_release), and the hooks' manifests, which may hold Secrets too."""
    redacted: dict[str, Any] = redact_helm_release(release)
    if isinstance(release.get("manifest"), str):
        redacted["manifest"] = _redacted_manifest(release["manifest"])
    hooks = redacted.get("hooks")
    if isinstance(hooks, list):
        redacted["hooks"] = [
            {**hook, "manifest": _redacted_manifest(hook["manifest"])}
            if isinstance(hook, dict) and isinstance(hook.get("manifest"), str)
            else hook
            for hook in hooks
        ]
    return redacted


def _status_text(release: dict[str, Any], show_description: bool) -> str:
    """statusPrinter.WriteTable, without --show-resources and --debug."""
    info = release.get("info") or {}
    lines = [f"NAME: {release.get('name', '')}"]
    if info.get("last_deployed"):
        lines.append(f"LAST DEPLOYED: {ansic(info['last_deployed'])}")
    lines.append(f"NAMESPACE: {release.get('namespace', '')}")
    lines.append(f"STATUS: {info.get('status', '')}")
    lines.append(f"REVISION: {release.get('version', 0)}")
    if show_description:
        lines.append(f"DESCRIPTION: {info.get('description', '')}")
    hooks = release.get("hooks") or []
    tests = [hook for hook in hooks if "test" in (hook.get("events") or [])]
    if not tests:
        lines.append("TEST SUITE: None")
    for hook in tests:
        last_run = hook.get("last_run") or {}
        if not last_run.get("started_at"):
            continue  # never run: helm prints nothing for it
        lines.append(f"TEST SUITE:     {hook.get('name', '')}")
        lines.append(f"Last Started:   {ansic(last_run['started_at'])}")
        lines.append(f"Last Completed: {ansic(last_run.get('completed_at', ''))}")
        lines.append(f"Phase:          {last_run.get('phase', '')}")
    text = "".join(f"{line}\n" for line in lines)
    notes = info.get("notes") or ""
    if notes:
        text += f"NOTES:\n{notes.strip(GO_SPACE)}\n"
    return text


def _status(
    command: CliCommand, release: dict[str, Any], fmt: str, allow_secrets: bool
) -> Rendered:
    info = release.get("info") or {}
    if str(info.get("description", "")).casefold() == "dry run complete":
        raise Defer("helm prints a dry run's hooks and manifest")
    shown = release if allow_secrets else redacted_release(release)
    if fmt != "table":
        return _encoded(fmt, shown), shown
    return _status_text(release, command.bool_flag("show-desc")), shown


def _values(
    command: CliCommand, fetched: dict[str, Any], fmt: str, allow_secrets: bool
) -> Rendered:
    computed = command.bool_flag("all")
    # A release without user-supplied values has none stored (`config` is omitted when
    # empty): helm prints `null`, which pyhelm3 reads as {}. Computed values are a map.
    values = fetched if fetched or computed else None
    shown = values if allow_secrets else redact_values(values)
    data = {"values": shown or {}}
    if fmt != "table":
        return _encoded(fmt, shown), data
    header = "COMPUTED VALUES:\n" if computed else "USER-SUPPLIED VALUES:\n"
    return header + go_yaml(shown), data


def manifest_documents(manifest: str) -> list[Any]:
    try:
        return [doc for doc in yaml.safe_load_all(manifest) if doc is not None]
    except yaml.YAMLError:
        return []


def _manifest(release: dict[str, Any], allow_secrets: bool) -> Rendered:
    manifest = str(release.get("manifest", ""))
    documents = manifest_documents(manifest)
    if not allow_secrets:
        manifest = _redacted_manifest(manifest)
        documents = [redact_object(doc) for doc in documents]
    return manifest + "\n", {"manifest": documents}


_HINTS: Mapping[tuple[str, ...], str] = {
    ("list",): "narrow it with -n, --filter, --selector or --max/--offset",
    ("history",): "narrow it with --max",
    ("status",): "read its parts with `helm get values` and `helm get manifest`",
    ("get", "values"): "add | grep or | head -n N",
    ("get", "manifest"): "add | grep or | head -n N",
    ("get", "notes"): "add | head -n N",
}


def _helm_error(exc: pyhelm3.errors.Error) -> NativeAnswer:
    stderr = bytes(exc.stderr).decode("utf-8", "replace").strip()
    code: ErrorCode = "cli_error"
    if isinstance(exc, pyhelm3.errors.ReleaseNotFoundError):
        code = "not_found"
    elif isinstance(exc, pyhelm3.errors.ConnectionError) or "cluster unreachable" in stderr:
        code = "unavailable"
    return NativeAnswer("", None, exit_code=int(exc.returncode), stderr=stderr, error_code=code)


async def native_helm(command: CliCommand, ctx: NativeContext) -> NativeAnswer:
    if ctx.helm is None:
        raise Defer("no helm client for this call")
    try:
        fetched = await fetch(command, await ctx.helm())
        text, data = render(command, fetched, allow_secrets=ctx.allow_secrets)
    except pyhelm3.errors.Error as exc:
        return _helm_error(exc)
    except BackendError as exc:
        return NativeAnswer("", None, exit_code=1, stderr=exc.message, error_code=exc.code)
    except CannotRedact:
        return NativeAnswer(
            "",
            None,
            exit_code=1,
            stderr="the release's manifest could not be read as YAML to find its Secret "
            "values, so the answer is withheld (K8S_MCP_ALLOW_SECRETS is off); "
            "`helm get values` and `helm history` still answer",
            error_code="api_error",
        )
    hint = oversize_hint(text, lambda: len(go_json(data)), ctx.budget, _HINTS[command.verb])
    return NativeAnswer(text, data if hint is None else None, truncated=hint is not None, next=hint)
