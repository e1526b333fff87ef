"""Split a command line into pipeline stages with POSIX shell quoting, without a shell.

This is the only tokenizer in the server: the validator and the executor both read the stages it
returns (DESIGN invariant 2). Quotes and backslashes work as in `sh`; an unquoted `|` separates
stages; every other piece of shell syntax (lists, redirections, substitutions, variables,
comments, background jobs) is refused rather than passed through, because nothing would
interpret it and the caller almost certainly expected a shell to.
"""

from __future__ import annotations

from typing import NoReturn

from kube_ai_proxy.errors import invalid

_REFUSED_OPERATORS = {
    ";": ("`;` (a command list)", "run one command per call"),
    "&": ("`&` (`&&` or a background job)", "run one command per call"),
    "<": ("`<` (input redirection)", "pass input in the `stdin` argument instead"),
    ">": ("`>` (output redirection)", "nothing is ever written to local files"),
    "(": ("`(` (a subshell)", "run one command per call"),
    ")": ("`)` (a subshell)", "run one command per call"),
    "`": ("a backtick (command substitution)", "write the value itself"),
}

# Characters that start a parameter expansion after `$` in sh.
_PARAMETER_START = frozenset("({_?$!#@*-0123456789") | frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

# Inside double quotes a backslash only escapes these; elsewhere it is kept literally.
_DQUOTE_ESCAPABLE = frozenset('$`"\\\n')


def _refuse(what: str, hint: str) -> NoReturn:
    raise invalid(f"{what} is shell syntax, and commands run without a shell: {hint}.")


def _check_dollar(line: str, i: int, *, in_double_quotes: bool = False) -> None:
    # The shell removes a backslash-newline before it reads `$`: `$\<newline>?` is `$?`.
    j = i + 1
    while line.startswith("\\\n", j):
        j += 2
    nxt = line[j] if j < len(line) else ""
    if nxt in _PARAMETER_START:
        _refuse(
            f"`${nxt}` (a variable or command substitution)",
            "write the value itself, or put it in single quotes if it is literal text",
        )
    # Outside quotes bash reads `$'...'` and `$"..."` as ANSI-C and locale quoting. Inside
    # double quotes `$"` and `$'` are a literal `$`, as in `grep "Running$"`, which sh passes on.
    if nxt in ("'", '"') and not in_double_quotes:
        _refuse(f"`${nxt}...` quoting", "use plain single or double quotes")


def split_pipeline(line: str) -> list[list[str]]:
    """Return the stages of `line`, each a list of words with quotes removed."""
    if "\0" in line:
        # No program can receive a NUL in its arguments: exec would fail after validation.
        raise invalid("A NUL character cannot be passed to a program: remove it.")
    stages: list[list[str]] = []
    words: list[str] = []
    word: list[str] | None = None  # None: between words, so '' still makes an empty word
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c in " \t":
            if word is not None:
                words.append("".join(word))
                word = None
            i += 1
        elif c in "\n\r":
            _refuse("A line break outside quotes", "run one command per call")
        elif c == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise invalid("Unterminated single quote: close it with '.")
            word = word if word is not None else []
            word.append(line[i + 1 : end])
            i = end + 1
        elif c == '"':
            word = word if word is not None else []
            i += 1
            while True:
                if i >= n:
                    raise invalid('Unterminated double quote: close it with ".')
                d = line[i]
                if d == '"':
                    i += 1
                    break
                if d == "\\" and i + 1 < n and line[i + 1] in _DQUOTE_ESCAPABLE:
                    if line[i + 1] != "\n":  # backslash-newline is a line continuation
                        word.append(line[i + 1])
                    i += 2
                    continue
                if d == "`":
                    _refuse(*_REFUSED_OPERATORS["`"])
                if d == "$":
                    _check_dollar(line, i, in_double_quotes=True)
                word.append(d)
                i += 1
        elif c == "\\":
            if i + 1 >= n:
                raise invalid("A trailing backslash escapes nothing: remove it.")
            if line[i + 1] != "\n":  # backslash-newline is a line continuation
                word = word if word is not None else []
                word.append(line[i + 1])
            i += 2
        elif c == "|":
            if line.startswith("||", i):
                _refuse("`||`", "run one command per call")
            if line.startswith("|&", i):
                _refuse("`|&`", "only stdout flows through a pipe")
            if word is not None:
                words.append("".join(word))
                word = None
            if not words:
                raise invalid("Empty pipeline stage: every `|` needs a command on both sides.")
            stages.append(words)
            words = []
            i += 1
        elif c in _REFUSED_OPERATORS:
            _refuse(*_REFUSED_OPERATORS[c])
        elif c == "$":
            _check_dollar(line, i)
            word = word if word is not None else []
            word.append(c)
            i += 1
        elif c == "#" and word is None:
            _refuse("`#` at the start of a word (a comment)", "quote it if it is data")
        else:
            word = word if word is not None else []
            word.append(c)
            i += 1
    if word is not None:
        words.append("".join(word))
    if not words:
        if stages:
            raise invalid("Empty pipeline stage: every `|` needs a command on both sides.")
        raise invalid("The command is empty.")
    stages.append(words)
    return stages
