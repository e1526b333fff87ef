"""The contract of a native reader: what it is given (NativeContext, ArgoCDContext), what it
answers (NativeAnswer), and how it says which flags it renders exactly (FlagRule, serves). A
reader that finds it cannot answer exactly after all (e.g. kubectl's choice among tied pods is
not predictable) raises errors.Defer instead of answering: the CLI then runs.

A leaf: the readers import it, and it imports none of them (native/route.py picks a reader).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.argocd import ArgoCD
from adapters.helm import HelmClient
from adapters.kubernetes import KubeAPI
from kube_ai_proxy.parse.command import CliCommand
from kube_ai_proxy.result import ErrorCode


@dataclass(frozen=True)
class NativeAnswer:
    output: str
    data: dict[str, Any] | None
    exit_code: int = 0
    # kubectl's stderr: warnings ("No resources found"), or the error of a failed command
    stderr: str = ""
    # The result's error code when the command failed; None with a non-zero exit code is an
    # answer kubectl signals by its exit code (`auth can-i` saying no).
    error_code: ErrorCode | None = None
    truncated: bool = False
    next: str | None = None


@dataclass(frozen=True)
class NativeContext:
    """What a handler needs besides the command: the API, and the server's choices."""

    # The API server of the command's context, opened when a handler first asks: a command
    # that needs no cluster (`version --client`) answers without a kubeconfig.
    kube: Callable[[], Awaitable[KubeAPI]]
    namespace: str  # the command's namespace (-n, else the context's default)
    budget: int  # characters of output
    allow_secrets: bool
    timeout: float  # seconds the call may take
    # helm commands: a pyhelm3 client for this call (the CLI's environment, the call's
    # timeout), built when the handler asks for it
    helm: Callable[[], Awaitable[HelmClient]] | None = None
    # The CLI's own `version --client -o json`, asked of its binary once per server
    client_version: Callable[[], Awaitable[dict[str, Any]]] | None = None
    # The wall clock, seconds since the epoch: the moment ages are counted to. The fast tests
    # replay recorded answers at the moment they were recorded.
    now: Callable[[], float] = time.time


Handler = Callable[[CliCommand, NativeContext], Awaitable[NativeAnswer]]


@dataclass(frozen=True)
class ArgoCDContext:
    """What an Argo CD handler needs: Argo CD's API (no Kubernetes client: a server may reach
    Argo CD without a kubeconfig), and the server's choices."""

    argocd: ArgoCD
    budget: int  # characters of output
    allow_secrets: bool
    timeout: float  # seconds the call may take
    # The argocd CLI's own version (`argocd version --client -o json`), asked when needed
    client_version: Callable[[], Awaitable[dict[str, Any]]] | None = None
    # Where the CLI says an application's page is when Argo CD's settings name no URL
    # (`https://HOST[:PORT]`, from the address the CLI is given); None when not known
    app_url_base: str | None = None


ArgoCDHandler = Callable[[CliCommand, ArgoCDContext], Awaitable[NativeAnswer]]


@dataclass(frozen=True)
class FlagRule:
    """Values a native handler serves for one flag; None: any value."""

    values: frozenset[str | None] | None = None

    def accepts(self, value: str | None) -> bool:
        return self.values is None or value in self.values


ANY = FlagRule()
SWITCH = FlagRule(frozenset({None, "true"}))


def serves(command: CliCommand, flags: Mapping[str, FlagRule]) -> bool:
    """True when every flag of the command is one the handler renders exactly."""
    if command.passthrough is not None or command.raw_args:
        return False
    for flag in command.flags:
        rule = flags.get(flag.name)
        if rule is None or not rule.accepts(flag.value):
            return False
    return True
