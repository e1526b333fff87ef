"""Secret values never leave the server (DESIGN invariant 7) unless K8S_MCP_ALLOW_SECRETS is set.

Secrets are redacted where they appear as data: Secret objects in JSON and YAML (single objects,
lists, multi-document manifests, helm's rendered manifests), the last-applied-configuration
annotation that copies them, values under secret-looking keys in helm values, and secret-looking
arguments in the audit log. Output formats that pick fields out of objects (jsonpath,
go-template, custom-columns) cannot be redacted after the fact, so they are refused for
commands that may print a Secret.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from kube_ai_proxy.errors import CommandError, denied
from kube_ai_proxy.parse.command import CliCommand

REDACTED = "REDACTED"
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Keys in helm values that hold credentials.
_SECRET_KEY = re.compile(
    r"(passw(or)?d|secret|token|api[-_]?key|credential|private[-_]?key|auth[-_]?key|"
    r"client[-_]?key|access[-_]?key|session[-_]?key|\bpwd\b|\bpass\b)",
    re.IGNORECASE,
)


def is_secret(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == "Secret"


def redact_object(obj: Any) -> Any:
    """A copy of `obj` with every Secret's values replaced, wherever it sits (lists, Tables,
    nested items). Non-secret content is unchanged."""
    if isinstance(obj, list):
        return [redact_object(item) for item in obj]
    if not isinstance(obj, dict):
        return obj
    if is_secret(obj):
        return _redact_secret(obj)
    if obj.get("kind") == "SecretList" and isinstance(obj.get("items"), list):
        # The API's list items carry no `kind` of their own.
        return {
            **obj,
            "items": [_redact_secret(i) if isinstance(i, dict) else i for i in obj["items"]],
        }
    return {key: redact_object(value) for key, value in obj.items()}


def _redact_secret(secret: dict[str, Any]) -> dict[str, Any]:
    copy = dict(secret)
    for field in ("data", "stringData"):
        if isinstance(copy.get(field), dict):
            copy[field] = dict.fromkeys(copy[field], REDACTED)
    metadata = copy.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("annotations"), dict):
        annotations = dict(metadata["annotations"])
        if _LAST_APPLIED in annotations:
            annotations[_LAST_APPLIED] = REDACTED
        copy["metadata"] = {**metadata, "annotations": annotations}
    return copy


def contains_secret(obj: Any) -> bool:
    if isinstance(obj, list):
        return any(contains_secret(item) for item in obj)
    if isinstance(obj, dict):
        return (
            is_secret(obj)
            or obj.get("kind") == "SecretList"
            or any(contains_secret(v) for v in obj.values())
        )
    return False


def _json_stream(text: str) -> list[Any] | None:
    """The JSON documents of `text`, one after another (`kubectl get -w -o json`, the API
    server's watch events); None when it is not such a stream."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos == end:
            return values or None
        try:
            value, pos = decoder.raw_decode(text, pos)
        except ValueError:
            return None
        values.append(value)


def _too_deep() -> CommandError:
    # Python's parsers recurse: an object nested thousands deep (a custom resource can be)
    # cannot be read, so it cannot be checked either.
    return CommandError(
        "cli_error",
        "the output is nested too deeply to be checked for Secret values, so none of it is "
        "returned; narrow the command (a name, -l, -o name).",
    )


def redact_json_text(text: str) -> str | None:
    """kubectl's `-o json` output, redacted; None when the text is not JSON."""
    try:
        values = [json.loads(text)]
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        # Several documents in a row (watch output) are no JSON document, but each holds
        # objects all the same.
        try:
            stream = _json_stream(text)
        except RecursionError:
            raise _too_deep() from None
        if stream is None:
            return None
        values = stream
    if not any(contains_secret(value) for value in values):
        return text
    return "".join(
        json.dumps(redact_object(value), indent=4, ensure_ascii=False) + "\n" for value in values
    )


def redact_yaml_text(text: str) -> str | None:
    """YAML documents (kubectl -o yaml, manifests), redacted; None when the text is not YAML.
    Documents without a Secret keep their text exactly."""
    chunks = re.split(r"(?m)^---[ \t]*$", text)
    out: list[str] = []
    changed = False
    for chunk in chunks:
        try:
            doc = yaml.safe_load(chunk)
        except yaml.YAMLError:
            return None
        except RecursionError:
            raise _too_deep() from None
        if contains_secret(doc):
            changed = True
            comments = "".join(line + "\n" for line in chunk.splitlines() if line.startswith("#"))
            rendered = yaml.safe_dump(
                redact_object(doc), default_flow_style=False, sort_keys=False, allow_unicode=True
            )
            out.append(("\n" if chunk.startswith("\n") else "") + comments + rendered)
        else:
            out.append(chunk)
    return "---".join(out) if changed else text


def redact_text(text: str) -> str | None:
    """JSON or YAML output with Secrets redacted; None when it is neither."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        redacted = redact_json_text(text)
        if redacted is not None:
            return redacted
    return redact_yaml_text(text)


def secret_looking(key: object) -> bool:
    """Whether a values key names a credential (`password`, `apiKey`, `token`...)."""
    return isinstance(key, str) and _SECRET_KEY.search(key) is not None


def redact_values(obj: Any) -> Any:
    """Helm values with the values of secret-looking keys replaced."""
    if isinstance(obj, list):
        return [redact_values(item) for item in obj]
    if not isinstance(obj, dict):
        return obj
    return {
        key: (
            REDACTED
            if secret_looking(key) and not isinstance(value, dict) and not _has_maps(value)
            else redact_values(value)
        )
        for key, value in obj.items()
    }


def _has_maps(value: Any) -> bool:
    """A list with maps in it is walked (its credential-looking keys redacted), not hidden
    whole; a list of plain values under a credential-looking key is hidden whole."""
    return isinstance(value, list) and any(isinstance(item, dict) for item in value)


def redact_helm_release(obj: Any) -> Any:
    """helm's JSON for a release (status/get all/history -o json): config values and the
    rendered manifest."""
    if isinstance(obj, list):
        return [redact_helm_release(item) for item in obj]
    if not isinstance(obj, dict):
        return obj
    copy = dict(obj)
    for field in ("config", "values"):
        if field in copy:
            copy[field] = redact_values(copy[field])
    if isinstance(copy.get("manifest"), str):
        copy["manifest"] = redact_yaml_text(copy["manifest"]) or copy["manifest"]
    if isinstance(copy.get("chart"), dict) and "values" in copy["chart"]:
        copy["chart"] = {**copy["chart"], "values": redact_values(copy["chart"]["values"])}
    return copy


# Flags whose value is a credential, and flags whose value is KEY=VALUE[,KEY=VALUE...].
_CREDENTIAL_FLAGS = frozenset({"--docker-password", "--password", "--token", "--auth-token"})
_KEY_VALUE_FLAGS = frozenset({"--set", "--set-string", "--set-json", "--set-literal"})


def _redact_word(word: str) -> str:
    name, eq, value = word.partition("=")
    if not eq:
        return word
    if name in _CREDENTIAL_FLAGS:
        return f"{name}={REDACTED}"
    if name == "--from-literal":  # the literal a Secret (or ConfigMap) is made from
        return f"{name}={value.partition('=')[0]}={REDACTED}"
    if name in _KEY_VALUE_FLAGS:
        pairs = []
        for pair in value.split(","):
            key, has_value, _ = pair.partition("=")
            pairs.append(f"{key}={REDACTED}" if has_value and _SECRET_KEY.search(key) else pair)
        return f"{name}={','.join(pairs)}"
    return word


def redact_argv_text(argvs: Sequence[Sequence[str]]) -> str:
    """A normalized command line, with credentials and secret-looking KEY=VALUE arguments
    replaced: what results and the audit log show of a command."""
    return " | ".join(shlex.join(_redact_word(w) for w in argv) for argv in argvs)


_RAW_CREDENTIAL = re.compile(
    r"(--(?:token|password|auth-token|kube-token|docker-password|from-literal)[= ]+)(\S+)"
)
_RAW_SECRET_PAIR = re.compile(
    r"(--set(?:-string|-json|-literal)?[= ]+\S*?(?:" + _SECRET_KEY.pattern + r")[\w.-]*=)([^,\s]+)",
    re.IGNORECASE,
)


def redact_command_line(text: str) -> str:
    """A command line as it was sent (not parsed: it may not parse), redacted the same way."""
    text = _RAW_CREDENTIAL.sub(lambda m: m.group(1) + REDACTED, text)
    return _RAW_SECRET_PAIR.sub(lambda m: m.group(1) + REDACTED, text)


# kubectl output formats that pick fields out of objects: no way to redact them afterwards.
_FIELD_FORMATS = frozenset(
    {
        "jsonpath",
        "jsonpath-file",
        "jsonpath-as-json",
        "go-template",
        "go-template-file",
        "template",
        "templatefile",
        "custom-columns",
        "custom-columns-file",
    }
)
_SECRET_TYPES = frozenset({"secret", "secrets"})
# Formats kubectl prints whole objects in. kubectl lowercases them (`-o JSON` is JSON); kyaml is
# the YAML subset of kubectl v1.34 and later.
_OBJECT_FORMATS = frozenset({"json", "yaml", "kyaml"})
_ALLOW_HINT = (
    "Secret values are never shown (K8S_MCP_ALLOW_SECRETS is off); use -o yaml or -o json, "
    "where they appear as REDACTED, or `kubectl describe secret` for their sizes"
)


def _may_name_secrets(command: CliCommand) -> bool:
    if command.values("filename") or command.has("raw"):
        return True
    if not command.args:
        return True
    first = command.args[0]
    kinds = (
        [a.split("/", 1)[0] for a in command.args if "/" in a] if "/" in first else first.split(",")
    )
    return any(kind.split(".", 1)[0].lower() in _SECRET_TYPES for kind in kinds)


def _helm_text(text: str) -> str:
    """helm's text output: the YAML after `MANIFEST:` (install --dry-run, get all) and after
    `USER-SUPPLIED VALUES:` / `COMPUTED VALUES:` is redacted; the rest is kept."""
    parts = re.split(
        r"(?m)^(MANIFEST:|USER-SUPPLIED VALUES:|COMPUTED VALUES:|HOOKS:|NOTES:)[ \t]*$", text
    )
    out = [parts[0]]
    for header, body in zip(parts[1::2], parts[2::2], strict=True):
        if header in ("MANIFEST:", "HOOKS:"):
            body = redact_yaml_text(body) or body
        elif header.endswith("VALUES:"):
            body = _values_text(body)
        out += [header, body]
    return "".join(out)


def _values_text(text: str) -> str:
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if not isinstance(values, dict):
        return text
    redacted = redact_values(values)
    if redacted == values:
        return text
    return "\n" + yaml.safe_dump(redacted, default_flow_style=False, sort_keys=False)


def _helm_structured(text: str, values_only: bool, fmt: str) -> str:
    """helm output in `fmt` (json, yaml, or table: helm's text)."""
    if fmt == "json":
        try:
            parsed = json.loads(text)
        except ValueError:
            return text
        redacted = redact_values(parsed) if values_only else redact_helm_release(parsed)
        return text if redacted == parsed else json.dumps(redacted) + "\n"
    if values_only:
        header, sep, body = text.partition("VALUES:")
        return header + sep + _values_text(body) if sep else _values_text(text)
    if fmt != "yaml":
        return _helm_text(text)
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        return _helm_text(text)
    if not isinstance(parsed, dict):
        return _helm_text(text)
    redacted = redact_helm_release(parsed)
    if redacted == parsed:
        return text
    return yaml.safe_dump(redacted, default_flow_style=False, sort_keys=False)


def kubectl_output_format(command: CliCommand) -> str:
    """The format kubectl prints in: `-o`'s name in lower case, or go-template when --template
    is given without -o (kubectl keeps that for backward compatibility)."""
    fmt = (command.value("output") or "").split("=", 1)[0].lower()
    if not fmt and command.value("template"):
        return "go-template"
    return fmt


def _kubeconfig_user(user: dict[str, Any]) -> dict[str, Any]:
    copy = dict(user)
    for key in ("token", "password"):
        if isinstance(copy.get(key), str):
            copy[key] = REDACTED
    provider = copy.get("auth-provider")
    if isinstance(provider, dict) and isinstance(provider.get("config"), dict):
        copy["auth-provider"] = {**provider, "config": redact_values(provider["config"])}
    plugin = copy.get("exec")
    if isinstance(plugin, dict) and isinstance(plugin.get("env"), list):
        env = [
            {**var, "value": REDACTED} if isinstance(var, dict) and "value" in var else var
            for var in plugin["env"]
        ]
        copy["exec"] = {**plugin, "env": env}
    return copy


def redact_kubeconfig_text(text: str) -> str | None:
    """`kubectl config view` (YAML, JSON or KYAML) without the credentials kubectl leaves in
    it: it hides tokens and key data, not the auth-provider's tokens and client secret nor the
    environment of exec plugins. None when the text is not a kubeconfig."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(config, dict) or not isinstance(config.get("users"), list):
        return None
    users = [
        {**entry, "user": _kubeconfig_user(entry["user"])}
        if isinstance(entry, dict) and isinstance(entry.get("user"), dict)
        else entry
        for entry in config["users"]
    ]
    redacted = {**config, "users": users}
    if redacted == config:
        return text
    if text.lstrip().startswith("{"):
        return json.dumps(redacted, indent=4, ensure_ascii=False) + "\n"
    return yaml.safe_dump(redacted, default_flow_style=False, sort_keys=False)


def _describe_tokens(text: str) -> str:
    """`kubectl describe secret` prints sizes, except a service-account token, which it prints
    whole: the token becomes its size too."""
    return _DESCRIBED_TOKEN.sub(lambda m: f"{m.group(1)}{len(m.group(2))} bytes", text)


_DESCRIBED_TOKEN = re.compile(r"(?m)^(token:[ \t]+)(?!\d+ bytes$)(\S+)$")


def output_guard(command: CliCommand, allow_secrets: bool = False) -> Callable[[str], str] | None:
    """How to redact this command's output before anything else sees it (pipe stages
    included); None when it cannot print a Secret value. Raises CommandError for an output
    format that cannot be redacted. Kubeconfig credentials are redacted even when Secrets are
    allowed: they are the server's own identity, not cluster data."""
    verb = command.verb
    if command.tool == "kubectl" and verb == ("config", "view"):
        return lambda text: redact_kubeconfig_text(text) or text
    if allow_secrets:
        return None
    if command.tool == "kubectl":
        fmt = kubectl_output_format(command)
        if command.has("raw"):
            return lambda text: redact_json_text(text) or text
        if verb == ("describe",) and _may_name_secrets(command):
            return _describe_tokens
        if verb == ("set", "env") and command.bool_flag("resolve"):
            raise denied(
                "`kubectl set env --resolve` prints the values of the Secrets that variables "
                f"refer to: {_ALLOW_HINT}."
            )
        if verb == ("apply", "view-last-applied") and _may_name_secrets(command):
            # It prints the applied manifest, Secret data included, and several objects run
            # together with no separator, so they cannot be told apart to be redacted.
            raise denied(
                "`kubectl apply view-last-applied` prints a Secret's applied manifest, data "
                f"included: {_ALLOW_HINT}."
            )
        if fmt in _OBJECT_FORMATS:
            return lambda text: redact_text(text) or text
        if fmt in _FIELD_FORMATS and _may_name_secrets(command):
            raise denied(
                f"`-o {fmt}` cannot be used where the output may hold a Secret: {_ALLOW_HINT}."
            )
        return None
    if command.tool == "helm":
        helm_fmt = command.value("output") or "table"
        if verb == ("get", "values"):
            return lambda text: _helm_structured(text, values_only=True, fmt=helm_fmt)
        if verb in (("get", "manifest"), ("template",)):
            return lambda text: redact_yaml_text(text) or text
        if verb[:1] in (("get",), ("status",), ("install",), ("upgrade",), ("rollback",)):
            return lambda text: _helm_structured(text, values_only=False, fmt=helm_fmt)
        return None
    if command.tool == "argocd" and verb in (("app", "manifests"), ("app", "get")):
        return lambda text: redact_text(text) or text
    return None
