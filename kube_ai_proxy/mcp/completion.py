"""Argument completion (`completion/complete`) for the prompts: the kube contexts, namespaces,
kinds and object names a person filling in a prompt in a client's menu may pick.

Values come from the native client, as the caller (with OAuth identity on, the API server
sees them), within the access policy: only the allowed contexts and namespaces, and nothing
the caller may not list (a refusal suggests nothing). They are filtered by what was typed,
at most 100 (the protocol's cap), and kept for a few seconds, so completing a name as it is
typed asks the API server once.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import mcp_types
from fastmcp import FastMCP
from fastmcp.server.dependencies import get_access_token, get_context

from adapters.errors import BackendError
from adapters.kubernetes import ActAs, KubeAPI
from kube_ai_proxy.config import Settings
from kube_ai_proxy.identity import acting_as, caller_of
from kube_ai_proxy.mcp.lifespan import served

MAX_VALUES = 100
CACHE_SECONDS = 5.0
MAX_CACHED = 1024  # answers kept; past that, the stale ones are dropped

# Listed first among the kinds: what the troubleshooting prompts are about.
WORKLOAD_KINDS = ("deployment", "statefulset", "daemonset", "job", "pod", "cronjob", "replicaset")

# The prompts whose arguments are a kube context, namespace, kind and object name.
KUBE_PROMPTS = frozenset({"troubleshoot-workload"})

# Only object metadata: names are all completion needs.
_METADATA = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"

# The API of a context (None: the server's), as someone (None: the server's own identity).
GetAPI = Callable[[str | None, ActAs | None], Awaitable[KubeAPI]]
Fetch = Callable[..., Awaitable[list[str]]]


@dataclass
class Completer:
    """The values of each completable argument, by its name: `context`, `namespace`, `kind`
    and `name` (of an object of the chosen kind in the chosen namespace and context)."""

    settings: Settings
    contexts: Callable[[], list[str]]  # the kubeconfig's context names
    get_api: GetAPI
    _cache: dict[tuple[Any, ...], tuple[float, list[str]]] = field(default_factory=dict)

    async def values(
        self, argument: str, typed: str, given: Mapping[str, str], acting: ActAs | None = None
    ) -> list[str]:
        """What may be typed for `argument`, starting with `typed`, as `acting` may see it;
        `given` holds the other arguments' values so far."""
        context = given.get("context") or self.settings.context
        if context is not None and not self._context_allowed(context):
            return []
        if argument == "context":
            found = [c for c in self.contexts() if self._context_allowed(c)]
        elif argument == "namespace":
            found = await self._cached(("namespaces", context, acting), self._namespaces)
        elif argument == "kind":
            found = await self._cached(("kinds", context, acting), self._kinds)
        elif argument == "name":
            namespace = given.get("namespace") or "default"
            kind = given.get("kind") or ""
            if not kind or not self._namespace_allowed(namespace):
                return []
            key = ("names", context, acting, kind, namespace)
            found = await self._cached(key, self._names)
        else:
            return []
        return [value for value in found if value.startswith(typed)][:MAX_VALUES]

    def _context_allowed(self, context: str) -> bool:
        allowed = self.settings.allowed_contexts
        return not allowed or context in allowed

    def _namespace_allowed(self, namespace: str) -> bool:
        allowed = self.settings.allowed_namespaces
        return not allowed or namespace in allowed

    async def _cached(self, key: tuple[Any, ...], fetch: Fetch) -> list[str]:
        """`fetch(*key[1:])`, as it was less than CACHE_SECONDS ago."""
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        try:
            found = await fetch(*key[1:])
        except BackendError:
            found = []  # refused or unreachable: nothing to suggest
        if len(self._cache) >= MAX_CACHED:
            self._cache = {k: v for k, v in self._cache.items() if now - v[0] < CACHE_SECONDS}
        self._cache[key] = (now, found)
        return found

    async def _namespaces(self, context: str | None, acting: ActAs | None) -> list[str]:
        if self.settings.allowed_namespaces:
            return sorted(self.settings.allowed_namespaces)
        return await self._list_names(await self.get_api(context, acting), "/api/v1/namespaces")

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
        return await self._list_names(api, resource.path(namespace))

    @staticmethod
    async def _list_names(api: KubeAPI, path: str) -> list[str]:
        listed = await api.request("GET", path, query=[("limit", 500)], accept=_METADATA)
        return sorted(item["metadata"]["name"] for item in listed.get("items") or [])


def add_completion(mcp: FastMCP[Any], settings: Settings) -> None:
    """Answer `completion/complete` for the prompts' arguments."""
    completers: list[Completer] = []  # made with the first request: it needs the lifespan

    @mcp.completion
    async def complete(
        ref: mcp_types.PromptReference | mcp_types.ResourceTemplateReference,
        argument: mcp_types.CompletionArgument,
        context: mcp_types.CompletionContext | None,
    ) -> list[str]:
        if not isinstance(ref, mcp_types.PromptReference) or ref.name not in KUBE_PROMPTS:
            return []
        calls = served(get_context()).calls
        if not completers:

            def contexts() -> list[str]:
                return [str(c["name"]) for c in calls.policy.kubeconfig.contexts()]

            completers.append(Completer(settings, contexts, calls.backends.kube.get))
        token = get_access_token()
        caller = caller_of(token.claims, token.token, settings) if token else None
        given = dict(context.arguments or {}) if context is not None else {}
        return await completers[0].values(
            argument.name, argument.value, given, acting_as(settings, caller)
        )
