"""A CLI call to a server that stopped answering ends when kube-ai-proxy can tell, not at the
call's timeout.

kubectl, helm and istioctl wait out their own timeouts (client-go's 10 s TLS handshake, then
its retries of discovery) request after request, and argocd its gRPC dial, so a black-holed
cluster or Argo CD used to cost the whole call's timeout and end as `timeout`. While such a
CLI runs, the server asks the same server for its version through its own client (the API
server's /version, Argo CD's /api/version), which gives up after K8S_MCP_REQUEST_TIMEOUT: if
that finds it unreachable, the CLI's processes are killed and the call answers `unavailable`,
naming the server. Commands that talk to no server are left alone.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Awaitable
from typing import TypeVar

from adapters.errors import Unreachable
from kube_ai_proxy.parse.command import CliCommand

T = TypeVar("T")

# Verbs that never send a request to a server (the rest may, so they are watched).
_LOCAL_VERBS: dict[str, frozenset[tuple[str, ...]]] = {
    "kubectl": frozenset(
        {
            ("config",),
            ("completion",),
            ("help",),
            ("options",),
            ("plugin",),
            ("kustomize",),
            ("alpha", "kuberc"),
        }
    ),
    "helm": frozenset(
        {
            ("show",),
            ("template",),
            ("search",),
            ("env",),
            ("version",),
            ("lint",),
            ("verify",),
            ("dependency",),
            ("repo",),
            ("completion",),
            ("plugin",),
            ("create",),
            ("package",),
            ("pull",),
            ("push",),
            ("registry",),
        }
    ),
    "istioctl": frozenset(
        {
            ("completion",),
            ("manifest", "generate"),
            ("manifest", "translate"),
            ("validate",),
            ("tag", "generate"),
            ("waypoint", "generate"),
        }
    ),
    "argocd": frozenset({("completion",)}),
}


def talks_to_server(command: CliCommand) -> bool:
    """Whether the command may send requests to its server: its kube context's API server,
    or for argocd its Argo CD."""
    local = _LOCAL_VERBS[command.tool]
    if command.tool in ("kubectl", "argocd") and command.verb[:1] == ("version",):
        return not command.bool_flag("client")
    if command.tool == "helm" and command.verb[:1] == ("template",):
        return command.bool_flag("validate")
    return not any(command.verb[: len(verb)] == verb for verb in local)


async def unless_unreachable(work: Awaitable[T], probe: Awaitable[Unreachable | None]) -> T:
    """`work`'s result, or the probe's Unreachable if it finds the server gone first: `work`
    is then cancelled (a CLI's processes are killed) before the error is raised. `work` runs
    in the caller's task, so whoever cancels the call cancels it as before."""
    found: list[Unreachable] = []
    probing = asyncio.ensure_future(probe)
    try:
        async with asyncio.timeout(None) as bound:
            probing.add_done_callback(functools.partial(_stop_if_unreachable, bound, found))
            return await work
    except TimeoutError:
        if found:
            raise Unreachable(f"{found[0].message}. The command was stopped.") from None
        raise
    finally:
        probing.cancel()


def _stop_if_unreachable(
    bound: asyncio.Timeout, found: list[Unreachable], probing: asyncio.Future[Unreachable | None]
) -> None:
    if probing.cancelled() or probing.exception() is not None:
        return
    problem = probing.result()
    if problem is not None:
        found.append(problem)
        bound.reschedule(asyncio.get_running_loop().time())  # ends `work` now


# How kubectl, helm and istioctl say that no answer came (client-go's and Go's net words).
_NO_ANSWER = re.compile(
    r"Unable to connect to the server|The connection to the server \S+ was refused|"
    r"TLS handshake timeout|connection reset by peer|i/o timeout|unexpected EOF|"
    r"http2: client connection lost|Kubernetes cluster unreachable|no route to host"
)


def no_answer(message: str) -> bool:
    """The CLI's error says the API server did not answer (rather than what it answered)."""
    return _NO_ANSWER.search(message) is not None


def unanswered(message: str, where: str, write: bool, line: str) -> str:
    """A CLI's error for an API server that did not answer, with which one it was and, for a
    write, that its outcome is unknown (the CLIs, like client-go, never send a write twice)."""
    message = f"{message}\n{where} did not answer."
    if write:
        message += (
            f" `{line}` may have taken effect before the connection was lost: check the "
            "state (kubectl get, helm status) before running it again."
        )
    return message
