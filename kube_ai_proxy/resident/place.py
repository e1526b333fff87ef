"""Where resident servers listen, and which of them a start may use.

A resident serves a start only when it runs the same code with the same interpreter and the
same environment as far as importing modules could have read it: its socket's name is a hash
of those. The variables the server reads when it runs (K8S_MCP_*, KUBECONFIG, the proxies)
are left out of the hash: the forked server takes them, with everything else, from the
start's own environment.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import signal
import stat
import sys
import time
from collections.abc import Mapping

SWITCH = "K8S_MCP_RESIDENT"
DIRECTORY = "K8S_MCP_RESIDENT_DIR"
IDLE = "K8S_MCP_RESIDENT_IDLE"
DEFAULT_IDLE = 900.0

_OFF = {"0", "off", "false", "no"}
_RUNTIME_PREFIXES = ("K8S_MCP_", "KUBE_AI_PROXY_")
_RUNTIME = {"KUBECONFIG", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "XDG_STATE_HOME"}
# A shell's own bookkeeping: different in every terminal, read by no module.
_VOLATILE = {"PWD", "OLDPWD", "SHLVL", "_", "COLUMNS", "LINES"}
# sockaddr_un's path field is 108 bytes with its terminating NUL.
_MAX_SOCKET_PATH = 107


def enabled(env: Mapping[str, str]) -> bool:
    # Linux only: the peer check reads SO_PEERCRED, which macOS does not have (its
    # LOCAL_PEERCRED is untested here); there every start serves in its own process.
    return sys.platform == "linux" and env.get(SWITCH, "on").strip().lower() not in _OFF


def idle_seconds(env: Mapping[str, str]) -> float:
    """K8S_MCP_RESIDENT_IDLE: how long a resident with nothing to serve stays."""
    raw = env.get(IDLE, "")
    try:
        seconds = float(raw) if raw.strip() else DEFAULT_IDLE
    except ValueError:
        return DEFAULT_IDLE
    return seconds if seconds > 0 else DEFAULT_IDLE


def directory(env: Mapping[str, str]) -> str:
    """K8S_MCP_RESIDENT_DIR, else $XDG_RUNTIME_DIR/kube-ai-proxy (a per-user tmpfs, emptied at
    logout), else ~/.cache/kube-ai-proxy/run."""
    if env.get(DIRECTORY):
        return env[DIRECTORY]
    if env.get("XDG_RUNTIME_DIR"):
        return os.path.join(env["XDG_RUNTIME_DIR"], "kube-ai-proxy")
    home = env.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".cache", "kube-ai-proxy", "run")


def private_directory(path: str) -> str | None:
    """Make `path` (mode 0700) or check it is ours and closed to others: whoever can reach a
    resident's socket gets a server with this user's credentials. The reason it cannot be
    used, or None."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError as exc:
        return f"cannot create {path}: {exc.strerror}"
    if not stat.S_ISDIR(info.st_mode):
        return f"{path} is not a directory"
    if info.st_uid != os.getuid():
        return f"{path} belongs to uid {info.st_uid}, not to this user"
    if info.st_mode & 0o077:
        return f"{path} is open to other users (mode {stat.S_IMODE(info.st_mode):o}; chmod 700 it)"
    return None


def fingerprint(env: Mapping[str, str]) -> str:
    """What a resident must share with a start to serve it, hashed."""
    digest = hashlib.sha256()
    digest.update(f"{sys.executable}\0{sys.version}\0".encode())
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # The code: this package and its sibling `adapters`, by name, size and modification time.
    for root in (package, os.path.join(os.path.dirname(package), "adapters")):
        for folder, subfolders, files in os.walk(root):
            subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
            for name in sorted(files):
                info = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    # The dependencies: installing or upgrading one renames entries of site-packages.
    for entry in sys.path:
        if os.path.basename(entry) == "site-packages" and os.path.isdir(entry):
            digest.update(f"{entry}\0{os.stat(entry).st_mtime_ns}\0".encode())
    for name in sorted(env):
        if name in _VOLATILE or name.upper() in _RUNTIME or name.startswith(_RUNTIME_PREFIXES):
            continue
        digest.update(f"{name}={env[name]}\0".encode(errors="surrogateescape"))
    return digest.hexdigest()[:20]


def socket_path(folder: str, key: str) -> str | None:
    path = os.path.join(folder, f"{key}.sock")
    return path if len(os.fsencode(path)) <= _MAX_SOCKET_PATH else None


def lock_path(folder: str, key: str) -> str:
    """Held by the resident for as long as it lives; it holds the resident's pid."""
    return os.path.join(folder, f"{key}.lock")


def log_path(folder: str, key: str) -> str:
    return os.path.join(folder, f"{key}.log")


def failed_path(folder: str, key: str) -> str:
    """Written by a resident that could not start: the same code and environment would fail
    again, so no start starts another until the key changes (or the file is removed)."""
    return os.path.join(folder, f"{key}.failed")


def running(folder: str) -> dict[int, str]:
    """The residents alive in `folder` (pid: socket path): those whose lock is held."""
    found: dict[int, str] = {}
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return found
    for name in names:
        if not name.endswith(".lock"):
            continue
        with open(os.path.join(folder, name)) as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = lock.read().strip()
                if pid.isdigit():
                    found[int(pid)] = os.path.join(folder, name.removesuffix(".lock") + ".sock")
    return found


def failed(folder: str) -> list[str]:
    """The keys whose resident could not start (their failed_path marker)."""
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return []
    return [name.removesuffix(".failed") for name in names if name.endswith(".failed")]


def servers(pid: int) -> list[int]:
    """The servers a resident runs: its children (Linux, as the resident itself)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listed:
            return [int(child) for child in listed.read().split()]
    except FileNotFoundError:
        return []


def ready(folder: str) -> bool:
    """A resident runs in `folder` and listens."""
    found = running(folder)
    return bool(found) and all(os.path.exists(path) for path in found.values())


def stop_all(folder: str, seconds: float = 30) -> None:
    """SIGTERM the residents in `folder` (each stops the servers it runs) and wait for them."""
    for pid in running(folder):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while running(folder):
        if time.monotonic() > deadline:
            raise TimeoutError(f"residents in {folder} still run after {seconds:g} s")
        time.sleep(0.05)
