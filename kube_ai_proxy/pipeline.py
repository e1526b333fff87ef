"""From a command line to a validated plan: parse once, check, and keep the parsed form.

`plan()` is the first half of DESIGN's "one call": tokenize the whole pipeline, parse the first
stage as the tool's CLI (cobra/pflag semantics), check the invariants, and validate each pipe
stage. The executor runs `Plan.argvs()`, built from this parse, never the raw string.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace

from kube_ai_proxy.clispec import TOOLS, CliSpecs, Tool
from kube_ai_proxy.commands import CliCommand, Flag, parse_command
from kube_ai_proxy.errors import denied, invalid
from kube_ai_proxy.shellwords import split_pipeline
from kube_ai_proxy.textutils import Stage, parse_stage
from kube_ai_proxy.validation import RULES, Limits, check_command


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
    """The command with the kube context a call asked for, as if given with the CLI's flag."""
    flag = RULES[command.tool].context_flag
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


def plan(
    specs: CliSpecs, tool: Tool, line: str, limits: Limits, context: str | None = None
) -> Plan:
    """`context`: the kube context a call names besides the command (execute_*'s argument)."""
    stages = split_pipeline(line)
    spec = specs[tool]
    command = parse_command(spec, cli_words(tool, stages[0]))
    if context:
        command = with_context(command, context)
    if not command.verb and command.args:
        raise denied(
            f"`{tool} {command.args[0]}` is not a {tool} command (plugins are never run). "
            f"describe_{tool} lists the commands."
        )
    if tool == "kubectl" and command.verb == ("create",) and command.args:
        # kubectl runs `kubectl-create-NAME` from PATH for `kubectl create NAME ...` when NAME
        # is not a built-in subcommand; `create` itself takes no positional arguments.
        raise denied(
            f"`kubectl create {command.args[0]}` is not a kubectl command (plugins are never "
            "run). describe_kubectl with {'command': 'create'} lists what it creates."
        )
    check_command(command, limits)
    pipes = tuple(parse_stage(words) for words in stages[1:])
    return Plan(command, pipes)
