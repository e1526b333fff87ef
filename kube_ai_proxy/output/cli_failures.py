"""What a CLI's failure means, from its exit code and its own words: which error code, and what
to do next where the CLI does not say.

- `kubectl diff` and `argocd app diff` exit with 1 when they found differences: that is their
  answer, not a failure.
- A CLI killed by a signal (the kernel's OOM killer, an operator's `kill -9`) has no words of
  its own: the signal's name and what usually sends it are the message.
- kubectl, helm and istioctl say in client-go's words that the API server did not answer,
  refused the credentials, or failed on a write; the call adds which server, and that a
  write's outcome is unknown (call.py).
- The argocd CLI ends with one fatal line, `{"level": "fatal", "msg": "rpc error: code =
  Unauthenticated desc = ..."}`: the gRPC status names the kind of failure.
"""

from __future__ import annotations

import json
import re
import signal

from kube_ai_proxy.parse.command import CliCommand
from kube_ai_proxy.result import ErrorCode

# Commands whose exit code 1 means "there are differences" (and >1 a failure).
CHANGES_FOUND_EXIT = 1
_DIFFS = frozenset({("kubectl", ("diff",)), ("argocd", ("app", "diff"))})

_GRPC_CODE = re.compile(r"rpc error: code = (\w+) desc = ")
_GRPC_CODES: dict[str, ErrorCode] = {
    "Unauthenticated": "rbac_denied",
    "PermissionDenied": "rbac_denied",
    "NotFound": "not_found",
    "Unavailable": "unavailable",
    "DeadlineExceeded": "timeout",
}
_REPOSITORY = re.compile(r'Repo: "([^"]*)"')


def changes_found(command: CliCommand, exit_code: int, stderr: str) -> bool:
    """The command reports differences through its exit code, and found some (argocd also
    exits with 1 from a fatal error, which it logs)."""
    if exit_code != CHANGES_FOUND_EXIT or (command.tool, command.verb) not in _DIFFS:
        return False
    return command.tool != "argocd" or argocd_fatal_message(stderr) is None


def argocd_fatal_message(stderr: str) -> str | None:
    """The message of the argocd CLI's last fatal log line, when it ended with one."""
    for line in reversed(stderr.strip().splitlines()):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") == "fatal":
            return str(entry.get("msg", ""))
    return None


def argocd_failure(stderr: str) -> tuple[ErrorCode, str] | None:
    """The error code and message of an argocd CLI failure, with what to do next where Argo
    CD's words do not say; None when the CLI did not end with a fatal line."""
    message = argocd_fatal_message(stderr)
    if message is None:
        return None
    found = _GRPC_CODE.search(message)
    code: ErrorCode = _GRPC_CODES.get(found.group(1), "cli_error") if found else "cli_error"
    if found is not None and found.group(1) == "Unauthenticated":
        message += (
            "\nArgo CD did not accept the token: check ARGOCD_AUTH_TOKEN (or ARGOCD_USERNAME and "
            "ARGOCD_PASSWORD) in the server's settings; a session token expires, an API key "
            "does not."
        )
    elif found is not None and found.group(1) == "PermissionDenied":
        message += (
            "\nArgo CD says this for an object that does not exist too: check the name "
            "(`argocd app list`), then the account's RBAC (`argocd account can-i`)."
        )
    elif "repository not accessible" in message or "failed to list refs" in message:
        repository = _REPOSITORY.search(message)
        which = f" {repository.group(1)}" if repository else ""
        message += (
            f"\nArgo CD's repo-server could not read the repository{which}: check the URL "
            "and that the repo-server can reach it; a private repository needs credentials "
            "(`argocd repo add URL --username ... --password ...`); `argocd repo list` shows "
            "each registered repository's connection state."
        )
    return code, message


_SIGNAL_CAUSES = {
    signal.SIGKILL: "killed from outside the server: the kernel's out-of-memory killer (look "
    "for `oom-kill` in the kernel log, or a container's memory limit) or someone's kill -9",
    signal.SIGTERM: "asked to stop from outside the server (a shutdown, or someone's kill)",
    signal.SIGSEGV: "it crashed",
    signal.SIGABRT: "it aborted",
}


def killed_by_signal(program: str, exit_code: int) -> str | None:
    """What to say of a program that a signal ended (a negative exit code), else None."""
    if exit_code >= 0:
        return None
    try:
        number = signal.Signals(-exit_code)
    except ValueError:
        name, cause = f"signal {-exit_code}", None
    else:
        name, cause = number.name, _SIGNAL_CAUSES.get(number)
    reason = f": {cause}" if cause else ""
    return (
        f"{program} was killed by {name}{reason}. Its output is incomplete and any change it "
        "was making may be half done: check the state before running it again."
    )


# How kubectl, helm and istioctl say that no answer came (client-go's and Go's net words).
_NO_ANSWER = re.compile(
    r"Unable to connect to the server|The connection to the server \S+ was refused|"
    r"TLS handshake timeout|connection reset by peer|i/o timeout|unexpected EOF|"
    r"http2: client connection lost|Kubernetes cluster unreachable|no route to host"
)


def no_answer(message: str) -> bool:
    """The CLI's error says the API server did not answer (rather than what it answered)."""
    return _NO_ANSWER.search(message) is not None


def credentials_refused(message: str) -> bool:
    """The CLI's error says the API server refused its credentials (client-go's words for a
    401)."""
    return "You must be logged in to the server" in message


def unanswered(message: str, where: str, write: bool, line: str) -> str:
    """A CLI's error for an API server that did not answer, with which one it was and, for a
    write, that its outcome is unknown (the CLIs, like client-go, never send a write twice)."""
    message = f"{message}\n{where} did not answer."
    return f"{message} {outcome_unknown(line)}" if write else message


# client-go's words for a 5xx: the API server failed while it handled the request.
_SERVER_FAILED = re.compile(
    r"Error from server \((InternalError|ServiceUnavailable|Timeout|ServerTimeout)\)"
)


def server_failed(message: str) -> bool:
    return _SERVER_FAILED.search(message) is not None


def outcome_unknown(line: str) -> str:
    """What to say of a write that may or may not have taken effect."""
    return (
        f"`{line}` may have taken effect before it failed, and was not sent again: check the "
        "state (kubectl get, helm status) before running it again."
    )
