"""Build the real programs e2e runs (etcd, the Kubernetes control plane, kubectl, kwok, helm,
and with `--full` istioctl, argocd and hydra).

Each tool is built with `go build` from a small wrapper Go module under e2e/gomod/<name>/ that pins
one release; see the comment at the top of each go.mod for why a wrapper is needed. Binaries land
in `<cache>/bin/` and are rebuilt only when missing or when their wrapper module or link flags
change: a stamp per step holds a hash of go.mod, go.sum, the packages and the link flags.

`STEPS` is what the cluster needs (`up` builds it); `FULL_STEPS`, what `make e2e` builds, adds
istioctl and argocd (e2e/test_istioctl.py, e2e/test_argocd.py), which take another quarter of
an hour cold, and Ory Hydra, the OpenID Connect provider of e2e/harness/hydra.py. To add a tool:
add its wrapper module under e2e/gomod/ and one `BuildStep`. A multi-call program such as argocd
is one `Binary` with the name it must run under.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from e2e.harness.cache import CacheLayout, locked
from e2e.harness.debian import ensure
from e2e.harness.errors import HarnessError
from e2e.harness.progress import say, step

GOMOD_DIR = Path(__file__).resolve().parent.parent / "gomod"


@dataclass(frozen=True)
class GoModule:
    """The facts the harness reads from one wrapper module's go.mod."""

    directory: Path
    go_version: tuple[int, ...]
    requires: dict[str, str]
    # module path -> the version it is replaced with (replacements by a local path are left out)
    replaces: dict[str, str]

    def version(self, module_path: str) -> str:
        try:
            return self.requires[module_path]
        except KeyError:
            raise HarnessError(
                f"{self.directory / 'go.mod'} does not require {module_path}"
            ) from None

    def selected(self, module_path: str) -> str:
        """The version the build uses: a replacement's, else the required one."""
        return self.replaces.get(module_path) or self.version(module_path)


_GO_DIRECTIVE = re.compile(r"^go\s+(\S+)\s*$", re.MULTILINE)
# A required module inside or outside a require block: "path vX.Y.Z" possibly after "require".
_REQUIRE = re.compile(r"^\s*(?:require\s+)?([^\s()]+)\s+(v[^\s]+)", re.MULTILINE)
# "path [version] => path version", inside or outside a replace block.
_REPLACE = re.compile(
    r"^\s*(?:replace\s+)?([^\s()]+)(?:\s+v\S+)?\s+=>\s+\S+\s+(v\S+)\s*$", re.MULTILINE
)
_REPLACE_BLOCK = re.compile(r"^replace\s*\((?:.|\n)*?^\)", re.MULTILINE)
_REPLACE_LINE = re.compile(r"^replace\s+[^(\n][^\n]*$", re.MULTILINE)


@cache
def read_module(name: str) -> GoModule:
    directory = GOMOD_DIR / name
    text = (directory / "go.mod").read_text()
    replace_text = "\n".join(
        m[0] for pattern in (_REPLACE_BLOCK, _REPLACE_LINE) for m in pattern.finditer(text)
    )
    text_without_replaces = _REPLACE_LINE.sub("", _REPLACE_BLOCK.sub("", text))
    directive = _GO_DIRECTIVE.search(text)
    if directive is None:
        raise HarnessError(f"{directory / 'go.mod'} has no go directive")
    requires = {m[1]: m[2] for m in _REQUIRE.finditer(text_without_replaces)}
    replaces = {m[1]: m[2] for m in _REPLACE.finditer(replace_text)}
    return GoModule(directory, parse_go_version(directive[1]), requires, replaces)


def parse_go_version(text: str) -> tuple[int, ...]:
    """'go1.26.8' or '1.25.0' -> (1, 26, 8); a pre-release suffix ('1.27rc1') is ignored."""
    numbers = re.match(r"(?:go)?(\d+(?:\.\d+)*)", text)
    if numbers is None:
        raise HarnessError(f"cannot read a Go version from {text!r}")
    return tuple(int(part) for part in numbers[1].split("."))


@dataclass(frozen=True)
class Binary:
    package: str
    name: str


@dataclass(frozen=True)
class BuildStep:
    """One `go build` invocation in one wrapper module."""

    name: str
    label: str
    version_module: str
    binaries: tuple[Binary, ...]
    ldflags: Callable[[], list[str]]
    # The release's own name when the module version is not it (a pseudo-version).
    release: Callable[[], str] | None = None
    # The wrapper module under e2e/gomod/ when it is not `name` (two steps may share one).
    gomod: str = ""
    tags: tuple[str, ...] = ()
    # None: Go's default (cgo when a C compiler is found); False for binaries copied into images.
    cgo: bool | None = None
    # Debian packages the build needs (cgo: a C compiler, libc's headers), installed when missing.
    packages: tuple[str, ...] = ()

    @property
    def module(self) -> GoModule:
        return read_module(self.gomod or self.name)

    @property
    def version(self) -> str:
        if not self.version_module:
            return f"from {self.module.directory.relative_to(GOMOD_DIR.parent.parent)}"
        version = self.module.version(self.version_module)
        return version if self.release is None else f"{self.release()}, {version}"

    def describe(self) -> str:
        names = ", ".join(binary.name for binary in self.binaries)
        return f"{names} ({self.label} {self.version})"

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for part in (
            (self.module.directory / "go.mod").read_bytes(),
            (self.module.directory / "go.sum").read_bytes(),
            # A module with a program of its own (pause) changes with its sources.
            *(path.read_bytes() for path in sorted(self.module.directory.glob("*.go"))),
            "\n".join(f"{b.package}={b.name}" for b in self.binaries).encode(),
            "\n".join(self.ldflags()).encode(),
            f"tags={','.join(self.tags)} cgo={self.cgo}".encode(),
        ):
            digest.update(part)
            digest.update(b"\0")
        return digest.hexdigest()


def _version_stamps(package: str, version: str) -> list[str]:
    """The -X flags Kubernetes' own build sets; without them binaries report v0.0.0-master and
    Helm refuses charts that declare a kubeVersion."""
    major, minor = version.lstrip("v").split(".")[:2]
    values = {"gitVersion": version, "gitMajor": major, "gitMinor": minor, "gitTreeState": "clean"}
    return [f"-X {package}.{key}={value}" for key, value in values.items()]


def _kubernetes_version() -> str:
    return read_module("kubernetes").version("k8s.io/kubernetes")


def kubernetes_ldflags() -> list[str]:
    version = _kubernetes_version()
    return [
        "-s",
        "-w",
        *_version_stamps("k8s.io/component-base/version", version),
        *_version_stamps("k8s.io/client-go/pkg/version", version),
    ]


def _kwok_ldflags() -> list[str]:
    # kwokctl derives defaults (etcd release, download names, secure port) from the Kubernetes
    # version it was built for; build it for the release the harness runs, as kwok's release does.
    return ["-s", "-w", f"-X sigs.k8s.io/kwok/pkg/consts.KubeVersion={_kubernetes_version()}"]


def _helm_ldflags() -> list[str]:
    # What helm's Makefile sets for a release build: its own version, and the Kubernetes
    # version `helm template` and `helm lint` assume, taken from the client-go it links
    # (client-go v0.37.x -> Kubernetes 1.37).
    module = read_module("helm")
    client_go = module.version("k8s.io/client-go").lstrip("v").split(".")
    kube_major, kube_minor = str(int(client_go[0]) + 1), client_go[1]
    flags = [
        "-s",
        "-w",
        f"-X helm.sh/helm/v3/internal/version.version={module.version('helm.sh/helm/v3')}",
        "-X helm.sh/helm/v3/internal/version.gitTreeState=clean",
    ]
    for package in ("helm.sh/helm/v3/pkg/lint/rules", "helm.sh/helm/v3/pkg/chartutil"):
        flags += [
            f"-X {package}.k8sVersionMajor={kube_major}",
            f"-X {package}.k8sVersionMinor={kube_minor}",
        ]
    return flags


# Istio's release tags (1.31.0) are not Go versions, so e2e/gomod/istioctl requires a release by
# the pseudo-version of its commit; this says which release that commit is. Commit eed52ebb66ad
# (2026-08-27) is on release-1.31 (its VERSION file says 1.31) and requires istio.io/api and
# istio.io/client-go at the commits tagged v1.31.0 there; the next patch's API tags (v1.31.1)
# came three weeks later.
ISTIO_RELEASES = {"eed52ebb66ad": "1.31.0"}


def istio_release() -> tuple[str, str]:
    """(release, commit) of the istio.io/istio commit e2e/gomod/istioctl pins."""
    pseudo = read_module("istioctl").version("istio.io/istio")
    commit = pseudo.rsplit("-", 1)[-1]
    try:
        return ISTIO_RELEASES[commit], commit
    except KeyError:
        raise HarnessError(
            f"e2e/gomod/istioctl requires istio.io/istio {pseudo}: add the Istio release of commit "
            f"{commit} to ISTIO_RELEASES in {__file__}"
        ) from None


def _istioctl_ldflags() -> list[str]:
    # What Istio's release build stamps (common/scripts/report_build_info.sh, run by gobuild.sh
    # with VERSION set to the release): `istioctl version --remote=false` prints the version.
    # The revision is the 12-character commit of the pseudo-version, all the module proxy names.
    # buildHub is left unset: a release sets it to its image registry, which makes
    # `istioctl install` and `manifest generate` pin that hub; unset, they keep the charts' own.
    release, commit = istio_release()
    package = "istio.io/istio/pkg/version"
    return [
        "-s",
        "-w",
        f"-X {package}.buildVersion={release}",
        f"-X {package}.buildGitRevision={commit}",
        f"-X {package}.buildStatus=Clean",
        f"-X {package}.buildTag={release}",
    ]


# When each Argo CD release was committed (the module proxy's time for the tag): its Makefile
# stamps the build date, and a fixed one keeps the link flags, and so the stamp, stable.
ARGOCD_RELEASE_DATES = {"v3.5.7": "2026-11-02T19:17:57Z"}


def _argocd_ldflags() -> list[str]:
    # The -X flags of Argo CD's Makefile (LDFLAGS, PACKAGE=.../common). With a tag, a commit and
    # a clean tree, `argocd version --client` reports the tag, as a release binary does. The
    # module proxy does not say which commit a tag is, so GitCommit says "unknown"; the
    # gitops-engine the build really used (see e2e/gomod/argocd/go.mod) goes in ExtraBuildInfo,
    # the field the Makefile leaves to whoever builds it.
    module = read_module("argocd")
    version = module.version("github.com/argoproj/argo-cd/v3")
    try:
        build_date = ARGOCD_RELEASE_DATES[version]
    except KeyError:
        raise HarnessError(
            f"e2e/gomod/argocd requires argo-cd {version}: add its commit time to "
            f"ARGOCD_RELEASE_DATES in {__file__} (`go list -m -json "
            f"github.com/argoproj/argo-cd/v3@{version}` prints it as Time)"
        ) from None
    gitops_engine = module.selected("github.com/argoproj/argo-cd/gitops-engine")
    package = "github.com/argoproj/argo-cd/v3/common"
    return [
        "-s",
        "-w",
        f"-X {package}.version={version.lstrip('v')}",
        f"-X {package}.buildDate={build_date}",
        f"-X {package}.gitCommit=unknown",
        f"-X {package}.gitTreeState=clean",
        f"-X {package}.gitTag={version}",
        # The Makefile's `go list -m k8s.io/client-go`: the replacement's version.
        f"-X {package}.kubectlVersion={module.selected('k8s.io/client-go')}",
        f"-X {package}.extraBuildInfo=gitops-engine@{gitops_engine}",
    ]


def _hydra_ldflags() -> list[str]:
    # What Hydra's Makefile stamps (`hydra version` prints it); commit and date stay "undefined":
    # the module proxy does not say which commit a tag is.
    version = read_module("hydra").version("github.com/ory/hydra/v2")
    return ["-s", "-w", f"-X github.com/ory/hydra/v2/driver/config.Version={version}"]


def _stamp(
    variable: str, module: str, gomod: str, strip_v: bool = False
) -> Callable[[], list[str]]:
    """Link flags that stamp a release's version into `variable`, as its own Makefile does."""

    def flags() -> list[str]:
        version = read_module(gomod).version(module)
        return ["-s", "-w", f"-X {variable}={version.lstrip('v') if strip_v else version}"]

    return flags


STEPS: tuple[BuildStep, ...] = (
    BuildStep(
        name="etcd",
        label="etcd",
        version_module="go.etcd.io/etcd/server/v3",
        # The server's main package is the module root; kwokctl runs it under the name `etcd`.
        binaries=(Binary("go.etcd.io/etcd/server/v3", "etcd"),),
        ldflags=lambda: ["-s", "-w"],
    ),
    BuildStep(
        name="kubernetes",
        label="Kubernetes",
        version_module="k8s.io/kubernetes",
        binaries=tuple(
            Binary(f"k8s.io/kubernetes/cmd/{name}", name)
            for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
        ),
        ldflags=kubernetes_ldflags,
    ),
    BuildStep(
        name="kwok",
        label="kwok",
        version_module="sigs.k8s.io/kwok",
        binaries=(
            Binary("sigs.k8s.io/kwok/cmd/kwok", "kwok"),
            Binary("sigs.k8s.io/kwok/cmd/kwokctl", "kwokctl"),
        ),
        ldflags=_kwok_ldflags,
    ),
    BuildStep(
        name="helm",
        label="Helm",
        version_module="helm.sh/helm/v3",
        binaries=(Binary("helm.sh/helm/v3/cmd/helm", "helm"),),
        ldflags=_helm_ldflags,
    ),
)

# `python -m e2e.harness binaries --full` (`make e2e`): also istioctl and argocd, which their e2e
# tests run and from which their command specs (kube_ai_proxy/specs/) are generated, kustomize,
# which Argo CD's repo-server runs, toxiproxy-server, the fault proxy, and hydra, the identity
# provider of the OAuth tests (e2e/harness/hydra.py).
FULL_STEPS: tuple[BuildStep, ...] = (
    *STEPS,
    BuildStep(
        name="istioctl",
        label="Istio",
        version_module="istio.io/istio",
        binaries=(Binary("istio.io/istio/istioctl/cmd/istioctl", "istioctl"),),
        ldflags=_istioctl_ldflags,
        release=lambda: istio_release()[0],
    ),
    BuildStep(
        name="argocd",
        label="Argo CD",
        version_module="github.com/argoproj/argo-cd/v3",
        # The multi-call binary: run as `argocd` it is the CLI; as argocd-server (argv[0] or
        # ARGOCD_BINARY_NAME) the API server, and so on.
        binaries=(Binary("github.com/argoproj/argo-cd/v3/cmd", "argocd"),),
        ldflags=_argocd_ldflags,
    ),
    BuildStep(
        name="kustomize",
        label="kustomize",
        version_module="sigs.k8s.io/kustomize/kustomize/v5",
        # The repo-server renders kustomize applications by running `kustomize build`.
        binaries=(Binary("sigs.k8s.io/kustomize/kustomize/v5", "kustomize"),),
        ldflags=_stamp(
            "sigs.k8s.io/kustomize/api/provenance.version",
            "sigs.k8s.io/kustomize/kustomize/v5",
            "kustomize",
        ),
    ),
    BuildStep(
        name="toxiproxy",
        label="Toxiproxy",
        version_module="github.com/Shopify/toxiproxy/v2",
        # The fault proxy of e2e/test_faults.py; its releases stamp the version without the v.
        binaries=(Binary("github.com/Shopify/toxiproxy/v2/cmd/server", "toxiproxy-server"),),
        ldflags=_stamp(
            "github.com/Shopify/toxiproxy/v2.Version",
            "github.com/Shopify/toxiproxy/v2",
            "toxiproxy",
            strip_v=True,
        ),
        cgo=False,
    ),
    BuildStep(
        name="hydra",
        label="Ory Hydra",
        version_module="github.com/ory/hydra/v2",
        binaries=(Binary("github.com/ory/hydra/v2", "hydra"),),
        ldflags=_hydra_ldflags,
        # Hydra's in-memory store (DSN `memory`) is SQLite through mattn/go-sqlite3, compiled in
        # only with the `sqlite` tag and only with cgo; the tags are its Makefile's.
        tags=("sqlite", "sqlite_omit_load_extension"),
        cgo=True,
        packages=("gcc", "libc6-dev"),
    ),
)


# `python -m e2e.harness node-image` (`make e2e-kind`): kind itself, and what the node image holds
# besides Debian's packages. The node's Kubernetes binaries come from the same wrapper module as
# the control plane's, so they are the same release.
KIND_STEPS: tuple[BuildStep, ...] = (
    BuildStep(
        name="kubernetes-node",
        gomod="kubernetes",
        label="Kubernetes",
        version_module="k8s.io/kubernetes",
        binaries=tuple(
            Binary(f"k8s.io/kubernetes/cmd/{name}", name)
            for name in ("kubelet", "kubeadm", "kube-proxy")
        ),
        ldflags=kubernetes_ldflags,
    ),
    BuildStep(
        name="kind",
        label="kind",
        version_module="sigs.k8s.io/kind",
        binaries=(Binary("sigs.k8s.io/kind", "kind"),),
        ldflags=lambda: ["-s", "-w"],
        cgo=False,
    ),
    BuildStep(
        name="containerd",
        label="containerd",
        version_module="github.com/containerd/containerd/v2",
        binaries=tuple(
            Binary(f"github.com/containerd/containerd/v2/cmd/{name}", name)
            for name in ("containerd", "containerd-shim-runc-v2", "ctr")
        ),
        ldflags=_stamp(
            "github.com/containerd/containerd/v2/version.Version",
            "github.com/containerd/containerd/v2",
            "containerd",
        ),
        # containerd's Makefile: no btrfs snapshotter (it needs cgo and btrfs headers).
        tags=("no_btrfs",),
        cgo=False,
    ),
    BuildStep(
        name="runc",
        label="runc",
        version_module="github.com/opencontainers/runc",
        binaries=(Binary("github.com/opencontainers/runc", "runc"),),
        # runc's `make static`: seccomp through libseccomp, linked in.
        ldflags=lambda: [
            *_stamp("main.version", "github.com/opencontainers/runc", "runc", strip_v=True)(),
            "-extldflags -static",
        ],
        tags=("seccomp", "netgo", "osusergo", "urfave_cli_no_docs"),
        cgo=True,
    ),
    BuildStep(
        name="cni-plugins",
        label="CNI plugins",
        version_module="github.com/containernetworking/plugins",
        binaries=tuple(
            Binary(f"github.com/containernetworking/plugins/plugins/{path}", path.split("/")[1])
            for path in ("main/ptp", "ipam/host-local", "main/loopback", "meta/portmap")
        ),
        ldflags=_stamp(
            "github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion",
            "github.com/containernetworking/plugins",
            "cni-plugins",
        ),
        cgo=False,
    ),
    BuildStep(
        name="cri-tools",
        label="cri-tools",
        version_module="sigs.k8s.io/cri-tools",
        binaries=(Binary("sigs.k8s.io/cri-tools/cmd/crictl", "crictl"),),
        ldflags=_stamp(
            "sigs.k8s.io/cri-tools/pkg/version.Version", "sigs.k8s.io/cri-tools", "cri-tools"
        ),
        cgo=False,
    ),
    BuildStep(
        name="coredns",
        label="CoreDNS",
        version_module="github.com/coredns/coredns",
        binaries=(Binary("github.com/coredns/coredns", "coredns"),),
        ldflags=lambda: ["-s", "-w"],
        cgo=False,
    ),
    BuildStep(
        name="local-path-provisioner",
        label="local-path-provisioner",
        version_module="github.com/rancher/local-path-provisioner",
        binaries=(Binary("github.com/rancher/local-path-provisioner", "local-path-provisioner"),),
        ldflags=_stamp(
            "main.VERSION",
            "github.com/rancher/local-path-provisioner",
            "local-path-provisioner",
        ),
        cgo=False,
    ),
    BuildStep(
        name="metrics-server",
        label="metrics-server",
        version_module="sigs.k8s.io/metrics-server",
        binaries=(Binary("sigs.k8s.io/metrics-server/cmd/metrics-server", "metrics-server"),),
        # Its Makefile stamps client-go's version package, which `--version` prints.
        ldflags=lambda: [
            *_stamp(
                "k8s.io/client-go/pkg/version.gitVersion",
                "sigs.k8s.io/metrics-server",
                "metrics-server",
            )(),
        ],
        cgo=False,
    ),
    BuildStep(
        name="pause",
        label="pause",
        version_module="",
        binaries=(Binary("kube-ai-proxy.local/e2e/pause", "pause"),),
        ldflags=lambda: ["-s", "-w"],
        cgo=False,
    ),
)


def stamp_path(layout: CacheLayout, build: BuildStep) -> Path:
    return layout.stamps_dir / f"{build.name}.sha256"


def is_current(layout: CacheLayout, build: BuildStep) -> bool:
    if not all(layout.binary(b.name).is_file() for b in build.binaries):
        return False
    stamp = stamp_path(layout, build)
    return stamp.is_file() and stamp.read_text().strip() == build.fingerprint()


def ensure_binaries(layout: CacheLayout, steps: Sequence[BuildStep] = STEPS) -> Path:
    """Build whatever is missing or stale; return the directory holding every binary."""
    if all(is_current(layout, build) for build in steps):
        return layout.bin_dir
    go = find_go(steps)
    with locked(layout.build_lock, "building binaries"):
        # Another run may have built them while this one waited for the lock.
        for build in steps:
            if not is_current(layout, build):
                _install_packages(build)
                _build(layout, build, go)
    return layout.bin_dir


def _install_packages(build: BuildStep) -> None:
    """Install the Debian packages `build` needs, once, when this machine lets the harness
    (root, apt). Without dpkg nothing is checked: go build's own error names what is missing."""
    if not build.packages or shutil.which("dpkg-query") is None:
        return
    ensure(build.packages, f"building {build.name}")


def find_go(steps: Sequence[BuildStep] = STEPS) -> str:
    needed = max(build.module.go_version for build in steps)
    needed_text = ".".join(map(str, needed))
    go = shutil.which("go")
    if go is None:
        raise HarnessError(
            f"`go` is not on PATH. The e2e binaries are built from source and need Go >= "
            f"{needed_text} (Debian's golang package is older): install a release from "
            f"go.dev/dl and put its bin/ directory on PATH."
        )
    reported = subprocess.run(
        [go, "env", "GOVERSION"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if reported and parse_go_version(reported) < needed:
        raise HarnessError(
            f"{go} is {reported}; the wrapper modules under {GOMOD_DIR} need Go >= {needed_text}: "
            f"install a newer release from go.dev/dl and put it first on PATH."
        )
    return go


def go_env(go: str, name: str) -> str:
    """One of `go env`'s values, from this toolchain itself (no toolchain switch)."""
    environment = {**os.environ, "GOTOOLCHAIN": "local"}
    done = subprocess.run(
        [go, "env", name], capture_output=True, text=True, env=environment, check=True
    )
    return done.stdout.strip()


def _build(layout: CacheLayout, build: BuildStep, go: str) -> None:
    layout.bin_dir.mkdir(parents=True, exist_ok=True)
    layout.stamps_dir.mkdir(parents=True, exist_ok=True)
    # Build next to the cache, then rename into place: a failed build leaves the old binaries
    # whole, and a running cluster keeps executing the files it started from.
    with tempfile.TemporaryDirectory(prefix=f".build-{build.name}-", dir=layout.root) as tmp:
        output = Path(tmp)
        if len(build.binaries) == 1:
            target = str(output / build.binaries[0].name)
        else:
            if any(b.name != b.package.rsplit("/", 1)[-1] for b in build.binaries):
                raise HarnessError(f"{build.name}: several binaries must keep their package names")
            target = f"{output}{os.sep}"
        command = [
            go,
            "build",
            "-trimpath",
            # The wrapper module's own git state says nothing about the binaries, and stamping
            # it would relink them after every commit of this repository.
            "-buildvcs=false",
            "-ldflags",
            " ".join(build.ldflags()),
            *(["-tags", ",".join(build.tags)] if build.tags else []),
            "-o",
            target,
            *(b.package for b in build.binaries),
        ]
        with step(f"building {build.describe()}", done="built"):
            result = subprocess.run(
                command,
                cwd=build.module.directory,
                env=_build_env(build),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                sys.stderr.write(result.stdout)
                raise HarnessError(
                    f"go build failed for {build.name} (exit {result.returncode}); its output is "
                    f"above. Command, run in {build.module.directory}:\n  "
                    + " ".join(_quote(arg) for arg in command)
                )
        for binary in build.binaries:
            os.replace(output / binary.name, layout.binary(binary.name))
    stamp_path(layout, build).write_text(build.fingerprint() + "\n")
    say(f"  -> {', '.join(str(layout.binary(b.name)) for b in build.binaries)}")


def _build_env(build: BuildStep) -> dict[str, str] | None:
    if build.cgo is None:
        return None
    return {**os.environ, "CGO_ENABLED": "1" if build.cgo else "0"}


def _quote(arg: str) -> str:
    return f"'{arg}'" if (" " in arg or not arg) else arg
