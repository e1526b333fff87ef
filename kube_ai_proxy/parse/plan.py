"""From a command line to a plan: parse once, and keep the parsed form.

`plan()` is the first half of DESIGN's "one call": tokenize the whole pipeline, parse the first
stage as the tool's CLI (cobra/pflag semantics), and validate each pipe stage against its
allow-list. The executor runs `Plan.argvs()`, built from this parse, never the raw string.

Whether the command may run is not asked here: judge/invariants.py checks the parsed command,
and `call.judged_plan` does so between the first stage and the pipe stages.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace

from kube_ai_proxy.errors import invalid
from kube_ai_proxy.parse.clispec import CONTEXT_FLAGS, INSTANCE_FLAG, TOOLS, CliSpecs, Tool
from kube_ai_proxy.parse.command import CliCommand, Flag, parse_command
from kube_ai_proxy.parse.stages import Stage, parse_stage
from kube_ai_proxy.parse.words import split_pipeline


@dataclass(frozen=True)
class Plan:
    command: CliCommand
    pipes: tuple[Stage, ...]

    def argvs(self) -> list[list[str]]:
        return [self.command.argv(), *(list(stage.argv) for stage in self.pipes)]

    def text(self) -> str:
        """The normalized command line: re-splitting it gives the same plan."""
        return " | ".join(shlex.join(argv) for argv in self.argvs())


def cli_words(tool: Tool, words: list[str]) -> list[str]:
    """The CLI's arguments from the first stage: `kubectl get pods` and `get pods` both work in
    execute_kubectl; another program there is refused."""
    first = words[0]
    if first == tool:
        return words[1:]
    if first in TOOLS:
        raise invalid(f"this tool runs {tool}; use execute_{first} for `{first}` commands.")
    if "/" in first:
        raise invalid(f"give the command without a path: `{tool} ...`.")
    return words


def with_context(command: CliCommand, context: str) -> CliCommand:
    """The command with the kube context a call asked for (for argocd: the Argo CD instance),
    as if given with the CLI's flag."""
    flag = INSTANCE_FLAG if command.tool == "argocd" else CONTEXT_FLAGS[command.tool]
    if flag is None:
        raise invalid(f"{command.tool} has no kube context; leave `context` out.")
    given = command.values(flag)
    if given and given != [context]:
        raise invalid(
            f"the command says --{flag}={given[-1]} but the call's `context` is {context!r}; "
            "give it once."
        )
    if given:
        return command
    return replace(command, flags=(*command.flags, Flag(flag, context)))


def parse_first_stage(
    specs: CliSpecs, tool: Tool, words: list[str], context: str | None = None
) -> CliCommand:
    """The first stage of a pipeline as the tool's CLI reads it.

    `context`: the kube context a call names besides the command (execute_*'s argument)."""
    spec = specs[tool]
    command = parse_command(spec, cli_words(tool, words))
    if context:
        command = with_context(command, context)
    return command


def parse_pipes(stages: Sequence[Sequence[str]]) -> tuple[Stage, ...]:
    """The stages after the first, each a text utility with its allowed options."""
    return tuple(parse_stage(words) for words in stages)


def plan(specs: CliSpecs, tool: Tool, line: str, context: str | None = None) -> Plan:
    """The whole command line parsed; nothing judged (see `call.judged_plan`)."""
    stages = split_pipeline(line)
    return Plan(parse_first_stage(specs, tool, stages[0], context), parse_pipes(stages[1:]))
