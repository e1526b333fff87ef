"""A kubeconfig user's exec credential plugin, run again when its token expires or is refused."""

from __future__ import annotations

import asyncio
import datetime
from typing import TYPE_CHECKING

from adapters.errors import BackendError

if TYPE_CHECKING:
    from kubernetes_asyncio.client import Configuration
    from kubernetes_asyncio.config.kube_config import KubeConfigLoader

# What to do about credentials the API server refused (401).
REFRESH_CREDENTIALS = (
    "Refresh them: log in again with the tool that wrote the kubeconfig's user, or replace its "
    "token (an exec credential plugin is run again by itself), then retry."
)


class ExecCredentials:
    """A kubeconfig user's exec plugin (cloud logins, OIDC helpers): its token is fetched again
    when it has expired, and when the API server refuses it (401), as client-go does.
    kubernetes-asyncio fetches it once, when the client is made."""

    SKEW = datetime.timedelta(seconds=10)

    def __init__(self, loader: KubeConfigLoader) -> None:
        self._loader = loader
        self._lock = asyncio.Lock()

    def attach(self, configuration: Configuration) -> None:
        configuration.refresh_api_key_hook = self._refresh_if_expired

    async def _refresh_if_expired(self, configuration: Configuration) -> None:
        expiry: datetime.datetime | None = getattr(self._loader, "exec_plugin_expiry", None)
        if expiry is None:
            return  # no expiry given: kept until the API server refuses it
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=datetime.UTC)
        if expiry - self.SKEW < datetime.datetime.now(datetime.UTC):
            await self.refresh(configuration)

    async def refresh(self, configuration: Configuration) -> None:
        """Run the plugin again, whatever its last token's expiry said."""
        async with self._lock:
            if hasattr(self._loader, "exec_plugin_expiry"):
                del self._loader.exec_plugin_expiry
            try:
                await self._loader.load_from_exec_plugin()
            except Exception as exc:
                raise BackendError(
                    "unavailable", f"the kubeconfig's exec credential plugin failed: {exc}"
                ) from None
            token = getattr(self._loader, "token", None)
            if token:
                configuration.api_key["BearerToken"] = token
