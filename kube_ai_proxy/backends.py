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
from kube_ai_proxy.cli_run import CLI_INSTALL_HINTS, CliVersions
from kube_ai_proxy.config import Settings

ArgoCDConnect = Callable[[ArgoCDConfig], ArgoCD]


def argocd_config(settings: Settings) -> ArgoCDConfig | None:
    """How to reach Argo CD's API, when ARGOCD_SERVER and credentials are set (the callers'
    own with K8S_MCP_ARGOCD_IDENTITY=caller); None otherwise (argocd commands then run the
    CLI, with its own configuration)."""
    if not settings.argocd_server:
        return None
    token = settings.argocd_auth_token
    password = settings.argocd_password
    config = ArgoCDConfig(
        server=settings.argocd_server,
        token=token.get_secret_value() if token else None,
        username=settings.argocd_username,
        password=password.get_secret_value() if password else None,
        insecure=settings.argocd_insecure,
        ca_file=settings.argocd_ca_file,
        timeout=settings.max_timeout,
    )
    if settings.argocd_identity == "caller":
        return config
    return config if config.has_credentials else None


class Backends:
    def __init__(self, settings: Settings, connect_argocd: ArgoCDConnect = ArgoCD) -> None:
        self.kube = KubeClients(settings.kubeconfig, settings.context)
        self.helm = Helm(install_hint=CLI_INSTALL_HINTS["helm"])
        self.cli_versions = CliVersions(settings)
        self._argocd_config = argocd_config(settings)
        self._connect_argocd = connect_argocd
        self._argocd: ArgoCD | None = None
        # Told how long each Argo CD API request took (the server's metrics), when set.
        self.on_argocd_request: Callable[[float], None] | None = None

    def argocd(self) -> ArgoCD | None:
        """The Argo CD API client, made by the first call that needs it; None when Argo CD's
        API is not configured. A server address that cannot be read is the error of every call
        that needs it (BackendError), not of the server's start."""
        if self._argocd is None and self._argocd_config is not None:
            self._argocd = self._connect_argocd(self._argocd_config)
            self._argocd.on_request = self.on_argocd_request
        return self._argocd

    @asynccontextmanager
    async def argocd_as(self, token: str | None) -> AsyncIterator[ArgoCD | None]:
        """The Argo CD API client of one call: the server's, or with a caller's token a
        client of its own for this call, closed when it ends."""
        if token is None or self._argocd_config is None:
            yield self.argocd()
            return
        config = replace(self._argocd_config, token=token, username=None, password=None)
        client = self._connect_argocd(config)
        client.on_request = self.on_argocd_request
        try:
            yield client
        finally:
            await client.aclose()

    async def __aenter__(self) -> Backends:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.kube.aclose()
        if self._argocd is not None:
            await self._argocd.aclose()


# How the server's lifespan builds its backends; a test passes its own.
BackendsFactory = Callable[[Settings], Backends]
