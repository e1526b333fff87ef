"""LEAVES for a program: how the CLIs and the pipe stages run (DESIGN, "One call, end to end":
execute).

A CLI gets the server's environment without the server's secrets, plus its cluster access, and
the argv that was judged with the server's context applied; a pipe stage gets nothing of the
server's. Both are looked up on a PATH, and a missing one is reported with what installs it.
A CLI whose output may hold Secret values runs alone first and is redacted before its output
reaches the pipe stages. Each CLI's own version is asked once per binary.

parse/stages.py decides which stages may run and in what normalized form; this module knows
how they are executed, which the parser must not. Everything that execs a program for a call
goes through here to adapters/cli.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from adapters.argocd import ArgoCD, ArgoCDConfig, parse_server
from adapters.cli import PipelineResult, Stage, resolve, run_pipeline
from adapters.errors import BackendError
from kube_ai_proxy.config import WORKER_ARGS, Settings
from kube_ai_proxy.errors import CommandError
from kube_ai_proxy.output.budget import read_limit, redaction_limit
from kube_ai_proxy.parse.clispec import CONTEXT_FLAGS, INSTANCE_FLAG, Tool
from kube_ai_proxy.parse.command import CliCommand
from kube_ai_proxy.parse.plan import Plan
from kube_ai_proxy.parse.stages import UTILITIES

# A call's progress, as the client hears it: seconds elapsed, of how many, and what runs.
Progress = Callable[[float, float, str], Awaitable[None]]

CLI_INSTALL_HINTS: Mapping[Tool, str] = {
    "kubectl": "see https://kubernetes.io/docs/tasks/tools/ (or `make cluster-up` for a "
    "locally built one)",
    "helm": "see https://helm.sh/docs/intro/install/",
    "istioctl": "see https://istio.io/latest/docs/setup/getting-started/#download",
    "argocd": "see https://argo-cd.readthedocs.io/en/stable/cli_installation/",
}

# Where pipe stages are looked up, and the only environment they get: nothing of the server's
# environment (tokens, kubeconfig paths) reaches a text filter.
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
STAGE_ENV: Mapping[str, str] = {"PATH": SAFE_PATH, "LC_ALL": "C.UTF-8"}

# The Debian package of each pipe utility that coreutils does not provide.
_PACKAGES: Mapping[str, str] = {"grep": "grep", "sed": "sed", "column": "bsdextrautils"}

# Variables of this server that no child process needs to see.
_PRIVATE_ENV = ("K8S_MCP_AUTH_TOKEN", "ARGOCD_PASSWORD", WORKER_ARGS)


def install_hint(name: str) -> str:
    """What to install when the program of a pipe stage is missing."""
    package = _PACKAGES.get(name) or ("coreutils" if name in UTILITIES else name)
    return f"apt-get install {package}"


def cli_env(settings: Settings, tool: Tool, argocd: ArgoCDConfig | None = None) -> dict[str, str]:
    """The CLI's environment: the server's own, minus its secrets, plus its cluster access
    (for argocd, the Argo CD instance of the call, when one is configured)."""
    env = {k: v for k, v in os.environ.items() if k not in _PRIVATE_ENV}
    if settings.kubeconfig:
        env["KUBECONFIG"] = settings.kubeconfig
    if tool == "kubectl":
        # ~/.kuberc may add default flags and aliases; the command that was validated
        # must be the command that runs.
        env["KUBERC"] = "off"
    if tool == "argocd" and argocd is not None:
        env.update(_argocd_cli_settings(argocd))
        # Only this instance's token: never one the environment holds for another.
        env.pop("ARGOCD_AUTH_TOKEN", None)
        if argocd.token:
            env["ARGOCD_AUTH_TOKEN"] = argocd.token
    elif tool != "argocd":
        env.pop("ARGOCD_AUTH_TOKEN", None)
    return env


async def logged_in_env(
    settings: Settings, tool: Tool, config: ArgoCDConfig | None, argocd: ArgoCD | None
) -> dict[str, str]:
    """`cli_env`, and for an Argo CD the server reaches with a username and password, the
    session token it logged in for: the CLI gets the token, never the password."""
    env = cli_env(settings, tool, config)
    if argocd is not None and "ARGOCD_AUTH_TOKEN" not in env:
        env["ARGOCD_AUTH_TOKEN"] = await argocd.token()
    return env


def _argocd_cli_settings(config: ArgoCDConfig) -> dict[str, str]:
    """ARGOCD_SERVER as the argocd CLI takes it (host:port) and, in ARGOCD_OPTS (the CLI's
    default flags, after any the environment already sets), how to reach it: plaintext for
    an http:// URL, a gRPC-web root path, the CA file, or no TLS verification."""
    try:
        address = parse_server(config.server)
    except BackendError:
        return {"ARGOCD_SERVER": config.server}
    options = [os.environ.get("ARGOCD_OPTS", "")]
    if address.plaintext:
        options.append("--plaintext")
    if address.root_path:
        options.append(f"--grpc-web-root-path={shlex.quote(address.root_path)}")
    if config.insecure:
        options.append("--insecure")
    elif config.ca_file:
        options.append(f"--server-crt={shlex.quote(config.ca_file)}")
    return {
        "ARGOCD_SERVER": address.cli_address,
        "ARGOCD_OPTS": " ".join(option for option in options if option),
    }


def cli_argv(
    command: CliCommand, server_context: str | None, identity: Sequence[str] = ()
) -> list[str]:
    """The command's argv with the server's context applied when it names none, and the
    flags that make it act as the caller (identity.cli_identity_args)."""
    if command.has(INSTANCE_FLAG):
        # The instance is the CLI's environment (cli_env), not a context of its own config.
        command = replace(command, flags=tuple(f for f in command.flags if f.name != INSTANCE_FLAG))
    argv = command.argv()
    at = 1 + len(command.verb)
    argv[at:at] = identity
    flag = CONTEXT_FLAGS[command.tool]
    if server_context and flag and not command.has(flag):
        argv.insert(at, f"--{flag}={server_context}")
    return argv


def pipe_stages(command_plan: Plan) -> list[Stage]:
    """The plan's pipe stages as they run: on SAFE_PATH, with STAGE_ENV only."""
    return [
        Stage(stage.argv, STAGE_ENV, path=SAFE_PATH, install_hint=install_hint(stage.utility))
        for stage in command_plan.pipes
    ]


async def run_cli(
    command_plan: Plan,
    env: Mapping[str, str],
    *,
    server_context: str | None,
    stdin: str | None,
    timeout: float,
    max_output: int,
    progress: Progress | None,
    guard: Callable[[str], str] | None,
    scrub_stderr: bool = False,
    identity: Sequence[str] = (),
    status: Callable[[], Awaitable[str]] | None = None,
    stop: asyncio.Future[BackendError] | None = None,
) -> PipelineResult:
    """The plan run: the CLI and its pipe stages, at most `read_limit(max_output)` bytes of
    their output read. With a `guard`, the CLI's output is redacted before anything reads it,
    and its stderr too with `scrub_stderr`. `status`, when given, says in each progress
    message what the command waits on is doing. Stopped by its timeout or by `stop`, the
    result keeps what was printed until then; a guarded CLI's, which cannot be redacted
    cut short, is dropped and the error raised."""
    command = command_plan.command
    stages = [
        Stage(
            cli_argv(command, server_context, identity),
            env,
            install_hint=CLI_INSTALL_HINTS[command.tool],
        ),
        *pipe_stages(command_plan),
    ]
    hook = None
    if progress is not None:
        report = progress

        async def hook(elapsed: float) -> None:
            now = ""
            if status is not None:
                # A status that cannot be read must not end the progress notifications.
                with contextlib.suppress(Exception):
                    now = await status()
            message = f"{command.verb_text} running" + (f": {now}" if now else "")
            await report(elapsed, timeout, message)

    data = stdin.encode() if stdin is not None else None
    max_bytes = read_limit(max_output)
    if guard is None:
        return await run_pipeline(
            stages,
            stdin=data,
            timeout=timeout,
            max_bytes=max_bytes,
            progress=hook,
            stop=stop,
            partial=True,
        )
    started = time.monotonic()
    first = await run_pipeline(
        stages[:1],
        stdin=data,
        timeout=timeout,
        max_bytes=redaction_limit(max_output),
        progress=hook,
        stop=stop,
    )
    if first.truncated:
        raise CommandError(
            "cli_error",
            f"the output ({first.stdout_total} bytes) is too large to check for Secret "
            "values, so none of it is returned; narrow the command (a name, -l, "
            "--field-selector, -n), or page it: `-o name` lists every name, then get a few at "
            "a time by name.",
        )
    redacted = guard(first.stdout.decode("utf-8", "replace")).encode()
    cli_exits = first.stages
    if scrub_stderr:
        cli_exits = tuple(replace(stage, stderr=guard(stage.stderr)) for stage in cli_exits)
    if len(stages) == 1 or first.exit_code != 0:
        # What run_pipeline would have kept of it: the read limit, not the larger buffer.
        return PipelineResult(redacted[:max_bytes], len(redacted), cli_exits, first.duration)
    rest = await run_pipeline(
        stages[1:],
        stdin=redacted,
        timeout=max(timeout - (time.monotonic() - started), 0.1),
        max_bytes=max_bytes,
    )
    return PipelineResult(
        rest.stdout, rest.stdout_total, cli_exits + rest.stages, time.monotonic() - started
    )


class CliVersions:
    """Each CLI binary's own `version --client -o json`, asked once per binary: the native
    `version` answers print the CLI's own build, which only it knows."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._versions: dict[str, dict[str, Any]] = {}  # by program path

    async def of(self, tool: Tool, timeout: float) -> dict[str, Any]:
        """The version of the binary a command of `tool` would run."""
        env = cli_env(self.settings, tool)
        program = resolve(Stage([tool], env, install_hint=CLI_INSTALL_HINTS[tool]))
        if program not in self._versions:
            outcome = await run_pipeline(
                [Stage([program, "version", "--client", "-o", "json"], env)],
                timeout=timeout,
                max_bytes=1024 * 1024,
            )
            if outcome.exit_code != 0:
                raise BackendError(
                    "unavailable", f"`{tool} version --client` failed: {outcome.stderr}"
                )
            self._versions[program] = json.loads(outcome.stdout)
        return self._versions[program]
