"""Argument completion for the prompts (kube_ai_proxy/mcp/completion.py): what is suggested,
within the access policy, as whom, and how often the API server is asked."""

from __future__ import annotations

from typing import Any

import mcp_types
import pytest
from fastmcp import Client

from adapters.errors import BackendError
from adapters.kubernetes import ActAs, Discovery, Resource
from kube_ai_proxy.config import Settings
from kube_ai_proxy.mcp.completion import MAX_VALUES, Asker, Completer
from kube_ai_proxy.mcp.server import create_server

PODS = Resource("", "v1", "pods", "pod", "Pod", True, ("get", "list"))
DEPLOYMENTS = Resource("apps", "v1", "deployments", "deployment", "Deployment", True, ("list",))
BINDINGS = Resource("", "v1", "bindings", "binding", "Binding", True, ("create",))
TROUBLESHOOT = "troubleshoot-workload"
CONFIGMAPS = Resource("", "v1", "configmaps", "configmap", "ConfigMap", True, ("list",))


class StubAPI:
    """The API of one context as one identity: lists answer these names, or are refused."""

    def __init__(self, names: dict[str, list[str]], refused: bool = False) -> None:
        self.names = names
        self.refused = refused
        self.asked: list[str] = []

    async def request(self, method: str, path: str, **_: Any) -> dict[str, Any]:
        self.asked.append(path)
        if self.refused:
            raise BackendError("rbac_denied", "forbidden")
        return {"items": [{"metadata": {"name": n}} for n in self.names.get(path, [])]}

    async def discovery(self) -> Discovery:
        return Discovery([CONFIGMAPS, BINDINGS, PODS, DEPLOYMENTS])

    async def resolve(self, name: str) -> Resource:
        found = (await self.discovery()).resolve(name)
        if found is None:
            raise BackendError("not_found", name)
        return found


def completer(
    settings: Settings, apis: dict[tuple[str | None, ActAs | None], StubAPI]
) -> Completer:
    async def get_api(context: str | None, acting: ActAs | None) -> Any:
        return apis[(context, acting)]

    return Completer(settings, lambda: ["dev", "prod", "staging"], get_api)


async def test_kinds_put_workloads_first_and_leave_out_what_cannot_be_listed() -> None:
    kinds = await completer(Settings(), {(None, None): StubAPI({})}).values(
        TROUBLESHOOT, "kind", "", {}
    )
    assert kinds == ["deployment", "pod", "configmap"]
    assert await completer(Settings(), {(None, None): StubAPI({})}).values(
        TROUBLESHOOT, "kind", "d", {}
    ) == ["deployment"]


async def test_names_are_of_the_chosen_kind_namespace_and_context_filtered_by_prefix() -> None:
    api = StubAPI({"/apis/apps/v1/namespaces/shop/deployments": ["web", "worker", "api"]})
    values = await completer(Settings(), {("prod", None): api}).values(
        TROUBLESHOOT, "name", "w", {"context": "prod", "namespace": "shop", "kind": "deployment"}
    )
    assert values == ["web", "worker"]


async def test_the_access_policy_bounds_contexts_and_namespaces() -> None:
    settings = Settings(allowed_contexts=["dev", "staging"], allowed_namespaces=["shop"])
    api = StubAPI({"/api/v1/namespaces/other/pods": ["secret-pod"]})
    complete = completer(settings, {("dev", None): api})
    assert await complete.values(TROUBLESHOOT, "context", "", {}) == ["dev", "staging"]
    assert await complete.values(TROUBLESHOOT, "namespace", "", {"context": "dev"}) == ["shop"]
    # A namespace or a context outside the policy: nothing, and the API is not asked.
    given = {"context": "dev", "namespace": "other", "kind": "pod"}
    assert await complete.values(TROUBLESHOOT, "name", "", given) == []
    assert await complete.values(TROUBLESHOOT, "namespace", "", {"context": "prod"}) == []
    assert api.asked == []


async def test_what_the_caller_may_not_list_is_not_suggested() -> None:
    alice = ActAs(user="alice")
    apis: dict[tuple[str | None, ActAs | None], StubAPI] = {
        (None, alice): StubAPI({}, refused=True),
        (None, None): StubAPI({"/api/v1/namespaces": ["kube-system", "shop"]}),
    }
    complete = completer(Settings(), apis)
    assert await complete.values(TROUBLESHOOT, "namespace", "", {}, Asker(alice)) == []
    assert await complete.values(TROUBLESHOOT, "namespace", "", {}) == ["kube-system", "shop"]


async def test_answers_are_kept_a_few_seconds_and_capped_at_a_hundred() -> None:
    many = [f"pod-{i:03}" for i in range(250)]
    api = StubAPI({"/api/v1/namespaces/default/pods": many})
    complete = completer(Settings(), {(None, None): api})
    for typed in ("", "p", "pod-1"):
        values = await complete.values(TROUBLESHOOT, "name", typed, {"kind": "pods"})
        assert len(values) <= MAX_VALUES
        assert values == [n for n in many if n.startswith(typed)][:MAX_VALUES]
    assert api.asked == ["/api/v1/namespaces/default/pods"]  # asked once for three answers


async def test_the_server_offers_completion_for_the_prompt_only() -> None:
    settings = Settings(allowed_contexts=["unreached"])
    async with Client(create_server(settings)) as client:
        assert client.server_capabilities is not None
        assert client.server_capabilities.completions is not None
        prompt = mcp_types.PromptReference(type="ref/prompt", name="troubleshoot-workload")
        contexts = await client.complete(prompt, {"name": "context", "value": "un"})
        other = mcp_types.PromptReference(type="ref/prompt", name="no-such-prompt")
        unknown = await client.complete(other, {"name": "context", "value": ""})
    assert contexts.values == ["unreached"]
    assert unknown.values == []


@pytest.mark.parametrize("context", ["", "prod"])
async def test_the_prompt_names_the_context_when_one_is_given(context: str) -> None:
    async with Client(create_server(Settings())) as client:
        prompt = await client.get_prompt(
            "troubleshoot-workload", {"kind": "deployment", "name": "web", "context": context}
        )
    text = prompt.messages[0].content.text
    assert ("Pass `context: prod` with every call" in text) == bool(context)


async def test_each_prompt_completes_its_own_arguments() -> None:
    releases = [
        {"metadata": {"name": f"sh.helm.release.v1.{name}.v{n}", "labels": {"name": name}}}
        for name, n in (("shop", 1), ("shop", 2), ("search", 1))
    ]

    class Helm(StubAPI):
        async def request(self, method: str, path: str, **options: Any) -> dict[str, Any]:
            self.asked.append(path)
            assert ("labelSelector", "owner=helm") in options["query"]
            return {"items": releases}

    deployments = StubAPI({"/apis/apps/v1/namespaces/web/deployments": ["api", "web"]})
    rollout = completer(Settings(), {(None, None): deployments})
    names = await rollout.values("rollout-stuck", "name", "", {"namespace": "web"})
    helm = completer(Settings(), {(None, None): Helm({})})
    found = await helm.values("helm-upgrade-preview", "release", "s", {"namespace": "web"})
    # An argument the prompt does not have, and a prompt this server does not have: nothing.
    assert await rollout.values("rollout-stuck", "kind", "", {}) == []
    assert await rollout.values("no-such-prompt", "name", "", {}) == []
    assert names == ["api", "web"]
    assert found == ["search", "shop"]  # one per release, whatever its revisions


class StubArgoCD:
    def __init__(self, apps: list[str]) -> None:
        self.apps = apps
        self.tokens: list[str | None] = []

    def of(self, token: str | None) -> Any:
        self.tokens.append(token)
        stub = self

        class Opened:
            async def __aenter__(self) -> StubArgoCD:
                return stub

            async def __aexit__(self, *exc: object) -> None:
                return None

        return Opened()

    async def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        assert path == "/api/v1/applications" and params == {"fields": "items.metadata.name"}
        return {"items": [{"metadata": {"name": a}} for a in self.apps]}


async def test_argocd_apps_are_listed_with_the_callers_token_when_argo_cd_sees_callers() -> None:
    argocd = StubArgoCD(["shop", "search", "billing"])

    async def get_api(context: str | None, acting: ActAs | None) -> Any:
        raise AssertionError("the cluster is not asked for Argo CD's applications")

    complete = Completer(Settings(), lambda: [], get_api, argocd.of)
    apps = await complete.values("argocd-app-out-of-sync", "app", "s", {}, Asker(None, "tok"))
    assert apps == ["search", "shop"]
    assert argocd.tokens == ["tok"]


@pytest.mark.parametrize(
    ("prompt", "arguments", "expected"),
    [
        ("rollout-stuck", {"name": "web", "namespace": "shop"}, "deployment/web -n shop"),
        (
            "helm-upgrade-preview",
            {"release": "shop", "chart": "./chart", "namespace": "web"},
            "helm upgrade shop ./chart -n web --dry-run=server",
        ),
        ("argocd-app-out-of-sync", {"app": "shop"}, "argocd app diff shop"),
    ],
)
async def test_the_prompts_name_what_was_picked(
    prompt: str, arguments: dict[str, str], expected: str
) -> None:
    async with Client(create_server(Settings())) as client:
        listed = {p.name for p in await client.list_prompts()}
        got = await client.get_prompt(prompt, arguments)
    assert prompt in listed
    assert expected in got.messages[0].content.text
