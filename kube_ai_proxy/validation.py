"""Rules that hold in every access mode (DESIGN, "Security invariants" 3 and 5).

A command may not change who the CLI authenticates as or where it connects, may not raise
verbosity to the levels that dump requests and tokens, may not make the CLI write local files,
and may read local files only under K8S_MCP_ALLOWED_PATHS. Everything here reads the parsed,
normalized command (`commands.CliCommand`), never the raw string.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kube_ai_proxy.commands import CliCommand
from kube_ai_proxy.errors import denied, invalid

_IDENTITY = "it changes who the command authenticates as or which server it talks to"
_WRITES = "it writes local files, and nothing here writes local files"
_RUNS = "it makes the CLI run other programs"
_STDIN_HINT = "pass the manifest inline in the `stdin` argument with `-f -`"


@dataclass(frozen=True)
class ToolRules:
    # flag name -> why it is refused
    refused_flags: Mapping[str, str]
    # flags whose value names a local file or directory to read
    path_flags: frozenset[str] = frozenset()
    # the flag that picks a kube context
    context_flag: str | None = None
    # subcommand paths refused in every mode -> why
    refused_verbs: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    # flags whose value is a verbosity level; >= 6 dumps HTTP requests with their headers
    verbosity_flags: frozenset[str] = frozenset()
    # flags refused on one subcommand only -> why
    refused_verb_flags: Mapping[tuple[str, ...], Mapping[str, str]] = field(default_factory=dict)
    # subcommands where a refused flag's name means something harmless -> those names
    local_meanings: Mapping[tuple[str, ...], frozenset[str]] = field(default_factory=dict)


def _reasons(reason: str, *names: str) -> dict[str, str]:
    return dict.fromkeys(names, reason)


KUBECTL = ToolRules(
    refused_flags={
        **_reasons(
            _IDENTITY,
            "kubeconfig",
            "server",
            "token",
            "as",
            "as-group",
            "as-uid",
            "as-user-extra",
            "user",
            "cluster",
            "username",
            "password",
            "client-key",
            "client-certificate",
            "certificate-authority",
            "tls-server-name",
            "insecure-skip-tls-verify",
            "kuberc",
        ),
        **_reasons(_WRITES, "cache-dir", "profile-output", "output-directory"),
        **_reasons(
            _RUNS,
            "enable-helm",
            "helm-command",
            "enable-alpha-plugins",
            "exec-command",
        ),
        "www": "it serves local files over HTTP",
        "unix-socket": "it opens a local socket",
    },
    path_flags=frozenset(
        {"filename", "kustomize", "from-file", "from-env-file", "cert", "key", "patch-file"}
    ),
    context_flag="context",
    refused_verbs={
        ("edit",): "it opens an interactive editor; use `kubectl patch` or `kubectl apply -f -`",
        ("apply", "edit-last-applied"): "it opens an interactive editor",
        ("cp",): "it copies files to and from the local file system",
        ("alpha", "kuberc", "set"): _WRITES,
        **{
            ("config", verb): "it rewrites the kubeconfig: " + _IDENTITY
            for verb in (
                "set",
                "set-cluster",
                "set-context",
                "set-credentials",
                "unset",
                "use-context",
                "delete-cluster",
                "delete-context",
                "delete-user",
                "rename-context",
            )
        },
    },
    verbosity_flags=frozenset({"v"}),
    refused_verb_flags={
        ("config", "view"): {"raw": "it prints the kubeconfig's credentials"},
    },
    # There `--user` names the subject of a binding, not who kubectl authenticates as.
    local_meanings={
        ("create", "clusterrolebinding"): frozenset({"user"}),
        ("create", "rolebinding"): frozenset({"user"}),
        ("set", "subject"): frozenset({"user"}),
    },
)

HELM = ToolRules(
    refused_flags={
        **_reasons(
            _IDENTITY,
            "kubeconfig",
            "kube-apiserver",
            "kube-as-user",
            "kube-as-group",
            "kube-ca-file",
            "kube-insecure-skip-tls-verify",
            "kube-tls-server-name",
            "kube-token",
            "username",
            "password",
            "password-stdin",
            "pass-credentials",
            "registry-config",
            "repository-config",
            "cert-file",
            "key-file",
            "ca-file",
            "insecure-skip-tls-verify",
        ),
        **_reasons(_WRITES, "repository-cache", "output-dir", "untar", "untardir", "destination"),
        **_reasons(_RUNS, "post-renderer", "post-renderer-args"),
    },
    path_flags=frozenset({"values", "set-file", "keyring"}),
    context_flag="kube-context",
    refused_verbs={
        ("plugin",): _RUNS,
        ("registry", "login"): "it stores registry credentials locally",
        ("registry", "logout"): _WRITES,
        ("create",): _WRITES,
        ("package",): _WRITES,
        ("pull",): _WRITES,
        ("push",): "it uploads local files",
        ("repo", "add"): _WRITES,
        ("repo", "remove"): _WRITES,
        ("repo", "update"): _WRITES,
        ("repo", "index"): _WRITES,
        ("dependency", "update"): _WRITES,
        ("dependency", "build"): _WRITES,
    },
)

ISTIOCTL = ToolRules(
    refused_flags={
        **_reasons(_IDENTITY, "kubeconfig", "istioNamespace-override"),
        **_reasons(_WRITES, "output-dir", "output-file"),
    },
    path_flags=frozenset({"filename", "file", "values"}),
    context_flag="context",
    refused_verbs={
        ("dashboard",): "it opens local ports and a browser",
        ("bug-report",): _WRITES,
    },
)

ARGOCD = ToolRules(
    refused_flags={
        **_reasons(
            _IDENTITY,
            "server",
            "auth-token",
            "config",
            "client-crt",
            "client-crt-key",
            "server-crt",
            "header",
            "core",
            "kube-context",
            "port-forward",
            "port-forward-namespace",
            "plaintext",
            "grpc-web-root-path",
            "insecure",
            "server-name",
            "redis-name",
            "repo-server-name",
            "redis-haproxy-name",
            "redis-compress",
        ),
        **_reasons(_WRITES, "out"),
    },
    path_flags=frozenset({"file", "values", "values-literal-file"}),
    refused_verbs={
        ("login",): "it stores credentials locally; set ARGOCD_SERVER and ARGOCD_AUTH_TOKEN",
        ("logout",): _WRITES,
        ("relogin",): _WRITES,
        ("context",): _WRITES,
        ("admin",): "it bypasses Argo CD's API and its RBAC",
        ("account", "generate-token"): "it mints credentials",
        ("cluster", "add"): "it reads a local kubeconfig and grants Argo CD access to a cluster",
    },
)

RULES: Mapping[str, ToolRules] = {
    "kubectl": KUBECTL,
    "helm": HELM,
    "istioctl": ISTIOCTL,
    "argocd": ARGOCD,
}


@dataclass(frozen=True)
class Limits:
    """The parts of the settings the invariants need."""

    allowed_contexts: Sequence[str] = ()
    allowed_paths: Sequence[str] = ()


def _refused_verb(rules: ToolRules, verb: tuple[str, ...]) -> str | None:
    for length in range(len(verb), 0, -1):
        reason = rules.refused_verbs.get(verb[:length])
        if reason is not None:
            return reason
    return None


def check_command(command: CliCommand, limits: Limits) -> None:
    """Raise CommandError when `command` breaks an invariant; return quietly otherwise."""
    rules = RULES[command.tool]
    reason = _refused_verb(rules, command.verb)
    if reason is not None:
        raise denied(f"`{command.verb_text}` is never run here: {reason}.")
    verb_flags = rules.refused_verb_flags.get(command.verb, {})
    harmless = rules.local_meanings.get(command.verb, frozenset())
    for flag in command.flags:
        why = verb_flags.get(flag.name)
        if flag.name not in harmless:
            why = why or rules.refused_flags.get(flag.name)
        if why is not None:
            raise denied(f"`--{flag.name}` is refused: {why}.")
        if flag.name in rules.verbosity_flags and _verbosity(flag.value) >= 6:
            raise denied(
                f"`--{flag.name}={flag.value}` is refused: verbosity 6 and above prints HTTP "
                "requests and responses, credentials included. Use 5 or less."
            )
        allowed = limits.allowed_contexts
        if flag.name == rules.context_flag and allowed and flag.value not in allowed:
            raise denied(
                f"context {flag.value!r} is not allowed; use one of: "
                + ", ".join(limits.allowed_contexts)
            )
        if flag.name in rules.path_flags and flag.value is not None:
            check_read_path(flag.name, flag.value, limits.allowed_paths)
        if flag.name in ("output", "template") and flag.value and "-file=" in flag.value:
            check_read_path(flag.name, flag.value.split("=", 1)[1], limits.allowed_paths)


def _verbosity(value: str | None) -> int:
    try:
        return int(value or "0")
    except ValueError:
        raise invalid(f"verbosity must be a number, not {value!r}") from None


def check_read_path(flag: str, value: str, allowed: Sequence[str]) -> None:
    """A local path a command would read must resolve (symlinks followed) under an allowed
    directory. `-` is standard input; URLs are refused (the CLI would fetch them from here)."""
    path = value.split("=", 1)[1] if flag == "from-file" and "=" in value else value
    if path == "-":
        return
    if "://" in path:
        raise denied(
            f"`--{flag}={value}`: remote URLs are not fetched from the server's network; "
            + _STDIN_HINT
        )
    if not allowed:
        raise denied(
            f"`--{flag}={value}` reads a local file, and no directory is allowed "
            f"(K8S_MCP_ALLOWED_PATHS is empty); {_STDIN_HINT}"
        )
    real = os.path.realpath(path)
    if not any(real == root or real.startswith(root.rstrip("/") + "/") for root in allowed):
        raise denied(
            f"`--{flag}={value}` resolves to {real}, outside the allowed directories "
            f"({', '.join(allowed)}); {_STDIN_HINT}"
        )
