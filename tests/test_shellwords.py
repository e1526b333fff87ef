"""The one tokenizer: POSIX quoting, `|` between stages, every other piece of shell syntax refused.

The accept table pins the exact stages; the refuse table pins the error a model would read. The
properties check that normalizing (shlex.join) and re-splitting is stable, that nothing accepted
hides an unquoted shell operator (by an independent classifier), and that for accepted lines a
real POSIX shell (dash, run with an empty environment and only `printf`) sees the same words.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from typing import Any

import pytest
from fastmcp import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kube_ai_proxy.errors import CommandError
from kube_ai_proxy.parse.words import split_pipeline
from kube_ai_proxy.result import CommandResult

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ACCEPTED: list[tuple[str, list[list[str]]]] = [
    ("kubectl get pods", [["kubectl", "get", "pods"]]),
    ("  kubectl\tget   pods \t", [["kubectl", "get", "pods"]]),
    ("a 'b c' \"d e\"", [["a", "b c", "d e"]]),
    ("a 'b'\"c\"d", [["a", "bcd"]]),
    ("a '' \"\" b", [["a", "", "", "b"]]),
    ("a ''", [["a", ""]]),
    ("a''b", [["ab"]]),
    ("a \\ b", [["a", " b"]]),
    ("a b\\ c", [["a", "b c"]]),
    ("a \\'x\\'", [["a", "'x'"]]),
    ('a "\\"q\\""', [["a", '"q"']]),
    ("a 'it'\\''s'", [["a", "it's"]]),
    ('a "it\'s"', [["a", "it's"]]),
    # Inside single quotes a backslash is a backslash; inside double quotes it escapes only
    # $ ` " \ and newline, and is kept before anything else.
    ("a 'x\\'", [["a", "x\\"]]),
    ('a "\\x\\n\\t"', [["a", "\\x\\n\\t"]]),
    ('a "\\\\"', [["a", "\\"]]),
    ("a \\\\", [["a", "\\"]]),
    ("a \\x", [["a", "x"]]),
    ("a \"\\$HOME\" \\$HOME '$HOME'", [["a", "$HOME", "$HOME", "$HOME"]]),
    ('a "\\`id\\`"', [["a", "`id`"]]),
    # `|` separates stages only outside quotes and escapes.
    ("a 'x|y' \"p|q\" r\\|s | grep z", [["a", "x|y", "p|q", "r|s"], ["grep", "z"]]),
    ("a|b|c", [["a"], ["b"], ["c"]]),
    ("a |b", [["a"], ["b"]]),
    (
        'kubectl get pods -o json | jq -r \'.items[] | select(.status.phase != "Running") '
        "| .metadata.name'",
        [
            ["kubectl", "get", "pods", "-o", "json"],
            [
                "jq",
                "-r",
                '.items[] | select(.status.phase != "Running") | .metadata.name',
            ],
        ],
    ),
    ('jq "{name: .metadata.name}"', [["jq", "{name: .metadata.name}"]]),
    (
        "kubectl get pods -o jsonpath='{.items[*].metadata.name}'",
        [["kubectl", "get", "pods", "-o", "jsonpath={.items[*].metadata.name}"]],
    ),
    (
        "kubectl get pods -o jsonpath={.items[0].status.podIP}",
        [["kubectl", "get", "pods", "-o", "jsonpath={.items[0].status.podIP}"]],
    ),
    (
        'kubectl get pods -o jsonpath="{range .items[*]}{.metadata.name}{\\"\\n\\"}{end}"',
        [
            [
                "kubectl",
                "get",
                "pods",
                "-o",
                'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}',
            ]
        ],
    ),
    (
        "kubectl get pods -o custom-columns=NAME:.metadata.name,IP:.status.podIP",
        [["kubectl", "get", "pods", "-o", "custom-columns=NAME:.metadata.name,IP:.status.podIP"]],
    ),
    ("kubectl get pods -l 'app in (a, b)'", [["kubectl", "get", "pods", "-l", "app in (a, b)"]]),
    ("kubectl get pods --selector=app!=web", [["kubectl", "get", "pods", "--selector=app!=web"]]),
    # A `$` that starts no expansion is an ordinary character, as in sh.
    ("grep x$", [["grep", "x$"]]),
    ("a $ b", [["a", "$", "b"]]),
    ('grep "Running$"', [["grep", "Running$"]]),
    ('a "$"', [["a", "$"]]),
    ('a "$ x"', [["a", "$ x"]]),
    ("a \"$'x'\"", [["a", "$'x'"]]),
    ("a $% $/ $. $, $= $+", [["a", "$%", "$/", "$.", "$,", "$=", "$+"]]),
    # `#` starts a comment only at the start of a word.
    ("a b#c", [["a", "b#c"]]),
    ("a '#b' \"#c\" \\#d", [["a", "#b", "#c", "#d"]]),
    # Line breaks are data inside quotes; backslash-newline joins lines.
    ('a "x\ny"', [["a", "x\ny"]]),
    ("a 'x\ny'", [["a", "x\ny"]]),
    ("a \\\nb", [["a", "b"]]),
    ("a\\\nb", [["ab"]]),
    ('a "x\\\ny"', [["a", "xy"]]),
    # Globs, braces, tildes and history marks mean nothing without a shell.
    ("a ~ * ? [x] {y,z} !b =", [["a", "~", "*", "?", "[x]", "{y,z}", "!b", "="]]),
    ("kubectl get cm -l 'note=héllo ☃'", [["kubectl", "get", "cm", "-l", "note=héllo ☃"]]),
]


@pytest.mark.parametrize(("line", "stages"), ACCEPTED)
def test_accepts_with_exact_stages(line: str, stages: list[list[str]]) -> None:
    assert split_pipeline(line) == stages


REFUSED: list[tuple[str, str]] = [
    ("kubectl get pods; kubectl delete ns prod", "`;` (a command list)"),
    ("kubectl get pods;", "`;`"),
    ("a && b", "`&` (`&&` or a background job)"),
    ("a&&b", "`&`"),
    ("a || b", "`||`"),
    ("a||b", "`||`"),
    ("a |& b", "`|&`"),
    ("a &", "`&`"),
    ("a & b", "`&`"),
    ("a > f", "`>` (output redirection)"),
    ("a >f", "`>`"),
    ("a >> f", "`>`"),
    ("a 2>&1", "`>`"),
    ("a 2>/dev/null", "`>`"),
    ("a &> f", "`&`"),
    ("a < f", "`<` (input redirection)"),
    ("a <<EOF", "`<`"),
    ("a <(b)", "`<`"),
    ("a (b)", "`(` (a subshell)"),
    ("(a)", "`(`"),
    ("a )", "`)`"),
    ("a $(id)", "`$(` (a variable or command substitution)"),
    ('a "$(id)"', "`$(`"),
    # A backslash-newline between `$` and what follows is gone before the shell expands.
    ("a $\\\n(id)", "`$(`"),
    ('a "$\\\nHOME"', "`$H`"),
    ("a $\\\n\\\n'x'", "`$'...`"),
    ("a x$(id)y", "`$(`"),
    ("a $((1+1))", "`$(`"),
    ("a `id`", "a backtick (command substitution)"),
    ('a "`id`"', "a backtick"),
    ("a x`id`", "a backtick"),
    ("a $HOME", "`$H`"),
    ('a "$HOME"', "`$H`"),
    ('a "x$HOME"', "`$H`"),
    ("a ${HOME}", "`${`"),
    ('a "${HOME}"', "`${`"),
    ("a $1", "`$1`"),
    ("a $?", "`$?`"),
    ("a $$", "`$$`"),
    ("a $!", "`$!`"),
    ("a $#", "`$#`"),
    ("a $@", "`$@`"),
    ("a $*", "`$*`"),
    ("a $-", "`$-`"),
    ("a $_x", "`$_`"),
    ("a $'x'", "`$'...` quoting"),
    ('a $"x"', '`$"...` quoting'),
    ("a\nb", "A line break outside quotes"),
    ("a\n", "A line break outside quotes"),
    ("a\rb", "A line break outside quotes"),
    ("a # comment", "`#` at the start of a word (a comment)"),
    ("#a", "`#`"),
    ("a 'x", "Unterminated single quote"),
    ('a "x', "Unterminated double quote"),
    ('a "x\\"', "Unterminated double quote"),
    ("a \\", "A trailing backslash escapes nothing"),
    ("", "The command is empty"),
    ("   ", "The command is empty"),
    ("\t", "The command is empty"),
    ("a |", "Empty pipeline stage"),
    ("a | ", "Empty pipeline stage"),
    ("| a", "Empty pipeline stage"),
    ("|", "Empty pipeline stage"),
    ("a | | b", "Empty pipeline stage"),
    ("a\x00b", "A NUL character cannot be passed to a program"),
]


@pytest.mark.parametrize(("line", "fragment"), REFUSED)
def test_refuses_shell_syntax_with_a_reason(line: str, fragment: str) -> None:
    with pytest.raises(CommandError) as caught:
        split_pipeline(line)
    assert caught.value.code == "invalid_command"
    assert fragment in caught.value.message


async def test_a_nul_byte_is_a_refusal_not_a_crash(client: Client[Any]) -> None:
    # Before it was refused here, exec raised ValueError and the call ended without a result.
    raw = await client.call_tool(
        "execute_kubectl", {"command": "kubectl get pods a\x00b"}, raise_on_error=False
    )
    assert raw.is_error
    result = CommandResult.model_validate(raw.structured_content)
    assert result.error is not None and result.error.code == "invalid_command"
    assert "A NUL character cannot be passed to a program" in result.error.message


def test_operator_refusals_say_there_is_no_shell() -> None:
    with pytest.raises(CommandError) as caught:
        split_pipeline("kubectl get pods && kubectl delete pods --all")
    assert caught.value.message == (
        "`&` (`&&` or a background job) is shell syntax, and commands run without a shell: "
        "run one command per call."
    )


# --- properties -------------------------------------------------------------------------------

# Any text a word may hold: everything but NUL, which no program can receive.
WORD = st.text(st.characters(exclude_characters="\x00"), max_size=12)
STAGES = st.lists(st.lists(WORD, min_size=1, max_size=5), min_size=1, max_size=4)


def join(stages: list[list[str]]) -> str:
    return " | ".join(shlex.join(stage) for stage in stages)


def split_or_error(line: str) -> list[list[str]] | CommandError:
    try:
        return split_pipeline(line)
    except CommandError as exc:
        return exc


@FAST
@given(STAGES)
@example([[""]])
@example([["a|b", "c;d", "$(id)", "`id`", "'", '"', "\\", "\n", "#x", "&", "${X}"]])
def test_normalized_stages_split_back_to_themselves(stages: list[list[str]]) -> None:
    assert split_pipeline(join(stages)) == stages


METACHARS = ";&|<>()$`'\"\\\n #\t"
RISKY_LINES = st.text(st.sampled_from([*METACHARS, "a", "b", "{", "}"]), max_size=20)
ANY_LINES = st.text(st.characters(exclude_characters="\x00"), max_size=30)


@FAST
@given(st.one_of(RISKY_LINES, ANY_LINES))
def test_accepted_lines_survive_normalization(line: str) -> None:
    stages = split_or_error(line)
    if isinstance(stages, CommandError):
        assert stages.code == "invalid_command"
        return
    assert all(stage for stage in stages)
    assert split_pipeline(join(stages)) == stages


# An independent classifier: cut the line into sh's quoting units with one regular expression
# (a single-quoted run, a double-quoted run, an escaped character, or one bare character) and
# report every bare character, or expansion inside double quotes, that a shell would act on.
_UNITS = re.compile(r"'[^']*'?|\"(?:[^\"\\]|\\[\s\S])*\"?|\\[\s\S]?|[\s\S]")
_EXPANSION = re.compile(r"\$[({A-Za-z0-9_?$!#@*-]|`")


def shell_operators(line: str) -> list[str]:
    found: list[str] = []
    at_word_start = True
    units = _UNITS.findall(line)
    for i, unit in enumerate(units):
        nxt = units[i + 1] if i + 1 < len(units) else ""
        if unit.startswith('"'):
            body = re.sub(r"\\[\s\S]", "", unit)  # escaped characters are data
            found += _EXPANSION.findall(body)
        elif len(unit) == 1:
            if unit in ";&<>()`\n\r":
                found.append(unit)
            elif unit == "|" and nxt in ("|", "&"):
                found.append(unit + nxt)
            elif unit == "#" and at_word_start:
                found.append(unit)
            elif unit == "$" and (_EXPANSION.match(unit + nxt[:1]) or nxt[:1] in ("'", '"')):
                found.append(unit + nxt[:1])
        at_word_start = unit in (" ", "\t", "|")
    return found


@pytest.mark.parametrize(
    ("line", "operators"),
    [
        ("a 'b;c' \"d;e\" f\\;g", []),
        ("a;b", [";"]),
        ('a "$(x)" `y`', ["$(", "`", "`"]),
        ("a b#c #d", ["#"]),
        ("a || b |& c | d", ["||", "|&", "&"]),
        ("a $'x' \"$'x'\"", ["$'"]),
    ],
)
def test_the_reference_classifier_itself(line: str, operators: list[str]) -> None:
    assert shell_operators(line) == operators


@FAST
@given(RISKY_LINES)
@example("a '|' b")
@example('a "x$" b')
def test_no_accepted_line_hides_a_shell_operator(line: str) -> None:
    if not isinstance(split_or_error(line), CommandError):
        assert shell_operators(line) == []


# Lines built from quoting units, so that most of them are accepted: the words a real POSIX shell
# makes of them must be the words split_pipeline makes. dash runs with an empty environment and
# noglob, and only its `printf` builtin is reachable.
SAFE_TEXT = st.text(st.sampled_from("ab-=.,:/{}[]*?!%+@ \t\n$\\#"), max_size=6)
UNIT = st.one_of(
    st.text(st.sampled_from("ab-=.,:/{}[]*?!%+@"), min_size=1, max_size=4),
    SAFE_TEXT.filter(lambda s: "'" not in s).map(lambda s: f"'{s}'"),
    SAFE_TEXT.map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.sampled_from(["\\ ", "\\$", "\\'", '\\"', "\\\\", "\\|", "\\\n", '"\\x"', '"$"', '"a$"']),
    st.sampled_from([" ", "\t", "$", "#", "$(", "`", ";", "&", "'", '"']),
)
SHELL_LINES = st.lists(UNIT, min_size=1, max_size=8).map("".join)


def dash_words(line: str) -> list[str]:
    done = subprocess.run(
        ["/bin/sh", "-c", "set -f; printf '%s\\0' " + line],
        env={},
        capture_output=True,
        check=False,
        timeout=10,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.decode().split("\0")[:-1]


def test_dash_is_a_posix_shell_here() -> None:
    assert subprocess.run(["/bin/sh", "-c", "echo ok"], capture_output=True).stdout == b"ok\n", (
        "the oracle needs /bin/sh: apt-get install dash"
    )
    assert dash_words("a 'b c' \"d\\$\" e\\ f") == ["a", "b c", "d$", "e f"]


@FAST
@given(SHELL_LINES)
@example('grep "Running$"')
@example("a \\\nb 'c\nd'")
@example("$\\\n?")  # the shell joins the lines first: `$?`
def test_accepted_lines_split_as_a_posix_shell_splits_them(line: str) -> None:
    stages = split_or_error(line)
    # Only single stages: for more the shell would run a pipeline (splitting is covered above).
    if not isinstance(stages, CommandError) and len(stages) == 1:
        assert dash_words(line) == stages[0]
