"""The module proxy `make image` hands the Docker build (e2e/harness/goproxy.py), asked by the
real `go` command: it serves what the harness's builds downloaded, and a module it lacks is
"not found", so Go goes on to the next proxy in the list."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from e2e.harness import CacheLayout
from e2e.harness.binaries import FULL_STEPS, ensure_binaries, find_go, read_module
from e2e.harness.goproxy import module_proxy

HELM = "helm.sh/helm/v3"


def _download(go: str, proxy: str, module: str, cache: Path) -> subprocess.CompletedProcess[str]:
    """`go mod download` into an empty module cache, from `proxy` alone (no fallback)."""
    environment = {
        **os.environ,
        "GOPROXY": proxy,
        "GOMODCACHE": str(cache),
        "GOFLAGS": "-modcacherw",
        "GOSUMDB": "off",  # what is checked here is the protocol; builds check go.sum
        "GOTOOLCHAIN": "local",
    }
    return subprocess.run(
        [go, "mod", "download", "-json", module],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cache.parent,
        timeout=120,
    )


def test_serves_the_modules_the_harness_downloaded(
    cache_layout: CacheLayout, tmp_path: Path
) -> None:
    # Building helm is what puts its module in the machine's module cache.
    ensure_binaries(cache_layout, [step for step in FULL_STEPS if step.name == "helm"])
    go = find_go()
    module = f"{HELM}@{read_module('helm').version(HELM)}"
    with module_proxy(go) as goproxy:
        local, _, upstream = goproxy.partition(",")
        assert local.startswith("http://127.0.0.1:") and upstream, goproxy
        served = _download(go, local, module, tmp_path / "served")
        missing = _download(go, local, "example.invalid/nothing@v1.0.0", tmp_path / "missing")
    assert served.returncode == 0, served.stderr
    assert '"Zip":' in served.stdout and '"Error"' not in served.stdout, served.stdout
    assert missing.returncode != 0
    assert ": 404 " in missing.stdout + missing.stderr, missing.stdout + missing.stderr
