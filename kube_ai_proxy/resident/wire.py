"""What a start and a resident say over the resident's unix socket.

The start sends one request: a 4-byte length with its stdin, stdout and stderr attached
(SCM_RIGHTS), then that many bytes of JSON (argv, environment, working directory, umask).
The resident answers with lines: `pid N` once the server is forked, then `exit N` or
`signal N` when it ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct

_LENGTH = struct.Struct("!I")
# An environment is a few KiB; this only keeps a confused peer from making the resident
# allocate without bound.
MAX_REQUEST = 1 << 20
STREAMS = 3


class WireError(Exception):
    """The peer broke the protocol or went away mid-message."""


class Request:
    # A plain class: importing dataclasses (and with it inspect) would add 7 ms to every start.
    __slots__ = ("argv", "cwd", "env", "umask")

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str, umask: int) -> None:
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.umask = umask

    def send(self, sock: socket.socket, streams: list[int]) -> None:
        body = json.dumps(
            {"argv": self.argv, "env": self.env, "cwd": self.cwd, "umask": self.umask}
        ).encode("utf-8", errors="surrogateescape")
        socket.send_fds(sock, [_LENGTH.pack(len(body))], streams)
        sock.sendall(body)

    @classmethod
    def receive(cls, sock: socket.socket) -> tuple[Request, list[int]]:
        """The request and the descriptors that came with it (the caller closes them)."""
        head, fds, _flags, _addr = socket.recv_fds(sock, _LENGTH.size, STREAMS)
        try:
            if len(head) != _LENGTH.size or len(fds) != STREAMS:
                raise WireError("expected a length and three descriptors")
            (size,) = _LENGTH.unpack(head)
            if size > MAX_REQUEST:
                raise WireError(f"request of {size} bytes")
            data = _read_exactly(sock, size)
            try:
                fields = json.loads(data.decode("utf-8", errors="surrogateescape"))
                request = cls(
                    argv=[str(word) for word in fields["argv"]],
                    env={str(k): str(v) for k, v in fields["env"].items()},
                    cwd=str(fields["cwd"]),
                    umask=int(fields["umask"]),
                )
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise WireError(f"malformed request: {exc}") from exc
        except BaseException:
            for fd in fds:
                _close(fd)
            raise
        return request, fds


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = sock.recv(min(size, 65536))
        if not chunk:
            raise WireError("the peer closed the connection mid-request")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def status_line(status: int) -> bytes:
    """The line for a wait status from os.waitpid."""
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}\n".encode()
    return f"exit {os.waitstatus_to_exitcode(status)}\n".encode()


def peer(sock: socket.socket) -> tuple[int, int]:
    """The pid and user id of the process at the other end of a unix socket (SO_PEERCRED)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", creds)
    return int(pid), int(uid)
