"""Rules that hold in every access mode (DESIGN, "Security invariants" 3 and 5).

A command may not change who the CLI authenticates as or where it connects, may not raise
verbosity to the levels that dump requests and tokens, may not make the CLI write local files,
and may read local files only under K8S_MCP_ALLOWED_PATHS. Everything here reads the parsed,
normalized command (`parse.command.CliCommand`), never the raw string.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from kube_ai_proxy.errors import denied, invalid
from kube_ai_proxy.parse.clispec import CONTEXT_FLAGS
from kube_ai_proxy.parse.command import CliCommand

_IDENTITY = "it changes who the command authenticates as or which server it talks to"
_WRITES = "it writes local files, and nothing here writes local files"
_RUNS = "it makes the CLI run other programs"
_STDIN_HINT = "pass the manifest inline in the `stdin` argument with `-f -`"
_EDITOR = "it opens an interactive editor, a program of the server's choosing"

# Which positional arguments of a subcommand are local paths, and the path read without one.
PathOperands = tuple[Literal["all", "first", "last"], str | None]


@dataclass(frozen=True)
class ToolRules:
    # flag name -> why it is refused
    refused_flags: Mapping[str, str]
    # flags whose value names a local file or directory to read
    path_flags: frozenset[str] = frozenset()
    # subcommand paths refused in every mode -> why
    refused_verbs: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    # flags whose value is a verbosity level; >= 6 dumps HTTP requests with their headers
    verbosity_flags: frozenset[str] = frozenset()
    # flags refused on one subcommand only -> why
    refused_verb_flags: Mapping[tuple[str, ...], Mapping[str, str]] = field(default_factory=dict)
    # subcommands where a refused flag's name means something harmless -> those names
    local_meanings: Mapping[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    # subcommands (and their children) whose positional arguments name local files to read
    path_operands: Mapping[tuple[str, ...], PathOperands] = field(default_factory=dict)
    # True when such an operand may also be a remote reference (helm's `repo/chart`,
    # `oci://...`): it is then a local path only if it exists here or starts with `/` or `.`,
    # which is how helm decides.
    remote_operands: bool = False


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
        # --profile=cpu|heap|... writes profile.pprof to the working directory.
        **_reasons(_WRITES, "cache-dir", "profile", "profile-output", "output-directory"),
        # klog's per-file verbosity: --vmodule=round_trippers=9 dumps requests like --v=9.
        "vmodule": "it raises verbosity per source file, which prints HTTP requests and "
        "responses, credentials included; use --v=5 or less",
        "edit": _EDITOR,
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
        {
            "filename",
            "kustomize",
            "from-file",
            "from-env-file",
            "cert",
            "key",
            "patch-file",
            "custom",  # kubectl debug --custom: a container spec file
        }
    ),
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
        ("config", "view"): {
            "raw": "it prints the kubeconfig's credentials",
            # --flatten inlines and prints them too (tokens, client keys), --raw or not
            "flatten": "it prints the kubeconfig's credentials",
        },
        ("kustomize",): {
            # There -o names the file or directory the build is written to.
            "output": _WRITES,
            # LoadRestrictionsNone lets a kustomization read files outside its own directory,
            # past K8S_MCP_ALLOWED_PATHS.
            "load-restrictor": "it lets the kustomization read files outside its directory",
        },
    },
    # There `--user` names the subject of a binding, not who kubectl authenticates as.
    local_meanings={
        ("create", "clusterrolebinding"): frozenset({"user"}),
        ("create", "rolebinding"): frozenset({"user"}),
        ("set", "subject"): frozenset({"user"}),
        # `kubectl debug --profile` is debug's own flag (a container profile), not the global.
        ("debug",): frozenset({"profile"}),
    },
    path_operands={("kustomize",): ("all", ".")},
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
        **_reasons(
            _WRITES,
            "repository-cache",
            "output-dir",
            "untar",
            "untardir",
            "destination",
            # downloads the chart's dependencies into its charts/ directory
            "dependency-update",
        ),
        **_reasons(_RUNS, "post-renderer", "post-renderer-args"),
    },
    path_flags=frozenset({"values", "set-file", "keyring"}),
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
        # It prints helm's environment, HELM_KUBETOKEN included when the server has one.
        ("env",): "it prints helm's environment, which can hold the server's credentials",
    },
    # A chart given as a path is read from the local file system.
    path_operands={
        ("install",): ("last", None),
        ("upgrade",): ("last", None),
        ("template",): ("last", None),
        ("lint",): ("all", "."),
        ("show",): ("first", None),
        ("dependency", "list"): ("first", "."),
        ("verify",): ("first", None),
    },
    remote_operands=True,
)

ISTIOCTL = ToolRules(
    refused_flags={
        **_reasons(
            _IDENTITY,
            "kubeconfig",
            # impersonation, on every istioctl command
            "as",
            "as-group",
            "as-uid",
            # the control-plane (xDS) connection of `x proxy-status`, `x version`...
            "xds-address",
            "xds-port",
            "xds-label",
            "authority",
            "cert-dir",
            "insecure",
            "plaintext",
        ),
        # analyze across other kube contexts, which the allowed-contexts check does not see
        "remote-contexts": "it reads other kube contexts; run one call per context with "
        "`context` instead",
        **_reasons(_WRITES, "output-dir"),
    },
    path_flags=frozenset(
        {
            "filename",
            "file",
            "meshConfigFile",  # kube-inject
            "injectConfigFile",
            "valuesFile",
            "operatorFileName",  # kube-inject: an IstioOperator file
            "manifests",  # install, manifest generate: a local charts directory
        }
    ),
    refused_verbs={
        ("dashboard",): "it opens local ports and a browser",
        ("bug-report",): _WRITES,
    },
    # --vklog is the Kubernetes client's -v: 9 dumps requests.
    verbosity_flags=frozenset({"vklog"}),
    # There --output names a file or directory to write, not a format.
    refused_verb_flags={
        ("kube-inject",): {"output": _WRITES},
        ("manifest", "generate"): {"output": _WRITES},
        ("manifest", "translate"): {"output": _WRITES},
        ("experimental", "workload", "entry", "configure"): {"output": _WRITES},
    },
    path_operands={("analyze",): ("all", None)},
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
            "controller-name",
            # kube client flags on `version`, `configure` and the bare group commands
            "kubeconfig",
            "token",
            "user",
            "username",
            "password",
            "cluster",
            "context",
            "insecure-skip-tls-verify",
            "proxy-url",
        ),
        **_reasons(_WRITES, "out"),
    },
    # There these flags are the repository's credentials or proxy, an output format, or a
    # filter (`app list -c`: applications by destination cluster), not ours.
    local_meanings={
        ("repo", "add"): frozenset({"username", "password"}),
        ("repocreds", "add"): frozenset({"username", "password", "proxy-url"}),
        ("app", "actions", "list"): frozenset({"out"}),
        ("app", "list"): frozenset({"cluster"}),
    },
    path_flags=frozenset(
        {
            "file",
            # (--values names files in the application's source repository, not local ones)
            "values-literal-file",
            "local",  # app diff/sync --local: manifests from a local directory
            "local-repo-root",
            "from",  # cert add-tls, gpg add
            "ssh-private-key-path",
            "tls-client-cert-path",
            "tls-client-cert-key-path",
            "github-app-private-key-path",
            "gcp-service-account-key-path",
        }
    ),
    refused_verbs={
        ("app", "edit"): _EDITOR,
        ("proj", "edit"): _EDITOR,
        ("configure",): _WRITES,
        ("login",): "it stores credentials locally; set ARGOCD_SERVER and ARGOCD_AUTH_TOKEN",
        ("logout",): _WRITES,
        ("relogin",): _WRITES,
        ("context",): _WRITES,
        ("admin",): "it bypasses Argo CD's API and its RBAC",
        ("account", "generate-token"): "it mints credentials",
        ("account", "session-token"): "it prints the server's own token",
        ("cluster", "add"): "it reads a local kubeconfig and grants Argo CD access to a cluster",
    },
    path_operands={("appset", "create"): ("all", None), ("appset", "generate"): ("all", None)},
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


def context_of(command: CliCommand) -> str | None:
    """The kube context the command names with its CLI's flag, if any."""
    flag = CONTEXT_FLAGS[command.tool]
    return command.value(flag) if flag else None


def _refused_verb(rules: ToolRules, verb: tuple[str, ...]) -> str | None:
    for length in range(len(verb), 0, -1):
        reason = rules.refused_verbs.get(verb[:length])
        if reason is not None:
            return reason
    return None


def _path_operands(rules: ToolRules, verb: tuple[str, ...]) -> PathOperands | None:
    for length in range(len(verb), 0, -1):
        found = rules.path_operands.get(verb[:length])
        if found is not None:
            return found
    return None


def _is_file_format(output: str | None) -> bool:
    """kubectl's -o formats that read a template file: go-template-file, templatefile,
    jsonpath-file, custom-columns-file."""
    return output is not None and output.split("=", 1)[0].endswith("file")


def check_command(command: CliCommand, limits: Limits) -> None:
    """Raise CommandError when `command` breaks an invariant; return quietly otherwise."""
    _check_no_plugin(command)
    rules = RULES[command.tool]
    context_flag = CONTEXT_FLAGS[command.tool]
    reason = _refused_verb(rules, command.verb)
    if reason is not None:
        raise denied(f"`{command.verb_text}` is never run here: {reason}.")
    verb_flags = rules.refused_verb_flags.get(command.verb, {})
    harmless = rules.local_meanings.get(command.verb, frozenset())
    # (Both are keyed by the full subcommand path: the flags belong to that command alone.)
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
        if flag.name == context_flag and allowed and flag.value not in allowed:
            raise denied(
                f"context {flag.value!r} is not allowed; use one of: "
                + ", ".join(limits.allowed_contexts)
            )
        if flag.name in rules.path_flags and flag.value is not None:
            check_read_path(flag.name, flag.value, limits.allowed_paths)
        if flag.name == "output" and flag.value and _is_file_format(flag.value):
            _, eq, path = flag.value.partition("=")
            if eq:
                _check_path(f"`--output={flag.value}`", path, limits.allowed_paths)
    if command.tool == "kubectl" and command.verb == ("config", "view"):
        _check_kubeconfig_format(command)
    # Without `=FILE`, a file format reads the file named by --template
    # (`-o go-template-file --template=/etc/passwd`).
    if any(_is_file_format(v) for v in command.values("output")):
        for template in command.values("template"):
            if template is not None:
                check_read_path("template", template, limits.allowed_paths)
    _check_path_operands(rules, command, limits)


def _check_no_plugin(command: CliCommand) -> None:
    """A word the CLI does not know as a subcommand makes it run a plugin from PATH."""
    tool = command.tool
    if not command.verb and command.args:
        raise denied(
            f"`{tool} {command.args[0]}` is not a {tool} command (plugins are never run). "
            f"describe_{tool} lists the commands."
        )
    if tool == "kubectl" and command.verb == ("create",) and command.args:
        # kubectl runs `kubectl-create-NAME` from PATH for `kubectl create NAME ...` when NAME
        # is not a built-in subcommand; `create` itself takes no positional arguments.
        raise denied(
            f"`kubectl create {command.args[0]}` is not a kubectl command (plugins are never "
            "run). describe_kubectl with {'command': 'create'} lists what it creates."
        )


# kubectl formats that pick fields out of what it prints; kubectl uses go-template when
# --template is given without -o.
_FIELD_FORMATS = ("jsonpath", "go-template", "template", "custom-columns")


def _check_kubeconfig_format(command: CliCommand) -> None:
    """`kubectl config view` hides tokens and key data, not an auth-provider's tokens nor an
    exec plugin's environment; a format that picks fields could print them, whatever the access
    mode and K8S_MCP_ALLOW_SECRETS."""
    fmt = (command.value("output") or "").split("=", 1)[0].lower()
    if (fmt or ("go-template" if command.value("template") else "")).startswith(_FIELD_FORMATS):
        raise denied(
            f"`kubectl config view` with `-o {fmt or 'go-template'}` could print the "
            "kubeconfig's credentials; use -o yaml or -o json (credentials appear as REDACTED), "
            "`kubectl config current-context` or `kubectl config get-contexts`."
        )


def _check_path_operands(rules: ToolRules, command: CliCommand, limits: Limits) -> None:
    found = _path_operands(rules, command.verb)
    if found is None or command.raw_args:
        return
    which, default = found
    args = list(command.args)
    operands = args if which == "all" else args[:1] if which == "first" else args[-1:]
    if not operands and default is not None:
        operands = [default]
    for operand in operands:
        if rules.remote_operands and not _local_operand(operand):
            continue
        _check_path(f"`{operand}` (read by `{command.verb_text}`)", operand, limits.allowed_paths)


def _local_operand(operand: str) -> bool:
    if "://" in operand:
        return operand.lower().startswith("file:")
    return operand.startswith(("/", ".")) or os.path.lexists(operand)


def _verbosity(value: str | None) -> int:
    try:
        return int(value or "0")
    except ValueError:
        raise invalid(f"verbosity must be a number, not {value!r}") from None


# Flags whose list elements are `KEY=PATH` (kubectl --from-file, helm --set-file).
_KEYED_PATH_FLAGS = frozenset({"from-file", "set-file"})


def check_read_path(flag: str, value: str, allowed: Sequence[str]) -> None:
    """A local path a command would read must resolve (symlinks followed) under an allowed
    directory. `-` is standard input; URLs are refused (the CLI would fetch them from here)."""
    # pflag's StringSlice flags (kubectl -f, --from-file, --from-env-file, helm -f) and helm's
    # --set-file take comma-separated lists: `-f /allowed/a.yaml,/etc/passwd` reads both files,
    # so every element is checked. (A CSV-quoted element with a comma is only refused sooner.)
    for item in value.split(","):
        path = item.split("=", 1)[1] if flag in _KEYED_PATH_FLAGS and "=" in item else item
        _check_path(f"`--{flag}={value}`", path, allowed)


def _check_path(shown: str, path: str, allowed: Sequence[str]) -> None:
    if path == "-":
        return
    if "://" in path:
        raise denied(
            f"{shown}: remote URLs are not fetched from the server's network; " + _STDIN_HINT
        )
    if not allowed:
        raise denied(
            f"{shown} reads a local file, and no directory is allowed "
            f"(K8S_MCP_ALLOWED_PATHS is empty); {_STDIN_HINT}"
        )
    real = os.path.realpath(path)
    if not any(real == root or real.startswith(root.rstrip("/") + "/") for root in allowed):
        raise denied(
            f"{shown} resolves to {real}, outside the allowed directories "
            f"({', '.join(allowed)}); {_STDIN_HINT}"
        )
