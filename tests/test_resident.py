"""The resident server (kube_ai_proxy/resident): stdio starts of the `kube-ai-proxy` command are
served by a child forked from a per-user process that has the MCP stack imported.

Real processes throughout: the console script, the resident it starts, the children it forks.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kube_ai_proxy.resident import place
from kube_ai_proxy.resident.wire import Request

COMMAND = Path(sys.executable).with_name("kube-ai-proxy")
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}


@pytest.fixture
def folder() -> Iterator[Path]:
    """A resident directory of this test's own (short: a socket's path has at most 107
    bytes), whose residents are stopped at the end."""
    if not COMMAND.exists():
        pytest.fail(f"{COMMAND} is missing: run `make install`")
    path = Path(tempfile.mkdtemp(prefix="kap-", dir="/tmp"))
    path.chmod(0o700)
    yield path
    place.stop_all(str(path))
    shutil.rmtree(path)


def _env(folder: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, place.DIRECTORY: str(folder), **extra}


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(COMMAND), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def _send(proc: subprocess.Popen[bytes], message: dict[str, object]) -> None:
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(message).encode() + b"\n")
    proc.stdin.flush()


def _answer(proc: subprocess.Popen[bytes], ident: int) -> dict[str, object]:
    assert proc.stdout is not None
    while line := proc.stdout.readline():
        message: dict[str, object] = json.loads(line)
        if message.get("id") == ident:
            return message
    assert proc.stderr is not None
    raise AssertionError(f"no answer {ident}; stderr: {proc.stderr.read().decode()[-2000:]}")


def _list_tools(proc: subprocess.Popen[bytes]) -> list[str]:
    _send(proc, INITIALIZE)
    _answer(proc, 1)
    _send(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    _send(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    result = _answer(proc, 2)["result"]
    assert isinstance(result, dict)
    return [tool["name"] for tool in result["tools"]]


def _end(proc: subprocess.Popen[bytes]) -> int:
    assert proc.stdin is not None
    proc.stdin.close()
    return proc.wait(timeout=30)


def _wait_for(condition: Callable[[], object], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds:g} s for {what}")
        time.sleep(0.05)


def _resident(folder: Path) -> int:
    """Start the resident (a first start serves in its own process and starts it)."""
    first = _start(_env(folder))
    assert "execute_kubectl" in _list_tools(first)
    assert _end(first) == 0
    _wait_for(lambda: place.ready(str(folder)), "the resident to start")
    (pid,) = place.running(str(folder))
    return pid


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def test_a_start_is_served_by_a_child_of_the_resident_with_its_streams_and_cwd(
    folder: Path, tmp_path: Path
) -> None:
    resident = _resident(folder)
    # (Its environment is the start's: see the exit status test, whose setting only the
    # start has. /proc/PID/environ shows what a process was executed with, not its own.)
    env = _env(folder)
    proc = subprocess.Popen(
        [str(COMMAND)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    tools = _list_tools(proc)
    assert "execute_kubectl" in tools
    (server,) = _children(resident)
    # The server is the resident's child, not the start's, and it has the start's world.
    assert not _children(proc.pid)
    # (The MCP SDK moves stdin and stdout off descriptors 0 and 1 as it starts.)
    held = {os.readlink(fd) for fd in Path(f"/proc/{server}/fd").iterdir()}
    for stream in (0, 1, 2):
        assert os.readlink(f"/proc/{proc.pid}/fd/{stream}") in held
    assert os.readlink(f"/proc/{server}/cwd") == str(tmp_path)
    assert _end(proc) == 0
    _wait_for(lambda: not _children(resident), "the server to end")
    log = Path(place.log_path(str(folder), place.fingerprint(env))).read_text()
    assert f"pid {server} serves a start from pid {proc.pid}" in log


def test_a_start_ends_with_its_servers_exit_status_and_stderr(folder: Path) -> None:
    _resident(folder)
    proc = _start(_env(folder, K8S_MCP_ACCESS="everything"))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert b"invalid configuration: access" in err
    assert out == b""
    # Served by the resident, whose own environment has no such setting.
    log = Path(place.log_path(str(folder), place.fingerprint(_env(folder)))).read_text()
    assert f"serves a start from pid {proc.pid}" in log
    proc = _start(_env(folder), "--version")
    out, _ = proc.communicate(timeout=30)
    assert (proc.returncode, out.startswith(b"kube-ai-proxy ")) == (0, True)


def test_sigterm_to_a_start_ends_its_server_and_the_start_with_that_signal(
    folder: Path,
) -> None:
    resident = _resident(folder)
    proc = _start(_env(folder))
    _list_tools(proc)
    (server,) = _children(resident)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == -signal.SIGTERM
    _wait_for(lambda: _gone(server), "the server to end")


def test_a_killed_start_takes_its_server_with_it(folder: Path) -> None:
    resident = _resident(folder)
    proc = _start(_env(folder))
    _list_tools(proc)
    (server,) = _children(resident)
    proc.kill()
    proc.wait(timeout=30)
    # The client's end of stdin is still open (this test holds it): only the resident's
    # watch on the start's connection stops the server.
    _wait_for(lambda: _gone(server), "the server of a killed start to end", 30)


def test_starts_at_once_with_no_resident_start_exactly_one(folder: Path) -> None:
    starts = [_start(_env(folder)) for _ in range(4)]
    for proc in starts:
        assert "execute_kubectl" in _list_tools(proc)
    for proc in starts:
        assert _end(proc) == 0
    _wait_for(lambda: place.running(str(folder)), "a resident to start")
    time.sleep(1)  # a second resident, had one been started, would be importing by now
    assert len(place.running(str(folder))) == 1


def test_an_idle_resident_stops_and_removes_its_socket(folder: Path) -> None:
    resident = _resident(folder)
    socket_path = Path(place.running(str(folder))[resident])
    os.kill(resident, signal.SIGTERM)
    _wait_for(lambda: _gone(resident), "the resident to stop")
    env = _env(folder, **{place.IDLE: "1"})
    _end(_start(env))
    _wait_for(lambda: place.running(str(folder)), "the resident to start")
    proc = _start(env)
    assert "execute_kubectl" in _list_tools(proc)
    assert _end(proc) == 0
    # One second after its last server ended.
    _wait_for(lambda: not place.running(str(folder)), "the idle resident to stop", 30)
    assert not socket_path.exists()


def test_a_stopped_resident_stops_the_servers_it_runs(folder: Path) -> None:
    resident = _resident(folder)
    proc = _start(_env(folder))
    _list_tools(proc)
    os.kill(resident, signal.SIGTERM)
    assert proc.wait(timeout=30) == -signal.SIGTERM
    _wait_for(lambda: _gone(resident), "the resident to stop")


def _resident_command(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMMAND), "resident", *args],
        env=_env(folder),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_resident_status_lists_each_resident_and_stop_stops_them(folder: Path) -> None:
    none = _resident_command(folder)
    assert none.returncode == 0
    assert none.stdout.startswith(f"resident servers in {folder}: none\n")
    resident = _resident(folder)
    proc = _start(_env(folder))
    _list_tools(proc)
    (server,) = _children(resident)
    status = _resident_command(folder)
    key = place.fingerprint(_env(folder))
    assert status.stdout == (
        f"resident servers in {folder}: 1\n"
        f"  pid {resident}: 1 server(s) running (pid {server}); "
        f"log {place.log_path(str(folder), key)}\n"
    )
    stopped = _resident_command(folder, "stop")
    assert (stopped.returncode, stopped.stdout) == (
        0,
        "stopped 1 resident server(s) and the 1 server(s) they ran\n",
    )
    assert proc.wait(timeout=30) == -signal.SIGTERM
    assert _gone(resident)
    # The command neither went through a resident nor started one.
    assert not place.running(str(folder))
    again = _resident_command(folder, "stop")
    assert (again.returncode, again.stdout) == (0, f"no resident server runs in {folder}\n")
    assert not place.running(str(folder))


def test_resident_status_names_a_resident_that_could_not_start(folder: Path) -> None:
    Path(place.failed_path(str(folder), "abc")).write_text("")
    status = _resident_command(folder).stdout
    assert f"see {place.log_path(str(folder), 'abc')}" in status
    assert f"until {place.failed_path(str(folder), 'abc')} is removed" in status


def test_a_directory_open_to_others_is_not_used(folder: Path) -> None:
    folder.chmod(0o755)
    proc = _start(_env(folder))
    assert "execute_kubectl" in _list_tools(proc)
    assert _end(proc) == 0
    assert proc.stderr is not None
    assert b"is open to other users (mode 755; chmod 700 it)" in proc.stderr.read()
    assert not list(folder.iterdir())


def test_another_user_gets_no_server_even_through_an_open_socket(folder: Path) -> None:
    """The directory's mode is the first guard; the resident's check of its peer's uid is
    the second: open both to everyone, connect as `nobody`, and ask for a server."""
    if os.getuid() != 0:
        pytest.fail("acting as another user needs root: run this test as root (CI does)")
    resident = _resident(folder)
    path = place.running(str(folder))[resident]
    folder.chmod(0o755)
    os.chmod(path, 0o666)
    answer_read, answer_write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the forked attacker
        try:
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.connect(path)
                Request(["--version"], {}, "/", 0o022).send(sock, [0, 1, 2])
                sock.settimeout(10)
                os.write(answer_write, sock.recv(100) or b"refused: closed")
        except OSError as exc:  # the resident may close before the request is written
            os.write(answer_write, f"refused: {exc}".encode())
        finally:
            os._exit(0)
    os.close(answer_write)
    os.waitpid(child, 0)
    answer = os.read(answer_read, 200)
    assert answer.startswith(b"refused: "), answer
    os.close(answer_read)
    assert not _children(resident)
    log = Path(place.log_path(str(folder), place.fingerprint(_env(folder)))).read_text()
    assert "refused a connection from another user" in log


def test_what_the_server_reads_when_it_runs_does_not_choose_another_resident() -> None:
    base = {"HOME": "/home/a", "PATH": "/usr/bin", "FASTMCP_LOG_LEVEL": "INFO"}
    key = place.fingerprint(base)
    for runtime in (
        {"K8S_MCP_ACCESS": "read-only"},
        {"KUBECONFIG": "/tmp/other"},
        {"https_proxy": "http://proxy:3128"},
        {"XDG_STATE_HOME": "/tmp/state"},
        {"PWD": "/elsewhere", "SHLVL": "3"},
    ):
        assert place.fingerprint({**base, **runtime}) == key, runtime
    # What modules may read as they are imported does.
    for imported in ({"FASTMCP_LOG_LEVEL": "DEBUG"}, {"PATH": "/opt/bin"}, {"SSL_CERT_FILE": "x"}):
        assert place.fingerprint({**base, **imported}) != key, imported


def test_a_resident_that_cannot_start_is_not_started_again_for_the_same_key(
    folder: Path, tmp_path: Path
) -> None:
    """A module the resident imports fails (here: an aiohttp shadowed on PYTHONPATH). Starts
    still serve, in their own process, and say why; none starts another resident."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "aiohttp.py").write_text("raise ImportError('aiohttp is broken here')\n")
    env = _env(folder, PYTHONPATH=str(shadow))
    key = place.fingerprint(env)
    _end(_start(env))
    _wait_for(lambda: Path(place.failed_path(str(folder), key)).exists(), "the failure")
    _wait_for(lambda: not place.running(str(folder)), "the failed resident to exit")
    log = Path(place.log_path(str(folder), key))
    assert "aiohttp is broken here" in log.read_text()
    before = log.stat().st_mtime_ns
    proc = _start(env)
    assert "execute_kubectl" in _list_tools(proc)
    assert _end(proc) == 0
    assert proc.stderr is not None
    said = proc.stderr.read().decode()
    assert f"the resident server could not start (see {log}" in said
    time.sleep(1)
    assert not place.running(str(folder))
    assert log.stat().st_mtime_ns == before


def test_a_stuck_resident_does_not_hang_a_start(folder: Path) -> None:
    resident = _resident(folder)
    os.kill(resident, signal.SIGSTOP)
    try:
        proc = _start(_env(folder))
        assert "execute_kubectl" in _list_tools(proc)
        assert not _children(resident)
    finally:
        os.kill(resident, signal.SIGCONT)
    assert _end(proc) == 0
    assert proc.stderr is not None
    assert b"did not answer in 10 s; serving here" in proc.stderr.read()
    # The resident, running again, finds the start gone and forks nothing for it: a server
    # would read the stdin the start now reads itself.
    log = Path(place.log_path(str(folder), place.fingerprint(_env(folder))))
    _wait_for(lambda: f"pid {proc.pid} gave up" in log.read_text(), "the resident to see it")
    assert not _children(resident)
