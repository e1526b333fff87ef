"""Which writes are previewed, and by what: kubectl's (kubectl.py), helm's (helm.py), Argo
CD's (argocd.py, which call.py calls with its API client)."""

from __future__ import annotations

from adapters.kubernetes import KubeAPI
from kube_ai_proxy.parse.command import CliCommand
from kube_ai_proxy.preview.argocd import ARGOCD_PREVIEWED
from kube_ai_proxy.preview.helm import HELM_PREVIEWED, helm_preview
from kube_ai_proxy.preview.kubectl import Run, kubectl_preview, previewable_by_kubectl
from kube_ai_proxy.preview.undo import Previewed


def previewable(command: CliCommand) -> bool:
    if command.tool == "helm":
        return command.verb in HELM_PREVIEWED
    if command.tool == "argocd":
        return command.verb in ARGOCD_PREVIEWED
    return previewable_by_kubectl(command)


def server_dry_run(command: CliCommand) -> bool:
    """Whether the command asks for the server's dry run itself (kubectl --dry-run=server,
    helm --dry-run=server): its result then carries the preview."""
    return previewable(command) and command.value("dry-run") == "server"


async def preview_of(
    command: CliCommand, run: Run, api: KubeAPI, namespace: str, context: str | None
) -> Previewed:
    """What `command` would change, and how to revert it. `run` runs a command of the same
    CLI and returns what it printed (or raises NoPreview with the CLI's error); `api` reads
    what is live; `namespace` and `context` are the command's."""
    if command.tool == "helm":
        return await helm_preview(command, run, namespace, context)
    return await kubectl_preview(command, run, api, namespace, context)
