"""The Dockerfile's contract, checked without a Docker engine: parsed with dockerfile-parse and
linted with hadolint."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from e2e.harness import binaries

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    return DockerfileParser(path=str(REPO / "Dockerfile"))


def final_stage(dockerfile: DockerfileParser) -> list[dict[str, str]]:
    instructions: list[dict[str, str]] = dockerfile.structure
    last_from = max(i for i, ins in enumerate(instructions) if ins["instruction"] == "FROM")
    return instructions[last_from:]


def global_args(dockerfile: DockerfileParser) -> dict[str, str]:
    """The ARGs before the first FROM (the ones FROM lines may use)."""
    found: dict[str, str] = {}
    for instruction in dockerfile.structure:
        if instruction["instruction"] == "FROM":
            break
        if instruction["instruction"] == "ARG":
            name, _, value = instruction["value"].partition("=")
            found[name] = value
    return found


def go_mod_version(module: str, path: str) -> str:
    text = (REPO / "e2e" / "gomod" / module / "go.mod").read_text()
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(path)}\s+(v\S+)", text, re.MULTILINE)
    assert match, f"{path} not required in e2e/gomod/{module}/go.mod"
    return match.group(1)


def test_base_images_are_pinned(dockerfile: DockerfileParser) -> None:
    args = global_args(dockerfile)
    images = [args.get("GO_IMAGE", ""), args.get("PYTHON_IMAGE", "")]
    for image in images:
        name, _, tag = image.partition(":")
        assert name and tag, image
        assert tag != "latest"
        assert re.match(r"\d+\.\d+", tag), f"{image}: pin at least major.minor"
    froms = [i["value"] for i in dockerfile.structure if i["instruction"] == "FROM"]
    assert len(froms) >= 3  # the CLIs, the wheel, the runtime
    assert all(f.split()[0] in ("${GO_IMAGE}", "${PYTHON_IMAGE}") for f in froms)


def test_cli_versions_match_the_tested_ones(dockerfile: DockerfileParser) -> None:
    text = dockerfile.content
    kubernetes = go_mod_version("kubernetes", "k8s.io/kubernetes")
    helm = go_mod_version("helm", "helm.sh/helm/v3")
    assert f"ARG KUBERNETES_VERSION={kubernetes}" in text
    assert f"ARG HELM_VERSION={helm}" in text
    # istioctl and argocd: the link flags (version stamps) of the binaries e2e tests.
    assert f'ARG ISTIOCTL_LDFLAGS="{" ".join(binaries._istioctl_ldflags())}"' in text
    assert f'ARG ARGOCD_LDFLAGS="{" ".join(binaries._argocd_ldflags())}"' in text
    for tool in ("kubectl", "helm", "istioctl", "argocd"):
        assert f"/out/{tool} " in text, f"{tool} is not copied into the image"
    # Built for the platform being built for.
    assert "GOARCH=${TARGETARCH}" in text
    assert "ARG TARGETARCH" in text


def test_runtime_runs_as_appuser_with_a_kube_directory(dockerfile: DockerfileParser) -> None:
    stage = final_stage(dockerfile)
    users = [i["value"] for i in stage if i["instruction"] == "USER"]
    assert users == ["10001:10001"]
    runs = " ".join(i["value"] for i in stage if i["instruction"] == "RUN")
    assert "useradd --create-home --uid 10001" in runs
    assert "appuser" in runs
    assert "/home/appuser/.kube" in runs


def test_entrypoint_transport_and_healthcheck(dockerfile: DockerfileParser) -> None:
    stage = final_stage(dockerfile)
    entrypoint = next(i["value"] for i in stage if i["instruction"] == "ENTRYPOINT")
    assert json.loads(entrypoint) == ["kube-ai-proxy"]
    env = dockerfile.envs
    assert env["K8S_MCP_TRANSPORT"] == "stdio"
    health = next(i["value"] for i in stage if i["instruction"] == "HEALTHCHECK")
    assert "K8S_MCP_TRANSPORT" in health
    assert "/mcp" in health


def test_healthcheck_probe_works(tmp_path: Path, dockerfile: DockerfileParser) -> None:
    """The HEALTHCHECK's Python, run here: healthy on stdio, unhealthy with nothing listening."""
    health = next(i["value"] for i in final_stage(dockerfile) if i["instruction"] == "HEALTHCHECK")
    argv = json.loads(health[health.index("[") :])
    code = argv[argv.index("-c") + 1]
    stdio = subprocess.run([sys.executable, "-c", code], env={"K8S_MCP_TRANSPORT": "stdio"})
    assert stdio.returncode == 0
    env = {"K8S_MCP_TRANSPORT": "streamable-http", "K8S_MCP_PORT": "9"}  # nothing on port 9
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 1


def test_apt_packages_are_pinned(dockerfile: DockerfileParser) -> None:
    installs = [i["value"] for i in dockerfile.structure if "apt-get install" in i.get("value", "")]
    assert installs
    for install in installs:
        packages = install.split("--no-install-recommends", 1)[1].split("&&")[0].split()
        assert packages and all("=" in p for p in packages), packages


def test_python_dependencies_come_from_the_lock(dockerfile: DockerfileParser) -> None:
    assert "--require-hashes -r /tmp/requirements.lock" in dockerfile.content


def test_hadolint_is_clean() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint is missing from the virtualenv: run `make install`"
    result = subprocess.run(
        [hadolint, str(REPO / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
