"""The text utilities a pipeline may pipe into, and exactly which of their options are allowed.

A pipe stage may filter and reshape text, nothing else: no running programs, no reading or
writing files (DESIGN invariant 4). Each utility has an allow-list of options; file operands are
refused; options that read or write files, follow them or spawn programs are refused with the
reason. Options are parsed the way GNU getopt (or jq) parses them and the stage is rebuilt in a
normalized form, so what was checked is what runs. How a stage then runs (its PATH, its
environment) is cli_run.py's concern, not the parser's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from kube_ai_proxy.errors import invalid

Arg = Literal["none", "required", "optional"]


@dataclass(frozen=True)
class Option:
    long: str | None
    short: str | None = None
    arg: Arg = "none"


@dataclass(frozen=True)
class Utility:
    name: str
    options: tuple[Option, ...]
    # Options the program has that are refused here, with the reason (long or short spelling).
    refused: Mapping[str, str] = field(default_factory=dict)
    max_operands: int = 0
    operand_help: str = "it reads standard input only; file operands are not allowed"
    # Words always added after the program name (e.g. sed's sandbox).
    fixed: tuple[str, ...] = ()
    obsolete_count: bool = False  # head/tail accept `-20` for `-n 20`

    def by_long(self, name: str) -> Option | None:
        return next((o for o in self.options if o.long == name), None)

    def by_short(self, char: str) -> Option | None:
        return next((o for o in self.options if o.short == char), None)


@dataclass(frozen=True)
class Stage:
    """A validated pipe stage: `argv`, normalized, is what runs."""

    utility: str
    argv: tuple[str, ...]


def _o(long: str | None, short: str | None = None, arg: Arg = "none") -> Option:
    return Option(long, short, arg)


_READS_FILES = "it reads local files"
_WRITES_FILES = "it writes local files"
_RUNS_PROGRAMS = "it runs programs"

_GREP = Utility(
    "grep",
    (
        _o("extended-regexp", "E"),
        _o("fixed-strings", "F"),
        _o("basic-regexp", "G"),
        _o("perl-regexp", "P"),
        _o("regexp", "e", "required"),
        _o("ignore-case", "i"),
        _o("no-ignore-case"),
        _o(None, "y"),
        _o("invert-match", "v"),
        _o("word-regexp", "w"),
        _o("line-regexp", "x"),
        _o("count", "c"),
        _o("color", None, "optional"),
        _o("colour", None, "optional"),
        _o("max-count", "m", "required"),
        _o("only-matching", "o"),
        _o("quiet", "q"),
        _o("silent"),
        _o("no-messages", "s"),
        _o("byte-offset", "b"),
        _o("line-number", "n"),
        _o("line-buffered"),
        _o("with-filename", "H"),
        _o("no-filename", "h"),
        _o("label", None, "required"),
        _o("initial-tab", "T"),
        _o("null-data", "z"),
        _o("text", "a"),
        _o("after-context", "A", "required"),
        _o("before-context", "B", "required"),
        _o("context", "C", "required"),
        _o("group-separator", None, "required"),
        _o("no-group-separator"),
    ),
    refused={
        "file": _READS_FILES,
        "f": _READS_FILES,
        "recursive": _READS_FILES,
        "r": _READS_FILES,
        "dereference-recursive": _READS_FILES,
        "R": _READS_FILES,
        "directories": _READS_FILES,
        "d": _READS_FILES,
        "devices": _READS_FILES,
        "D": _READS_FILES,
        "include": _READS_FILES,
        "exclude": _READS_FILES,
        "exclude-from": _READS_FILES,
        "exclude-dir": _READS_FILES,
        "files-with-matches": _READS_FILES,
        "l": _READS_FILES,
        "files-without-match": _READS_FILES,
        "L": _READS_FILES,
    },
    max_operands=1,
    operand_help="it takes one pattern (or -e PATTERN); file operands are not allowed",
)

_COUNT_OPTIONS = (
    _o("lines", "n", "required"),
    _o("bytes", "c", "required"),
    _o("quiet", "q"),
    _o("silent"),
    _o("verbose", "v"),
    _o("zero-terminated", "z"),
)

_HEAD = Utility("head", _COUNT_OPTIONS, obsolete_count=True)
_TAIL = Utility(
    "tail",
    _COUNT_OPTIONS,
    refused={
        "follow": "it waits for more input forever; use `kubectl logs -f` with a timeout",
        "f": "it waits for more input forever; use `kubectl logs -f` with a timeout",
        "F": _READS_FILES,
        "retry": _READS_FILES,
        "pid": "it watches other processes",
        "sleep-interval": "it only matters with --follow",
        "s": "it only matters with --follow",
    },
    obsolete_count=True,
)
_SORT = Utility(
    "sort",
    (
        _o("ignore-leading-blanks", "b"),
        _o("dictionary-order", "d"),
        _o("ignore-case", "f"),
        _o("general-numeric-sort", "g"),
        _o("ignore-nonprinting", "i"),
        _o("month-sort", "M"),
        _o("human-numeric-sort", "h"),
        _o("numeric-sort", "n"),
        _o("random-sort", "R"),
        _o("reverse", "r"),
        _o("sort", None, "required"),
        _o("version-sort", "V"),
        # GNU sort's -c takes no argument (`-cr` is -c -r); only --check has an optional one.
        _o("check", None, "optional"),
        _o(None, "c"),
        _o(None, "C"),
        _o("key", "k", "required"),
        _o("field-separator", "t", "required"),
        _o("unique", "u"),
        _o("stable", "s"),
        _o("zero-terminated", "z"),
        _o("buffer-size", "S", "required"),
        _o("parallel", None, "required"),
    ),
    refused={
        "output": _WRITES_FILES,
        "o": _WRITES_FILES,
        "temporary-directory": _WRITES_FILES,
        "T": _WRITES_FILES,
        "compress-program": _RUNS_PROGRAMS,
        "files0-from": _READS_FILES,
        "random-source": _READS_FILES,
        "merge": _READS_FILES,
        "m": _READS_FILES,
    },
)
_UNIQ = Utility(
    "uniq",
    (
        _o("count", "c"),
        _o("repeated", "d"),
        _o(None, "D"),
        _o("all-repeated", None, "optional"),
        _o("skip-fields", "f", "required"),
        _o("group", None, "optional"),
        _o("ignore-case", "i"),
        _o("skip-chars", "s", "required"),
        _o("unique", "u"),
        _o("zero-terminated", "z"),
        _o("check-chars", "w", "required"),
    ),
    operand_help="`uniq IN OUT` reads and writes files; it reads standard input only here",
)
_WC = Utility(
    "wc",
    (
        _o("bytes", "c"),
        _o("chars", "m"),
        _o("lines", "l"),
        _o("max-line-length", "L"),
        _o("words", "w"),
    ),
    refused={"files0-from": _READS_FILES},
)
_CUT = Utility(
    "cut",
    (
        _o("bytes", "b", "required"),
        _o("characters", "c", "required"),
        _o("delimiter", "d", "required"),
        _o("fields", "f", "required"),
        _o(None, "n"),
        _o("complement"),
        _o("only-delimited", "s"),
        _o("output-delimiter", None, "required"),
        _o("zero-terminated", "z"),
    ),
)
_TR = Utility(
    "tr",
    (
        _o("complement", "c"),
        _o(None, "C"),
        _o("delete", "d"),
        _o("squeeze-repeats", "s"),
        _o("truncate-set1", "t"),
    ),
    max_operands=2,
    operand_help="it takes one or two character sets",
)
_COLUMN = Utility(
    "column",
    (
        _o("table", "t"),
        _o("separator", "s", "required"),
        _o("output-separator", "o", "required"),
        _o("table-columns", "N", "required"),
        _o("table-columns-limit", "l", "required"),
        _o("table-right", "R", "required"),
        _o("table-truncate", "T", "required"),
        _o("table-noextreme", "E", "required"),
        _o("table-wrap", "W", "required"),
        _o("table-hide", "H", "required"),
        _o("table-noheadings", "d"),
        _o("table-name", "n", "required"),
        _o("json", "J"),
        _o("output-width", "c", "required"),
        _o("fillrows", "x"),
        _o("keep-empty-lines", "L"),
    ),
)
_BASE64 = Utility(
    "base64",
    (_o("decode", "d"), _o("ignore-garbage", "i"), _o("wrap", "w", "required")),
)
_SED = Utility(
    "sed",
    (
        _o("quiet", "n"),
        _o("silent"),
        _o("regexp-extended", "E"),
        _o(None, "r"),
        _o("expression", "e", "required"),
        _o("null-data", "z"),
        _o("posix"),
        _o("unbuffered", "u"),
        _o("line-length", "l", "required"),
        _o("debug"),
        # Always added (see `fixed`); accepted so that a normalized stage parses again.
        _o("sandbox"),
    ),
    refused={
        "in-place": _WRITES_FILES,
        "i": _WRITES_FILES,
        "file": _READS_FILES,
        "f": _READS_FILES,
        "separate": _READS_FILES,
        "s": _READS_FILES,
        "follow-symlinks": _READS_FILES,
    },
    max_operands=1,
    operand_help="it takes one script (or -e SCRIPT); file operands are not allowed",
    # GNU sed's sandbox refuses the e, r, R, w and W commands and s///e, s///w: the script can
    # then neither run programs nor touch files, whatever it says.
    fixed=("--sandbox",),
)

# jq is not getopt-based; its options are listed here and parsed by `_parse_jq`.
_JQ_FLAGS = {
    "r": "raw-output",
    "j": "join-output",
    "a": "ascii-output",
    "c": "compact-output",
    "s": "slurp",
    "n": "null-input",
    "e": "exit-status",
    "S": "sort-keys",
    "C": "color-output",
    "M": "monochrome-output",
    "R": "raw-input",
}
_JQ_LONG_SWITCHES = {*_JQ_FLAGS.values(), "tab", "seq", "stream", "unbuffered"}
_JQ_REFUSED = {
    "from-file": _READS_FILES,
    "f": _READS_FILES,
    "slurpfile": _READS_FILES,
    "rawfile": _READS_FILES,
    "argfile": _READS_FILES,
    "L": "it loads jq modules from local files",
    "args": "positional arguments are not supported; use --arg NAME VALUE",
    "jsonargs": "positional arguments are not supported; use --argjson NAME JSON",
    "run-tests": _READS_FILES,
}

UTILITIES: Mapping[str, Utility] = {
    u.name: u for u in (_GREP, _HEAD, _TAIL, _SORT, _UNIQ, _WC, _CUT, _TR, _COLUMN, _BASE64, _SED)
}
ALLOWED = tuple(sorted((*UTILITIES, "jq")))


def _refusal(util: str, shown: str, reason: str) -> Exception:
    return invalid(f"`{util} {shown}` is not allowed in a pipe: {reason}.")


def _unknown(util: Utility, shown: str) -> Exception:
    listed = ", ".join(
        f"--{o.long}" if o.long else f"-{o.short}" for o in util.options if o.long or o.short
    )
    return invalid(f"`{util.name} {shown}` is not an allowed option; allowed: {listed}.")


def _render(opt: Option, value: str | None) -> str:
    if opt.long is not None:
        return f"--{opt.long}" if value is None else f"--{opt.long}={value}"
    return f"-{opt.short}" if value is None else f"-{opt.short}{value}"


def _parse_getopt(util: Utility, words: Sequence[str]) -> Stage:
    """GNU getopt_long with argument permutation. Long options must be spelled in full (GNU
    would accept unique prefixes; refusing them keeps the check and the program in step)."""
    rendered: list[str] = list(util.fixed)
    operands: list[str] = []
    rest = list(words)
    first = True
    while rest:
        word = rest.pop(0)
        if (
            util.obsolete_count
            and first
            and len(word) > 1
            and word[0] == "-"
            and word[1:].isdigit()
        ):
            rendered.append(f"--lines={word[1:]}")
        elif word == "--":
            operands += rest
            break
        elif word.startswith("--"):
            name, eq, value = word[2:].partition("=")
            if name in util.refused:
                raise _refusal(util.name, f"--{name}", util.refused[name])
            opt = util.by_long(name)
            if opt is None:
                raise _unknown(util, f"--{name}")
            if opt.arg == "none":
                if eq:
                    raise invalid(f"`{util.name} --{name}` takes no value.")
                if _render(opt, None) not in util.fixed:
                    rendered.append(_render(opt, None))
            elif opt.arg == "optional":
                rendered.append(_render(opt, value if eq else None))
            elif eq:
                rendered.append(_render(opt, value))
            elif rest:
                rendered.append(_render(opt, rest.pop(0)))
            else:
                raise invalid(f"`{util.name} --{name}` needs a value.")
        elif word.startswith("-") and len(word) > 1:
            chars = word[1:]
            while chars:
                char, chars = chars[0], chars[1:]
                if char in util.refused:
                    raise _refusal(util.name, f"-{char}", util.refused[char])
                opt = util.by_short(char)
                if opt is None:
                    raise _unknown(util, f"-{char}")
                if opt.arg == "none":
                    rendered.append(_render(opt, None))
                    continue
                if chars:
                    rendered.append(_render(opt, chars))
                elif opt.arg == "required" and rest:
                    rendered.append(_render(opt, rest.pop(0)))
                elif opt.arg == "required":
                    raise invalid(f"`{util.name} -{char}` needs a value.")
                else:
                    rendered.append(_render(opt, None))
                break
        else:
            operands.append(word)
        first = False
    return Stage(util.name, (util.name, *_operands(util, rendered, operands)))


def _operands(util: Utility, rendered: list[str], operands: list[str]) -> list[str]:
    if util.name in ("grep", "sed"):
        # The pattern (or script) is an operand only when no -e was given; otherwise every
        # operand would be a file to read.
        flag = "--regexp=" if util.name == "grep" else "--expression="
        has_expression = any(w.startswith(flag) for w in rendered)
        if has_expression and operands:
            raise _refusal(util.name, operands[0], "with -e, every operand is a file to read")
        if not has_expression:
            if len(operands) != 1:
                raise invalid(f"`{util.name}` {util.operand_help}.")
            return [*rendered, flag + operands[0]]
        return rendered
    if len(operands) > util.max_operands:
        raise _refusal(util.name, operands[util.max_operands], util.operand_help)
    if util.name == "tr" and not operands:
        raise invalid("`tr` needs one or two character sets.")
    return [*rendered, "--", *operands] if operands else rendered


# `import "x" as $y;` and `include "x";` load jq modules and JSON data files from jq's library
# path or any `{search: "/dir"}`. The keyword is refused wherever it stands as a word: jq allows
# comments between it and the path (`import# x<newline>"..."`), and jq 1.7 lets a comment run on
# past a backslash-newline, so no pattern of what follows it is safe. (`.import` and `$import`
# are a field and a variable, and stay allowed.)
_JQ_MODULE = re.compile(r"(?<![\w$.])(import|include)(?!\w)")


def _parse_jq(words: Sequence[str]) -> Stage:
    """jq 1.6+ option parsing: short switches may be combined, --arg/--argjson take two words,
    --indent one; the first operand is the program and any further operand would be a file."""
    rendered: list[str] = []
    program: str | None = None
    rest = list(words)
    while rest:
        word = rest.pop(0)
        if word.startswith("--"):
            name = word[2:]
            if name in _JQ_REFUSED:
                raise _refusal("jq", word, _JQ_REFUSED[name])
            if name in _JQ_LONG_SWITCHES:
                rendered.append(word)
            elif name in ("arg", "argjson"):
                if len(rest) < 2:
                    raise invalid(f"`jq {word}` needs a NAME and a VALUE.")
                rendered += [word, rest.pop(0), rest.pop(0)]
            elif name == "indent":
                if not rest:
                    raise invalid("`jq --indent` needs a number.")
                rendered += [word, rest.pop(0)]
            else:
                raise invalid(
                    f"`jq {word}` is not an allowed option; allowed: "
                    + ", ".join(f"--{n}" for n in sorted(_JQ_LONG_SWITCHES))
                    + ", --arg, --argjson, --indent."
                )
        elif word.startswith("-") and len(word) > 1:
            for char in word[1:]:
                if char in _JQ_REFUSED:
                    raise _refusal("jq", f"-{char}", _JQ_REFUSED[char])
                if char not in _JQ_FLAGS:
                    raise invalid(
                        f"`jq -{char}` is not an allowed option; allowed: -"
                        + " -".join(sorted(_JQ_FLAGS))
                        + "."
                    )
                rendered.append(f"--{_JQ_FLAGS[char]}")
        elif program is None:
            program = word
        else:
            raise _refusal("jq", word, "only one operand, the filter, is allowed; files are not")
    program = "." if program is None else program
    if _JQ_MODULE.search(program):
        raise _refusal(
            "jq",
            "import/include",
            'jq modules are loaded from local files (as text, write the word as "im" + "port")',
        )
    return Stage("jq", ("jq", *rendered, program))


_PARSERS: Mapping[str, Callable[[Sequence[str]], Stage]] = {
    "jq": _parse_jq,
    **{name: partial(_parse_getopt, util) for name, util in UTILITIES.items()},
}


def parse_stage(words: Sequence[str]) -> Stage:
    """Validate and normalize one pipe stage (words[0] is the program name)."""
    name = words[0]
    parser = _PARSERS.get(name)
    if parser is None:
        raise invalid(
            f"`{name}` cannot be used in a pipe; allowed: {', '.join(ALLOWED)}. "
            "Each filters text from standard input and cannot run programs or touch files."
        )
    stage = parser(words[1:])
    if stage.utility == "jq" and stage.argv[-1].startswith("-"):
        raise invalid("a jq filter cannot start with `-`; wrap it in parentheses.")
    return stage
