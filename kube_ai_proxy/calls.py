"""One call, end to end (DESIGN, "One call, end to end"): plan, judge, run, render, audit.

`Runtime` holds what lives as long as the server: the settings, the CLI specs, the help cache
and the audit log. It is created by `server.create_server` and opened in the server's lifespan.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import shlex
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.argocd import ArgoCD, ArgoCDConfig, parse_server
from adapters.cli import PipelineResult, ProgressHook, Stage, resolve, run_pipeline
from adapters.errors import BackendError
from adapters.helm import Helm, HelmCall
from adapters.kubernetes import KubeAPI, KubeClients
from kube_ai_proxy.audit import AuditLog
from kube_ai_proxy.config import Settings
from kube_ai_proxy.errors import CommandError, Defer, denied
from kube_ai_proxy.judge.confirmation import Confirm, needs_confirmation, question
from kube_ai_proxy.judge.invariants import Limits, check_command, context_of
from kube_ai_proxy.judge.policy import Target, policy_for
from kube_ai_proxy.judge.rbac import preflight
from kube_ai_proxy.native.base import (
    ArgoCDContext,
    ArgoCDHandler,
    Handler,
    NativeAnswer,
    NativeContext,
)
from kube_ai_proxy.native.route import argocd_handler, native_handler
from kube_ai_proxy.output.budget import (
    REDACTION_BUFFER,
    cut_text,
    native_budget,
    output_cut,
    read_limit,
    redaction_limit,
    rest_hint,
)
from kube_ai_proxy.output.redact import output_guard, redact_argv_text, redact_command_line
from kube_ai_proxy.parse.clispec import CONTEXT_FLAGS, CliSpecs, Tool
from kube_ai_proxy.parse.command import CliCommand
from kube_ai_proxy.parse.plan import Plan, parse_first_stage, parse_pipes
from kube_ai_proxy.parse.words import split_pipeline
from kube_ai_proxy.result import Backend, CommandResult, ErrorCode, ErrorInfo
from kube_ai_proxy.stage_run import SAFE_PATH, STAGE_ENV, install_hint

Progress = Callable[[float, float, str], Awaitable[None]]

CLI_INSTALL_HINTS: Mapping[Tool, str] = {
    "kubectl": "see https://kubernetes.io/docs/tasks/tools/ (or `make cluster-up` for a "
    "locally built one)",
    "helm": "see https://helm.sh/docs/intro/install/",
    "istioctl": "see https://istio.io/latest/docs/setup/getting-started/#download",
    "argocd": "see https://argo-cd.readthedocs.io/en/stable/cli_installation/",
}

# A manifest passed in `stdin` is parsed by the policy before anything runs; bounded so one
# call cannot hold the server up for the others.
_MAX_STDIN = 4 * 1024 * 1024

# Variables of this server that no child process needs to see.
_PRIVATE_ENV = ("K8S_MCP_AUTH_TOKEN", "ARGOCD_PASSWORD")


def judged_plan(
    specs: CliSpecs, tool: Tool, line: str, limits: Limits, context: str | None = None
) -> Plan:
    """The plan of a call's command line, its command judged against the invariants. The
    command is judged before the pipe stages are parsed, so a refused command is refused as
    such (policy_denied) whatever its pipe stages hold."""
    stages = split_pipeline(line)
    command = parse_first_stage(specs, tool, stages[0], context)
    check_command(command, limits)
    return Plan(command, parse_pipes(stages[1:]))


@dataclass(frozen=True)
class Request:
    command: str
    timeout: float | None = None
    stdin: str | None = None
    context: str | None = None  # a kube context for this call only
    client: str | None = None  # who called, when HTTP authentication says


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.specs = CliSpecs()
        self.limits = Limits(
            allowed_contexts=tuple(settings.allowed_contexts),
            allowed_paths=tuple(settings.allowed_paths),
        )
        self.policy = policy_for(settings)
        self.kube = KubeClients(settings.kubeconfig, settings.context)
        self.helm = Helm()  # runs nothing until a helm command is answered natively
        self.help_cache: dict[tuple[str, ...], str] = {}
        self.audit = AuditLog(settings.audit_log)
        self._argocd: ArgoCD | None = None  # opened by the first Argo CD call that needs it
        self._client_versions: dict[str, dict[str, Any]] = {}  # by program path

    async def __aenter__(self) -> Runtime:
        self.audit.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.kube.aclose()
        if self._argocd is not None:
            await self._argocd.aclose()
        self.audit.close()

    def argocd(self) -> ArgoCD | None:
        """The Argo CD API client, when ARGOCD_SERVER and credentials are set; None otherwise
        (argocd commands then run the CLI, with its own configuration)."""
        settings = self.settings
        if self._argocd is None and settings.argocd_server:
            config = ArgoCDConfig(
                server=settings.argocd_server,
                token=(
                    settings.argocd_auth_token.get_secret_value()
                    if settings.argocd_auth_token
                    else None
                ),
                username=settings.argocd_username,
                password=(
                    settings.argocd_password.get_secret_value()
                    if settings.argocd_password
                    else None
                ),
                insecure=settings.argocd_insecure,
                ca_file=settings.argocd_ca_file,
                timeout=settings.max_timeout,
            )
            if config.has_credentials:
                self._argocd = ArgoCD(config)
        return self._argocd

    def cli_env(self, tool: Tool) -> dict[str, str]:
        """The CLI's environment: the server's own, minus its secrets, plus its cluster access."""
        env = {k: v for k, v in os.environ.items() if k not in _PRIVATE_ENV}
        settings = self.settings
        if settings.kubeconfig:
            env["KUBECONFIG"] = settings.kubeconfig
        if tool == "kubectl":
            # ~/.kuberc may add default flags and aliases; the command that was validated
            # must be the command that runs.
            env["KUBERC"] = "off"
        if tool == "argocd":
            if settings.argocd_server:
                env.update(self._argocd_cli_settings())
            if settings.argocd_auth_token:
                env["ARGOCD_AUTH_TOKEN"] = settings.argocd_auth_token.get_secret_value()
        else:
            env.pop("ARGOCD_AUTH_TOKEN", None)
        return env

    def _argocd_cli_settings(self) -> dict[str, str]:
        """ARGOCD_SERVER as the argocd CLI takes it (host:port) and, in ARGOCD_OPTS (the CLI's
        default flags, after any the environment already sets), how to reach it: plaintext for
        an http:// URL, a gRPC-web root path, the CA file, or no TLS verification."""
        settings = self.settings
        assert settings.argocd_server is not None
        try:
            address = parse_server(settings.argocd_server)
        except BackendError:
            return {"ARGOCD_SERVER": settings.argocd_server}
        options = [os.environ.get("ARGOCD_OPTS", "")]
        if address.plaintext:
            options.append("--plaintext")
        if address.root_path:
            options.append(f"--grpc-web-root-path={shlex.quote(address.root_path)}")
        if settings.argocd_insecure:
            options.append("--insecure")
        elif settings.argocd_ca_file:
            options.append(f"--server-crt={shlex.quote(settings.argocd_ca_file)}")
        return {
            "ARGOCD_SERVER": address.cli_address,
            "ARGOCD_OPTS": " ".join(option for option in options if option),
        }

    def effective_argv(self, command_plan: Plan) -> list[str]:
        """The first stage's argv with the server's context applied when none was given."""
        command = command_plan.command
        argv = command.argv()
        flag = CONTEXT_FLAGS[command.tool]
        if self.settings.context and flag and not command.has(flag):
            argv.insert(1 + len(command.verb), f"--{flag}={self.settings.context}")
        return argv

    @staticmethod
    def _pipe_stages(command_plan: Plan) -> list[Stage]:
        return [
            Stage(stage.argv, STAGE_ENV, path=SAFE_PATH, install_hint=install_hint(stage.utility))
            for stage in command_plan.pipes
        ]

    def timeout_for(self, request: Request) -> float:
        wanted = request.timeout or self.settings.timeout
        return min(wanted, self.settings.max_timeout)

    async def execute(
        self,
        tool: Tool,
        request: Request,
        progress: Progress | None = None,
        confirm: Confirm | None = None,
    ) -> CommandResult:
        """Run one call. With K8S_MCP_CONFIRM, `confirm` asks the client's user first (it may
        raise InputRequired, which leaves this call unanswered and unaudited: the client
        answers and calls again)."""
        started = time.monotonic()
        command_plan: Plan | None = None
        try:
            if request.stdin is not None and len(request.stdin) > _MAX_STDIN:
                raise CommandError(
                    "invalid_command",
                    f"`stdin` is {len(request.stdin)} characters; at most {_MAX_STDIN} are "
                    "accepted. Split the manifest into several calls.",
                )
            command_plan = judged_plan(
                self.specs, tool, request.command, self.limits, context=request.context
            )
            command = command_plan.command
            target = self.policy.check(command, request.stdin)
            guard = output_guard(command, allow_secrets=self.settings.allow_secrets)
            if self.settings.rbac_preflight:
                await self._preflight(command, target, request.stdin)
            if needs_confirmation(self.settings.confirm, command, target.level):
                await self._confirm(confirm, command_plan)
            handler = native_handler(command) if self.settings.native else None
            argocd = argocd_handler(command) if self.settings.native else None
            result = None
            if handler is not None:
                result = await self._run_native(handler, command_plan, request)
            elif argocd is not None:
                result = await self._run_argocd(argocd, command_plan, request)
            if result is None:
                result = await self._run_cli(command_plan, request, progress, guard)
        except CommandError as exc:
            result = _failure(exc.code, exc.message, command_plan, request)
        except BackendError as exc:
            result = _failure(exc.code, exc.message, command_plan, request, backend="cli")
        result = result.model_copy(update={"duration_ms": (time.monotonic() - started) * 1000})
        self.audit.record(
            tool=tool,
            result=result,
            requested=redact_command_line(request.command),
            transport=self.settings.transport,
            client=request.client,
        )
        return result

    async def _preflight(self, command: CliCommand, target: Target, stdin: str | None) -> None:
        context = context_of(command) or self.settings.context

        async def get_api() -> KubeAPI:
            return await self.kube.get(context)

        namespaces = [None] if target.all_namespaces else [self.policy.namespace_of(command)]
        await preflight(get_api, command, namespaces, stdin)

    async def _run_cli(
        self,
        command_plan: Plan,
        request: Request,
        progress: Progress | None,
        guard: Callable[[str], str] | None,
    ) -> CommandResult:
        tool = command_plan.command.tool
        timeout = self.timeout_for(request)
        env = self.cli_env(tool)
        argocd = self.argocd() if tool == "argocd" else None
        if argocd is not None and "ARGOCD_AUTH_TOKEN" not in env:
            # A username and password: the CLI gets the session token, never the password.
            env["ARGOCD_AUTH_TOKEN"] = await argocd.token()
        stages = [
            Stage(
                self.effective_argv(command_plan),
                env,
                install_hint=CLI_INSTALL_HINTS[tool],
            ),
            *self._pipe_stages(command_plan),
        ]

        hook = None
        if progress is not None:
            report = progress

            async def hook(elapsed: float) -> None:
                await report(elapsed, timeout, f"{command_plan.command.verb_text} running")

        stdin = request.stdin.encode() if request.stdin is not None else None
        max_bytes = read_limit(self.settings.max_output)
        if guard is None:
            outcome = await run_pipeline(
                stages, stdin=stdin, timeout=timeout, max_bytes=max_bytes, progress=hook
            )
        else:
            outcome = await self._run_redacted(stages, stdin, timeout, max_bytes, hook, guard)
        result = self._render_cli(command_plan, outcome)
        if result.error is not None and tool != "argocd":
            # The CLI's own words for a missing cluster ("connection to the server
            # localhost:8080 was refused") do not say that no kubeconfig was found.
            context = context_of(command_plan.command) or self.settings.context
            problem = await self.kube.unusable(context)
            if problem is not None:
                error = ErrorInfo(code="unavailable", message=f"{result.error.message}\n{problem}")
                result = result.model_copy(update={"error": error})
        return result

    async def _run_redacted(
        self,
        stages: list[Stage],
        stdin: bytes | None,
        timeout: float,
        max_bytes: int,
        hook: ProgressHook | None,
        guard: Callable[[str], str],
    ) -> PipelineResult:
        """Secrets are redacted where the CLI's output leaves it: the first stage runs alone,
        its output is redacted, and only then does it reach the pipe stages (or the caller)."""
        started = time.monotonic()
        keep = redaction_limit(self.settings.max_output)
        first = await run_pipeline(
            stages[:1], stdin=stdin, timeout=timeout, max_bytes=keep, progress=hook
        )
        if first.truncated:
            raise CommandError(
                "cli_error",
                f"the output ({first.stdout_total} bytes) is too large to check for Secret "
                "values, so none of it is returned; narrow the command (a name, -l, "
                "--field-selector, -n).",
            )
        redacted = guard(first.stdout.decode("utf-8", "replace")).encode()
        if len(stages) == 1 or first.exit_code != 0:
            # What run_pipeline would have kept of it: the read limit, not the larger buffer.
            return PipelineResult(redacted[:max_bytes], len(redacted), first.stages, first.duration)
        rest = await run_pipeline(
            stages[1:],
            stdin=redacted,
            timeout=max(timeout - (time.monotonic() - started), 0.1),
            max_bytes=max_bytes,
        )
        return PipelineResult(
            rest.stdout, rest.stdout_total, first.stages + rest.stages, time.monotonic() - started
        )

    async def _run_native(
        self, handler: Handler, command_plan: Plan, request: Request
    ) -> CommandResult | None:
        """A native handler answers for the first stage; its text then goes through the pipe
        stages, if any, exactly as the CLI's output would. None: the handler raised Defer, so
        the CLI runs."""
        command = command_plan.command
        started = time.monotonic()
        timeout = self.timeout_for(request)
        context = context_of(command) or self.settings.context
        helm = None
        if command.tool == "helm":
            # helm's JSON is read whole to be printed again: it may be larger than the output.
            call = HelmCall(self.cli_env("helm"), timeout, REDACTION_BUFFER, context)
            helm = functools.partial(self.helm.client, call)
        ctx = NativeContext(
            kube=functools.partial(self.kube.get, context),
            namespace=self.policy.namespace_of(command),
            budget=native_budget(self.settings.max_output, piped=bool(command_plan.pipes)),
            allow_secrets=self.settings.allow_secrets,
            timeout=timeout,
            helm=helm,
            client_version=functools.partial(self.client_version, command.tool, timeout),
        )
        source = "helm" if command.tool == "helm" else "the API server"
        return await self._native_result(
            command_plan, functools.partial(handler, command, ctx), source, timeout, started
        )

    async def _confirm(self, confirm: Confirm | None, command_plan: Plan) -> None:
        """Ask before running; a refusal says why nothing ran and what to do instead."""
        command = command_plan.command
        # What will run, as results and the audit log show it: the server's context applied,
        # credentials redacted.
        line = redact_argv_text([self.effective_argv(command_plan)])
        context = None if command.tool == "argocd" else self.policy.context_of(command)
        answer = "unsupported" if confirm is None else await confirm(question(line, context))
        if answer == "decline":
            raise denied(f"the user did not allow `{line}`; nothing was run.")
        if answer == "unsupported":
            raise denied(
                f"`{line}` needs the user's confirmation (K8S_MCP_CONFIRM="
                f"{self.settings.confirm}), and this client cannot ask for it (no MCP "
                "elicitation); nothing was run. Ask the user to run it, or to use a client "
                "that supports elicitation."
            )

    async def client_version(self, tool: Tool, timeout: float) -> dict[str, Any]:
        """`TOOL version --client -o json` of the binary a command would run, asked once per
        binary: the native `version` answers print the CLI's own build, which only it knows."""
        env = self.cli_env(tool)
        program = resolve(Stage([tool], env, install_hint=CLI_INSTALL_HINTS[tool]))
        if program not in self._client_versions:
            outcome = await run_pipeline(
                [Stage([program, "version", "--client", "-o", "json"], env)],
                timeout=timeout,
                max_bytes=1024 * 1024,
            )
            if outcome.exit_code != 0:
                raise BackendError(
                    "unavailable", f"`{tool} version --client` failed: {outcome.stderr}"
                )
            self._client_versions[program] = json.loads(outcome.stdout)
        return self._client_versions[program]

    async def _run_argocd(
        self, handler: ArgoCDHandler, command_plan: Plan, request: Request
    ) -> CommandResult | None:
        """An Argo CD read answered from its REST API; None: not configured for it (no server
        or no credentials), or the handler raised Defer, so the CLI runs."""
        started = time.monotonic()
        argocd = self.argocd()
        if argocd is None:
            return None
        timeout = self.timeout_for(request)

        async def client_version() -> dict[str, Any]:
            version: dict[str, Any] = (await self.client_version("argocd", timeout))["client"]
            return version

        ctx = ArgoCDContext(
            argocd=argocd,
            budget=native_budget(self.settings.max_output, piped=bool(command_plan.pipes)),
            allow_secrets=self.settings.allow_secrets,
            timeout=timeout,
            client_version=client_version,
            app_url_base=_app_url_base(argocd),
        )
        return await self._native_result(
            command_plan,
            functools.partial(handler, command_plan.command, ctx),
            "Argo CD",
            timeout,
            started,
        )

    async def _native_result(
        self,
        command_plan: Plan,
        answer_call: Callable[[], Awaitable[NativeAnswer]],
        source: str,
        timeout: float,
        started: float,
    ) -> CommandResult | None:
        """The handler's answer as a result; None when it raised Defer (the CLI answers)."""
        try:
            async with asyncio.timeout(timeout):
                answer = await answer_call()
        except Defer:
            return None
        except TimeoutError:
            raise BackendError(
                "timeout",
                f"{source} did not answer within {timeout:g}s; raise `timeout` (up to the "
                "server's maximum) or narrow the command",
            ) from None
        if answer.error_code is not None:
            error = ErrorInfo(code=answer.error_code, message=answer.stderr)
            return self._result(command_plan, "native", answer.output, "", answer.exit_code, error)
        if not command_plan.pipes:
            return self._result(
                command_plan,
                "native",
                answer.output,
                answer.stderr,
                answer.exit_code,
                None,
                truncated=answer.truncated,
                next_hint=answer.next,
                data=answer.data,
            )
        outcome = await run_pipeline(
            self._pipe_stages(command_plan),
            stdin=answer.output.encode(),
            timeout=max(timeout - (time.monotonic() - started), 0.1),
            max_bytes=read_limit(self.settings.max_output),
        )
        result = self._render_outcome(command_plan, outcome, "native", answer.stderr)
        if answer.truncated and not result.truncated:
            # The pipe stages saw only part of the answer: say so, and how to narrow it.
            return result.model_copy(update={"truncated": True, "next": answer.next})
        return result

    def _render_cli(self, command_plan: Plan, outcome: PipelineResult) -> CommandResult:
        return self._render_outcome(command_plan, outcome, "cli", "")

    def _render_outcome(
        self, command_plan: Plan, outcome: PipelineResult, backend: Backend, note: str
    ) -> CommandResult:
        exit_code = outcome.exit_code
        error = None
        if exit_code != 0:
            failed = next(
                (s for s in reversed(outcome.stages) if s.exit_code == exit_code), outcome.stages[0]
            )
            detail = failed.stderr.strip() or f"{failed.program} exited with code {exit_code}"
            error = ErrorInfo(code="cli_error", message=detail[-2000:])
        return self._result(
            command_plan,
            backend,
            outcome.stdout.decode("utf-8", "replace"),
            (note + "\n" + outcome.stderr).strip(),
            exit_code,
            error,
            truncated=outcome.truncated,
            next_hint=(
                _continuation(command_plan, outcome.stdout_total) if outcome.truncated else None
            ),
        )

    def _result(
        self,
        command_plan: Plan,
        backend: Backend,
        text: str,
        stderr: str,
        exit_code: int,
        error: ErrorInfo | None,
        *,
        truncated: bool = False,
        next_hint: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> CommandResult:
        cut = cut_text(text, self.settings.max_output)
        if cut.truncated:
            truncated = True
            next_hint = next_hint or _continuation(command_plan, len(text))
            text = cut.text
        if error is None and stderr.strip():
            # Warnings (deprecations, "No resources found") belong with the output.
            separator = "" if not text or text.endswith("\n") else "\n"
            text = f"{text}{separator}{stderr.strip()}"
        if data is None and not truncated and error is None:
            data = _json_data(text)
        return CommandResult(
            status="error" if error else "success",
            backend=backend,
            command=redact_argv_text(command_plan.argvs()),
            exit_code=exit_code,
            output=text,
            data=data,
            truncated=truncated,
            next=next_hint if truncated else None,
            error=error,
        )


def _app_url_base(argocd: ArgoCD) -> str | None:
    """The application URL's base the argocd CLI prints (appURLDefault) when given the same
    server: its address, `:443` added when it has no port and dropped again for HTTPS. Not
    known when the environment adds options of its own (ARGOCD_OPTS) or a gRPC-web path."""
    address = argocd.address
    if address.root_path or os.environ.get("ARGOCD_OPTS"):
        return None
    server = address.cli_address
    if ":" not in server:
        server += ":443"
    if address.plaintext:
        return f"http://{server}"
    return f"https://{server.removesuffix(':443')}"


def _json_data(text: str) -> dict[str, Any] | None:
    """Structured data when the command printed one JSON document (-o json, | jq)."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to be worth it
        return None
    if isinstance(value, dict):
        return value
    return {"items": value} if isinstance(value, list) else None


def _continuation(command_plan: Plan, total_bytes: int) -> str:
    verb = command_plan.command.verb
    advice = "narrow it with a label or field selector (-l, --field-selector), or add | head -n N"
    if verb[:1] == ("logs",):
        advice = "use --tail=N, --since=DURATION or | grep PATTERN"
    elif verb[:1] == ("get",):
        advice = "narrow it with -l, --field-selector, a name, or -o name / custom-columns"
    return rest_hint(output_cut(total_bytes, "bytes"), advice)


def _failure(
    code: ErrorCode,
    message: str,
    command_plan: Plan | None,
    request: Request,
    backend: Backend | None = None,
) -> CommandResult:
    return CommandResult(
        status="error",
        backend=backend,
        command=(
            redact_argv_text(command_plan.argvs())
            if command_plan
            else redact_command_line(request.command)
        ),
        error=ErrorInfo(code=code, message=message),
    )
