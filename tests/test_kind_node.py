"""The pieces of the kind cluster built here that can be checked without Docker: the runtime that
leaves out capabilities a machine cannot grant, the node image's files, the kind
configuration, the build steps' fingerprints, and the default backend. The cluster itself is
tested by `make e2e-kind` (e2e/test_kind_containers.py)."""

from __future__ import annotations

import ipaddress
import json
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from e2e.harness import binaries, kind, lifecycle, node_image, runc_fit
from e2e.harness.docker import Engine
from e2e.harness.errors import HarnessError
from e2e.harness.node_image import NODE_DIR

FULL_BOUNDING = f"{(1 << 41) - 1:016x}"
WITHOUT_SYS_RESOURCE = f"{((1 << 41) - 1) & ~(1 << 24):016x}"


def _status(bounding: str) -> str:
    return f"Name:\tpython3\nCapInh:\t0000000000000000\nCapBnd:\t{bounding}\nCapAmb:\t0\n"


@pytest.mark.parametrize(
    ("bounding", "last", "expected"),
    [
        (FULL_BOUNDING, 40, set()),
        (WITHOUT_SYS_RESOURCE, 40, {"CAP_SYS_RESOURCE"}),
        # A kernel that knows fewer capabilities: the ones it does not know are not "missing".
        (f"{(1 << 38) - 1:016x}", 37, set()),
        (f"{((1 << 38) - 1) & ~1:016x}", 37, {"CAP_CHOWN"}),
    ],
)
def test_missing_capabilities_are_read_from_the_bounding_set(
    bounding: str, last: int, expected: set[str]
) -> None:
    assert runc_fit.missing(_status(bounding), last) == expected


def test_the_capability_names_are_the_kernels_numbering() -> None:
    # linux/capability.h: CAP_SYS_RESOURCE is 24, CAP_CHECKPOINT_RESTORE (the last, 5.9+) 40.
    assert runc_fit.NAMES.index("SYS_RESOURCE") == 24
    assert runc_fit.NAMES.index("CHECKPOINT_RESTORE") == 40
    assert len(set(runc_fit.NAMES)) == len(runc_fit.NAMES) == 41


def _spec(capabilities: list[str]) -> dict[str, Any]:
    sets = ("bounding", "effective", "permitted", "inheritable", "ambient")
    return {
        "ociVersion": "1.2.0",
        "process": {"args": ["/sbin/init"], "capabilities": {s: list(capabilities) for s in sets}},
        "root": {"path": "rootfs"},
    }


def test_a_containers_spec_loses_only_what_cannot_be_granted(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(_spec(["CAP_CHOWN", "CAP_SYS_RESOURCE", "CAP_SYS_ADMIN"])))
    runc_fit.fit(str(config), {"CAP_SYS_RESOURCE"}, process_only=False)
    fitted = json.loads(config.read_text())
    assert fitted["process"]["args"] == ["/sbin/init"]
    assert fitted["root"] == {"path": "rootfs"}
    for names in fitted["process"]["capabilities"].values():
        assert names == ["CAP_CHOWN", "CAP_SYS_ADMIN"]


def test_an_exec_process_spec_is_fitted_too(tmp_path: Path) -> None:
    process = tmp_path / "process.json"
    process.write_text(json.dumps(_spec(["CAP_SYS_RESOURCE", "CAP_KILL"])["process"]))
    runc_fit.fit(str(process), {"CAP_SYS_RESOURCE"}, process_only=True)
    assert json.loads(process.read_text())["capabilities"]["bounding"] == ["CAP_KILL"]


def test_runc_gets_the_same_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "config.json").write_text(json.dumps(_spec(["CAP_SYS_RESOURCE", "CAP_KILL"])))
    process = tmp_path / "process.json"
    process.write_text(json.dumps(_spec(["CAP_SYS_RESOURCE"])["process"]))
    monkeypatch.setattr(runc_fit, "missing", lambda: {"CAP_SYS_RESOURCE"})
    ran: list[list[str]] = []
    monkeypatch.setattr("os.execvp", lambda file, argv: ran.append(argv))
    create = ["--root", "/run/runc", "create", "--bundle", str(bundle), "abc"]
    runc_fit.main(create)
    execute = ["exec", "--process", str(process), "--detach", "abc"]
    runc_fit.main(execute)
    assert ran == [["runc", *create], ["runc", *execute]]
    assert json.loads((bundle / "config.json").read_text())["process"]["capabilities"][
        "effective"
    ] == ["CAP_KILL"]
    assert json.loads(process.read_text())["capabilities"]["effective"] == []


def test_the_runtime_runs_with_debians_python_alone() -> None:
    # dockerd runs a copy outside the repository: nothing may be imported from it.
    source = Path(runc_fit.__file__).read_text()
    assert source.startswith("#!/usr/bin/python3 -I\n")
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["import json", "import os", "import re", "import sys"]
    assert Path(runc_fit.__file__).stat().st_mode & 0o111


def test_the_entrypoint_is_valid_bash() -> None:
    entrypoint = NODE_DIR / "files/usr/local/bin/entrypoint"
    assert entrypoint.stat().st_mode & 0o111
    done = subprocess.run(["bash", "-n", str(entrypoint)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_cni_subnet_is_inside_kinds_pod_subnet() -> None:
    conflist = json.loads((NODE_DIR / "files/etc/cni/net.d/10-kind-ptp.conflist").read_text())
    ptp = conflist["plugins"][0]
    assert ptp["type"] == "ptp"
    subnet = ipaddress.IPv4Network(ptp["ipam"]["ranges"][0][0]["subnet"])
    assert subnet.subnet_of(ipaddress.IPv4Network("10.244.0.0/16"))  # kind's default podSubnet
    binaries_copied = (NODE_DIR / "Dockerfile").read_text()
    for plugin in conflist["plugins"]:
        assert f"bin/{plugin['type']}" in binaries_copied


def test_the_containerd_setting_the_entrypoint_edits_is_there() -> None:
    config = (NODE_DIR / "files/etc/containerd/config.toml").read_text()
    entrypoint = (NODE_DIR / "files/usr/local/bin/entrypoint").read_text()
    assert "restrict_oom_score_adj = false" in config
    assert "s/restrict_oom_score_adj = false/restrict_oom_score_adj = true/" in entrypoint
    assert 'sandbox = "registry.k8s.io/pause:' in config


def test_the_kind_configuration() -> None:
    rendered = yaml.safe_load(kind.CONFIG.format(etcd_tag="3.6.16-0"))
    assert rendered["networking"]["disableDefaultCNI"] is True
    assert rendered["networking"]["apiServerAddress"] == "127.0.0.1"
    patches = [yaml.safe_load(patch) for patch in rendered["kubeadmConfigPatches"]]
    by_kind = {patch["kind"]: patch for patch in patches}
    assert by_kind["KubeletConfiguration"]["failCgroupV1"] is False
    assert by_kind["ClusterConfiguration"]["etcd"]["local"]["imageTag"] == "3.6.16-0"


def test_tags_cgo_and_sources_change_a_steps_fingerprint() -> None:
    runc = next(step for step in binaries.KIND_STEPS if step.name == "runc")
    assert runc.cgo is True and "seccomp" in runc.tags
    plain = binaries.BuildStep(**{**runc.__dict__, "tags": (), "cgo": None})
    assert plain.fingerprint() != runc.fingerprint()


def test_a_program_of_our_own_is_rebuilt_when_its_source_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pause = next(step for step in binaries.KIND_STEPS if step.name == "pause")
    assert pause.version == "from e2e/gomod/pause"
    for name in ("go.mod", "go.sum", "main.go"):
        (tmp_path / name).write_bytes((pause.module.directory / name).read_bytes())
    module = binaries.GoModule(tmp_path, (1, 26, 0), {}, {})
    monkeypatch.setattr(binaries, "read_module", lambda name: module)
    before = pause.fingerprint()
    (tmp_path / "main.go").write_text((tmp_path / "main.go").read_text() + "\n// changed\n")
    assert pause.fingerprint() != before


def test_the_node_steps_share_the_kubernetes_module() -> None:
    node = next(step for step in binaries.KIND_STEPS if step.name == "kubernetes-node")
    control_plane = next(step for step in binaries.STEPS if step.name == "kubernetes")
    assert node.module == control_plane.module
    assert node.name != control_plane.name  # so each has its own stamp


def test_the_local_control_plane_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("E2E_CLUSTER", raising=False)
    assert lifecycle.choose_backend() == "kwok"
    monkeypatch.setenv("E2E_CLUSTER", "kind")
    assert lifecycle.choose_backend() == "kind"
    monkeypatch.setenv("E2E_CLUSTER", "minikube")
    with pytest.raises(HarnessError, match="use one of kwok, kind"):
        lifecycle.choose_backend()


def test_e2e_kind_hands_every_argument_after_it_to_pytest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from e2e.harness import __main__ as cli

    given: list[list[str]] = []

    def run_on_kind(layout: object, args: list[str]) -> int:
        given.append(args)
        return 0

    monkeypatch.setattr(cli, "run_on_kind", run_on_kind)
    assert cli.main(["e2e-kind"]) == 0
    assert cli.main(["e2e-kind", "--", "e2e/test_kind_containers.py", "-k", "exec"]) == 0
    assert cli.main(["e2e-kind", "-x", "--full"]) == 0
    assert given == [
        list(lifecycle.KIND_TESTS),
        ["e2e/test_kind_containers.py", "-k", "exec"],
        ["-x", "--full"],
    ]


def test_other_commands_keep_their_own_options(monkeypatch: pytest.MonkeyPatch) -> None:
    from e2e.harness import __main__ as cli

    built: list[object] = []

    def ensure_binaries(layout: object, steps: object) -> str:
        built.append(steps)
        return "bin"

    monkeypatch.setattr(cli, "ensure_binaries", ensure_binaries)
    assert cli.main(["binaries", "--full"]) == 0
    assert built == [binaries.FULL_STEPS]
    with pytest.raises(SystemExit):
        cli.main(["status", "--full"])


def test_the_default_storage_runs_the_provisioner_built_here() -> None:
    manifest = NODE_DIR / "files/kind/manifests/default-storage.yaml"
    documents = [d for d in yaml.safe_load_all(manifest.read_text()) if d]
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in documents}
    version = binaries.read_module("local-path-provisioner").version(
        "github.com/rancher/local-path-provisioner"
    )
    deployment = by_kind[("Deployment", "local-path-provisioner")]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"local/local-path-provisioner:{version}"
    # The helper pods make and remove the directories with the Debian image the node holds.
    assert container["command"][-2:] == ["--helper-image", "local/debian:bookworm"]
    storage_class = by_kind[("StorageClass", "standard")]
    annotations = storage_class["metadata"]["annotations"]
    assert annotations["storageclass.kubernetes.io/is-default-class"] == "true"
    # Helper pods run as the provisioner's default service account name: it must exist.
    account = deployment["spec"]["template"]["spec"]["serviceAccountName"]
    assert ("ServiceAccount", account) in by_kind
    assert account == "local-path-provisioner-service-account"


@pytest.mark.parametrize("name", ["mariadb", "wordpress"])
def test_the_workload_images_have_an_entrypoint(name: str) -> None:
    directory = NODE_DIR.parent / "images" / name
    dockerfile = (directory / "Dockerfile").read_text()
    assert "ARG BASE=local/debian:bookworm" in dockerfile
    assert 'ENTRYPOINT ["/usr/local/bin/entrypoint"]' in dockerfile
    entrypoint = directory / "entrypoint"
    assert entrypoint.stat().st_mode & 0o111
    done = subprocess.run(["bash", "-n", str(entrypoint)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


class _RecordingEngine:
    """Answers `docker images` with the given tags and records every other command."""

    def __init__(self, tags: list[str]) -> None:
        self.tags = tags
        self.calls: list[tuple[str, ...]] = []

    def docker(self, *args: str, **_: object) -> subprocess.CompletedProcess[bytes]:
        self.calls.append(args)
        output = "\n".join(self.tags).encode() if args[0] == "images" else b""
        return subprocess.CompletedProcess(list(args), 0, output, b"")


def test_node_bases_made_from_other_inputs_are_untagged() -> None:
    engine = _RecordingEngine(["0123abcd", "fedc9876", "5555aaaa"])
    node_image._drop_other_tags(cast(Engine, engine), "local/kind-node-base", keep="0123abcd")
    assert engine.calls[-1] == (
        "rmi",
        "local/kind-node-base:fedc9876",
        "local/kind-node-base:5555aaaa",
    )
    alone = _RecordingEngine(["0123abcd"])
    node_image._drop_other_tags(cast(Engine, alone), "local/kind-node-base", keep="0123abcd")
    assert [call[0] for call in alone.calls] == ["images"]
