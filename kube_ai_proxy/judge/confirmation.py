"""Asking the user before a command runs (K8S_MCP_CONFIRM): which commands need it, the
question, and how the answer binds to the command it was asked for.

A model may be talked into a delete by text it read in the cluster; a person confirming it in
the client is the one check that text cannot forge. The question goes through MCP elicitation:
a server-to-client request on handshake-era sessions, an `InputRequiredResult` the client
answers by retrying the call on the 2026-07-28 protocol. A client that cannot be asked is
refused, never assumed to agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

from kube_ai_proxy.config import ConfirmMode
from kube_ai_proxy.judge.policy import Level
from kube_ai_proxy.parse.command import CliCommand

Answer = Literal["accept", "decline", "unsupported"]
# Asks the client's user a question (the command and what it does); the callback may also
# raise InputRequired to have the client answer and retry the call.
Confirm = Callable[[str], Awaitable[Answer]]

_V = tuple[str, ...]


def _verbs(text: str) -> frozenset[_V]:
    return frozenset(tuple(v.split()) for v in text.split(","))


# What deletes, replaces or rolls back: asked for in `destructive` mode.
DESTRUCTIVE: Mapping[str, frozenset[_V]] = {
    "kubectl": _verbs("delete, drain, replace, rollout undo, taint, cordon"),
    "helm": _verbs("uninstall, rollback"),
    "istioctl": _verbs("uninstall, waypoint delete, tag remove, upgrade, install"),
    "argocd": _verbs(
        "app delete, app sync, app rollback, app delete-resource, app terminate-op, "
        "proj delete, cluster rm, repo rm, appset delete"
    ),
}


class InputRequired(Exception):
    """The client must answer `question` and call again (2026-07-28 protocol)."""

    def __init__(self, question: str) -> None:
        super().__init__(question)
        self.question = question


def needs_confirmation(mode: ConfirmMode, command: CliCommand, level: Level) -> bool:
    """Whether this command is asked about in this mode. A dry run changes nothing."""
    if mode == "none" or level == "read" or _dry_run(command):
        return False
    if mode == "writes":
        return True
    verbs = DESTRUCTIVE[command.tool]
    return any(command.verb[:length] in verbs for length in range(1, len(command.verb) + 1))


def _dry_run(command: CliCommand) -> bool:
    values = command.values("dry-run")
    # `--dry-run` alone is a dry run in all four CLIs; kubectl's `--dry-run=none` and the
    # others' `--dry-run=false` run for real.
    return bool(values) and values[-1] not in ("none", "false")


# How much of a preview's diff a question shows: what a client's dialog displays well.
QUESTION_DIFF_CHARS = 3000


def question(
    command_line: str, where: str | None, summary: str | None = None, diff: str = ""
) -> str:
    """The question a person answers; `where`: "kube context X" or "Argo CD instance X";
    `summary` and `diff`: what the write would change (preview/), the diff cut to fit."""
    lines = ["An AI assistant wants to run:", "", f"    {command_line}", ""]
    if where:
        lines += [f"against {where}.", ""]
    if summary is not None:
        lines += [f"What it would change: {summary}.", ""]
    if diff:
        shown = diff if len(diff) <= QUESTION_DIFF_CHARS else diff[:QUESTION_DIFF_CHARS]
        lines += [shown.rstrip("\n")]
        if shown is not diff:
            lines += [f"... ({len(diff) - len(shown)} more characters of the diff not shown)"]
        lines += [""]
    lines.append("It changes or removes what runs in the cluster. Allow it?")
    return "\n".join(lines)


def binding(tool: str, command: str, stdin: str | None, context: str | None) -> str:
    """What an answer is bound to: a confirmation given for one command line (and stdin, and
    context) does not approve another one sent with it."""
    digest = hashlib.sha256()
    for part in (tool, command, stdin or "", context or ""):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()
