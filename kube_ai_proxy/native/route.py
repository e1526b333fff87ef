"""Which native reader answers a command: one that renders every flag the command carries,
with the values it carries, exactly as the CLI would; none, and the CLI runs.
"""

from __future__ import annotations

from kube_ai_proxy.native import argocd, helm
from kube_ai_proxy.native.base import ArgoCDHandler, Handler
from kube_ai_proxy.native.kubectl import describe, events, get, info, logs
from kube_ai_proxy.parse.command import CliCommand


def native_handler(command: CliCommand) -> Handler | None:
    """The kubectl or helm reader that serves this command exactly, if there is one."""
    if command.tool == "helm":
        return helm.native_helm if helm.can_serve(command) else None
    if command.tool != "kubectl":
        return None
    if get.can_serve(command):
        return get.native_get
    if logs.can_serve(command):
        return logs.native_logs
    if describe.can_serve(command):
        return describe.native_describe
    if events.can_serve(command):
        return events.native_events
    return info.handler_for(command)


def argocd_handler(command: CliCommand) -> ArgoCDHandler | None:
    """The Argo CD reader that serves this command exactly, if there is one."""
    if command.tool == "argocd" and argocd.can_serve(command):
        return argocd.native_argocd
    return None
