"""A handler's `NativeContext.kube` for an API object a test already holds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from adapters.kubernetes import KubeAPI


def kube_of(api: Any) -> Callable[[], Awaitable[KubeAPI]]:
    """`api` (a KubeAPI, a replay or a stub with the methods a handler calls), as the server's
    lazily opened client."""

    async def opened() -> KubeAPI:
        result: KubeAPI = api
        return result

    return opened
