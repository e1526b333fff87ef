"""Debian packages the harness needs (Docker, debootstrap, a C compiler, redis), installed
with apt-get once, where the machine lets it: root on Debian."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from e2e.harness.errors import HarnessError
from e2e.harness.progress import say, step


def may_install() -> str | None:
    """None when this machine lets the harness install packages (and run dockerd), else why
    not."""
    if os.geteuid() != 0:
        return "this is not root, and apt-get install (and dockerd) need root"
    if not Path("/etc/debian_version").is_file() or shutil.which("apt-get") is None:
        return "this is not a Debian machine with apt-get"
    return None


def install(packages: Sequence[str]) -> None:
    """Debian packages, once; the package lists are refreshed only when the install fails
    without them (a new machine may have none)."""
    missing = [p for p in packages if not installed(p)]
    if not missing:
        return
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    argv = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
    with step(f"installing {', '.join(missing)} with apt-get (once)", done="installed"):
        first = subprocess.run(argv, capture_output=True, text=True, env=environment)
        if first.returncode != 0:
            say("  refreshing the package lists first (apt-get update)")
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=environment)
            again = subprocess.run(argv, capture_output=True, text=True, env=environment)
            if again.returncode != 0:
                raise HarnessError(f"`{' '.join(argv)}` failed: {again.stderr.strip()[-2000:]}")


def installed(package: str) -> bool:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    )
    return done.returncode == 0 and done.stdout.endswith(" installed")


def ensure(packages: Sequence[str], needed_by: str) -> None:
    """`packages` installed, or a HarnessError that says how to install them."""
    missing = [package for package in packages if not installed(package)]
    if not missing:
        return
    problem = may_install()
    if problem is not None:
        raise HarnessError(
            f"{needed_by} needs {', '.join(missing)} (apt-get install {' '.join(missing)}), "
            f"and the harness cannot install them: {problem}"
        )
    install(missing)
