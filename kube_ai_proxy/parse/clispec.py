"""What each CLI accepts: its command tree and every command's flags.

The specs in `kube_ai_proxy/specs/*.json` are generated from the real programs
(`python -m e2e.harness clispec`), so the parser in `command.py` resolves subcommands and flag
values the way the CLI itself will. A spec is `complete` when it lists every flag; the parser
then refuses flags it does not know, exactly as the CLI would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

Tool = Literal["kubectl", "helm", "istioctl", "argocd"]
TOOLS: tuple[Tool, ...] = ("kubectl", "helm", "istioctl", "argocd")

# The flag each CLI picks a kube context with: a call's `context` argument becomes this flag.
# argocd has none of its own; it talks to the Argo CD server it is configured for.
CONTEXT_FLAGS: Mapping[Tool, str | None] = {
    "kubectl": "context",
    "helm": "kube-context",
    "istioctl": "context",
    "argocd": None,
}
# argocd's own flag for "the server context to use": here it names an Argo CD instance of
# K8S_MCP_ARGOCD_INSTANCES (kube_ai_proxy/argocd_instances.py), and an argocd call's `context`
# argument becomes it.
INSTANCE_FLAG = "argocd-context"


@dataclass(frozen=True, slots=True)
class FlagSpec:
    name: str
    short: str | None
    type: str
    # False when the flag has a no-option default (bools, kubectl's --validate, --dry-run...):
    # then `--flag` alone is complete and the next word is not its value.
    takes_value: bool
    persistent: bool = False


@dataclass(eq=False)
class CommandNode:
    path: tuple[str, ...]
    summary: str
    disable_flag_parsing: bool
    local_flags: dict[str, FlagSpec]
    parent: CommandNode | None = None
    children: dict[str, CommandNode] = field(default_factory=dict)  # names and aliases
    aliases: tuple[str, ...] = ()
    # Flags visible to this command: its own plus every ancestor's persistent flags, as cobra
    # merges them before parsing.
    flags: dict[str, FlagSpec] = field(default_factory=dict)
    shorts: dict[str, FlagSpec] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path[-1] if self.path else ""

    def subcommands(self) -> list[CommandNode]:
        """Distinct children, in name order (aliases removed)."""
        unique = {id(c): c for c in self.children.values()}
        return sorted(unique.values(), key=lambda c: c.name)

    def walk(self) -> Iterator[CommandNode]:
        yield self
        for child in self.subcommands():
            yield from child.walk()


@dataclass(frozen=True)
class CliSpec:
    tool: Tool
    version: str
    normalize_underscores: bool
    complete: bool
    root: CommandNode

    def find(self, path: tuple[str, ...]) -> CommandNode | None:
        node = self.root
        for name in path:
            child = node.children.get(name)
            if child is None:
                return None
            node = child
        return node

    def canonical_flag_name(self, name: str) -> str:
        return name.replace("_", "-") if self.normalize_underscores else name


def _flag(raw: Mapping[str, Any]) -> FlagSpec:
    return FlagSpec(
        name=raw["name"],
        short=raw.get("short") or None,
        type=raw.get("type", "string"),
        takes_value=bool(raw["takes_value"]),
        persistent=bool(raw.get("persistent", False)),
    )


def build_spec(raw: Mapping[str, Any]) -> CliSpec:
    """Build the tree from the JSON form: a flat list of commands, parents before children."""
    nodes: dict[str, CommandNode] = {}
    root: CommandNode | None = None
    for entry in raw["commands"]:
        path = tuple(entry["path"].split()) if entry["path"] else ()
        parent = nodes.get(" ".join(path[:-1])) if path else None
        if path and parent is None:
            raise ValueError(f"{raw['tool']} spec lists {entry['path']!r} before its parent")
        local = {f["name"]: _flag(f) for f in entry.get("flags", [])}
        node = CommandNode(
            path=path,
            summary=entry.get("short", ""),
            disable_flag_parsing=bool(entry.get("disable_flag_parsing", False)),
            local_flags=local,
            parent=parent,
            aliases=tuple(entry.get("aliases", ())),
        )
        inherited = (
            {n: f for n, f in parent.flags.items() if f.persistent} if parent is not None else {}
        )
        node.flags = {**inherited, **local}
        node.shorts = {f.short: f for f in node.flags.values() if f.short}
        nodes[" ".join(path)] = node
        if parent is None:
            root = node
        else:
            for name in (node.name, *node.aliases):
                parent.children.setdefault(name, node)
    if root is None:
        raise ValueError(f"{raw['tool']} spec has no root command")
    return CliSpec(
        tool=raw["tool"],
        version=raw.get("version", ""),
        normalize_underscores=bool(raw.get("normalize_underscores", False)),
        complete=bool(raw.get("complete", False)),
        root=root,
    )


def load_spec(tool: Tool) -> CliSpec:
    text = resources.files("kube_ai_proxy").joinpath("specs", f"{tool}.json").read_text("utf-8")
    return build_spec(json.loads(text))


class CliSpecs:
    """The four specs, each read on first use (kubectl's is ~90 kB of JSON)."""

    def __init__(self) -> None:
        self._specs: dict[Tool, CliSpec] = {}

    def __getitem__(self, tool: Tool) -> CliSpec:
        spec = self._specs.get(tool)
        if spec is None:
            spec = self._specs[tool] = load_spec(tool)
        return spec
