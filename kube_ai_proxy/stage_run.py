"""How a pipe stage runs: where its program is looked up, the only environment it gets, and what
installs it when it is missing.

parse/stages.py decides which stages may run and in what normalized form; this module knows
how they are executed, which the parser must not.
"""

from __future__ import annotations

from collections.abc import Mapping

from kube_ai_proxy.parse.stages import UTILITIES

# Where pipe stages are looked up, and the only environment they get: nothing of the server's
# environment (tokens, kubeconfig paths) reaches a text filter.
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
STAGE_ENV: Mapping[str, str] = {"PATH": SAFE_PATH, "LC_ALL": "C.UTF-8"}

# The Debian package of each pipe utility that coreutils does not provide.
_PACKAGES: Mapping[str, str] = {"grep": "grep", "sed": "sed", "column": "bsdextrautils"}


def install_hint(name: str) -> str:
    """What to install when the program of a pipe stage is missing."""
    package = _PACKAGES.get(name) or ("coreutils" if name in UTILITIES else name)
    return f"apt-get install {package}"
