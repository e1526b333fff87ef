"""The backends one server talks to: the Kubernetes API clients (one per kube context), helm
through pyhelm3, Argo CD's REST API, and the CLIs' own versions.

Built once in the server's lifespan (mcp/lifespan.py) and closed when it ends; each opens its
connections when a call first needs them. How the Argo CD client is made is a parameter, so a
test hands in one that replays recorded answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

from adapters.argocd import ArgoCD, ArgoCDConfig
from adapters.helm import Helm
from adapters.kubernetes import KubeClients
from kube_ai_proxy.argocd_instances import instances_for
from kube_ai_proxy.cli_run import CLI_INSTALL_HINTS, CliVersions
from kube_ai_proxy.config import Settings

ArgoCDConnect = Callable[[ArgoCDConfig], ArgoCD]


class Backends:
    def __init__(self, settings: Settings, connect_argocd: ArgoCDConnect = ArgoCD) -> None:
        self.kube = KubeClients(settings.kubeconfig, settings.context, settings.request_timeout)
        self.helm = Helm(install_hint=CLI_INSTALL_HINTS["helm"])
        self.cli_versions = CliVersions(settings)
        self.argocd_instances = instances_for(settings)
        self._connect_argocd = connect_argocd
        self._argocd: dict[str, ArgoCD] = {}
        # Told how long each Argo CD API request took (the server's metrics), when set.
        self.on_argocd_request: Callable[[float], None] | None = None

    def argocd(self, instance: str | None = None) -> ArgoCD | None:
        """The API client of an Argo CD instance (None: the default), made by the first call
        that needs it; None when Argo CD's API is not configured with credentials (argocd
        commands then run the CLI, with its own configuration). A server address that cannot
        be read is the error of every call that needs it (BackendError), not of the server's
        start; an unknown instance is the call's CommandError."""
        config = self.argocd_instances.config(instance)
        if config is None or not config.has_credentials:
            return None
        # One client per instance, whether a call names the default or not.
        key = instance if instance is not None else self.argocd_instances.default or ""
        if key not in self._argocd:
            client = self._connect_argocd(config)
            client.on_request = self.on_argocd_request
            self._argocd[key] = client
        return self._argocd[key]

    @asynccontextmanager
    async def argocd_as(
        self, token: str | None, instance: str | None = None
    ) -> AsyncIterator[ArgoCD | None]:
        """The Argo CD API client of one call: the instance's, or with a caller's token a
        client of its own for this call, closed when it ends."""
        config = self.argocd_instances.config(instance)
        if token is None or config is None:
            yield self.argocd(instance)
            return
        client = self._connect_argocd(replace(config, token=token, username=None, password=None))
        client.on_request = self.on_argocd_request
        try:
            yield client
        finally:
            await client.aclose()

    async def __aenter__(self) -> Backends:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.kube.aclose()
        for client in self._argocd.values():
            await client.aclose()
        self._argocd.clear()


# How the server's lifespan builds its backends; a test passes its own.
BackendsFactory = Callable[[Settings], Backends]
