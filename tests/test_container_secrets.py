"""What `kubectl exec` and `attach` print is scrubbed of the Secrets the pod is given.

The API server is a stub holding the objects a test gives it, with discovery recorded from the
e2e control plane; the kind suite (e2e/test_kind_containers.py) checks the same against real
containers.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from adapters.errors import BackendError
from adapters.kubernetes import Discovery, Resource
from kube_ai_proxy.cli_run import run_cli
from kube_ai_proxy.errors import CommandError
from kube_ai_proxy.output.container_secrets import (
    SecretScrubber,
    container_scrubber,
    prints_container_output,
    secret_names,
)
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.plan import plan

PASSWORD = "correct-horse-battery"
TLS_KEY = (
    "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nQwIBAAKCAQEAx7\n-----END KEY-----\n"
)
# The shape of a service account token: header and claims are base64url JSON.
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLWJ5dGVz"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret(name: str, **data: str) -> dict[str, Any]:
    return {
        "kind": "Secret",
        "metadata": {"name": name},
        "data": {k: b64(v) for k, v in data.items()},
    }


POD_SPEC: dict[str, Any] = {
    "initContainers": [{"name": "init", "envFrom": [{"secretRef": {"name": "init-env"}}]}],
    "containers": [
        {
            "name": "app",
            "env": [
                {"name": "PLAIN", "value": "not-a-secret"},
                {
                    "name": "DB_PASSWORD",
                    "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
                },
                {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            ],
        }
    ],
    "volumes": [
        {"name": "tls", "secret": {"secretName": "tls"}},
        {"name": "all", "projected": {"sources": [{"secret": {"name": "projected"}}, {}]}},
        {"name": "scratch", "emptyDir": {}},
    ],
}


class StubAPI:
    """The reads container_scrubber makes, answered from `objects` by path."""

    def __init__(self, objects: dict[str, Any], forbidden: tuple[str, ...] = ()) -> None:
        recorded = json.loads(
            (Path(__file__).parent / "data" / "discovery-v1.35.4.json").read_text()
        )
        self.discovery = Discovery.from_documents(recorded["api"], recorded["apis"])
        self.objects = objects
        self.forbidden = forbidden
        self.reads: list[tuple[str, Any]] = []

    async def resolve(self, name: str) -> Resource:
        found = self.discovery.resolve(name)
        if found is None:
            raise BackendError("not_found", f'the server doesn\'t have a resource type "{name}"')
        return found

    async def request(self, method: str, path: str, **options: Any) -> Any:
        assert method == "GET"
        self.reads.append((path, list(options.get("query", ()))))
        if path in self.forbidden:
            raise BackendError("rbac_denied", f"GET {path} is forbidden")
        if path not in self.objects:
            raise BackendError("not_found", f"{path} not found")
        return self.objects[path]


NS = "/api/v1/namespaces/web"
SECRETS = {
    f"{NS}/secrets/db": secret("db", password=PASSWORD, user="admin"),
    f"{NS}/secrets/tls": secret("tls", **{"tls.key": TLS_KEY}),
    f"{NS}/secrets/init-env": secret("init-env", TOKEN="init-token-value-1234"),
    # `projected` is not there: an optional reference gives the container nothing.
}


async def scrubber_for(line: str, objects: dict[str, Any], **stub: Any) -> SecretScrubber:
    command = plan(CliSpecs(), "kubectl", line).command
    api: Any = StubAPI(objects, **stub)
    return await container_scrubber(api, command, "web", timeout=5)


def test_every_secret_reference_of_a_pod_spec_is_found() -> None:
    assert sorted(secret_names(POD_SPEC)) == ["db", "init-env", "projected", "tls"]


@pytest.mark.parametrize(
    ("line", "container"),
    [
        ("kubectl exec web-0 -- printenv", True),
        ("kubectl exec -it web-0 -c app -- sh", True),
        ("kubectl attach web-0", True),
        ("kubectl logs web-0", False),
        ("kubectl get pods", False),
    ],
)
def test_the_commands_that_print_a_containers_output(line: str, container: bool) -> None:
    assert prints_container_output(plan(CliSpecs(), "kubectl", line).command) is container


async def test_a_pods_secret_values_are_replaced_wherever_they_appear() -> None:
    objects = {**SECRETS, f"{NS}/pods/web-0": {"kind": "Pod", "spec": POD_SPEC}}
    scrub = await scrubber_for("kubectl exec web-0 -- printenv", objects)
    printed = "\n".join(
        [
            f"DB_PASSWORD={PASSWORD}",
            f"url=postgres://app:{PASSWORD}@db:5432",  # inside a longer word
            f"encoded={b64(PASSWORD)}",
            "TOKEN=init-token-value-1234",
            TLS_KEY,
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",  # one line of a multi-line value
            f"token={JWT}",
            "USER=admin",  # a short value, standing alone
            "administrator",  # ...and inside a word, where it stays
            "PLAIN=not-a-secret",
        ]
    )
    scrubbed = scrub(printed)
    for value in (PASSWORD, b64(PASSWORD), "init-token-value-1234", "MIIEvQIBADANBgkq", JWT):
        assert value not in scrubbed
    assert "USER=REDACTED" in scrubbed
    assert "administrator" in scrubbed
    assert "PLAIN=not-a-secret" in scrubbed
    assert "url=postgres://app:REDACTED@db:5432" in scrubbed


@pytest.mark.parametrize("target", ["deploy/web", "deployment.apps/web", "sts/web", "job/web"])
async def test_a_workload_target_is_checked_through_its_pod_template(target: str) -> None:
    kind, _, _ = target.partition("/")
    path = {
        "deploy": "/apis/apps/v1/namespaces/web/deployments/web",
        "deployment.apps": "/apis/apps/v1/namespaces/web/deployments/web",
        "sts": "/apis/apps/v1/namespaces/web/statefulsets/web",
        "job": "/apis/batch/v1/namespaces/web/jobs/web",
    }[kind]
    objects = {**SECRETS, path: {"spec": {"template": {"spec": POD_SPEC}}}}
    scrub = await scrubber_for(f"kubectl exec {target} -- printenv", objects)
    assert PASSWORD not in scrub(f"DB_PASSWORD={PASSWORD}")


async def test_a_service_target_is_checked_through_every_pod_it_selects() -> None:
    objects = {
        **SECRETS,
        f"{NS}/services/web": {"spec": {"selector": {"app": "web", "tier": "front"}}},
        f"{NS}/pods": {"items": [{"spec": {}}, {"spec": POD_SPEC}]},
    }
    command = plan(CliSpecs(), "kubectl", "kubectl exec svc/web -- printenv").command
    api = StubAPI(objects)
    scrub = await container_scrubber(api, command, "web", timeout=5)  # type: ignore[arg-type]
    assert PASSWORD not in scrub(PASSWORD)
    assert (f"{NS}/pods", [("labelSelector", "app=web,tier=front")]) in api.reads


async def test_a_secret_the_server_cannot_read_refuses_the_call() -> None:
    objects = {**SECRETS, f"{NS}/pods/web-0": {"kind": "Pod", "spec": POD_SPEC}}
    with pytest.raises(CommandError) as refused:
        await scrubber_for(
            "kubectl exec web-0 -- printenv", objects, forbidden=(f"{NS}/secrets/tls",)
        )
    assert refused.value.code == "rbac_denied"
    assert "Secret tls in web" in refused.value.message
    assert "K8S_MCP_ALLOW_SECRETS=true" in refused.value.message


@pytest.mark.parametrize(
    ("line", "code", "says"),
    [
        ("kubectl exec gone -- id", "not_found", "pods/gone not found"),
        ("kubectl exec widget/x -- id", "not_found", 'resource type "widget"'),
        ("kubectl exec cm/x -- id", "invalid_command", "name a pod"),
        ("kubectl exec -f pod.yaml -- id", "invalid_command", "name the pod"),
    ],
)
async def test_a_target_without_known_pods_is_refused(line: str, code: str, says: str) -> None:
    objects: dict[str, Any] = {f"{NS}/configmaps/x": {"data": {}}}
    with pytest.raises(CommandError) as refused:
        await scrubber_for(line, objects)
    assert refused.value.code == code
    assert says in refused.value.message


async def test_the_containers_stderr_is_scrubbed_too(fake_bin: Path) -> None:
    """What a container writes to stderr comes through kubectl's stderr, into the result's
    error message."""
    env = {"PATH": os.environ["PATH"], "FAKE_CLI_MODE": "fail"}
    command_plan = plan(CliSpecs(), "kubectl", "kubectl exec web-0 -- id")
    outcome = await run_cli(
        command_plan,
        env,
        server_context=None,
        stdin=None,
        timeout=10,
        max_output=10_000,
        progress=None,
        guard=SecretScrubber(["podz"]),
        scrub_stderr=True,
    )
    assert outcome.exit_code == 3
    assert outcome.stages[0].stderr.strip().endswith('resource type "REDACTED"')
