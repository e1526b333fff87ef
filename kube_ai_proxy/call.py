"""One call, end to end (DESIGN, "One call, end to end"): plan, judge, confirm, answer natively
or run the CLI, render within the budget, audit.

`Calls` holds what every call of one server shares: the settings, the CLI specs, the policy,
the backends and the audit log. The server's lifespan builds it (mcp/lifespan.py) and hands the
backends in, so a test gives it backends of its own. How the CLI runs is cli_run.py's, how a
reader answers native/run.py's, how an answer becomes a result output/render.py's.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Callable, Hashable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry import trace

from adapters.argocd import ArgoCD, ArgoCDConfig
from adapters.cli import PipelineResult, Stage, run_pipeline
from adapters.errors import BackendError
from adapters.exec_credentials import REFRESH_CREDENTIALS
from adapters.kube_retries import call_deadline
from adapters.kubernetes import ActAs, KubeAPI
from kube_ai_proxy.audit import AuditLog
from kube_ai_proxy.backends import Backends
from kube_ai_proxy.cli_run import (
    CLI_INSTALL_HINTS,
    Progress,
    cli_argv,
    cli_env,
    logged_in_env,
    run_cli,
)
from kube_ai_proxy.config import Settings
from kube_ai_proxy.errors import CommandError, denied
from kube_ai_proxy.identity import Caller, acting_as, cli_identity_args
from kube_ai_proxy.journal import Journal
from kube_ai_proxy.judge.confirmation import Confirm, needs_confirmation, question
from kube_ai_proxy.judge.invariants import Limits, check_command
from kube_ai_proxy.judge.policy import Target, policy_for, verb_level
from kube_ai_proxy.judge.rbac import preflight
from kube_ai_proxy.judge.scope import Scope
from kube_ai_proxy.native.argocd_progress import status_reader
from kube_ai_proxy.native.run import answer_natively
from kube_ai_proxy.output.cli_failures import (
    credentials_refused,
    no_answer,
    outcome_unknown,
    server_failed,
    unanswered,
)
from kube_ai_proxy.output.container_secrets import container_scrubber, prints_container_output
from kube_ai_proxy.output.redact import output_guard, redact_argv_text, redact_command_line
from kube_ai_proxy.output.render import failure_result, pipeline_result
from kube_ai_proxy.parse.clispec import INSTANCE_FLAG, CliSpecs, Tool
from kube_ai_proxy.parse.command import CliCommand
from kube_ai_proxy.parse.plan import Plan, parse_first_stage, parse_pipes
from kube_ai_proxy.parse.words import split_pipeline
from kube_ai_proxy.passthrough import caller_kubeconfig
from kube_ai_proxy.preview import NoPreview
from kube_ai_proxy.preview.argocd import argocd_preview
from kube_ai_proxy.preview.kubectl import version_now
from kube_ai_proxy.preview.run import preview_of, previewable, server_dry_run
from kube_ai_proxy.preview.undo import Previewed
from kube_ai_proxy.reachability import (
    ended_early,
    stop_when_unreachable,
    streams,
    talks_to_server,
    waits_on_cluster,
)
from kube_ai_proxy.result import Backend, CommandResult, ErrorCode, ErrorInfo, Preview
from kube_ai_proxy.slots import API, Slots
from kube_ai_proxy.tracing import tracer

if TYPE_CHECKING:
    # prometheus_client takes a tenth of a second to import: stdio servers never load it.
    from kube_ai_proxy.metrics import Metrics

# What a write's dry run may print (the objects it would write, as JSON) to be previewed.
_PREVIEW_BYTES = 16 * 1024 * 1024

# A manifest passed in `stdin` is parsed by the policy before anything runs; bounded so one
# call cannot hold the server up for the others.
_MAX_STDIN = 4 * 1024 * 1024


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
    caller: Caller | None = None  # the person, when an OAuth token names them
    task: str | None = None  # the background task it runs as (mcp/tasks.py)


@dataclass
class _Run:
    """How one judged call runs."""

    plan: Plan
    scope: Scope
    request: Request
    timeout: float
    progress: Progress | None
    guard: Callable[[str], str] | None
    acting: ActAs | None
    scrub_stderr: bool = False
    kubeconfig: str | None = None  # the caller's, with a passed-through token
    argocd_config: ArgoCDConfig | None = None  # the Argo CD instance of this call
    argocd: ArgoCD | None = None  # its API client
    argocd_token: str | None = None  # the caller's, with K8S_MCP_ARGOCD_IDENTITY=caller


@dataclass(frozen=True)
class _Judged:
    """What judging a call found: where it acts, at which level, and how its output is kept."""

    scope: Scope
    target: Target
    guard: Callable[[str], str] | None
    instance: str | None  # the argocd instance named in the command
    argocd_config: ArgoCDConfig | None


class Calls:
    """The calls of one server: what they share, and `execute`, one call."""

    def __init__(
        self,
        settings: Settings,
        specs: CliSpecs,
        backends: Backends,
        audit: AuditLog,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.specs = specs
        self.limits = Limits(
            allowed_contexts=tuple(settings.allowed_contexts),
            allowed_paths=tuple(settings.allowed_paths),
        )
        self.policy = policy_for(settings)
        self.backends = backends
        self.audit = audit
        journal = settings.journal_path
        self.journal = Journal(journal) if journal is not None else None
        self.metrics = metrics  # the HTTP transports' (stdio has no /metrics)
        self.tracer = tracer()
        self.slots = Slots(settings.max_processes, settings.max_queued)

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
        # What the call may take, from the first request it makes (the pre-flight) on.
        timeout = min(request.timeout or self.settings.timeout, self.settings.max_timeout)
        with call_deadline(timeout):
            if self.metrics is None:
                return await self._execute(tool, request, progress, confirm, timeout)
            self.metrics.in_flight.inc()
            try:
                return await self._execute(tool, request, progress, confirm, timeout)
            finally:
                self.metrics.in_flight.dec()

    def plan(self, tool: Tool, request: Request) -> Plan:
        """The call's command line parsed and judged against the invariants; raises
        CommandError when it is refused as written."""
        if request.stdin is not None and len(request.stdin) > _MAX_STDIN:
            raise CommandError(
                "invalid_command",
                f"`stdin` is {len(request.stdin)} characters; at most {_MAX_STDIN} are "
                "accepted. Split the manifest into several calls.",
            )
        with self.tracer.start_as_current_span("parse"):
            return judged_plan(
                self.specs, tool, request.command, self.limits, context=request.context
            )

    async def _judge(self, command_plan: Plan, request: Request, acting: ActAs | None) -> _Judged:
        """The policy and the RBAC pre-flight on a parsed call; raises when it is refused."""
        command = command_plan.command
        instance = command.value(INSTANCE_FLAG) if command.tool == "argocd" else None
        # An instance that does not exist is refused before anything else happens.
        argocd_config = (
            self.backends.argocd_instances.config(instance) if command.tool == "argocd" else None
        )
        with self.tracer.start_as_current_span("policy"):
            scope = self.policy.scope(command)
            target = self.policy.check(scope, request.stdin)
            guard = output_guard(command, allow_secrets=self.settings.allow_secrets)
        if self.settings.rbac_preflight:
            with self.tracer.start_as_current_span("rbac"):
                await self._preflight(scope, target, request.stdin, acting)
        return _Judged(scope, target, guard, instance, argocd_config)

    async def admit(
        self, command_plan: Plan, request: Request, confirm: Confirm | None
    ) -> CommandResult | None:
        """Judge a parsed call, and confirm it, without running it (a background task is
        admitted so, before it exists): None when it may run, else its refusal, audited.
        `confirm` may raise InputRequired, as in `execute`."""
        started = time.monotonic()
        timeout = min(request.timeout or self.settings.timeout, self.settings.max_timeout)
        try:
            with call_deadline(timeout):
                judged = await self._judge(
                    command_plan, request, acting_as(self.settings, request.caller)
                )
            level = judged.target.level
            if needs_confirmation(self.settings.confirm, command_plan.command, level):
                acting = acting_as(self.settings, request.caller)
                previewed = await self._preview(
                    command_plan, judged.scope, acting, request, timeout
                )
                await self._confirm(confirm, command_plan, judged.scope, previewed)
        except (CommandError, BackendError) as exc:
            return self.refused(command_plan, request, exc.code, exc.message, started)
        return None

    def refused(
        self,
        command_plan: Plan,
        request: Request,
        code: ErrorCode,
        message: str,
        started: float | None = None,
    ) -> CommandResult:
        """A call refused before anything ran, audited."""
        result = failure_result(code, message, command_plan, request.command)
        tool = command_plan.command.tool
        return self._record(tool, request, command_plan, result, started or time.monotonic())

    async def _execute(
        self,
        tool: Tool,
        request: Request,
        progress: Progress | None,
        confirm: Confirm | None,
        timeout: float,
    ) -> CommandResult:
        settings = self.settings
        started = time.monotonic()
        command_plan: Plan | None = None
        acting = acting_as(settings, request.caller)
        backend: Backend | None = None  # what answers, once something does
        try:
            command_plan = self.plan(tool, request)
            judged = await self._judge(command_plan, request, acting)
            scope, instance, guard = judged.scope, judged.instance, judged.guard
            confirming = needs_confirmation(
                settings.confirm, command_plan.command, judged.target.level
            )
            # Previewed to be asked about, or shown, or kept in the journal with its revert.
            preview = None
            if judged.target.level != "read" and (
                confirming or server_dry_run(command_plan.command) or self.journal is not None
            ):
                preview = await self._preview(command_plan, scope, acting, request, timeout)
            if confirming:
                await self._confirm(confirm, command_plan, scope, preview)
            command = command_plan.command
            run = _Run(command_plan, scope, request, timeout, progress, guard, acting)
            run.argocd_config = judged.argocd_config
            if prints_container_output(command) and not settings.allow_secrets:
                api = await self.backends.kube.get(scope.kube_context, acting)
                run.guard = await container_scrubber(api, command, scope.namespace, timeout)
                run.scrub_stderr = True  # a container's stderr comes through kubectl's
            argocd_token = self._argocd_token(tool, request.caller)
            argocd_client = (
                self.backends.argocd_as(argocd_token, instance)
                if tool == "argocd"
                else nullcontext()
            )
            caller_config = self._caller_kubeconfig(scope, acting)
            async with caller_config as kubeconfig, argocd_client as argocd:
                run.kubeconfig = kubeconfig
                run.argocd, run.argocd_token = argocd, argocd_token
                # Route: a reader that answers the command exactly, else (None) the CLI.
                result = None
                if settings.native:
                    backend = "native"
                    with self.tracer.start_as_current_span("native") as span:

                        async def native(seconds: float) -> CommandResult | None:
                            return await answer_natively(
                                command_plan,
                                scope,
                                self.backends,
                                settings,
                                seconds,
                                acting,
                                kubeconfig,
                                argocd,
                            )

                        if streams(command) is not None:
                            result = await native(timeout)
                        else:
                            # Bounded like a CLI: each answer being read is held in memory.
                            key = _shared_read(run, {"token": argocd_token or ""}, ())
                            slots = self.slots.of(API)
                            result = await slots.run(native, timeout=timeout, key=key)
                        span.set_attribute("kube_ai_proxy.answered", result is not None)
                if result is None:
                    backend = "cli"
                    with self.tracer.start_as_current_span("cli"):
                        result = await self._run_cli(run)
            if preview is not None:
                result = result.model_copy(update={"preview": self._cut(preview.preview)})
                if not result.is_error and not server_dry_run(command) and preview.undo:
                    await self._journal(request, result, preview, scope, acting)
        except (CommandError, BackendError) as exc:
            result = failure_result(
                exc.code, exc.message, command_plan, request.command, backend=backend
            )
        except asyncio.CancelledError:
            # The client went away, or the server is stopping: the processes are killed
            # (adapters/cli.py), and the audit log still gets the call's line.
            message = (
                "the task was cancelled (tasks/cancel, or the server stopped)"
                if request.task
                else "the call was cancelled (the client left or the server stopped)"
            )
            result = failure_result("timeout", message, command_plan, request.command)
            self._record(tool, request, command_plan, result, started)
            raise
        return self._record(tool, request, command_plan, result, started)

    def _record(
        self,
        tool: Tool,
        request: Request,
        command_plan: Plan | None,
        result: CommandResult,
        started: float,
    ) -> CommandResult:
        """The call's result with its duration, written to the audit log and the metrics."""
        result = result.model_copy(update={"duration_ms": (time.monotonic() - started) * 1000})
        self.audit.record(
            tool=tool,
            result=result,
            requested=redact_command_line(request.command),
            transport=self.settings.transport,
            client=request.client,
            **({"caller": request.caller.audited()} if request.caller else {}),
            **({"task": request.task} if request.task else {}),
            **({"preview": result.preview.summary} if result.preview else {}),
        )
        verb = " ".join(command_plan.command.verb) if command_plan else None
        span = trace.get_current_span()  # fastmcp's span of this request
        span.set_attribute("kube_ai_proxy.tool", tool)
        span.set_attribute("kube_ai_proxy.verb", verb or "unparsed")
        span.set_attribute(
            "kube_ai_proxy.outcome", result.error.code if result.error else "success"
        )
        if self.metrics is not None:
            self.metrics.call_done(tool, verb, result)
        return result

    async def _preflight(
        self, scope: Scope, target: Target, stdin: str | None, acting: ActAs | None
    ) -> None:
        kube = self.backends.kube

        async def get_api() -> KubeAPI:
            return await kube.get(scope.kube_context, acting)

        namespaces = [None] if target.all_namespaces else [scope.namespace]
        await preflight(get_api, scope.command, namespaces, stdin)

    async def _preview(
        self,
        command_plan: Plan,
        scope: Scope,
        acting: ActAs | None,
        request: Request,
        timeout: float,
    ) -> Previewed | None:
        """What the write would change (preview/), as the caller, before anything changes,
        and how to revert it; None for a command that is not previewed."""
        command = command_plan.command
        if not previewable(command):
            return None
        settings = self.settings
        with self.tracer.start_as_current_span("preview"):
            try:
                if command.tool == "argocd":
                    token = self._argocd_token("argocd", request.caller)
                    instance = command.value(INSTANCE_FLAG)
                    async with self.backends.argocd_as(token, instance) as argocd:
                        if argocd is None:
                            raise NoPreview("no Argo CD API is configured (ARGOCD_SERVER)")
                        return await argocd_preview(command, argocd)
                api = await self.backends.kube.get(scope.kube_context, acting)
                async with self._caller_kubeconfig(scope, acting) as kubeconfig:
                    env = cli_env(settings, command.tool)
                    if kubeconfig is not None:
                        env["KUBECONFIG"] = kubeconfig
                    identity = cli_identity_args(command.tool, acting)

                    async def run(dry: CliCommand) -> str:
                        argv = cli_argv(dry, settings.context, identity)
                        stage = Stage(argv, env, install_hint=CLI_INSTALL_HINTS[command.tool])
                        stdin = request.stdin.encode() if request.stdin is not None else None
                        outcome = await run_pipeline(
                            [stage], stdin=stdin, timeout=timeout, max_bytes=_PREVIEW_BYTES
                        )
                        what = " ".join(dry.argv()[: 1 + len(dry.verb)])
                        if outcome.exit_code != 0:
                            said = outcome.stages[0].stderr.strip().splitlines()[:1]
                            raise NoPreview(f"`{what}` failed: {' '.join(said)}")
                        if outcome.truncated:
                            raise NoPreview(f"`{what}` printed more than 16 MB")
                        return outcome.stdout.decode("utf-8", "replace")

                    where = scope.namespace
                    found = await preview_of(command, run, api, where, scope.kube_context)
                    since = await self._changed_since(api, request)
                    if since is None:
                        return found
                    noted = found.preview.summary + since
                    said = found.preview.model_copy(update={"summary": noted})
                    return Previewed(said, found.undo)
            except NoPreview as exc:
                return Previewed(Preview(summary=f"not previewed: {exc}"))
            except BackendError as exc:
                return Previewed(Preview(summary=f"not previewed: {exc.message}"))

    async def _journal(
        self,
        request: Request,
        result: CommandResult,
        preview: Previewed,
        scope: Scope,
        acting: ActAs | None,
    ) -> None:
        """A write that ran, with how to revert it (K8S_MCP_JOURNAL), and the version each
        object it will put back has now, to tell later whether it changed again since."""
        if self.journal is None:
            return
        versions = {}
        with contextlib.suppress(BackendError, NoPreview):
            api = await self.backends.kube.get(scope.kube_context, acting)
            for step in preview.undo:
                if step.stdin is not None:
                    versions[step.stdin] = await version_now(api, step.stdin)
        caller = request.caller.user if request.caller else request.client
        summary = preview.preview.summary
        self.journal.record(result.command, summary, preview.undo, caller, versions)

    async def _changed_since(self, api: KubeAPI, request: Request) -> str | None:
        """For a revert listed in the journal: whether its object changed since the write it
        reverts (its resourceVersion moved); then what the preview shows is what the revert
        changes now."""
        if self.journal is None or request.stdin is None:
            return None
        recorded = self.journal.version_after(request.stdin)
        if recorded is None:
            return None
        try:
            if await version_now(api, request.stdin) == recorded:
                return None
        except (BackendError, NoPreview):
            return None  # the preview says what it could not read
        return (
            "; the object changed again since the write this reverts: the diff is against "
            "its current state"
        )

    def _cut(self, preview: Preview) -> Preview:
        """A preview within the output budget."""
        limit = self.settings.max_output
        if len(preview.diff) <= limit:
            return preview
        left = len(preview.diff) - limit
        diff = f"{preview.diff[:limit]}\n... ({left} more characters of the diff not shown)\n"
        return preview.model_copy(update={"diff": diff})

    async def _confirm(
        self,
        confirm: Confirm | None,
        command_plan: Plan,
        scope: Scope,
        previewed: Previewed | None,
    ) -> None:
        """Ask before running; a refusal says why nothing ran and what to do instead."""
        command = command_plan.command
        # What will run, as results and the audit log show it: the server's context applied,
        # credentials redacted.
        line = redact_argv_text([cli_argv(command, self.settings.context)])
        if command.tool == "argocd":
            # The CLI's line does not carry the instance (it is in its environment).
            instance = command.value(INSTANCE_FLAG) or self.backends.argocd_instances.default
            where = f"Argo CD instance {instance}" if instance else None
        else:
            where = f"kube context {scope.context}" if scope.context else None
        preview = (
            previewed.preview
            if previewed is not None
            else Preview(summary=f"{command.verb_text} is not previewed")
        )
        asked = question(line, where, preview.summary, preview.diff)
        answer = "unsupported" if confirm is None else await confirm(asked)
        if answer == "decline":
            raise denied(f"the user did not allow `{line}`; nothing was run.")
        if answer == "unsupported":
            raise denied(
                f"`{line}` needs the user's confirmation (K8S_MCP_CONFIRM="
                f"{self.settings.confirm}), and this client cannot ask for it (no MCP "
                "elicitation); nothing was run. Ask the user to run it, or to use a client "
                "that supports elicitation."
            )

    def _argocd_token(self, tool: Tool, caller: Caller | None) -> str | None:
        """The token Argo CD gets for this call when it sees the caller; None: the server's."""
        if tool != "argocd" or caller is None or self.settings.argocd_identity != "caller":
            return None
        return caller.token

    @asynccontextmanager
    async def _caller_kubeconfig(
        self, scope: Scope, acting: ActAs | None
    ) -> AsyncIterator[str | None]:
        """With a passed-through token, the kubeconfig a CLI of this call reads (it holds
        the caller's token); else None, and the CLIs read the server's."""
        if acting is None or acting.bearer is None or scope.command.tool == "argocd":
            yield None
            return
        api = await self.backends.kube.get(scope.kube_context, acting)
        defaults = scope.kubeconfig.defaults(scope.context)
        with caller_kubeconfig(api, scope.kube_context, defaults.namespace) as path:
            yield path

    def _stop_when_unreachable(
        self, run: _Run
    ) -> AbstractAsyncContextManager[asyncio.Future[BackendError] | None]:
        """While the CLI runs, its server is probed (reachability.py): the API server of the
        call's context, or for argocd its Argo CD when its API is configured."""
        command = run.plan.command
        every = self.settings.request_timeout
        if not talks_to_server(command):
            return nullcontext()
        if command.tool != "argocd":
            kube = self.backends.kube
            probe = functools.partial(kube.unreachable, run.scope.kube_context)
            return stop_when_unreachable(probe, every)
        if run.argocd is not None:
            return stop_when_unreachable(run.argocd.unreachable, every)
        return nullcontext()  # no Argo CD API configured: nothing to ask

    async def _ended_early(
        self, run: _Run, result: CommandResult, what: str, seconds: float
    ) -> CommandResult:
        """A watch or a followed log that ended by itself: kubectl exits 0 when the API server
        closes it, which looks like an answer. If the API server is gone, it was not one."""
        problem = await self.backends.kube.unreachable(run.scope.kube_context)
        said = ended_early(what, seconds, run.timeout, problem)
        if problem is not None:
            error = ErrorInfo(code="unavailable", message=said)
            return result.model_copy(update={"status": "error", "error": error})
        separator = "" if not result.output or result.output.endswith("\n") else "\n"
        return result.model_copy(update={"output": f"{result.output}{separator}{said}"})

    async def _run_cli(self, run: _Run) -> CommandResult:
        settings = self.settings
        command_plan = run.plan
        tool = command_plan.command.tool
        env = await logged_in_env(settings, tool, run.argocd_config, run.argocd)
        if run.kubeconfig is not None:
            env["KUBECONFIG"] = run.kubeconfig
        if run.argocd_token is not None:
            env["ARGOCD_AUTH_TOKEN"] = run.argocd_token
        identity = cli_identity_args(tool, run.acting)

        async def started(timeout: float) -> PipelineResult:
            async with self._stop_when_unreachable(run) as stop:
                return await run_cli(
                    command_plan,
                    env,
                    server_context=settings.context,
                    stdin=run.request.stdin,
                    timeout=timeout,
                    max_output=settings.max_output,
                    progress=run.progress,
                    guard=run.guard,
                    scrub_stderr=run.scrub_stderr,
                    identity=identity,
                    status=status_reader(command_plan.command, run.argocd),
                    stop=stop,
                )

        command = command_plan.command
        if streams(command) is not None or waits_on_cluster(command):
            outcome = await started(run.timeout)
        else:
            key = _shared_read(run, env, identity)
            outcome = await self.slots.of(tool).run(started, timeout=run.timeout, key=key)
        if self.metrics is not None:
            self.metrics.upstream(tool, outcome.duration)
        with self.tracer.start_as_current_span("render"):
            result = pipeline_result(command_plan, outcome, "cli", "", settings.max_output)
        what = streams(command_plan.command)
        if what is not None and result.error is None and outcome.duration < run.timeout - 1:
            return await self._ended_early(run, result, what, outcome.duration)
        if result.error is not None and tool != "argocd":
            return await self._explained(run, result, result.error)
        return result

    async def _explained(self, run: _Run, result: CommandResult, error: ErrorInfo) -> CommandResult:
        """A kubectl, helm or istioctl failure in the CLI's own words, and what they leave
        out: that no kubeconfig was found (the CLI says "connection to the server
        localhost:8080 was refused"), which API server did not answer or refused the
        credentials, that a write's outcome is unknown."""
        kube, context = self.backends.kube, run.scope.kube_context
        message = error.message
        problem = await kube.unusable(context)
        if problem is not None:
            return _failed(result, "unavailable", f"{message}\n{problem}")
        where = (await kube.get(context)).where
        command = run.plan.command
        write = verb_level(command.tool, command.verb) != "read"
        if no_answer(message):
            return _failed(result, "unavailable", unanswered(message, where, write, result.command))
        if credentials_refused(message):
            refused = f"{message}\n{where} rejected the credentials. {REFRESH_CREDENTIALS}"
            return _failed(result, "unavailable", refused)
        if write and server_failed(message):
            said = (
                f"{message}\n{where} failed while acting on it. {outcome_unknown(result.command)}"
            )
            return _failed(result, error.code, said)
        return result


def _shared_read(run: _Run, env: Mapping[str, str], identity: Sequence[str]) -> Hashable | None:
    """What makes two waiting reads the same run (slots.py): the whole command as it
    runs (its CLI words and pipes, the server's context, the identity it acts as) and its
    environment (the kubeconfig, the credentials). None for a write, or a call with stdin."""
    command = run.plan.command
    if run.request.stdin is not None or verb_level(command.tool, command.verb) != "read":
        return None
    words = tuple(command.argv()), tuple(tuple(stage.argv) for stage in run.plan.pipes)
    who = run.acting, run.kubeconfig, tuple(identity)
    return words, run.scope.kube_context, who, tuple(sorted(env.items()))


def _failed(result: CommandResult, code: ErrorCode, message: str) -> CommandResult:
    return result.model_copy(update={"error": ErrorInfo(code=code, message=message)})
