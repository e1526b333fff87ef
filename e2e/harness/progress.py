"""One line per harness step on stderr, with elapsed time.

Builds and cluster start-up take minutes; a silent terminal looks hung, a chatty one hides the
one line that matters. So: one line when a step starts, one when it ends.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


def say(message: str) -> None:
    """Print one progress line to stderr (stdout stays clean for the paths a caller may parse)."""
    print(message, file=sys.stderr, flush=True)


@contextmanager
def step(start: str, done: str = "done") -> Iterator[None]:
    """Print `start ...`, run the body, then `done in N s` (or `failed after N s`)."""
    say(f"{start} ...")
    began = time.monotonic()
    try:
        yield
    except BaseException:
        say(f"failed after {elapsed(began)}")
        raise
    say(f"{done} in {elapsed(began)}")


def elapsed(since: float) -> str:
    seconds = time.monotonic() - since
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
