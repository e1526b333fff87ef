"""A git server on loopback for a test: git's own `git daemon` serving the repositories a test
writes, read-only, over git:// (what Argo CD's repo-server clones from in e2e).

A test makes a repository, writes files and commits them; the next fetch sees the commit.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from e2e.harness.errors import HarnessError
from e2e.harness.processes import LOOPBACK, free_ports, running

# Commits made here do not depend on the developer's git configuration.
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "e2e",
    "GIT_AUTHOR_EMAIL": "e2e@example.com",
    "GIT_COMMITTER_NAME": "e2e",
    "GIT_COMMITTER_EMAIL": "e2e@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}


def _git() -> str:
    found = shutil.which("git")
    if found is None:
        raise HarnessError("`git` is not on PATH: apt-get install git")
    return found


@dataclass(frozen=True)
class Repository:
    path: Path  # the working tree; the daemon serves its .git
    url: str

    def git(self, *args: str) -> str:
        done = subprocess.run(
            [_git(), *args],
            cwd=self.path,
            env={"PATH": "/usr/bin:/bin", "HOME": str(self.path.parent), **_GIT_ENV},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise HarnessError(f"git {' '.join(args)} in {self.path}: {done.stderr.strip()}")
        return done.stdout.strip()

    def commit(self, message: str, files: Mapping[str, str], remove: tuple[str, ...] = ()) -> str:
        """Write `files` (path relative to the root: text), remove `remove`, commit; the new
        commit's hash."""
        for name, text in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        for name in remove:
            self.git("rm", "-r", "-q", "--", name)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")


@dataclass(frozen=True)
class GitServer:
    root: Path
    port: int

    def repository(self, name: str) -> Repository:
        """A new, empty repository (branch `main`) served as git://127.0.0.1:PORT/NAME."""
        path = self.root / name
        if path.exists():
            raise HarnessError(f"a repository {name} exists already in {self.root}")
        path.mkdir(parents=True)
        repository = Repository(path, f"git://{LOOPBACK}:{self.port}/{name}")
        repository.git("init", "-q", "-b", "main")
        return repository


def _listening(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def git_server(workdir: Path) -> Iterator[GitServer]:
    root = workdir / "repositories"
    root.mkdir(parents=True, exist_ok=True)
    (port,) = free_ports(1)
    argv = [
        _git(),
        "daemon",
        f"--listen={LOOPBACK}",
        f"--port={port}",
        f"--base-path={root}",
        "--export-all",
        "--reuseaddr",
        "--informative-errors",
        "--verbose",
        str(root),
    ]
    with running(
        "git daemon",
        argv,
        workdir / "git-daemon.log",
        lambda: _listening(port),
        env={"PATH": "/usr/bin:/bin", **_GIT_ENV},
    ):
        yield GitServer(root, port)
