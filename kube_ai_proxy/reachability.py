"""A CLI call to a server that stopped answering ends when kube-ai-proxy can tell, not at the
call's timeout.

kubectl, helm and istioctl wait out their own timeouts (client-go's 10 s TLS handshake, then
its retries of discovery) request after request, and argocd its gRPC dial, so a black-holed
cluster or Argo CD used to cost the whole call's timeout and end as `timeout`. While such a
CLI runs, the server asks the same server for its version through its own client (the API
server's /version, Argo CD's /api/version), which gives up after K8S_MCP_REQUEST_TIMEOUT,
and asks again every K8S_MCP_REQUEST_TIMEOUT seconds while the CLI runs: if that finds it
unreachable, the CLI's processes are killed and the call answers `unavailable`, naming the
server. Commands that talk to no server are left alone.

kubectl also ends a watch or a followed log with exit code 0 when the API server closes it,
which looks like an answer: such a stream that ended before the call's timeout is said to
have ended early (`ended_early`), and why.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from adapters.errors import BackendError, Unreachable
from kube_ai_proxy.parse.command import CliCommand

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


@asynccontextmanager
async def stop_when_unreachable(
    probe: Callable[[], Awaitable[Unreachable | None]], every: float = 10.0
) -> AsyncIterator[asyncio.Future[BackendError]]:
    """A future for the CLI's pipeline to stop on (run_pipeline's `stop`): it is given the
    Unreachable of `probe()` if that finds the server gone while the block runs. The probe
    runs at once, then every `every` seconds: a server may go away in the middle of a long
    wait (rollout status, a watch)."""
    stop: asyncio.Future[BackendError] = asyncio.get_running_loop().create_future()

    async def watch() -> None:
        # A probe that fails in some other way says nothing about the server: the CLI runs on.
        with contextlib.suppress(Exception):
            while True:
                problem = await probe()
                if problem is not None:
                    if not stop.done():
                        message = f"{problem.message}. The command was stopped."
                        stop.set_result(Unreachable(message))
                    return
                await asyncio.sleep(every)

    watching = asyncio.ensure_future(watch())
    try:
        yield stop
    finally:
        watching.cancel()


def streams(command: CliCommand) -> str | None:
    """What the command streams until it is stopped (a watch, a log it follows), if it does:
    kubectl ends those with exit code 0 when the API server closes them."""
    if command.tool != "kubectl":
        return None
    if command.verb[:1] == ("get",) and (
        command.bool_flag("watch") or command.bool_flag("watch-only")
    ):
        return "watch"
    if command.verb[:1] == ("logs",) and command.bool_flag("follow"):
        return "log stream"
    return None


# Subcommands that wait for the cluster, by CLI.
_WAITING_VERBS: dict[str, frozenset[tuple[str, ...]]] = {
    "kubectl": frozenset({("rollout", "status"), ("wait",)}),
    "helm": frozenset(),  # with --wait (or what implies it), below
    "istioctl": frozenset({("install",), ("upgrade",)}),
    "argocd": frozenset({("app", "sync"), ("app", "wait")}),
}
_HELM_WAITS = frozenset({("install",), ("upgrade",), ("rollback",), ("uninstall",)})
# helm 3's --atomic and helm 4's --rollback-on-failure imply --wait.
_HELM_WAIT_FLAGS = ("wait", "wait-for-jobs", "atomic", "rollback-on-failure")


def waits_on_cluster(command: CliCommand) -> bool:
    """Whether the command waits for the cluster to reach a state (a rollout, a sync, helm's
    --wait): it may take minutes, idle."""
    verb = command.verb
    if command.tool == "helm":
        return verb in _HELM_WAITS and any(
            command.has(flag) and command.value(flag) != "false" for flag in _HELM_WAIT_FLAGS
        )
    if verb not in _WAITING_VERBS[command.tool]:
        return False
    if command.tool == "argocd" and verb == ("app", "sync"):
        return not command.bool_flag("async")
    if command.tool == "kubectl" and verb == ("rollout", "status"):
        return command.value("watch") != "false"
    return True


def ended_early(what: str, seconds: float, timeout: float, problem: Unreachable | None) -> str:
    """Why a stream ended before the call's timeout, as the call says it."""
    ended = f"the {what} ended after {seconds:.1f}s, before the call's {timeout:g}s timeout"
    if problem is not None:
        return f"{problem.message}: {ended}; what it printed until then is the output."
    return (
        f"({ended}: the API server closed it, as it does when it restarts; run the command "
        "again to go on)"
    )
