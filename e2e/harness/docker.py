"""A Docker engine for the harness: the one that already answers, else one this run starts.

An engine that answers `docker info` is used as it is and never stopped. Otherwise, on a
machine that allows it (root, Debian's apt), Debian's `docker.io` is installed once and a
`dockerd` of the harness's own is started: its data (images, the build cache) under the cache
root, its socket there too, so no other engine and no other process's socket is touched. The
run that started it stops it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from e2e.harness import runc_fit
from e2e.harness.cache import CacheLayout, locked
from e2e.harness.debian import install, may_install
from e2e.harness.errors import HarnessError
from e2e.harness.progress import say, step

# Debian's engine and what debootstrap-made base images need (e2e/harness/images.py).
PACKAGES = ("docker.io", "debootstrap")
# dockerd's runtime state (containerd's sockets among it): short, because a unix socket's
# path may not exceed 107 bytes, and outside the cache, because it must not outlive a boot.
EXEC_ROOT = Path("/run/kube-ai-proxy-docker")


@dataclass(frozen=True)
class Engine:
    """How the docker CLI reaches the engine: `host` is DOCKER_HOST (None: the CLI's own
    default, an engine that was already there)."""

    host: str | None
    started_here: bool

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        environment = dict(os.environ if base is None else base)
        if self.host is not None:
            environment["DOCKER_HOST"] = self.host
        return environment

    def docker(
        self, *args: str, input: bytes | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[bytes]:
        """Run the docker CLI against this engine; a failure raises HarnessError with stderr."""
        command = [docker_cli(), *args]
        try:
            done = subprocess.run(
                command, input=input, capture_output=True, env=self.env(), timeout=timeout
            )
        except subprocess.TimeoutExpired:
            raise HarnessError(f"`docker {' '.join(args)}` took more than {timeout:g} s") from None
        if done.returncode != 0:
            raise HarnessError(
                f"`docker {' '.join(args)}` failed (exit {done.returncode}): "
                f"{done.stderr.decode(errors='replace').strip()[-2000:]}"
            )
        return done


def docker_cli() -> str:
    """The docker CLI: the one on PATH, else Debian's."""
    found = shutil.which("docker") or shutil.which("docker", path="/usr/bin")
    if found is None:
        raise HarnessError("no docker CLI: install Debian's docker.io (apt-get install docker.io)")
    return found


def answers(host: str | None = None) -> bool:
    """Does an engine answer `docker info` (at `host`, else at the CLI's default)?"""
    cli = shutil.which("docker") or shutil.which("docker", path="/usr/bin")
    if cli is None:
        return False
    environment = dict(os.environ)
    if host is not None:
        environment["DOCKER_HOST"] = host
    try:
        done = subprocess.run(
            [cli, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            env=environment,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def _dockerd_argv(layout: CacheLayout) -> list[str]:
    root = layout.docker_dir
    argv = [
        "dockerd",
        f"--data-root={root / 'data'}",
        f"--exec-root={EXEC_ROOT}",
        f"--pidfile={root / 'dockerd.pid'}",
        f"--host=unix://{layout.docker_socket}",
        "--group=root",
    ]
    lacking = runc_fit.missing()
    if lacking:
        # A copy, so that a dockerd adopted by a later run does not depend on this checkout.
        runtime = root / "runc-fit"
        shutil.copyfile(Path(runc_fit.__file__), runtime)
        runtime.chmod(0o755)
        say(
            f"  this machine cannot grant {', '.join(sorted(lacking))}: privileged containers "
            f"run through {runtime}, which leaves it out"
        )
        argv += [f"--add-runtime=runc-fit={runtime}", "--default-runtime=runc-fit"]
    return argv


def _start(layout: CacheLayout) -> subprocess.Popen[bytes]:
    layout.docker_dir.mkdir(parents=True, exist_ok=True)
    log = (layout.docker_dir / "dockerd.log").open("ab")
    host = f"unix://{layout.docker_socket}"
    with step(f"starting dockerd (data in {layout.docker_dir / 'data'})", done="dockerd answers"):
        process = subprocess.Popen(
            _dockerd_argv(layout),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # a Ctrl-C meant for the tests is not dockerd's
        )
        deadline = time.monotonic() + 60
        while not answers(host):
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(process)
                tail = (layout.docker_dir / "dockerd.log").read_text(errors="replace")[-2000:]
                raise HarnessError(f"dockerd did not start; its log ends with:\n{tail}")
            time.sleep(0.2)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # dockerd stops its containers and containerd
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _stop_leftover(layout: CacheLayout) -> None:
    """Stop a dockerd this process did not start, by its pidfile: SIGTERM, then SIGKILL."""
    pidfile = layout.docker_dir / "dockerd.pid"
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, signal.SIGTERM)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    if Path(f"/proc/{pid}").exists():
        os.kill(pid, signal.SIGKILL)


@contextmanager
def engine(layout: CacheLayout) -> Iterator[Engine]:
    """An engine for the body: the running one, else one started here and stopped after."""
    if answers():
        yield Engine(host=None, started_here=False)
        return
    host = f"unix://{layout.docker_socket}"
    problem = may_install()
    if problem is not None:
        raise HarnessError(
            "no Docker engine answers (`docker info` failed), and the harness cannot start "
            f"one: {problem}. Start a Docker engine and run again."
        )
    install(PACKAGES)
    # One engine per cache: a second run waits instead of starting another on the same data.
    with locked(layout.docker_dir / "engine.lock", "running dockerd"):
        if answers(host):
            # Holding the lock, no other run uses it: a run that was killed left it running.
            say(f"a dockerd left by an earlier run answers at {host}: using it, then stopping it")
            stop: Callable[[], None] = partial(_stop_leftover, layout)
        else:
            stop = partial(_stop, _start(layout))
        try:
            yield Engine(host=host, started_here=True)
        finally:
            with step("stopping dockerd", done="stopped"):
                stop()
