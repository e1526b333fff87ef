"""Where one command acts: its kube context and its namespace, worked out once per call.

The policy checks them, the RBAC pre-flight asks about them, the confirmation question names
the context, a native reader reads there and a failed CLI is explained by them; all read one
`Scope`, so every step sees the same answer even when the kubeconfig changes during the call.

The context in effect and the namespace are worked out when a step first needs them, not
before: a command that touches no namespace (`kubectl version -n a -n b`) is not refused for
its namespace, and one that needs no default reads no kubeconfig.
"""

from __future__ import annotations

import functools

from kube_ai_proxy.errors import denied
from kube_ai_proxy.judge.invariants import context_of
from kube_ai_proxy.kubeconfig import KubeconfigReader
from kube_ai_proxy.parse.command import CliCommand


class Scope:
    def __init__(
        self, command: CliCommand, server_context: str | None, kubeconfig: KubeconfigReader
    ) -> None:
        self.command = command
        self.kubeconfig = kubeconfig
        # What the API clients, helm and the CLI are pointed at: the command's own context,
        # else the server's; None leaves the kubeconfig's current one to them.
        self.kube_context = context_of(command) or server_context

    @functools.cached_property
    def context(self) -> str | None:
        """The kube context the command runs against, as the policy checks it and the user
        is asked about it: its own, the server's, the kubeconfig's current one."""
        return self.kube_context or self.kubeconfig.defaults().context

    @functools.cached_property
    def namespace(self) -> str:
        """The namespace the command acts in: its -n, else its context's default. Refused
        (policy_denied) when -n is given more than once."""
        flag_values = self.command.values("namespace")
        if len(flag_values) > 1:
            raise denied("give the namespace once (-n NAME); it was given more than once")
        if flag_values and flag_values[0]:
            return flag_values[0]
        return self.kubeconfig.defaults(self.context).namespace
