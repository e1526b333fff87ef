"""A call answered natively: the reader native/route.py picks is given its context (the API of
the call's kube context, helm, Argo CD, the CLI's own version, the budget), answers within the
call's timeout, and its text goes through the pipe stages exactly as the CLI's output would.

None instead of a result: no reader serves the command exactly, Argo CD's API is not
configured, or the reader deferred (errors.Defer); the CLI answers then.
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.argocd import ArgoCD
from adapters.cli import run_pipeline
from adapters.errors import BackendError
from adapters.helm import HelmCall
from adapters.kubernetes import ActAs
from kube_ai_proxy.backends import Backends
from kube_ai_proxy.cli_run import cli_env, pipe_stages
from kube_ai_proxy.config import Settings
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.identity import cli_identity_args
from kube_ai_proxy.judge.scope import Scope
from kube_ai_proxy.native.base import (
    ArgoCDContext,
    ArgoCDHandler,
    Handler,
    NativeAnswer,
    NativeContext,
)
from kube_ai_proxy.native.route import argocd_handler, native_handler
from kube_ai_proxy.output.budget import REDACTION_BUFFER, native_budget, read_limit
from kube_ai_proxy.output.render import answer_result, pipeline_result
from kube_ai_proxy.parse.plan import Plan
from kube_ai_proxy.result import CommandResult, ErrorInfo
from kube_ai_proxy.tracing import tracer


async def answer_natively(
    command_plan: Plan,
    scope: Scope,
    backends: Backends,
    settings: Settings,
    timeout: float,
    acting: ActAs | None = None,
    kubeconfig: str | None = None,
    argocd: ArgoCD | None = None,
) -> CommandResult | None:
    """The answer of the reader that serves the command exactly; None: the CLI answers.
    With `acting`, the cluster is read as that identity; helm reads `kubeconfig` if given
    (the caller's, with a passed-through token); Argo CD's readers use `argocd` (None: its
    API is not configured)."""
    command = command_plan.command
    handler = native_handler(command)
    if handler is not None:
        return await _kube_answer(
            handler, command_plan, scope, backends, settings, timeout, acting, kubeconfig
        )
    reader = argocd_handler(command)
    if reader is not None:
        return await _argocd_answer(reader, command_plan, argocd, backends, settings, timeout)
    return None


async def _kube_answer(
    handler: Handler,
    command_plan: Plan,
    scope: Scope,
    backends: Backends,
    settings: Settings,
    timeout: float,
    acting: ActAs | None,
    kubeconfig: str | None,
) -> CommandResult | None:
    """A kubectl or helm reader's answer, from the API server of the call's context."""
    command = command_plan.command
    started = time.monotonic()
    helm = None
    if command.tool == "helm":
        env = cli_env(settings, "helm")
        if kubeconfig is not None:
            env["KUBECONFIG"] = kubeconfig
        # helm's JSON is read whole to be printed again: it may be larger than the output.
        call = HelmCall(
            env,
            timeout,
            REDACTION_BUFFER,
            scope.kube_context,
            tuple(cli_identity_args("helm", acting)),
        )
        helm = functools.partial(backends.helm.client, call)
    ctx = NativeContext(
        kube=functools.partial(backends.kube.get, scope.kube_context, acting),
        namespace=scope.namespace,
        budget=native_budget(settings.max_output, piped=bool(command_plan.pipes)),
        allow_secrets=settings.allow_secrets,
        timeout=timeout,
        helm=helm,
        client_version=functools.partial(backends.cli_versions.of, command.tool, timeout),
    )
    source = "helm" if command.tool == "helm" else "the API server"
    answer = functools.partial(handler, command, ctx)
    return await _result(command_plan, answer, source, timeout, started, settings.max_output)


async def _argocd_answer(
    handler: ArgoCDHandler,
    command_plan: Plan,
    argocd: ArgoCD | None,
    backends: Backends,
    settings: Settings,
    timeout: float,
) -> CommandResult | None:
    """An Argo CD reader's answer, from Argo CD's REST API; None when that is not configured
    (no server or no credentials)."""
    started = time.monotonic()
    if argocd is None:
        return None

    async def client_version() -> dict[str, Any]:
        version: dict[str, Any] = (await backends.cli_versions.of("argocd", timeout))["client"]
        return version

    ctx = ArgoCDContext(
        argocd=argocd,
        budget=native_budget(settings.max_output, piped=bool(command_plan.pipes)),
        allow_secrets=settings.allow_secrets,
        timeout=timeout,
        client_version=client_version,
        app_url_base=_app_url_base(argocd),
    )
    answer = functools.partial(handler, command_plan.command, ctx)
    return await _result(command_plan, answer, "Argo CD", timeout, started, settings.max_output)


async def _result(
    command_plan: Plan,
    answer_call: Callable[[], Awaitable[NativeAnswer]],
    source: str,
    timeout: float,
    started: float,
    max_output: int,
) -> CommandResult | None:
    """The reader's answer as a result, through the pipe stages if any; None when it raised
    Defer (the CLI answers)."""
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
    with tracer().start_as_current_span("render"):
        return await _rendered(command_plan, answer, timeout, started, max_output)


async def _rendered(
    command_plan: Plan, answer: NativeAnswer, timeout: float, started: float, max_output: int
) -> CommandResult:
    """A reader's answer as the call's result: through the pipe stages, within the budget."""
    if answer.error_code is not None:
        error = ErrorInfo(code=answer.error_code, message=answer.stderr)
        return answer_result(
            command_plan,
            "native",
            answer.output,
            "",
            answer.exit_code,
            error,
            max_output=max_output,
        )
    if not command_plan.pipes:
        return answer_result(
            command_plan,
            "native",
            answer.output,
            answer.stderr,
            answer.exit_code,
            None,
            max_output=max_output,
            truncated=answer.truncated,
            next_hint=answer.next,
            data=answer.data,
        )
    outcome = await run_pipeline(
        pipe_stages(command_plan),
        stdin=answer.output.encode(),
        timeout=max(timeout - (time.monotonic() - started), 0.1),
        max_bytes=read_limit(max_output),
    )
    result = pipeline_result(command_plan, outcome, "native", answer.stderr, max_output)
    if answer.truncated and not result.truncated:
        # The pipe stages saw only part of the answer: say so, and how to narrow it.
        return result.model_copy(update={"truncated": True, "next": answer.next})
    return result


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
