"""Argument completion (`completion/complete`) for the prompts: the kube contexts, namespaces,
kinds, object names, helm releases and Argo CD applications a person filling in a prompt in a
client's menu may pick.

Values come from the native clients as the caller (with OAuth identity on, the API server and
Argo CD see them), within the access policy: only the allowed contexts and namespaces, and
nothing the caller may not list (a refusal suggests nothing). They are filtered by what was
typed, at most 100 (the protocol's cap), and kept for a few seconds, so completing a name as
it is typed asks once.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import mcp_types
from fastmcp import FastMCP
from fastmcp.server.dependencies import get_access_token, get_context

from adapters.argocd import ArgoCD
from adapters.errors import BackendError
from adapters.kubernetes import ActAs, KubeAPI
from kube_ai_proxy.config import Settings
from kube_ai_proxy.identity import Caller, acting_as, caller_of
from kube_ai_proxy.mcp.lifespan import served

MAX_VALUES = 100
CACHE_SECONDS = 5.0
MAX_CACHED = 1024  # answers kept; past that, the stale ones are dropped

# Where each prompt's arguments come from: `name` is an object of the kind given as `kind`,
# `name:KIND` one of that kind.
PROMPT_ARGUMENTS: Mapping[str, Mapping[str, str]] = {
    "troubleshoot-workload": {
        "context": "context",
        "namespace": "namespace",
        "kind": "kind",
        "name": "name",
    },
    "rollout-stuck": {"context": "context", "namespace": "namespace", "name": "name:deployment"},
    "helm-upgrade-preview": {"context": "context", "namespace": "namespace", "release": "release"},
    "argocd-app-out-of-sync": {"app": "app"},
}

# Listed first among the kinds: what the troubleshooting prompts are about.
WORKLOAD_KINDS = ("deployment", "statefulset", "daemonset", "job", "pod", "cronjob", "replicaset")

# Only object metadata: names (and helm's labels) are all completion needs.
_METADATA = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"

# The API of a context (None: the server's), as someone (None: the server's own identity).
GetAPI = Callable[[str | None, ActAs | None], Awaitable[KubeAPI]]
# Argo CD's API client for a caller's token (None: the server's); it yields None when Argo
# CD's API is not configured.
ArgoCDFor = Callable[[str | None], AbstractAsyncContextManager[ArgoCD | None]]


@dataclass(frozen=True)
class Asker:
    """Who asks: the API server's view of them, and the token Argo CD gets (None: the
    server's own)."""

    acting: ActAs | None = None
    argocd_token: str | None = field(default=None, repr=False)


@dataclass
class Completer:
    """The values of the prompts' arguments (PROMPT_ARGUMENTS)."""

    settings: Settings
    contexts: Callable[[], list[str]]  # the kubeconfig's context names
    get_api: GetAPI
    argocd: ArgoCDFor | None = None
    _cache: dict[tuple[Any, ...], tuple[float, list[str]]] = field(default_factory=dict)

    async def values(
        self,
        prompt: str,
        argument: str,
        typed: str,
        given: Mapping[str, str],
        asker: Asker | None = None,
    ) -> list[str]:
        """What may be typed for the prompt's `argument`, starting with `typed`, as `asker`
        may see it; `given` holds the other arguments' values so far."""
        asker = asker or Asker()
        source = PROMPT_ARGUMENTS.get(prompt, {}).get(argument)
        context = given.get("context") or self.settings.context
        if source is None or (context is not None and not self._context_allowed(context)):
            return []
        namespace = given.get("namespace") or "default"
        if source == "context":
            found = [c for c in self.contexts() if self._context_allowed(c)]
        elif source == "namespace":
            found = await self._cached(self._namespaces, context, asker.acting)
        elif source == "kind":
            found = await self._cached(self._kinds, context, asker.acting)
        elif source == "app":
            found = await self._cached(self._apps, asker.argocd_token)
        elif not self._namespace_allowed(namespace):
            return []
        elif source == "release":
            found = await self._cached(self._releases, context, asker.acting, namespace)
        else:  # name, name:KIND
            kind = source.partition(":")[2] or given.get("kind") or ""
            if not kind:
                return []
            found = await self._cached(self._names, context, asker.acting, kind, namespace)
        return [value for value in found if value.startswith(typed)][:MAX_VALUES]

    def _context_allowed(self, context: str) -> bool:
        allowed = self.settings.allowed_contexts
        return not allowed or context in allowed

    def _namespace_allowed(self, namespace: str) -> bool:
        allowed = self.settings.allowed_namespaces
        return not allowed or namespace in allowed

    async def _cached(self, fetch: Callable[..., Awaitable[list[str]]], *args: Any) -> list[str]:
        """`fetch(*args)`, as it was less than CACHE_SECONDS ago."""
        now = time.monotonic()
        key = (fetch.__name__, *args)
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        try:
            found = await fetch(*args)
        except BackendError:
            found = []  # refused or unreachable: nothing to suggest
        if len(self._cache) >= MAX_CACHED:
            self._cache = {k: v for k, v in self._cache.items() if now - v[0] < CACHE_SECONDS}
        self._cache[key] = (now, found)
        return found

    async def _namespaces(self, context: str | None, acting: ActAs | None) -> list[str]:
        if self.settings.allowed_namespaces:
            return sorted(self.settings.allowed_namespaces)
        listed = await _metadata(await self.get_api(context, acting), "/api/v1/namespaces")
        return sorted(item["metadata"]["name"] for item in listed)

    async def _kinds(self, context: str | None, acting: ActAs | None) -> list[str]:
        discovery = await (await self.get_api(context, acting)).discovery()
        listable = {r.singular for r in discovery.resources if "list" in r.verbs and r.singular}
        first = [kind for kind in WORKLOAD_KINDS if kind in listable]
        return first + sorted(listable - set(first))

    async def _names(
        self, context: str | None, acting: ActAs | None, kind: str, namespace: str
    ) -> list[str]:
        api = await self.get_api(context, acting)
        resource = await api.resolve(kind)
        listed = await _metadata(api, resource.path(namespace))
        return sorted(item["metadata"]["name"] for item in listed)

    async def _releases(
        self, context: str | None, acting: ActAs | None, namespace: str
    ) -> list[str]:
        """helm's releases in the namespace: its storage Secrets (owner=helm) carry each
        release's name as a label, one Secret per revision."""
        api = await self.get_api(context, acting)
        path = f"/api/v1/namespaces/{namespace}/secrets"
        listed = await _metadata(api, path, ("labelSelector", "owner=helm"))
        return sorted(
            {item["metadata"].get("labels", {}).get("name", "") for item in listed} - {""}
        )

    async def _apps(self, token: str | None) -> list[str]:
        if self.argocd is None:
            return []
        async with self.argocd(token) as argocd:
            if argocd is None:
                return []  # no Argo CD API configured
            listed = await argocd.get("/api/v1/applications", {"fields": "items.metadata.name"})
        items = (listed or {}).get("items") or []
        return sorted(str(item["metadata"]["name"]) for item in items)


async def _metadata(api: KubeAPI, path: str, *query: tuple[str, str]) -> list[dict[str, Any]]:
    listed = await api.request("GET", path, query=[*query, ("limit", 500)], accept=_METADATA)
    items: list[dict[str, Any]] = listed.get("items") or []
    return items


def add_completion(mcp: FastMCP[Any], settings: Settings) -> None:
    """Answer `completion/complete` for the prompts' arguments."""
    completers: list[Completer] = []  # made with the first request: it needs the lifespan

    @mcp.completion
    async def complete(
        ref: mcp_types.PromptReference | mcp_types.ResourceTemplateReference,
        argument: mcp_types.CompletionArgument,
        context: mcp_types.CompletionContext | None,
    ) -> list[str]:
        if not isinstance(ref, mcp_types.PromptReference):
            return []
        calls = served(get_context()).calls
        if not completers:

            def contexts() -> list[str]:
                return [str(c["name"]) for c in calls.policy.kubeconfig.contexts()]

            completers.append(
                Completer(settings, contexts, calls.backends.kube.get, calls.backends.argocd_as)
            )
        given = dict(context.arguments or {}) if context is not None else {}
        asker = _asker(settings)
        return await completers[0].values(ref.name, argument.name, argument.value, given, asker)


def _asker(settings: Settings) -> Asker:
    token = get_access_token()
    caller: Caller | None = caller_of(token.claims, token.token, settings) if token else None
    argocd_token = caller.token if caller and settings.argocd_identity == "caller" else None
    return Asker(acting_as(settings, caller), argocd_token)
