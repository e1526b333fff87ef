"""The machine's Go module cache served as a module proxy on loopback, for builds in a
container.

The CLIs in the image compile from the same pinned modules the harness has already
downloaded to build them on the host (`go env GOMODCACHE`). A build in a container starts
with an empty module cache; this proxy hands it the host's copies over the host network
instead of downloading a gigabyte again. Its `cache/download` folder has the very layout of
the module proxy protocol (`<module>/@v/<version>.info|.mod|.zip`). What it lacks answers
404 and Go goes on to the machine's own GOPROXY. Nothing is trusted for being served here:
the build checks every module against go.sum as it would any proxy's.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from e2e.harness.binaries import go_env


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """The build's own output tells what it fetched; one line per module would bury it."""


# The proxy's address is a build argument, and a build argument that changes invalidates the
# build cache from its first use on: a port that changed on every run would compile the CLIs
# again each time. So the port is the same from run to run for a given module cache, unless
# another process holds it.
PORTS = range(20000, 30000)
TRIES = 16


def _serve(downloads: Path, handler: Callable[..., _Quiet]) -> ThreadingHTTPServer:
    first = int(hashlib.sha256(str(downloads).encode()).hexdigest(), 16) % len(PORTS)
    for attempt in range(TRIES):
        port = PORTS[(first + attempt) % len(PORTS)]
        try:
            return ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError:  # taken: the next one (a new port means one uncached build)
            continue
    return ThreadingHTTPServer(("127.0.0.1", 0), handler)


@contextmanager
def module_proxy(go: str | None) -> Iterator[str]:
    """The GOPROXY value for a build on the host network: this machine's module cache first,
    then the machine's own GOPROXY. Served while the body runs. With no Go here, "": Go's
    default in the build."""
    if go is None:
        yield ""
        return
    downloads = Path(go_env(go, "GOMODCACHE")) / "cache" / "download"
    upstream = go_env(go, "GOPROXY")
    if not downloads.is_dir():
        yield upstream
        return
    handler = partial(_Quiet, directory=str(downloads))
    with _serve(downloads, handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port},{upstream}"
        finally:
            server.shutdown()
            thread.join()
