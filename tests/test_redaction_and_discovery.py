"""Secret redaction on every shape of output, and resource discovery from a recorded API server.

The discovery documents in tests/data were recorded from the e2e control plane (Kubernetes
v1.35.4, `GET /api` and `GET /apis` with aggregated discovery), with kwok's CRDs installed.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.kubernetes import Discovery
from kube_ai_proxy.errors import CommandError
from kube_ai_proxy.output.redact import (
    REDACTED,
    output_guard,
    redact_argv_text,
    redact_command_line,
    redact_text,
    redact_values,
)
from kube_ai_proxy.parse.clispec import CliSpecs, Tool
from kube_ai_proxy.parse.plan import plan

VALUE = "hunter2-very-secret"
B64 = base64.b64encode(VALUE.encode()).decode()
SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {
        "name": "db",
        "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                {"kind": "Secret", "stringData": {"password": VALUE}}
            ),
            "team": "web",
        },
    },
    "data": {"password": B64},
    "stringData": {"other": VALUE},
}
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}}


def guard_for(line: str) -> Any:
    tool: Tool = line.split()[0]  # type: ignore[assignment]
    return output_guard(plan(CliSpecs(), tool, line).command)


@pytest.mark.parametrize(
    "document",
    [
        SECRET,
        {"apiVersion": "v1", "kind": "List", "items": [CONFIGMAP, SECRET]},
        # The API's own list: items carry no kind.
        {"kind": "SecretList", "items": [{k: v for k, v in SECRET.items() if k != "kind"}]},
    ],
)
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_secret_values_are_replaced_in_json_and_yaml(document: dict[str, Any], fmt: str) -> None:
    text = json.dumps(document, indent=4) if fmt == "json" else yaml.safe_dump(document)
    redacted = redact_text(text)
    assert redacted is not None
    assert VALUE not in redacted
    assert B64 not in redacted
    assert REDACTED in redacted
    parsed = json.loads(redacted) if fmt == "json" else yaml.safe_load(redacted)
    secret = parsed if "data" in parsed else parsed["items"][-1]
    assert secret["data"] == {"password": REDACTED}
    assert secret["metadata"]["name"] == "db"


def test_documents_without_secrets_keep_their_exact_text() -> None:
    text = "# Source: chart/templates/cm.yaml\n" + yaml.safe_dump(CONFIGMAP)
    manifest = text + "---\n" + yaml.safe_dump(SECRET)
    redacted = redact_text(manifest)
    assert redacted is not None
    assert redacted.startswith(text)
    assert VALUE not in redacted


@pytest.mark.parametrize(
    ("line", "output"),
    [
        ("kubectl get secret db -o json", json.dumps(SECRET)),
        ("kubectl get --raw /api/v1/namespaces/x/secrets/db", json.dumps(SECRET)),
        ("kubectl apply -f - -o yaml", yaml.safe_dump(SECRET)),
        ("helm get manifest wp", yaml.safe_dump(SECRET)),
        ("helm template wp repo/chart", yaml.safe_dump(SECRET)),
        (
            "helm get values wp",
            "USER-SUPPLIED VALUES:\n" + yaml.safe_dump({"db": {"password": VALUE, "user": "u"}}),
        ),
        ("helm get values wp -o json", json.dumps({"auth": {"apiKey": VALUE}})),
        (
            "helm status wp -o json",
            json.dumps({"config": {"rootPassword": VALUE}, "manifest": yaml.safe_dump(SECRET)}),
        ),
        (
            "helm get all wp",
            "NAME: wp\nUSER-SUPPLIED VALUES:\n"
            + yaml.safe_dump({"token": VALUE})
            + "\nMANIFEST:\n"
            + yaml.safe_dump(SECRET),
        ),
        ("argocd app manifests guestbook", yaml.safe_dump(SECRET)),
    ],
)
def test_guarded_commands_redact_their_output(line: str, output: str) -> None:
    guard = guard_for(line)
    assert guard is not None, line
    redacted = guard(output)
    assert VALUE not in redacted
    assert B64 not in redacted
    assert REDACTED in redacted


@pytest.mark.parametrize(
    "line",
    ["kubectl get pods", "kubectl get secrets", "kubectl describe pod db", "helm list -A"],
)
def test_commands_that_print_no_secret_values_are_not_buffered(line: str) -> None:
    assert guard_for(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "kubectl get secret db -o jsonpath={.data.password}",
        "kubectl get secrets.v1. -o go-template={{.data}}",
        "kubectl get secret/db -o custom-columns=V:.data.password",
        "kubectl get -f - -o jsonpath={.data}",
    ],
)
def test_field_formats_on_secrets_are_refused(line: str) -> None:
    with pytest.raises(CommandError) as caught:
        guard_for(line)
    assert caught.value.code == "policy_denied"
    assert "K8S_MCP_ALLOW_SECRETS" in caught.value.message


def test_field_formats_on_other_resources_are_allowed() -> None:
    assert guard_for("kubectl get pods -o jsonpath={.items[*].metadata.name}") is None


def test_command_lines_lose_their_credentials() -> None:
    argv = [
        "kubectl",
        "create",
        "secret",
        "generic",
        "x",
        f"--from-literal=password={VALUE}",
        f"--docker-password={VALUE}",
    ]
    helm = ["helm", "install", "wp", "repo/c", f"--set=db.password={VALUE},replicas=2"]
    text = redact_argv_text([argv, helm])
    assert VALUE not in text
    assert "replicas=2" in text
    assert "--from-literal=password=REDACTED" in text
    raw = f"kubectl get pods --token {VALUE} | helm x --set-string apiKey={VALUE}"
    assert VALUE not in redact_command_line(raw)


@pytest.fixture(scope="module")
def discovery() -> Discovery:
    recorded = json.loads((Path(__file__).parent / "data" / "discovery-v1.35.4.json").read_text())
    return Discovery.from_documents(recorded["api"], recorded["apis"])


@pytest.mark.parametrize(
    ("typed", "qualified", "namespaced"),
    [
        ("po", "pods", True),
        ("pod", "pods", True),
        ("Pod", "pods", True),
        ("deploy", "deployments.apps", True),
        ("deployments.apps", "deployments.apps", True),
        ("deployment.v1.apps", "deployments.apps", True),
        ("svc", "services", True),
        ("ns", "namespaces", False),
        ("no", "nodes", False),
        ("events", "events", True),  # the core group wins over events.k8s.io
        ("events.events.k8s.io", "events.events.k8s.io", True),
        ("hpa", "horizontalpodautoscalers.autoscaling", True),
        ("cj", "cronjobs.batch", True),
        ("crd", "customresourcedefinitions.apiextensions.k8s.io", False),
        ("clusterlogs", "clusterlogs.kwok.x-k8s.io", False),
        ("secret", "secrets", True),
    ],
)
def test_discovery_resolves_every_spelling(
    discovery: Discovery, typed: str, qualified: str, namespaced: bool
) -> None:
    resource = discovery.resolve(typed)
    assert resource is not None, typed
    assert resource.qualified == qualified
    assert resource.namespaced is namespaced


def test_discovery_builds_api_paths(discovery: Discovery) -> None:
    deploy = discovery.resolve("deploy")
    assert deploy is not None
    assert deploy.path("web", "api") == "/apis/apps/v1/namespaces/web/deployments/api"
    nodes = discovery.resolve("nodes")
    assert nodes is not None
    assert nodes.path("ignored") == "/api/v1/nodes"
    assert discovery.resolve("widgets") is None


def test_described_service_account_tokens_become_sizes() -> None:
    guard = guard_for("kubectl describe secret sa-token -n web")
    assert guard is not None
    described = (
        "Name:         sa-token\nType:  kubernetes.io/service-account-token\n\nData\n====\n"
        f"ca.crt:     1107 bytes\nnamespace:  3 bytes\ntoken:      {VALUE}\n"
    )
    redacted = guard(described)
    assert VALUE not in redacted
    assert f"token:      {len(VALUE)} bytes" in redacted
    assert "ca.crt:     1107 bytes" in redacted
    assert guard_for("kubectl describe pods web-0") is None


def test_kubeconfig_credentials_stay_hidden_even_when_secrets_are_allowed() -> None:
    command = plan(CliSpecs(), "kubectl", "kubectl config view").command
    guard = output_guard(command, allow_secrets=True)
    assert guard is not None
    secret_guard = output_guard(
        plan(CliSpecs(), "kubectl", "kubectl get secret x -o yaml").command,
        allow_secrets=True,
    )
    assert secret_guard is None


async def test_oversized_stdin_is_refused_before_anything_runs(
    fake_bin: Path, make_client: Any
) -> None:
    async with make_client() as client:
        raw = await client.call_tool(
            "execute_kubectl",
            {"command": "kubectl apply -f -", "stdin": "x" * (4 * 1024 * 1024 + 1)},
            raise_on_error=False,
        )
    assert raw.is_error
    assert raw.structured_content is not None
    assert raw.structured_content["error"]["code"] == "invalid_command"
    assert "at most 4194304" in raw.structured_content["error"]["message"]


def test_a_list_of_credentials_in_helm_values_is_hidden_whole() -> None:
    values = {
        "apiTokens": ["t-1", "t-2"],
        "passwords": [{"user": "a", "password": "p-1"}],
        "hosts": ["a.example", "b.example"],
    }
    redacted = redact_values(values)
    assert redacted["apiTokens"] == REDACTED
    assert redacted["passwords"] == [{"user": "a", "password": REDACTED}]
    assert redacted["hosts"] == ["a.example", "b.example"]
