"""Access modes, allowed namespaces and contexts: every case is a command someone could send."""

from __future__ import annotations

from pathlib import Path

import pytest

from kube_ai_proxy.call import judged_plan
from kube_ai_proxy.config import AccessMode
from kube_ai_proxy.errors import CommandError
from kube_ai_proxy.judge.invariants import Limits
from kube_ai_proxy.judge.policy import Policy, Target
from kube_ai_proxy.kubeconfig import KubeconfigReader
from kube_ai_proxy.parse.clispec import CliSpecs, Tool
from kube_ai_proxy.parse.command import CliCommand

KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: c, user: u, namespace: web}
- name: prod
  context: {cluster: c, user: u}
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
"""


@pytest.fixture(scope="module")
def specs() -> CliSpecs:
    return CliSpecs()


@pytest.fixture
def kubeconfig(tmp_path: Path) -> KubeconfigReader:
    path = tmp_path / "config"
    path.write_text(KUBECONFIG)
    return KubeconfigReader(str(path))


def check(
    specs: CliSpecs,
    kubeconfig: KubeconfigReader,
    line: str,
    *,
    access: AccessMode = "standard",
    namespaces: tuple[str, ...] = (),
    contexts: tuple[str, ...] = (),
    stdin: str | None = None,
) -> Target:
    tool: Tool = line.split()[0]  # type: ignore[assignment]
    command = judged_plan(specs, tool, line, Limits()).command
    return checked(Policy(access, namespaces, contexts, None, kubeconfig), command, stdin)


def checked(policy: Policy, command: CliCommand, stdin: str | None = None) -> Target:
    """The policy's check of a command, in the scope the policy resolves for it."""
    return policy.check(policy.scope(command), stdin)


READS = [
    "kubectl get pods",
    "kubectl describe deploy/web",
    "kubectl logs web-0 --tail=10",
    "kubectl -n x --v=2 get pods",
    "kubectl auth can-i list pods",
    "kubectl rollout status deploy/web",
    "kubectl events",
    "helm list -A",
    "helm get values wp",
    "istioctl proxy-status",
    "istioctl proxy-config log web-0",
    "argocd app list",
    "argocd app actions list guestbook",
    "argocd proj role list-tokens default ci",
]
WRITES = [
    "kubectl apply -f -",
    "kubectl delete pod web-0",
    "kubectl -n x delete pod y",
    "kubectl scale statefulset db --replicas=0",
    "kubectl rollout restart deploy/web",
    "kubectl label pods web-0 a=b",
    "kubectl create deployment web --image=nginx",
    "helm install wp repo/chart",
    "helm uninstall wp",
    "argocd app sync guestbook",
    "istioctl proxy-config log web-0 --level debug",
]
ADMIN = [
    "kubectl exec -it web-0 -- sh",
    "kubectl attach web-0",
    "kubectl port-forward svc/web 8080:80",
    "kubectl proxy",
    "kubectl debug web-0 --image=busybox",
    "kubectl create token default",
    "kubectl delete ns web",
    "kubectl delete namespace/web",
    "kubectl delete nodes n1",
    "kubectl delete crd widgets.example.com",
    "kubectl delete clusterrolebinding.rbac.authorization.k8s.io/admin",
    "kubectl create namespace scratch",
    "kubectl create clusterrolebinding x --clusterrole=admin --user=me",
    "kubectl label nodes n1 a=b",
    "kubectl drain n1",
    "kubectl certificate approve csr-1",
    "kubectl auth reconcile -f -",
    "kubectl get --raw /api/v1/namespaces/web/services/web:80/proxy/",
    "istioctl create-remote-secret",
    "istioctl install",
    "istioctl manifest install",
    "istioctl tag set canary --revision 1-31",
    "argocd proj create p",
]


@pytest.mark.parametrize("line", READS)
@pytest.mark.parametrize("access", ["read-only", "standard", "admin"])
def test_reads_run_in_every_mode(
    specs: CliSpecs, kubeconfig: KubeconfigReader, line: str, access: AccessMode
) -> None:
    check(specs, kubeconfig, line, access=access, stdin="kind: ConfigMap\n")


@pytest.mark.parametrize("line", WRITES)
def test_writes_need_standard(specs: CliSpecs, kubeconfig: KubeconfigReader, line: str) -> None:
    stdin = "kind: ConfigMap\nmetadata: {name: x}\n"
    with pytest.raises(CommandError) as caught:
        check(specs, kubeconfig, line, access="read-only", stdin=stdin)
    assert caught.value.code == "policy_denied"
    assert "changes the cluster" in caught.value.message
    assert "read-only mode" in caught.value.message
    check(specs, kubeconfig, line, access="standard", stdin=stdin)
    check(specs, kubeconfig, line, access="admin", stdin=stdin)


@pytest.mark.parametrize("line", ADMIN)
def test_privileged_commands_need_admin(
    specs: CliSpecs, kubeconfig: KubeconfigReader, line: str
) -> None:
    stdin = "kind: ClusterRole\nmetadata: {name: x}\n"
    modes: tuple[AccessMode, ...] = ("read-only", "standard")
    for access in modes:
        with pytest.raises(CommandError) as caught:
            check(specs, kubeconfig, line, access=access, stdin=stdin)
        assert caught.value.code == "policy_denied"
        assert "need admin access" in caught.value.message
    check(specs, kubeconfig, line, access="admin", stdin=stdin)


@pytest.mark.parametrize(
    "manifest",
    [
        "kind: Namespace\nmetadata: {name: x}\n",
        "kind: ConfigMap\nmetadata: {name: a}\n---\nkind: ClusterRoleBinding\n",
        '{"kind": "List", "items": [{"kind": "ValidatingWebhookConfiguration"}]}',
    ],
)
def test_cluster_scoped_objects_in_a_manifest_need_admin(
    specs: CliSpecs, kubeconfig: KubeconfigReader, manifest: str
) -> None:
    with pytest.raises(CommandError, match="need admin access"):
        check(specs, kubeconfig, "kubectl apply -f -", stdin=manifest)


def test_unknown_commands_run_only_in_admin(specs: CliSpecs, kubeconfig: KubeconfigReader) -> None:
    with pytest.raises(CommandError, match="unknown commands run only in admin"):
        check(specs, kubeconfig, "istioctl experimental workload entry configure")
    check(specs, kubeconfig, "istioctl experimental workload entry configure", access="admin")


@pytest.mark.parametrize(
    ("line", "touched"),
    [
        ("kubectl get pods", {"web"}),  # the current context's namespace
        ("kubectl get pods -n api", {"api"}),
        ("kubectl get pods -napi", {"api"}),
        ("kubectl get pods --namespace=api", {"api"}),
        ("kubectl --namespace api get pods", {"api"}),
        ("kubectl --context prod get pods", {"default"}),  # prod has no namespace
        ("kubectl get nodes", set()),
        ("kubectl version", set()),
        ("kubectl get --raw /apis/apps/v1/namespaces/api/deployments", {"api"}),
        ("kubectl delete ns api", {"api"}),
        ("helm status wp -n api", {"api"}),
    ],
)
def test_namespace_a_command_touches(
    specs: CliSpecs, kubeconfig: KubeconfigReader, line: str, touched: set[str]
) -> None:
    target = check(specs, kubeconfig, line, access="admin", namespaces=("web", "api", "default"))
    assert set(target.namespaces) == touched


@pytest.mark.parametrize(
    ("line", "stdin", "fragment"),
    [
        ("kubectl get pods -n kube-system", None, "namespace 'kube-system' is not allowed"),
        ("kubectl get pods -nkube-system", None, "namespace 'kube-system' is not allowed"),
        ("kubectl get pods -n web --namespace=kube-system", None, "more than once"),
        ("kubectl get pods -n web -n web", None, "more than once"),
        ("kubectl get pods -A", None, "all namespaces (-A) is not allowed"),
        ("kubectl get pods --all-namespaces=true", None, "all namespaces"),
        ("kubectl --context prod get pods", None, "namespace 'default' is not allowed"),
        ("kubectl get --raw /api/v1/namespaces/kube-system/secrets", None, "'kube-system'"),
        ("kubectl get --raw /api/v1/secrets", None, "all namespaces"),
        ("kubectl get --raw /metrics", None, "raw path '/metrics' is not allowed"),
        (
            "kubectl apply -f -",
            "kind: ConfigMap\nmetadata: {namespace: kube-system}\n",
            "'kube-system'",
        ),
        ("helm list -A", None, "all namespaces"),
        ("helm uninstall wp -n kube-system", None, "'kube-system'"),
    ],
)
def test_allowed_namespaces_hold_in_every_spelling(
    specs: CliSpecs, kubeconfig: KubeconfigReader, line: str, stdin: str | None, fragment: str
) -> None:
    with pytest.raises(CommandError) as caught:
        check(specs, kubeconfig, line, access="admin", namespaces=("web", "api"), stdin=stdin)
    assert caught.value.code == "policy_denied"
    assert fragment in caught.value.message
    assert "web, api" in caught.value.message or "once" in caught.value.message


def test_allowed_contexts_cover_the_default_context(
    specs: CliSpecs, kubeconfig: KubeconfigReader
) -> None:
    check(specs, kubeconfig, "kubectl get pods", contexts=("dev",))
    with pytest.raises(CommandError, match="kube context 'dev' is not allowed"):
        check(specs, kubeconfig, "kubectl get pods", contexts=("prod",))
    with pytest.raises(CommandError, match="kube context 'prod' is not allowed"):
        check(specs, kubeconfig, "helm list --kube-context prod", contexts=("dev",))


def test_comma_lists_and_directories_of_manifests_are_inspected(
    specs: CliSpecs, kubeconfig: KubeconfigReader, tmp_path: Path
) -> None:
    (tmp_path / "cm.yaml").write_text("kind: ConfigMap\nmetadata: {name: a, namespace: web}\n")
    nested = tmp_path / "nested"
    nested.mkdir()
    (nested / "ns.yaml").write_text("kind: Namespace\nmetadata: {name: x}\n")
    (tmp_path / "other.yaml").write_text("kind: ConfigMap\nmetadata: {namespace: kube-system}\n")
    command = judged_plan(
        specs,
        "kubectl",
        f"kubectl apply -f {tmp_path / 'cm.yaml'},{tmp_path / 'other.yaml'}",
        Limits(allowed_paths=(str(tmp_path),)),
    ).command
    policy = Policy("standard", ("web",), (), None, kubeconfig)
    with pytest.raises(CommandError, match="'kube-system' is not allowed"):
        checked(policy, command)
    recursive = judged_plan(
        specs, "kubectl", f"kubectl apply -R -f {tmp_path}", Limits(allowed_paths=(str(tmp_path),))
    ).command
    with pytest.raises(CommandError, match="need admin access"):
        checked(Policy("standard", (), (), None, kubeconfig), recursive)


def test_kustomizations_are_not_trusted_blindly(
    specs: CliSpecs, kubeconfig: KubeconfigReader, tmp_path: Path
) -> None:
    command = judged_plan(
        specs, "kubectl", f"kubectl apply -k {tmp_path}", Limits(allowed_paths=(str(tmp_path),))
    ).command
    with pytest.raises(CommandError, match="need admin access"):
        checked(Policy("standard", (), (), None, kubeconfig), command)
    with pytest.raises(CommandError, match="build it with `kubectl kustomize DIR`"):
        checked(Policy("admin", ("web",), (), None, kubeconfig), command)
    checked(Policy("admin", (), (), None, kubeconfig), command)
