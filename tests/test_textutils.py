"""Pipe stages: which text utilities and options are allowed, the normalized argv that runs, and
proof with the real GNU tools and jq on this machine that the normalized forms work and that
sed's sandbox stops what the parser lets through."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kube_ai_proxy.cli_run import install_hint
from kube_ai_proxy.errors import CommandError
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.plan import plan
from kube_ai_proxy.parse.stages import Stage, parse_stage
from kube_ai_proxy.parse.words import split_pipeline

ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}


def stage(line: str) -> Stage:
    (words,) = split_pipeline(line)
    return parse_stage(words)


def run(argv: tuple[str, ...], text: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    program = shutil.which(argv[0], path=ENV["PATH"])
    assert program is not None, f"{argv[0]} is missing: {install_hint(argv[0])}"
    return subprocess.run(
        argv, input=text, capture_output=True, text=True, env=ENV, cwd=cwd, timeout=10, check=False
    )


ACCEPTED: list[tuple[str, tuple[str, ...]]] = [
    ("grep web", ("grep", "--regexp=web")),
    ("grep -e web", ("grep", "--regexp=web")),
    ("grep -eweb", ("grep", "--regexp=web")),
    ("grep --regexp web", ("grep", "--regexp=web")),
    ("grep -e a -e b", ("grep", "--regexp=a", "--regexp=b")),
    ("grep -ivn web", ("grep", "--ignore-case", "--invert-match", "--line-number", "--regexp=web")),
    ("grep web -i", ("grep", "--ignore-case", "--regexp=web")),
    ("grep -E 'a|b'", ("grep", "--extended-regexp", "--regexp=a|b")),
    ("grep -- -v", ("grep", "--regexp=-v")),
    ("grep -A2 -B 1 x", ("grep", "--after-context=2", "--before-context=1", "--regexp=x")),
    ("grep -m1 -c x", ("grep", "--max-count=1", "--count", "--regexp=x")),
    ("grep --color=never x", ("grep", "--color=never", "--regexp=x")),
    ("head", ("head",)),
    ("head -20", ("head", "--lines=20")),
    ("head -n 5", ("head", "--lines=5")),
    ("head -n5", ("head", "--lines=5")),
    ("head --lines=5", ("head", "--lines=5")),
    ("head -n -5", ("head", "--lines=-5")),
    ("head -c 100", ("head", "--bytes=100")),
    ("tail -20", ("tail", "--lines=20")),
    ("tail -n +2", ("tail", "--lines=+2")),
    ("tail -qn1", ("tail", "--quiet", "--lines=1")),
    ("sort", ("sort",)),
    ("sort -k2,2n -t:", ("sort", "--key=2,2n", "--field-separator=:")),
    ("sort -rn", ("sort", "--reverse", "--numeric-sort")),
    ("sort -uh", ("sort", "--unique", "--human-numeric-sort")),
    # GNU sort's -c takes no argument: -cr is -c -r
    ("sort -cr", ("sort", "-c", "--reverse")),
    ("sort --check=quiet", ("sort", "--check=quiet")),
    ("sort -S 1M --parallel=2", ("sort", "--buffer-size=1M", "--parallel=2")),
    ("uniq -c", ("uniq", "--count")),
    ("uniq -f1 -s2 -w3", ("uniq", "--skip-fields=1", "--skip-chars=2", "--check-chars=3")),
    ("uniq --all-repeated=separate", ("uniq", "--all-repeated=separate")),
    ("wc -l", ("wc", "--lines")),
    ("wc -lwc", ("wc", "--lines", "--words", "--bytes")),
    ("cut -d: -f1,3", ("cut", "--delimiter=:", "--fields=1,3")),
    ("cut -c1-5", ("cut", "--characters=1-5")),
    ("cut --complement -f2", ("cut", "--complement", "--fields=2")),
    ("tr a-z A-Z", ("tr", "--", "a-z", "A-Z")),
    ("tr -d '\\r'", ("tr", "--delete", "--", "\\r")),
    ("tr -s ' '", ("tr", "--squeeze-repeats", "--", " ")),
    ("tr -- -x y", ("tr", "--", "-x", "y")),
    ("column -t", ("column", "--table")),
    ("column -ts,", ("column", "--table", "--separator=,")),
    ("column -J -N a,b", ("column", "--json", "--table-columns=a,b")),
    ("base64 -d", ("base64", "--decode")),
    ("base64 -w0", ("base64", "--wrap=0")),
    ("sed s/a/b/", ("sed", "--sandbox", "--expression=s/a/b/")),
    ("sed -n '/x/p'", ("sed", "--sandbox", "--quiet", "--expression=/x/p")),
    ("sed -e s/a/b/ -e s/c/d/", ("sed", "--sandbox", "--expression=s/a/b/", "--expression=s/c/d/")),
    ("sed -r s/a/b/", ("sed", "--sandbox", "-r", "--expression=s/a/b/")),
    ("sed --sandbox s/a/b/", ("sed", "--sandbox", "--expression=s/a/b/")),
    ("jq", ("jq", ".")),
    ("jq .", ("jq", ".")),
    ("jq -r .a", ("jq", "--raw-output", ".a")),
    ("jq .a -rc", ("jq", "--raw-output", "--compact-output", ".a")),
    (
        "jq --arg n web '.[] | select(.name == $n)'",
        ("jq", "--arg", "n", "web", ".[] | select(.name == $n)"),
    ),
    ("jq --argjson n 1 --indent 4 .", ("jq", "--argjson", "n", "1", "--indent", "4", ".")),
    ("jq --tab -S -e .", ("jq", "--tab", "--sort-keys", "--exit-status", ".")),
    ("jq -n '[inputs]'", ("jq", "--null-input", "[inputs]")),
    ("jq '(-1)'", ("jq", "(-1)")),
    # a field and a variable named like the module keywords
    ("jq '.import, .include'", ("jq", ".import, .include")),
]


@pytest.mark.parametrize(("line", "argv"), ACCEPTED)
def test_accepted_stage_is_normalized(line: str, argv: tuple[str, ...]) -> None:
    result = stage(line)
    assert result.argv == argv
    assert result.utility == argv[0]
    # The normalized stage is itself accepted, unchanged.
    assert parse_stage(result.argv) == result


REFUSED: list[tuple[str, str]] = [
    ("xargs kubectl delete pod", "`xargs` cannot be used in a pipe"),
    ("sh -c id", "`sh` cannot be used in a pipe"),
    ("bash", "`bash` cannot be used in a pipe"),
    ("awk '{print}'", "`awk` cannot be used in a pipe"),
    ("find .", "`find` cannot be used in a pipe"),
    ("tee out", "`tee` cannot be used in a pipe"),
    ("curl http://x", "`curl` cannot be used in a pipe"),
    ("python -c 1", "`python` cannot be used in a pipe"),
    ("env", "`env` cannot be used in a pipe"),
    ("/usr/bin/grep x", "`/usr/bin/grep` cannot be used in a pipe"),
    ("kubectl delete pods --all", "`kubectl` cannot be used in a pipe"),
    ("helm uninstall web", "`helm` cannot be used in a pipe"),
    ("sed -i s/a/b/", "`sed -i` is not allowed in a pipe: it writes local files"),
    ("sed --in-place=.bak s/a/b/", "`sed --in-place` is not allowed in a pipe: it writes"),
    ("sed -ni p", "`sed -i` is not allowed in a pipe: it writes local files"),
    ("sed -f script", "`sed -f` is not allowed in a pipe: it reads local files"),
    ("sed s/a/b/ file", "file operands are not allowed"),
    ("sed -e p file", "`sed file` is not allowed in a pipe: with -e, every operand is a file"),
    ("sort -o out", "`sort -o` is not allowed in a pipe: it writes local files"),
    ("sort -oout", "`sort -o` is not allowed in a pipe: it writes local files"),
    ("sort -ro out", "`sort -o` is not allowed in a pipe: it writes local files"),
    ("sort --output=out", "`sort --output` is not allowed in a pipe: it writes local files"),
    ("sort -T /tmp", "`sort -T` is not allowed in a pipe: it writes local files"),
    ("sort --compress-program=gzip", "`sort --compress-program` is not allowed in a pipe: it runs"),
    ("sort --files0-from=list", "`sort --files0-from` is not allowed in a pipe: it reads"),
    ("sort -m", "`sort -m` is not allowed in a pipe: it reads local files"),
    ("sort --random-source=/dev/urandom", "`sort --random-source` is not allowed"),
    ("sort file", "`sort file` is not allowed in a pipe: it reads standard input only"),
    ("uniq in out", "`uniq in` is not allowed in a pipe: `uniq IN OUT` reads and writes files"),
    ("uniq in", "`uniq IN OUT` reads and writes files"),
    ("grep -f patterns", "`grep -f` is not allowed in a pipe: it reads local files"),
    ("grep --file=patterns", "`grep --file` is not allowed in a pipe: it reads local files"),
    ("grep -r x .", "`grep -r` is not allowed in a pipe: it reads local files"),
    ("grep -iR x", "`grep -R` is not allowed in a pipe: it reads local files"),
    ("grep -d recurse x", "`grep -d` is not allowed in a pipe: it reads local files"),
    ("grep --include=*.yaml x", "`grep --include` is not allowed in a pipe"),
    ("grep -l x", "`grep -l` is not allowed in a pipe"),
    ("grep -e x FILE", "`grep FILE` is not allowed in a pipe: with -e, every operand is a file"),
    ("grep x FILE", "`grep` it takes one pattern (or -e PATTERN); file operands are not allowed"),
    ("grep", "`grep` it takes one pattern"),
    ("grep --reg=x", "`grep --reg` is not an allowed option; allowed: --extended-regexp"),
    ("grep --help", "`grep --help` is not an allowed option"),
    ("jq -f prog", "`jq -f` is not allowed in a pipe: it reads local files"),
    ("jq -rf prog", "`jq -f` is not allowed in a pipe: it reads local files"),
    ("jq --from-file prog", "`jq --from-file` is not allowed in a pipe: it reads local files"),
    ("jq --slurpfile a f .", "`jq --slurpfile` is not allowed in a pipe: it reads local files"),
    ("jq --rawfile a f .", "`jq --rawfile` is not allowed in a pipe: it reads local files"),
    ("jq --argfile a f .", "`jq --argfile` is not allowed in a pipe: it reads local files"),
    ("jq -L /tmp .", "`jq -L` is not allowed in a pipe: it loads jq modules from local files"),
    ("jq -L/tmp .", "`jq -L` is not allowed in a pipe"),
    ("jq --library-path /tmp .", "`jq --library-path` is not an allowed option"),
    ("jq . file.json", "`jq file.json` is not allowed in a pipe: only one operand, the filter"),
    ("jq --args . a", "`jq --args` is not allowed in a pipe: positional arguments"),
    ("jq --jsonargs . 1", "`jq --jsonargs` is not allowed in a pipe"),
    ("jq --run-tests t", "`jq --run-tests` is not allowed in a pipe: it reads local files"),
    ("jq --arg x", "`jq --arg` needs a NAME and a VALUE"),
    ("jq -1", "`jq -1` is not an allowed option"),
    ("jq -- -1", "`jq --` is not an allowed option"),
    ("jq 'import \"a\" as a; .'", "`jq import/include` is not allowed in a pipe: jq modules"),
    ("jq 'import \"a\" as $a; $a'", "`jq import/include` is not allowed"),
    ("jq 'include \"a\"; .'", "`jq import/include` is not allowed"),
    ("jq 'import\"a\" as $a; $a'", "`jq import/include` is not allowed"),
    # jq lets a comment stand between the keyword and the path
    ("jq 'import # x\n\"a\" as $a; $a'", "`jq import/include` is not allowed"),
    ("jq 'include#\n\"a\"; .'", "`jq import/include` is not allowed"),
    ("jq '#c\nimport \"a\" as $a; $a'", "`jq import/include` is not allowed"),
    ("tail -f", "`tail -f` is not allowed in a pipe: it waits for more input forever"),
    ("tail -n5 -f", "`tail -f` is not allowed in a pipe"),
    ("tail -fn5", "`tail -f` is not allowed in a pipe"),
    ("tail --follow=name", "`tail --follow` is not allowed in a pipe"),
    ("tail -F", "`tail -F` is not allowed in a pipe: it reads local files"),
    ("tail -s 1", "`tail -s` is not allowed in a pipe: it only matters with --follow"),
    ("tail --pid=1", "`tail --pid` is not allowed in a pipe: it watches other processes"),
    ("tail --retry", "`tail --retry` is not allowed in a pipe"),
    # the obsolete -NUM form only as the first word, as GNU head and tail read it
    ("head -n5 -20", "`head -2` is not an allowed option"),
    ("tail -20f", "`tail -2` is not an allowed option"),
    ("head --lines", "`head --lines` needs a value"),
    ("head -n", "`head -n` needs a value"),
    ("head --quiet=1", "`head --quiet` takes no value"),
    ("wc --files0-from=list", "`wc --files0-from` is not allowed in a pipe: it reads local files"),
    ("wc file", "`wc file` is not allowed in a pipe: it reads standard input only"),
    ("cut -f1 file", "`cut file` is not allowed in a pipe"),
    ("base64 file", "`base64 file` is not allowed in a pipe"),
    ("column -t file", "`column file` is not allowed in a pipe"),
    ("tr a b c", "`tr c` is not allowed in a pipe: it takes one or two character sets"),
    ("tr", "`tr` needs one or two character sets"),
]


@pytest.mark.parametrize(("line", "fragment"), REFUSED)
def test_refused_stage_says_why(line: str, fragment: str) -> None:
    with pytest.raises(CommandError) as caught:
        stage(line)
    assert caught.value.code == "invalid_command"
    assert fragment in caught.value.message


def test_refusal_message_in_full() -> None:
    with pytest.raises(CommandError) as caught:
        stage("sort -o /tmp/x")
    assert caught.value.message == "`sort -o` is not allowed in a pipe: it writes local files."
    with pytest.raises(CommandError) as caught:
        stage("xargs rm")
    assert caught.value.message == (
        "`xargs` cannot be used in a pipe; allowed: base64, column, cut, grep, head, jq, sed, "
        "sort, tail, tr, uniq, wc. Each filters text from standard input and cannot run "
        "programs or touch files."
    )


def test_a_normalized_pipeline_plans_to_the_same_plan() -> None:
    specs = CliSpecs()
    line = (
        "kubectl get pods -A | grep -iv kube | sed -E 's/ +/ /g' | cut -d' ' -f2 | sort -ru "
        "| uniq -c | head -5 | tail -n +1 | tr a-z A-Z | column -t | base64 | base64 -d "
        "| wc -l | jq -n '[inputs]'"
    )
    first = plan(specs, "kubectl", line)
    again = plan(specs, "kubectl", first.text())
    assert again == first
    assert again.text() == first.text()


# --- the real programs ------------------------------------------------------------------------

SED_ESCAPES = [
    "s/x/id/e",  # GNU: run the pattern space as a command
    "1e id",
    "w out.txt",
    "s/x/y/w out.txt",
    "W out.txt",
    "1r /etc/hostname",
    "R /etc/hostname",
]


@pytest.mark.parametrize("script", SED_ESCAPES)
def test_sed_commands_that_run_or_touch_files_are_stopped_by_the_sandbox(
    script: str, tmp_path: Path
) -> None:
    parsed = stage(f"sed '{script}'")
    assert parsed.argv == ("sed", "--sandbox", f"--expression={script}")
    done = run(parsed.argv, "x\n", tmp_path)
    assert done.returncode != 0
    assert "disabled in sandbox mode" in done.stderr
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_without_the_sandbox_sed_would_write_the_file(tmp_path: Path) -> None:
    # The control for the test above: the same script, minus --sandbox, writes out.txt.
    done = run(("sed", "--expression=w out.txt"), "x\n", tmp_path)
    assert done.returncode == 0
    assert (tmp_path / "out.txt").read_text() == "x\n"


def test_jq_import_behind_a_comment_reads_a_local_json_file(tmp_path: Path) -> None:
    """Why the module keyword is refused wherever it stands: jq 1.6 reads data files through
    `import`, and a comment between the keyword and the path hid it from the old pattern."""
    (tmp_path / "config.json").write_text('{"token": "s3cr3t"}')
    program = f'import # x\n"config" as $c {{search: "{tmp_path}"}}; $c'
    done = run(("jq", "--null-input", "--compact-output", program), "", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == '[{"token":"s3cr3t"}]\n'
    with pytest.raises(CommandError) as caught:
        parse_stage(["jq", "-nc", program])
    assert "jq modules are loaded from local files" in caught.value.message


PEOPLE = "web-1:3:alpha\napi-1:10:beta\nWeb-2:2:alpha\n"
CASES: list[tuple[str, str, str]] = [
    ("grep -i WEB", PEOPLE, "web-1:3:alpha\nWeb-2:2:alpha\n"),
    ("grep -v -e api -n", PEOPLE, "1:web-1:3:alpha\n3:Web-2:2:alpha\n"),
    ("grep -E 'api|Web' -c", PEOPLE, "2\n"),
    ("grep -- -x", "a\n-x\n", "-x\n"),
    ("head -2", PEOPLE, "web-1:3:alpha\napi-1:10:beta\n"),
    ("head -c 3", PEOPLE, "web"),
    ("tail -n +3", PEOPLE, "Web-2:2:alpha\n"),
    ("tail -1", PEOPLE, "Web-2:2:alpha\n"),
    ("sort -t: -k2,2n", PEOPLE, "Web-2:2:alpha\nweb-1:3:alpha\napi-1:10:beta\n"),
    ("sort -rn", "1\n10\n2\n", "10\n2\n1\n"),
    ("sort -cr", "3\n2\n1\n", ""),
    ("uniq -c", "a\na\nb\n", "      2 a\n      1 b\n"),
    ("wc -l", PEOPLE, "3\n"),
    ("cut -d: -f1,3", PEOPLE, "web-1:alpha\napi-1:beta\nWeb-2:alpha\n"),
    ("tr a-z A-Z", "web\n", "WEB\n"),
    ("tr -d '\\r'", "a\r\nb\r\n", "a\nb\n"),
    ("column -t -s:", "a:bb\nccc:d\n", "a    bb\nccc  d\n"),
    ("base64", "hello", "aGVsbG8=\n"),
    ("base64 -d", "aGVsbG8=\n", "hello"),
    ("sed -n '/beta/p'", PEOPLE, "api-1:10:beta\n"),
    ("sed -E 's/^([a-z]+)-([0-9]).*/\\2 \\1/'", "web-1:3:alpha\n", "1 web\n"),
    ("sed -e s/a/A/ -e s/b/B/", "ab\n", "AB\n"),
    ("jq -r '.items[].name'", '{"items": [{"name": "a"}, {"name": "b"}]}', "a\nb\n"),
    (
        "jq --arg n b -c '.[] | select(.name == $n)'",
        '[{"name":"a"},{"name":"b"}]',
        '{"name":"b"}\n',
    ),
    ("jq -n '[1,2] | add'", "", "3\n"),
    ("jq -S -c .", '{"b":1,"a":2}', '{"a":2,"b":1}\n'),
    ("jq -c -n '[inputs]'", "1 2", "[1,2]\n"),
    ("jq --indent 1 .", '{"a":1}', '{\n "a": 1\n}\n'),
    ("jq -r '.import'", '{"import": "x"}', "x\n"),
]


@pytest.mark.parametrize(("line", "text", "output"), CASES)
def test_normalized_stage_runs_with_the_real_program(
    line: str, text: str, output: str, tmp_path: Path
) -> None:
    argv = stage(line).argv
    done = run(argv, text, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == output
    assert list(tmp_path.iterdir()) == []


def test_jq_is_1_6_or_later(tmp_path: Path) -> None:
    done = run(("jq", "--version"), "", tmp_path)
    major, minor = done.stdout.strip().removeprefix("jq-").split(".")[:2]
    assert (int(major), int(minor)) >= (1, 6), done.stdout
