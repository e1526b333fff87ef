"""describe_<tool>: the CLI's own help for a command, plus its subcommands and flags as data.

The text comes from `<tool> <command> --help` run once and kept by `Help`, which the server's
lifespan builds, for as long as the server runs; the structured part comes from the CLI spec, so
it is there even when the binary is missing.
"""

from __future__ import annotations

import time
from typing import Any

from adapters.cli import Stage, run_pipeline
from adapters.errors import BackendError
from kube_ai_proxy.cli_run import CLI_INSTALL_HINTS, cli_env
from kube_ai_proxy.config import Settings
from kube_ai_proxy.errors import CommandError, invalid
from kube_ai_proxy.output.budget import cut_text, read_limit
from kube_ai_proxy.parse.clispec import CliSpec, CliSpecs, CommandNode, Tool
from kube_ai_proxy.parse.plan import cli_words
from kube_ai_proxy.parse.words import split_pipeline
from kube_ai_proxy.result import Backend, CommandResult, ErrorInfo

_HELP_TIMEOUT = 15.0


def find_node(spec: CliSpec, command: str | None) -> CommandNode:
    """The command a describe request names: `rollout restart`, `kubectl get` or nothing."""
    if not command or not command.strip():
        return spec.root
    words = split_pipeline(command)[0]
    words = cli_words(spec.tool, words)
    node = spec.root
    for word in words:
        if word.startswith("-"):
            continue
        child = node.children.get(word)
        if child is None:
            known = ", ".join(c.name for c in node.subcommands()) or "none"
            raise invalid(
                f"`{' '.join((spec.tool, *node.path, word))}` is not a {spec.tool} command. "
                f"Subcommands of `{' '.join((spec.tool, *node.path))}`: {known}."
            )
        node = child
    return node


def describe_data(spec: CliSpec, node: CommandNode) -> dict[str, Any]:
    return {
        "command": " ".join((spec.tool, *node.path)),
        "summary": node.summary,
        "subcommands": [{"name": c.name, "summary": c.summary} for c in node.subcommands()],
        "flags": [
            {
                "name": f.name,
                "short": f.short,
                "type": f.type,
                "takes_value": f.takes_value,
            }
            for f in sorted(node.flags.values(), key=lambda f: f.name)
        ],
        "cli_version": spec.version,
    }


def _spec_text(data: dict[str, Any]) -> str:
    lines = [f"{data['command']}: {data['summary']}".rstrip(": ")]
    if data["subcommands"]:
        lines += ["", "Commands:"] + [
            f"  {c['name']:<24} {c['summary']}" for c in data["subcommands"]
        ]
    lines += ["", "Flags:"] + [
        "  "
        + (f"-{f['short']}, " if f["short"] else "    ")
        + f"--{f['name']}"
        + (f" {f['type']}" if f["takes_value"] else "")
        for f in data["flags"]
    ]
    return "\n".join(lines)


class Help:
    """The describe_<tool> answers of one server, each CLI's help text asked once per command."""

    def __init__(self, settings: Settings, specs: CliSpecs) -> None:
        self.settings = settings
        self.specs = specs
        self._texts: dict[tuple[str, ...], str] = {}

    async def describe(self, tool: Tool, command: str | None) -> CommandResult:
        started = time.monotonic()
        spec = self.specs[tool]
        shown = " ".join((tool, command or "")).strip()
        try:
            node = find_node(spec, command)
        except CommandError as exc:
            return CommandResult(
                status="error", command=shown, error=ErrorInfo(code=exc.code, message=exc.message)
            )
        data = describe_data(spec, node)
        text, backend = await self._text(tool, node, data)
        cut = cut_text(text, self.settings.max_output)
        return CommandResult(
            status="success",
            backend=backend,
            command=f"{data['command']} --help",
            exit_code=0 if backend else None,
            output=cut.text,
            data=data,
            truncated=cut.truncated,
            duration_ms=(time.monotonic() - started) * 1000,
        )

    async def _text(
        self, tool: Tool, node: CommandNode, data: dict[str, Any]
    ) -> tuple[str, Backend | None]:
        """The CLI's help text, kept once the CLI gave it; the spec's when the CLI cannot."""
        key = (tool, *node.path)
        text = self._texts.get(key)
        if text is not None:
            return text, "cli"
        try:
            outcome = await run_pipeline(
                [
                    Stage(
                        [tool, *node.path, "--help"],
                        cli_env(self.settings, tool),
                        install_hint=CLI_INSTALL_HINTS[tool],
                    )
                ],
                timeout=_HELP_TIMEOUT,
                max_bytes=read_limit(self.settings.max_output),
            )
        except BackendError as exc:
            return f"{_spec_text(data)}\n\n({tool}'s own help is unavailable: {exc.message})", None
        text = outcome.stdout.decode("utf-8", "replace").strip()
        if outcome.exit_code != 0 or not text:
            return _spec_text(data), None
        self._texts[key] = text
        return text, "cli"
