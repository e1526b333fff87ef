"""Base images made on this machine, for when no registry can be pulled from: Debian from
debootstrap, and a Python image and a Go build image on it.

`make image` builds the Dockerfile FROM these (its GO_IMAGE and PYTHON_IMAGE arguments).
Each is kept in the engine and, as a tarball keyed by what it was made from, in the cache, so
only the first run on a machine pays for it (a new engine loads the tarball in seconds).
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from e2e.harness.binaries import find_go, go_env
from e2e.harness.cache import CacheLayout
from e2e.harness.docker import Engine, docker_cli
from e2e.harness.errors import HarnessError
from e2e.harness.goproxy import module_proxy
from e2e.harness.progress import say, step

SUITE = "bookworm"
DEBIAN = f"local/debian:{SUITE}"
PYTHON = f"local/python:3.11-{SUITE}"

# Where Debian keeps a machine's own CA certificates (update-ca-certificates adds them to the
# system bundle). A machine whose traffic to the registries passes a TLS proxy trusts that
# proxy's CA there; the images built on it must trust it too, or pip and go cannot download.
LOCAL_CAS = Path("/usr/local/share/ca-certificates")
BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

# Debian's CA certificates with this machine's own (cas/ in the build context), as the
# system bundle that Go, pip (PIP_CERT: its own copy of certifi would not have them) and
# Python's ssl (SSL_CERT_FILE) read.
TRUST = f"""\
COPY cas/ /usr/local/share/ca-certificates/
RUN apt-get update \\
    && apt-get install -y --no-install-recommends ca-certificates \\
    && update-ca-certificates \\
    && rm -rf /var/lib/apt/lists/*
ENV SSL_CERT_FILE={BUNDLE} PIP_CERT={BUNDLE}
"""

# Debian's python3 is "externally managed" (PEP 668): pip would refuse to install into it. A
# virtualenv first on PATH gives `python` and `pip` as the python: images have them.
PYTHON_DOCKERFILE = f"""\
FROM {DEBIAN}
{TRUST}RUN apt-get update \\
    && apt-get install -y --no-install-recommends python3 python3-venv \\
    && rm -rf /var/lib/apt/lists/* \\
    && python3 -m venv /usr/local/python
ENV PATH=/usr/local/python/bin:$PATH
"""

# The machine's Go toolchain (GOROOT, sent in the build context as go/), with git for modules
# the proxy does not serve.
GO_DOCKERFILE = f"""\
FROM {DEBIAN}
{TRUST}RUN apt-get update \\
    && apt-get install -y --no-install-recommends git \\
    && rm -rf /var/lib/apt/lists/*
COPY go /usr/local/go
ENV PATH=/usr/local/go/bin:/root/go/bin:$PATH GOTOOLCHAIN=local
"""


def inputs_key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


# The label that records what a base image was made from: an image of the same name made
# from other inputs (another Go, other CA certificates) is made again.
INPUTS_LABEL = "kube-ai-proxy.inputs"


def present(engine: Engine, image: str, inputs: str | None = None) -> bool:
    """Is the image in the engine (and, given `inputs`, made from them)?"""
    label = '{{index .Config.Labels "' + INPUTS_LABEL + '"}}'
    done = subprocess.run(
        [docker_cli(), "image", "inspect", "--format", label, image],
        capture_output=True,
        text=True,
        env=engine.env(),
    )
    return done.returncode == 0 and (inputs is None or done.stdout.strip() == inputs)


def inputs_of(engine: Engine, image: str) -> str:
    label = '{{index .Config.Labels "' + INPUTS_LABEL + '"}}'
    return engine.docker("image", "inspect", "--format", label, image).stdout.decode().strip()


def _from_cache(engine: Engine, image: str, inputs: str, tarball: Path) -> bool:
    """True when the image made from `inputs` is in the engine, loaded from its tarball if
    need be."""
    if present(engine, image, inputs):
        return True
    if tarball.is_file():
        with step(f"loading {image} from {tarball}", done="loaded"):
            engine.docker("load", "--input", str(tarball))
        return present(engine, image, inputs)
    return False


def _save(engine: Engine, image: str, tarball: Path) -> None:
    tarball.parent.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_suffix(".partial")
    engine.docker("save", "--output", str(partial), image)
    partial.replace(tarball)
    _drop_superseded(tarball)


def _drop_superseded(tarball: Path) -> None:
    """Remove the tarballs of the same image made from other inputs (named alike, with
    another inputs hash): a changed input would otherwise leave hundreds of megabytes behind
    each time."""
    stem = tarball.stem.rsplit("-", 1)[0]
    for other in tarball.parent.glob(f"{stem}-*.tar"):
        if other != tarball and other.stem.rsplit("-", 1)[0] == stem:
            other.unlink()


# The machine's APT sources: debootstrap writes only `SUITE main`, while Debian's own images
# also have the suite's updates and security archives, where the packages the Dockerfile
# pins (jq, bsdextrautils) have their current versions.
APT = Path("/etc/apt")


def _apt_sources() -> dict[str, str]:
    """The machine's APT source files, by their path under /etc/apt."""
    paths = [APT / "sources.list"] if (APT / "sources.list").is_file() else []
    parts = APT / "sources.list.d"
    if parts.is_dir():
        paths += sorted(parts.glob("*.sources")) + sorted(parts.glob("*.list"))
    return {str(path.relative_to(APT)): path.read_text() for path in paths}


# What Debian's own images do to stay small, written for the images made here: every layer that
# installs packages would otherwise carry APT's downloaded packages and its binary caches (over
# 100 MB), and the documentation, manuals and translations nobody reads in a container.
SLIM: dict[str, str] = {
    "etc/apt/apt.conf.d/90kube-ai-proxy-slim": """\
APT::Keep-Downloaded-Packages "false";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
""",
    "etc/dpkg/dpkg.cfg.d/90kube-ai-proxy-slim": """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
""",
}
# What debootstrap itself leaves that those settings keep out of later layers.
LEFT_BY_DEBOOTSTRAP = ("var/cache/apt", "var/lib/apt/lists", "usr/share/man", "usr/share/info")


def _slim(rootfs: Path) -> None:
    for relative, text in SLIM.items():
        (rootfs / relative).write_text(text)
    for relative in LEFT_BY_DEBOOTSTRAP:
        for entry in (rootfs / relative).glob("*"):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True)  # apt expects it
    (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True)
    for entry in (rootfs / "usr/share/locale").glob("*/LC_MESSAGES"):
        shutil.rmtree(entry)
    for entry in (rootfs / "usr/share/doc").glob("*/*"):
        if entry.is_dir():
            shutil.rmtree(entry)
        elif entry.name != "copyright":
            entry.unlink()


def debian(engine: Engine, layout: CacheLayout) -> str:
    """local/debian:bookworm: `debootstrap --variant=minbase` from the machine's default
    Debian mirror, with the machine's APT sources, slimmed as Debian's own images are (SLIM),
    imported as an image."""
    sources = _apt_sources()
    inputs = inputs_key(
        SUITE,
        "minbase",
        *(f"{k}\0{v}" for k, v in sorted(sources.items())),
        *(f"{k}\0{v}" for k, v in SLIM.items()),
    )
    tarball = layout.images_dir / f"debian-{SUITE}-{inputs}.tar"
    if present(engine, DEBIAN, inputs):
        return DEBIAN
    if not tarball.is_file():
        if shutil.which("debootstrap") is None:
            raise HarnessError("debootstrap is missing: apt-get install debootstrap")
        layout.images_dir.mkdir(parents=True, exist_ok=True)
        with (
            tempfile.TemporaryDirectory(dir=layout.images_dir) as scratch,
            step(f"making {DEBIAN} with debootstrap --variant=minbase", done="made"),
        ):
            rootfs = Path(scratch) / "rootfs"
            done = subprocess.run(
                ["debootstrap", "--variant=minbase", SUITE, str(rootfs)],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise HarnessError(f"debootstrap failed: {done.stdout[-1500:]}{done.stderr}")
            if sources:
                (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
                for relative, text in sources.items():
                    (rootfs / "etc/apt" / relative).write_text(text)
            _slim(rootfs)
            partial = tarball.with_suffix(".partial")
            subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True)
            partial.replace(tarball)
            _drop_superseded(tarball)
    with step(f"importing {DEBIAN}", done="imported"):
        label = f"LABEL {INPUTS_LABEL}={inputs}"
        engine.docker("import", "--change", label, str(tarball), DEBIAN)
    return DEBIAN


def build_context(engine: Engine, image: str, inputs: str, context: bytes, *args: str) -> None:
    """`docker build` of a context tarball (more build options in `args`), labelled with what
    it was made from; the host's network, because the bridge of an engine started here may not
    reach the package mirrors."""
    label = f"{INPUTS_LABEL}={inputs}"
    argv = ["build", "--network", "host", "--label", label, "--tag", image, *args, "-"]
    engine.docker(*argv, input=context, timeout=1800)


def _local_cas() -> list[Path]:
    return sorted(LOCAL_CAS.glob("*.crt")) if LOCAL_CAS.is_dir() else []


def _context(dockerfile: str, extra: Path | None = None, name: str = "") -> bytes:
    """A build context: the Dockerfile, this machine's own CA certificates as cas/, and
    `extra` as `name`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = dockerfile.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        directory = tarfile.TarInfo("cas")
        directory.type = tarfile.DIRTYPE
        directory.mode = 0o755
        archive.addfile(directory)
        for certificate in _local_cas():
            archive.add(str(certificate), arcname=f"cas/{certificate.name}")
        if extra is not None:
            archive.add(str(extra), arcname=name)
    return buffer.getvalue()


def _cas_key() -> str:
    return inputs_key(*(c.read_text() for c in _local_cas()))


def python(engine: Engine, layout: CacheLayout) -> str:
    """local/python:3.11-bookworm: Debian's python3.11 in a virtualenv first on PATH."""
    base = debian(engine, layout)
    inputs = inputs_key(PYTHON_DOCKERFILE, _cas_key(), inputs_of(engine, base))
    tarball = layout.images_dir / f"python-{inputs}.tar"
    if not _from_cache(engine, PYTHON, inputs, tarball):
        with step(f"building {PYTHON} from Debian's python3", done="built"):
            build_context(engine, PYTHON, inputs, _context(PYTHON_DOCKERFILE))
            _save(engine, PYTHON, tarball)
    return PYTHON


def golang(engine: Engine, layout: CacheLayout) -> str:
    """local/golang:VERSION-bookworm: this machine's Go toolchain (the one the harness
    builds with) copied onto the Debian base."""
    go = find_go()
    version, goroot = go_env(go, "GOVERSION"), Path(go_env(go, "GOROOT"))
    image = f"local/golang:{version.removeprefix('go')}-{SUITE}"
    base = debian(engine, layout)
    inputs = inputs_key(version, GO_DOCKERFILE, _cas_key(), inputs_of(engine, base))
    tarball = layout.images_dir / f"golang-{inputs}.tar"
    if not _from_cache(engine, image, inputs, tarball):
        with step(f"building {image} from {goroot}", done="built"):
            build_context(engine, image, inputs, _context(GO_DOCKERFILE, goroot, "go"))
            _save(engine, image, tarball)
    return image


REPO = Path(__file__).resolve().parents[2]
IMAGE = "kube-ai-proxy:dev"
# The Dockerfile's defaults, pulled when a registry answers.
REGISTRY_BASES = ("golang:1.26-bookworm", "python:3.11-slim-bookworm")


def _registry_answers(engine: Engine) -> bool:
    """Can the engine pull the Dockerfile's own base images? Asked once per build, bounded:
    here no registry answers and the local base images are used instead."""
    for image in REGISTRY_BASES:
        if present(engine, image):
            continue
        try:
            done = subprocess.run(
                [docker_cli(), "pull", "--quiet", image],
                capture_output=True,
                env=engine.env(),
                timeout=120,
            )
        except subprocess.TimeoutExpired:
            return False
        if done.returncode != 0:
            return False
    return True


def build_image(engine: Engine, layout: CacheLayout, tag: str = IMAGE) -> int:
    """Build the project's Dockerfile as `tag`, from the registry's base images when one
    answers, else from the ones made here. Returns the image's size in bytes."""
    arguments: list[str] = []
    if _registry_answers(engine):
        say("a registry answers: building from the Dockerfile's own base images")
    else:
        say("no registry answers: building from base images made on this machine")
        arguments = [
            f"--build-arg=GO_IMAGE={golang(engine, layout)}",
            f"--build-arg=PYTHON_IMAGE={python(engine, layout)}",
        ]
    with step(f"building {tag} (the CLIs compile from source: minutes the first time)"):
        # The classic builder: BuildKit would fetch its Dockerfile frontend from a registry.
        environment = {**engine.env(), "DOCKER_BUILDKIT": "0"}
        argv = [docker_cli(), "build", "--network", "host", "--tag", tag, *arguments]
        with (
            module_proxy(shutil.which("go")) as goproxy,
            subprocess.Popen(
                [*argv, f"--build-arg=GOPROXY={goproxy}", str(REPO)],
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ) as build,
        ):
            assert build.stdout is not None
            tail: list[str] = []
            for line in build.stdout:
                if line.startswith("Step "):  # one line per Dockerfile instruction
                    say(f"  {line.rstrip()[:120]}")
                tail = [*tail[-60:], line]
        if build.returncode != 0:
            raise HarnessError("docker build failed:\n" + "".join(tail))
    size = int(engine.docker("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip())
    say(f"{tag}: {size / 1e6:.0f} MB")
    return size
