"""Parse one CLI invocation the way cobra and pflag (the CLIs' own parsers) do.

The result is a normalized command: the canonical subcommand path, each flag under its long name
with its value, the positional arguments, and what follows `--`. The argv that runs is rebuilt
from this model (`argv()`), so the command that was validated is the command that runs: `-nx`,
`-n x`, `-n=x`, `--namespace=x` and `--namespace x` all become `--namespace=x`, kubectl's
`--all_namespaces` becomes `--all-namespaces` (it maps `_` to `-`), and a short-flag cluster
such as `-As URL` cannot hide a `--server` (DESIGN invariant 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kube_ai_proxy.errors import invalid
from kube_ai_proxy.parse.clispec import CliSpec, CommandNode, FlagSpec, Tool


@dataclass(frozen=True, slots=True)
class Flag:
    name: str
    value: str | None  # None: given without a value (a bool or a flag with a no-option default)

    def render(self) -> str:
        return f"--{self.name}" if self.value is None else f"--{self.name}={self.value}"


@dataclass(frozen=True)
class CliCommand:
    tool: Tool
    verb: tuple[str, ...]  # canonical subcommand path, e.g. ("rollout", "restart")
    flags: tuple[Flag, ...]
    args: tuple[str, ...]  # positional arguments, subcommand names removed
    passthrough: tuple[str, ...] | None = None  # the words after `--`
    raw_args: bool = False  # the command parses its own flags; `args` holds every word

    def argv(self) -> list[str]:
        words = [self.tool, *self.verb, *(f.render() for f in self.flags), *self.args]
        if self.passthrough is not None:
            words += ["--", *self.passthrough]
        return words

    def values(self, name: str) -> list[str | None]:
        return [f.value for f in self.flags if f.name == name]

    def value(self, name: str) -> str | None:
        """The last value of a flag (pflag's rule for a repeated scalar flag)."""
        found = self.values(name)
        return found[-1] if found else None

    def has(self, name: str) -> bool:
        return any(f.name == name for f in self.flags)

    def bool_flag(self, name: str) -> bool:
        for flag in reversed(self.flags):
            if flag.name == name:
                return flag.value is None or flag.value.lower() in ("true", "1", "t")
        return False

    @property
    def verb_text(self) -> str:
        return " ".join((self.tool, *self.verb))


def _no_opt(flags: dict[str, FlagSpec], name: str) -> bool:
    flag = flags.get(name)
    return flag is not None and not flag.takes_value


def _strip_flags(args: Sequence[str], node: CommandNode, spec: CliSpec) -> list[str]:
    """cobra's stripFlags: the words that could name a subcommand, flags and their values
    removed. An unknown `--flag` or `-f` is assumed to take the next word, as cobra assumes."""
    flags = node.flags
    commands: list[str] = []
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if word == "--":
            break
        takes_next = False
        if word.startswith("--") and "=" not in word:
            takes_next = not _no_opt(flags, spec.canonical_flag_name(word[2:]))
        elif word.startswith("-") and "=" not in word and len(word) == 2:
            short = node.shorts.get(word[1])
            takes_next = short is None or short.takes_value
        if takes_next:
            if len(rest) <= 1:
                break
            rest.pop(0)
        elif word and not word.startswith("-"):
            commands.append(word)
    return commands


def _args_minus_first(args: list[str], name: str, node: CommandNode, spec: CliSpec) -> list[str]:
    """cobra's argsMinusFirstX: drop the first word equal to `name` that is not a flag value."""
    pos = 0
    while pos < len(args):
        word = args[pos]
        if word == "--":
            break
        if word.startswith("--") and "=" not in word:
            if not _no_opt(node.flags, spec.canonical_flag_name(word[2:])):
                pos += 2
                continue
        elif word.startswith("-") and "=" not in word and len(word) == 2:
            short = node.shorts.get(word[1])
            if short is None or short.takes_value:
                pos += 2
                continue
        elif word == name:
            return args[:pos] + args[pos + 1 :]
        pos += 1
    return args


def find_command(spec: CliSpec, args: Sequence[str]) -> tuple[CommandNode, list[str]]:
    """cobra's Command.Find: walk down the tree by the first non-flag word at each level."""
    node, rest = spec.root, list(args)
    while node.children:
        candidates = _strip_flags(rest, node, spec)
        if not candidates:
            break
        child = node.children.get(candidates[0])
        if child is None:
            break
        rest = _args_minus_first(rest, candidates[0], node, spec)
        node = child
    return node, rest


class _FlagParser:
    """pflag's FlagSet.Parse over one command's visible flags, interspersed flags allowed."""

    def __init__(self, spec: CliSpec, node: CommandNode) -> None:
        self.spec = spec
        self.node = node
        self.flags: list[Flag] = []
        self.args: list[str] = []

    def _where(self) -> str:
        return " ".join((self.spec.tool, *self.node.path))

    def _unknown(self, shown: str) -> Exception:
        return invalid(
            f"unknown flag {shown} for `{self._where()}`; "
            f"describe_{self.spec.tool} with {{'command': '{' '.join(self.node.path)}'}} "
            "lists the flags it accepts"
        )

    def parse(self, args: Sequence[str]) -> tuple[str, ...] | None:
        rest = list(args)
        while rest:
            word = rest.pop(0)
            if len(word) < 2 or not word.startswith("-"):
                self.args.append(word)
            elif word == "--":
                return tuple(rest)
            elif word.startswith("--"):
                self._long(word, rest)
            else:
                self._shorts(word, rest)
        return None

    def _long(self, word: str, rest: list[str]) -> None:
        body = word[2:]
        if body.startswith(("-", "=")):
            raise invalid(f"bad flag syntax: {word}")
        name, eq, value = body.partition("=")
        canonical = self.spec.canonical_flag_name(name)
        flag = self.node.flags.get(canonical)
        if flag is None:
            if self.spec.complete:
                raise self._unknown(f"--{name}")
            # Without a full flag list the value cannot be told from the next positional;
            # only the explicit form is unambiguous.
            if not eq:
                raise invalid(
                    f"{self._where()}: write --{name}=VALUE (or --{name}=true for a switch); "
                    f"the flag is not in kube-ai-proxy's list for {self.spec.tool}"
                )
            self.flags.append(Flag(canonical, value))
            return
        if eq:
            self.flags.append(Flag(flag.name, value))
        elif not flag.takes_value:
            self.flags.append(Flag(flag.name, None))
        elif rest:
            self.flags.append(Flag(flag.name, rest.pop(0)))
        else:
            raise invalid(f"flag needs an argument: {word}")

    def _shorts(self, word: str, rest: list[str]) -> None:
        shorts = word[1:]
        while shorts:
            char = shorts[0]
            flag = self.node.shorts.get(char)
            if flag is None:
                raise self._unknown(f"-{char}" + (f" (in {word})" if len(word) > 2 else ""))
            if len(shorts) > 2 and shorts[1] == "=":
                self.flags.append(Flag(flag.name, shorts[2:]))
                return
            if not flag.takes_value:
                self.flags.append(Flag(flag.name, None))
                shorts = shorts[1:]
                continue
            if len(shorts) > 1:
                self.flags.append(Flag(flag.name, shorts[1:]))
            elif rest:
                self.flags.append(Flag(flag.name, rest.pop(0)))
            else:
                raise invalid(f"flag needs an argument: -{char} in {word}")
            return


def parse_command(spec: CliSpec, words: Sequence[str]) -> CliCommand:
    """Parse `words` (argv without the program name) as `spec.tool` would."""
    node, rest = find_command(spec, words)
    if node.disable_flag_parsing:
        return CliCommand(spec.tool, node.path, (), tuple(rest), raw_args=True)
    parser = _FlagParser(spec, node)
    passthrough = parser.parse(rest)
    return CliCommand(
        tool=spec.tool,
        verb=node.path,
        flags=tuple(parser.flags),
        args=tuple(parser.args),
        passthrough=passthrough,
    )
