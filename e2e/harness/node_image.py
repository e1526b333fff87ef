"""kind's node image, made on this machine: no registry can be pulled from, so every image a
node runs is built here too.

1. The images the node's containerd holds, from the binaries the harness builds
   (e2e/harness/binaries.py) on the Debian base made here: the control plane's
   (kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, etcd, CoreDNS and
   pause) under the names kubeadm asks for, metrics-server and local-path-provisioner.
2. The node's base (e2e/kind/node/Dockerfile): systemd, containerd, runc, the CNI plugins,
   crictl, kubeadm, kubelet and kubectl.
3. The node image: the base, run once with its own containerd, those images imported into it
   (as `kind build node-image` does), committed.

Each step is skipped when the engine holds its result made from the same inputs (a label on
the image holds a hash of them), so a second run takes seconds. The images the tests' pods
run (`workload_images`: MariaDB and WordPress from Debian's packages) are made the same way
and loaded into a running cluster.
"""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from e2e.harness.binaries import KIND_STEPS, STEPS, ensure_binaries, find_go, go_env, read_module
from e2e.harness.cache import CacheLayout
from e2e.harness.debian import ensure
from e2e.harness.docker import Engine, docker_cli
from e2e.harness.errors import HarnessError
from e2e.harness.images import (
    INPUTS_LABEL,
    build_context,
    debian,
    inputs_key,
    inputs_of,
    present,
)
from e2e.harness.progress import say, step

NODE_DIR = Path(__file__).resolve().parent.parent / "kind" / "node"
NODE_REPOSITORY = "local/kind-node"


@dataclass(frozen=True)
class Component:
    """One image the node's containerd holds: `binary` at /usr/local/bin (or / from scratch)."""

    repository: str
    tag: str
    binary: str
    packages: tuple[str, ...] = ()
    scratch: bool = False

    @property
    def ref(self) -> str:
        return f"{self.repository}:{self.tag}"

    def dockerfile(self, base: str) -> str:
        if self.scratch:
            return (
                f'FROM scratch\nCOPY {self.binary} /{self.binary}\nENTRYPOINT ["/{self.binary}"]\n'
            )
        install = ""
        if self.packages:
            install = (
                "RUN apt-get update && apt-get install -y --no-install-recommends "
                f"{' '.join(self.packages)} && rm -rf /var/lib/apt/lists/*\n"
            )
        return (
            f"FROM {base}\n{install}COPY {self.binary} /usr/local/bin/{self.binary}\n"
            f'ENTRYPOINT ["/usr/local/bin/{self.binary}"]\n'
        )


def kubeadm_constant(name: str) -> str:
    """A string constant of kubeadm's (cmd/kubeadm/app/constants) in the Kubernetes release the
    harness builds: which pause and CoreDNS images kubeadm asks for."""
    version = kubernetes_version()
    source = (
        Path(go_env(find_go(), "GOMODCACHE"))
        / f"k8s.io/kubernetes@{version}/cmd/kubeadm/app/constants/constants.go"
    )
    try:
        text = source.read_text()
    except FileNotFoundError:
        raise HarnessError(
            f"{source} is missing: build the binaries first (python -m e2e.harness binaries)"
        ) from None
    found = re.search(rf'^\s*{name}\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if found is None:
        raise HarnessError(f"kubeadm {version} has no constant {name} in {source}")
    return found[1]


def kubernetes_version() -> str:
    return read_module("kubernetes").version("k8s.io/kubernetes")


def etcd_tag() -> str:
    """The etcd image's tag: the etcd the harness builds, in kubeadm's form (3.6.6-0). The kind
    configuration tells kubeadm to use it (e2e/harness/kind.py)."""
    return read_module("etcd").version("go.etcd.io/etcd/server/v3").lstrip("v") + "-0"


def components() -> tuple[Component, ...]:
    version = kubernetes_version()
    coredns = read_module("coredns").version("github.com/coredns/coredns")
    expected = kubeadm_constant("CoreDNSVersion")
    if coredns != expected:
        raise HarnessError(
            f"kubeadm {version} deploys CoreDNS {expected}, e2e/gomod/coredns builds {coredns}: "
            f"cd e2e/gomod/coredns && go get -tool github.com/coredns/coredns@{expected}"
        )
    return (
        *(
            Component(f"registry.k8s.io/{name}", version, name)
            for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
        ),
        # kube-proxy runs in nftables mode (the kind configuration says so), with the tools it
        # calls.
        Component(
            "registry.k8s.io/kube-proxy",
            version,
            "kube-proxy",
            ("nftables", "iptables", "conntrack"),
        ),
        Component("registry.k8s.io/etcd", etcd_tag(), "etcd"),
        Component("registry.k8s.io/coredns/coredns", coredns, "coredns"),
        Component("registry.k8s.io/pause", kubeadm_constant("PauseVersion"), "pause", scratch=True),
        # `kubectl top` (e2e/kind/metrics-server.yaml, applied by the harness).
        Component("local/metrics-server", metrics_server_version(), "metrics-server"),
        # The default StorageClass (e2e/kind/node/files/kind/manifests/default-storage.yaml).
        Component("local/local-path-provisioner", local_path_version(), "local-path-provisioner"),
    )


def metrics_server_version() -> str:
    return read_module("metrics-server").version("sigs.k8s.io/metrics-server")


def local_path_version() -> str:
    module = read_module("local-path-provisioner")
    return module.version("github.com/rancher/local-path-provisioner")


def _context(files: dict[str, Path | bytes]) -> bytes:
    """A build context tarball of files (a Path is added as it is, recursively)."""
    buffer = io.BytesIO()
    # GNU headers: the engine tells a context from a bare Dockerfile by the first header, and
    # takes a PAX extended header for a Dockerfile's first line.
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name, content in files.items():
            if isinstance(content, Path):
                archive.add(str(content), arcname=name)
            else:
                info = tarfile.TarInfo(name)
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _file_key(*paths: Path) -> str:
    """A hash of files' contents, names and modes (a directory: every file under it)."""
    digest = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(f"{file.relative_to(path.parent)}\0{file.stat().st_mode:o}\0".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def build_components(engine: Engine, layout: CacheLayout, base: str) -> list[Component]:
    built = []
    base_inputs = inputs_of(engine, base)
    for component in components():
        binary = layout.binary(component.binary)
        dockerfile = component.dockerfile(base)
        inputs = inputs_key(dockerfile, base_inputs, _file_key(binary))
        if not present(engine, component.ref, inputs):
            with step(f"building {component.ref}", done="built"):
                context = _context({"Dockerfile": dockerfile.encode(), component.binary: binary})
                build_context(engine, component.ref, inputs, context)
        built.append(component)
    return built


NODE_BINARIES = (
    "containerd",
    "containerd-shim-runc-v2",
    "ctr",
    "runc",
    "crictl",
    "kubeadm",
    "kubelet",
    "kubectl",
    "ptp",
    "host-local",
    "loopback",
    "portmap",
)


def _node_base(engine: Engine, layout: CacheLayout, base: str) -> tuple[str, str]:
    """The node's base image (before the images are imported) and its inputs hash."""
    binaries = [layout.binary(name) for name in NODE_BINARIES]
    inputs = inputs_key(
        inputs_of(engine, base), _file_key(NODE_DIR), *(_file_key(b) for b in binaries)
    )
    image = f"{NODE_REPOSITORY}-base:{inputs}"
    if not present(engine, image, inputs):
        files: dict[str, Path | bytes] = {
            "Dockerfile": (NODE_DIR / "Dockerfile").read_bytes(),
            "files": NODE_DIR / "files",
        }
        files.update({f"bin/{b.name}": b for b in binaries})
        with step("building the kind node's base (systemd, containerd, kubelet)", done="built"):
            build_context(
                engine,
                image,
                inputs,
                _context(files),
                "--build-arg",
                f"BASE={base}",
                "--build-arg",
                f"KUBERNETES_VERSION={kubernetes_version()}",
            )
        _drop_other_tags(engine, f"{NODE_REPOSITORY}-base", keep=inputs)
    return image, inputs


def _drop_other_tags(engine: Engine, repository: str, keep: str) -> None:
    """Untag the images of `repository` made from other inputs: each change to the node's
    files would otherwise leave a gigabyte's worth of layers behind in the engine."""
    listed = engine.docker("images", repository, "--format", "{{.Tag}}").stdout.decode()
    stale = [f"{repository}:{tag}" for tag in listed.split() if tag != keep]
    if stale:
        engine.docker("rmi", *stale)


# runc links libseccomp in (cgo): a C compiler, and libseccomp's headers and archive.
BUILD_PACKAGES = ("gcc", "libc6-dev", "libseccomp-dev")


def _build_prerequisites() -> None:
    ensure(BUILD_PACKAGES, "building runc")


def node_image(engine: Engine, layout: CacheLayout) -> str:
    """Build (or find) the kind node image; returns its name."""
    _build_prerequisites()
    ensure_binaries(layout, (*STEPS, *KIND_STEPS))
    base = debian(engine, layout)
    built = build_components(engine, layout, base)
    node_base, base_inputs = _node_base(engine, layout, base)
    # The Debian image too: local-path-provisioner's helper pods run it.
    refs = sorted([base, *(component.ref for component in built)])
    inputs = inputs_key(base_inputs, *(f"{ref}\0{inputs_of(engine, ref)}" for ref in refs))
    image = f"{NODE_REPOSITORY}:{kubernetes_version()}"
    if present(engine, image, inputs):
        return image
    with step(f"importing {len(refs)} images into the node's containerd", done="imported"):
        _preload(engine, layout, node_base, image, inputs, refs)
    size = int(engine.docker("image", "inspect", "--format", "{{.Size}}", image).stdout.strip())
    say(f"{image}: {size / 1e6:.0f} MB")
    return image


def _preload(
    engine: Engine, layout: CacheLayout, base: str, image: str, inputs: str, refs: list[str]
) -> None:
    """Run the base with containerd alone, import the images, commit: the node then starts
    with them, as kind's own node images do."""
    layout.images_dir.mkdir(parents=True, exist_ok=True)
    archive = layout.images_dir / "kind-node-images.tar"
    engine.docker("save", "--output", str(archive), *refs, timeout=900)
    name = f"kap-node-build-{inputs}"
    _remove(engine, name)  # left by a run that was killed
    engine.docker(
        "run",
        "--detach",
        "--name",
        name,
        "--privileged",
        "--entrypoint",
        "sleep",
        "--volume",
        f"{archive}:/kind/images.tar:ro",
        base,
        "infinity",
    )
    try:
        engine.docker("exec", "--detach", name, "containerd")
        deadline = time.monotonic() + 60
        while not _containerd_answers(engine, name):
            if time.monotonic() > deadline:
                raise HarnessError("containerd did not start in the node image's build container")
            time.sleep(0.5)
        engine.docker(
            "exec",
            name,
            "ctr",
            "--namespace=k8s.io",
            "images",
            "import",
            "--all-platforms",
            "--no-unpack",
            "--digests",
            "/kind/images.tar",
            timeout=900,
        )
        engine.docker("exec", name, "pkill", "containerd")
        engine.docker(
            "commit",
            "--change",
            f"LABEL {INPUTS_LABEL}={inputs}",
            "--change",
            'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]',
            "--change",
            "CMD []",
            name,
            image,
        )
    finally:
        _remove(engine, name)
        archive.unlink(missing_ok=True)


def _remove(engine: Engine, container: str) -> None:
    subprocess.run(
        [docker_cli(), "rm", "--force", container], capture_output=True, env=engine.env()
    )


def _containerd_answers(engine: Engine, name: str) -> bool:
    try:
        engine.docker("exec", name, "ctr", "version", timeout=10)
    except HarnessError:
        return False
    return True


WORKLOADS_DIR = NODE_DIR.parent / "images"


def workload_images(engine: Engine, layout: CacheLayout) -> list[str]:
    """The images the real-container tests run (e2e/test_kind_*.py), made here: the Debian
    base, and each e2e/kind/images/NAME/ (MariaDB and WordPress from Debian's packages) as
    local/NAME:bookworm."""
    base = debian(engine, layout)
    images = [base]
    for directory in sorted(path for path in WORKLOADS_DIR.iterdir() if path.is_dir()):
        image = f"local/{directory.name}:bookworm"
        inputs = inputs_key(inputs_of(engine, base), _file_key(directory))
        if not present(engine, image, inputs):
            with step(f"building {image} from Debian's packages", done="built"):
                files: dict[str, Path | bytes] = {
                    path.name: path for path in directory.iterdir() if path.is_file()
                }
                build_context(engine, image, inputs, _context(files), "--build-arg", f"BASE={base}")
        images.append(image)
    return images
