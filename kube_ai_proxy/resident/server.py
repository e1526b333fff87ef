"""The resident server: `python -m kube_ai_proxy.resident.server FOLDER KEY`, started by a
stdio start that found none (resident/launcher.py).

It imports what a stdio server runs on, listens on FOLDER/KEY.sock (mode 0600 in a 0700
directory, and a peer must have this process's uid), and forks a child for each start: the
child takes the start's stdin, stdout, stderr, arguments, environment, working directory and
umask, and runs kube_ai_proxy.main as that start would have. This process starts no thread
and no event loop, so forking it is safe; a child shares its memory until it writes.

It ends when it has had no child for K8S_MCP_RESIDENT_IDLE seconds (default 900), or on
SIGTERM, which it passes on to its children.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import importlib
import os
import selectors
import signal
import socket
import sys
import time
from typing import IO

from kube_ai_proxy.resident import place
from kube_ai_proxy.resident.wire import Request, WireError, peer, status_line

# What a stdio server imports before its first answer and at its first calls. HTTP-only
# modules (workers, OAuth, metrics, probes, tasks) are left to the start that needs them.
PRELOAD = (
    "kube_ai_proxy.main",
    "kube_ai_proxy.mcp.server",
    "kube_ai_proxy.call",
    "adapters.kubernetes",
    "adapters.helm",
    "adapters.argocd",
    "aiohttp",
)
# How long a stopping resident waits for its children to end after passing on SIGTERM.
STOP_GRACE = 5.0


class Resident:
    def __init__(self, listener: socket.socket, lock: IO[str], idle: float) -> None:
        self.listener = listener
        self.lock = lock
        self.idle = idle
        # Each child's pid, and the connection of the start it serves (None once it closed).
        self.children: dict[int, socket.socket | None] = {}
        self.selector = selectors.DefaultSelector()
        self.stopping = False
        # True in a child, which leaves the resident's children alone.
        self.forked = False

    def serve(self) -> tuple[Request, list[int]] | None:
        """Run until idle or stopped (None); in a forked child, return what it is to serve."""
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self._stop)
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.selector.register(wake_read, selectors.EVENT_READ)
        quiet_since = time.monotonic()
        try:
            while not self.stopping:
                if not self.children:
                    left = quiet_since + self.idle - time.monotonic()
                    if left <= 0:
                        _log(f"no start for {self.idle:g} s: stopping")
                        break
                else:
                    left = None
                for key, _ in self.selector.select(left):
                    if key.fileobj is self.listener:
                        forked = self._accept()
                        if forked is not None:
                            self._forget(wake_read, wake_write)
                            return forked
                    elif key.fileobj == wake_read:
                        _drain(wake_read)
                        if self._reap():
                            quiet_since = time.monotonic()
                    else:
                        self._closed(key.data, key.fileobj)  # type: ignore[arg-type]
        finally:
            if not self.forked:
                self._wind_down()
        return None

    def _accept(self) -> tuple[Request, list[int]] | None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return None
        conn.settimeout(5)
        try:
            starter, uid = peer(conn)
            if uid != os.getuid():
                _log("refused a connection from another user")
                conn.close()
                return None
            request, streams = Request.receive(conn)
        except (WireError, OSError) as exc:
            _log(f"dropped a start: {exc}")
            conn.close()
            return None
        if _hung_up(conn):
            # It waited too long for this process (stopped, or busy) and serves itself: a
            # server forked now would read the same stdin.
            _log(f"pid {starter} gave up before its server was forked")
            for fd in streams:
                os.close(fd)
            conn.close()
            return None
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            conn.close()
            return request, streams
        for fd in streams:
            os.close(fd)
        try:
            conn.sendall(f"pid {pid}\n".encode())
        except OSError:
            _terminate(pid)
            conn.close()
            self.children[pid] = None
            return None
        self.children[pid] = conn
        self.selector.register(conn, selectors.EVENT_READ, pid)
        _log(f"pid {pid} serves a start from pid {starter}")
        return None

    def _reap(self) -> bool:
        """Report the children that ended to their starts; True when none is left."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = self.children.pop(pid, None)
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.sendall(status_line(status))
                self.selector.unregister(conn)
                conn.close()
        return not self.children

    def _closed(self, pid: int, conn: socket.socket) -> None:
        """A start's connection is readable: it sends nothing after its request, so its
        process has ended (a client may SIGKILL it) and so must its server. (Unless the
        server ended in the same wake-up and was reaped: then there is nothing left to do.)"""
        if self.children.get(pid) is not conn:
            return
        self.selector.unregister(conn)
        conn.close()
        self.children[pid] = None
        _terminate(pid)

    def _stop(self, _signum: int, _frame: object) -> None:
        self.stopping = True

    def _wind_down(self) -> None:
        self.listener.close()
        for pid in self.children:
            _terminate(pid)
        deadline = time.monotonic() + STOP_GRACE
        while self.children and time.monotonic() < deadline:
            if not self._reap():
                time.sleep(0.05)
        self.selector.close()

    def _forget(self, *fds: int) -> None:
        """In a new child: let go of what belongs to the resident (the lock first: a child
        holding it would keep the next resident from starting)."""
        self.forked = True
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
        self.lock.close()
        self.listener.close()
        for conn in self.children.values():
            if conn is not None:
                conn.close()
        self.selector.close()
        for fd in fds:
            os.close(fd)


def main(argv: list[str]) -> int:
    folder, key = argv
    lock = open(place.lock_path(folder, key), "a+")  # noqa: SIM115 - held for the process's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # another start started it first
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    # The log (this process's stderr) holds this resident's life only.
    os.ftruncate(2, 0)
    started = time.monotonic()
    try:
        for name in PRELOAD:
            importlib.import_module(name)
    except BaseException as exc:
        with open(place.failed_path(folder, key), "w") as failed:
            failed.write(f"importing {name}: {exc!r}\n")
        raise
    # What is imported stays shared with the children only while nothing writes to its pages:
    # out of the collector's reach, a child's collections do not (a fifth less memory of
    # its own, measured with five calls).
    gc.freeze()
    path = place.socket_path(folder, key)
    if path is None:
        return 1
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # A socket left by a resident that was killed: the lock says none runs.
    if os.path.exists(path):
        os.unlink(path)
    old_mask = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old_mask)
    listener.listen(64)
    _log(f"pid {os.getpid()} ready in {time.monotonic() - started:.2f} s at {path}")
    forked = Resident(listener, lock, place.idle_seconds(os.environ)).serve()
    if forked is None:
        if os.path.exists(path):
            os.unlink(path)
        return 0
    return _serve_start(*forked)


def _serve_start(request: Request, streams: list[int]) -> int:
    """In the child: become the start that asked, then serve as it would have."""
    for target, fd in enumerate(streams):
        os.dup2(fd, target)
    for fd in streams:
        if fd > 2:
            os.close(fd)
    os.umask(request.umask)
    os.environ.clear()
    os.environ.update(request.env)
    sys.argv = ["kube-ai-proxy", *request.argv]
    try:
        os.chdir(request.cwd)
    except OSError as exc:
        sys.stderr.write(f"kube-ai-proxy: cannot enter {request.cwd}: {exc.strerror}\n")
        return 1
    from kube_ai_proxy.main import main as serve

    serve(request.argv)
    return 0


def _hung_up(conn: socket.socket) -> bool:
    """The start closed its end: it sends nothing after its request, so a readable
    connection can only be at its end."""
    conn.setblocking(False)
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    finally:
        conn.settimeout(5)


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def _log(message: str) -> None:
    sys.stderr.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}\n")
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
