"""Helm through pyhelm3, without pyhelm3's shell.

pyhelm3 builds helm's argv and parses its `--output json`, but runs it with
`asyncio.create_subprocess_shell` (and `helm version` with `subprocess.run(shell=True)`).
`HelmCommand` keeps pyhelm3's argv building and its error classification and replaces the
running: every helm is exec'd by `adapters.cli.run_pipeline` (no shell, its own process group,
killed whole on timeout or cancellation), with the environment the server gives the helm CLI
and an output cap. `Helm` builds pyhelm3 clients on first use and asks helm for its version
once per binary: pyhelm3's `Client` asks for it, synchronously, in its constructor.
Nothing here knows about MCP.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pyhelm3
import pyhelm3.command
import pyhelm3.errors
import semver

from adapters.cli import Stage, resolve, run_pipeline
from adapters.errors import BackendError

JSON = dict[str, Any]
_VERSION = ("version", "--template", "{{ .Version }}")


@dataclass(frozen=True)
class HelmCall:
    """What one call's helm runs get."""

    env: Mapping[str, str]  # the environment the server gives the helm CLI
    timeout: float  # seconds, for each helm run
    max_bytes: int  # helm's stdout beyond this is an error, not a partial answer
    kube_context: str | None = None
    identity_args: tuple[str, ...] = ()  # --kube-as-user/--kube-as-group of the caller


def error_class(stderr: str) -> type[pyhelm3.errors.Error]:
    """pyhelm3's classification of a failed helm run by its stderr (pyhelm3.Command.run)."""
    text = stderr.lower()
    if "context canceled" in text:
        return cast(type[pyhelm3.errors.Error], pyhelm3.errors.CommandCancelledError)
    # An etcd error comes before the others: it sometimes comes with a not-found.
    if "etcdserver" in text:
        return cast(type[pyhelm3.errors.Error], pyhelm3.errors.ConnectionError)
    if "release: not found" in text:
        return cast(type[pyhelm3.errors.Error], pyhelm3.errors.ReleaseNotFoundError)
    if "failed to render chart" in text or "execution error" in text:
        return cast(type[pyhelm3.errors.Error], pyhelm3.errors.FailedToRenderChartError)
    if "rendered manifests contain a resource that already exists" in text:
        return cast(type[pyhelm3.errors.Error], pyhelm3.errors.ResourceAlreadyExistsError)
    if "is invalid" in text:
        return cast(type[pyhelm3.errors.Error], pyhelm3.errors.InvalidResourceError)
    if pyhelm3.command.CHART_NOT_FOUND.search(text) is not None:
        return cast(type[pyhelm3.errors.Error], pyhelm3.errors.ChartNotFoundError)
    if pyhelm3.command.CONNECTION_ERROR.search(text) is not None:
        return cast(type[pyhelm3.errors.Error], pyhelm3.errors.ConnectionError)
    return cast(type[pyhelm3.errors.Error], pyhelm3.errors.Error)


class HelmCommand(pyhelm3.Command):  # type: ignore[misc]  # pyhelm3 has no type hints
    """pyhelm3's Command, its helm exec'd without a shell.

    pyhelm3's reads (status, history, get_values) build helm's arguments and hand them to
    `run`, which this class replaces; tests/test_canaries.py checks that they still do. The
    executable and kube context are kept here too, not read back from pyhelm3's private
    `_executable` and `_kubecontext`."""

    def __init__(
        self,
        executable: str,
        call: HelmCall,
        version: semver.Version | None = None,
        install_hint: str = "",
    ) -> None:
        super().__init__(executable=executable, kubecontext=call.kube_context)
        self.executable = executable
        self.call = call
        self.known_version = version
        self.install_hint = install_hint

    def argv(self, command: Sequence[Any]) -> list[str]:
        """helm's argv for pyhelm3's arguments (it passes ints and paths too), with the
        global flags pyhelm3 adds (only --kube-context is ever set here) and the caller's
        identity."""
        argv = [self.executable, *(str(part) for part in command)]
        if self.call.kube_context:
            argv += ["--kube-context", self.call.kube_context]
        return argv + list(self.call.identity_args)

    async def run(self, command: list[Any], input: bytes | None = None) -> bytes:
        call = self.call
        argv = self.argv(command)
        outcome = await run_pipeline(
            [Stage(argv, call.env, install_hint=self.install_hint)],
            stdin=input,
            timeout=call.timeout,
            max_bytes=call.max_bytes,
        )
        shown = " ".join(["helm", *argv[1:]])
        if outcome.truncated:
            raise BackendError(
                "api_error",
                f"`{shown}` printed {outcome.stdout_total} bytes, more than the "
                f"{call.max_bytes} this server reads from helm; narrow the command "
                "(-n, --filter, --max) or ask for less (a single revision, `get values`).",
            )
        stage = outcome.stages[0]
        if stage.exit_code == 0:
            return outcome.stdout
        raise error_class(stage.stderr)(stage.exit_code, outcome.stdout, stage.stderr.encode())

    def client_version(self) -> semver.Version:
        """helm's version (pyhelm3.Client's constructor asks for it), without a shell: the one
        already known, else `helm version` run in its own process group, killed whole when it
        runs past the call's timeout."""
        if self.known_version is not None:
            return self.known_version
        argv = [self.executable, *_VERSION]
        with subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(self.call.env),
            start_new_session=True,
        ) as proc:
            try:
                out, err = proc.communicate(timeout=self.call.timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                raise BackendError(
                    "timeout", f"`helm version` did not answer within {self.call.timeout:g}s"
                ) from None
        if proc.returncode != 0:
            raise BackendError(
                "unavailable", f"`helm version` failed: {err.decode('utf-8', 'replace').strip()}"
            )
        self.known_version = parse_version(out.decode())
        return self.known_version


def parse_version(text: str) -> semver.Version:
    return semver.Version.parse(text.strip().removeprefix("v"))


class Helm:
    """The server's helm: pyhelm3 clients built when a call needs one; helm's version asked
    once per binary. `install_hint` says what installs a missing helm (the server's words for
    every CLI it runs)."""

    def __init__(self, program: str = "helm", install_hint: str = "") -> None:
        self.program = program
        self.install_hint = install_hint
        self._versions: dict[str, semver.Version] = {}

    async def client(self, call: HelmCall) -> HelmClient:
        executable = resolve(Stage([self.program], call.env, install_hint=self.install_hint))
        command = HelmCommand(
            executable, call, self._versions.get(executable), install_hint=self.install_hint
        )
        if command.known_version is None:
            # Asked here, asynchronously, so the client's constructor does not block the loop.
            version = parse_version((await command.run(list(_VERSION))).decode())
            command.known_version = self._versions[executable] = version
        return HelmClient(command=command, executable=executable)


class HelmClient(pyhelm3.Client):  # type: ignore[misc]  # pyhelm3 has no type hints
    """pyhelm3's Client over a HelmCommand, with helm's JSON as helm printed it (pyhelm3's
    models drop fields)."""

    def __init__(self, *, command: HelmCommand, executable: str) -> None:
        super().__init__(command=command, executable=executable)
        # Kept here rather than read back from pyhelm3's private `_command`.
        self.command = command

    async def releases(
        self,
        *,
        namespace: str | None = None,
        all_namespaces: bool = False,
        all_states: bool = False,
        deployed: bool = False,
        failed: bool = False,
        pending: bool = False,
        superseded: bool = False,
        uninstalled: bool = False,
        uninstalling: bool = False,
        by_date: bool = False,
        reverse: bool = False,
        max_releases: int = 256,
        offset: int = 0,
        name_filter: str | None = None,
        selector: str | None = None,
        time_format: str | None = None,
    ) -> list[JSON]:
        """`helm list -o json`. pyhelm3's `list` always adds --deployed (which drops failed
        releases from helm's default listing) and knows no --filter, --offset, --selector or
        --time-format, so the argv is built here; it runs through the same `run`."""
        argv: list[str] = ["list", "--output", "json", f"--max={max_releases}"]
        switches = {
            "--all": all_states,
            "--all-namespaces": all_namespaces,
            "--deployed": deployed,
            "--failed": failed,
            "--pending": pending,
            "--superseded": superseded,
            "--uninstalled": uninstalled,
            "--uninstalling": uninstalling,
            "--date": by_date,
            "--reverse": reverse,
        }
        argv += [flag for flag, wanted in switches.items() if wanted]
        for flag, value in (
            ("--namespace", namespace),
            ("--filter", name_filter),
            ("--selector", selector),
            ("--time-format", time_format),
        ):
            if value:
                argv.append(f"{flag}={value}")
        if offset:
            argv.append(f"--offset={offset}")
        listed = json.loads(await self.command.run(argv))
        return cast(list[JSON], listed)

    async def release(self, name: str, *, namespace: str | None, revision: int = 0) -> JSON:
        """`helm status NAME -o json`: the release without its chart."""
        return cast(JSON, await self.command.status(name, namespace=namespace, revision=revision))

    async def history(
        self, name: str, *, namespace: str | None, max_revisions: int = 256
    ) -> list[JSON]:
        """`helm history NAME -o json`."""
        return cast(
            list[JSON],
            await self.command.history(name, namespace=namespace, max_revisions=max_revisions),
        )

    async def values(
        self, name: str, *, namespace: str | None, revision: int = 0, computed: bool = False
    ) -> JSON:
        """`helm get values NAME -o json`; pyhelm3 reads helm's `null` as `{}`."""
        return cast(
            JSON,
            await self.command.get_values(
                name, namespace=namespace, revision=revision or None, computed=computed
            ),
        )
