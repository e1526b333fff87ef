"""The `kube-ai-proxy` command.

An MCP client starts a stdio server for every conversation, and importing the MCP stack
takes most of a second. So a stdio start hands its stdin, stdout and stderr, arguments,
environment and working directory to this user's resident server, which forks a server that
has everything imported (resident/server.py); this process stays as its stand-in: it passes
on the signals it gets and ends with the server's exit status. When no resident runs yet,
the start serves in this process as usual and starts one in the background for the next.

Everything else (a terminal on stdin, an HTTP transport, K8S_MCP_RESIDENT=off, a resident
directory that is not private) runs in this process: kube_ai_proxy.main.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Mapping

from kube_ai_proxy.resident import place
from kube_ai_proxy.resident.wire import Request, peer

# What a start passes on to its server; SIGKILL cannot be, and the resident stops the server
# when this process's connection closes.
RELAYED = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
)

# Seconds a resident has to fork a server for a start.
ANSWER_WITHIN = 10.0


def main() -> None:
    words = sys.argv[1:]
    env = dict(os.environ)
    if _wants_resident(words, env):
        ended = _through_resident(words, env)
        if ended is not None:
            _end_like(ended)
    from kube_ai_proxy.main import main as serve_here

    serve_here(words)


def _wants_resident(words: list[str], env: Mapping[str, str]) -> bool:
    if not place.enabled(env) or os.isatty(0) or words[:1] in (["config"], ["resident"]):
        return False
    if env.get("K8S_MCP_TRANSPORT", "stdio").strip() not in ("", "stdio"):
        return False
    # --transport, or any abbreviation argparse would take for it.
    return not any(word.startswith("--tr") for word in words)


def _through_resident(words: list[str], env: Mapping[str, str]) -> tuple[str, int] | None:
    """How the resident's server ended (`exit`/`signal`, number), or None when this start is
    to serve in this process."""
    folder = place.directory(env)
    problem = place.private_directory(folder)
    if problem is not None:
        _say(f"not using a resident server: {problem}")
        return None
    key = place.fingerprint(env)
    path = place.socket_path(folder, key)
    if path is None:
        _say(f"not using a resident server: the path of {folder} is too long")
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with sock:
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            _start_resident(folder, key, env)
            return None
        except OSError as exc:
            _say(f"not using the resident server at {path}: {exc.strerror}")
            return None
        if peer(sock)[1] != os.getuid():
            _say(f"not using the resident server at {path}: it runs as another user")
            return None
        request = Request(argv=words, env=dict(env), cwd=os.getcwd(), umask=_umask())
        try:
            request.send(sock, [0, 1, 2])
        except OSError as exc:
            _say(f"not using the resident server at {path}: {exc.strerror}")
            return None
        answers = sock.makefile("rb")
        # A resident answers at once; one that is stopped or stuck must not hang the client.
        sock.settimeout(ANSWER_WITHIN)
        try:
            forked = answers.readline().split()
        except TimeoutError:
            _say(
                f"the resident server at {path} did not answer in {ANSWER_WITHIN:g} s; serving here"
            )
            return None
        sock.settimeout(None)
        if len(forked) != 2 or forked[0] != b"pid":
            # Nothing was forked: stdin is untouched and this process can still serve.
            _say(f"the resident server at {path} did not start a server; serving here")
            return None
        pid = int(forked[1])
        for number in RELAYED:
            signal.signal(number, lambda received, _frame: _relay(pid, received))
        ended = answers.readline().split()
    if len(ended) == 2 and ended[0] in (b"exit", b"signal"):
        return ended[0].decode(), int(ended[1])
    _say(f"the resident server stopped while its server (pid {pid}) ran")
    return "exit", 1


def _start_resident(folder: str, key: str, env: Mapping[str, str]) -> None:
    """Start this user's resident for the next start, without waiting for it: it spends a
    second importing while this process serves."""
    if os.path.exists(place.failed_path(folder, key)):
        _say(
            f"the resident server could not start (see {place.log_path(folder, key)}; "
            f"remove {place.failed_path(folder, key)} to try again); serving here"
        )
        return
    import subprocess

    with open(place.log_path(folder, key), "ab") as log:
        subprocess.Popen(
            [sys.executable, "-m", "kube_ai_proxy.resident.server", folder, key],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=dict(env),
            cwd="/",
            # Its own session: a client that stops this start's process group leaves it.
            start_new_session=True,
        )


def _relay(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


def _end_like(ended: tuple[str, int]) -> None:
    how, number = ended
    if how == "signal":
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
        sys.exit(128 + number)
    sys.exit(number)


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _say(message: str) -> None:
    sys.stderr.write(f"kube-ai-proxy: {message}\n")
    sys.stderr.flush()
