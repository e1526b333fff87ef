"""What a CLI's failure means: `diff`'s exit code 1 is an answer, and the argocd CLI's fatal
line (its real words, as Argo CD 3.5 prints them) gives the error code and what to do next."""

from __future__ import annotations

import json

import pytest

from adapters.cli import PipelineResult, StageExit
from kube_ai_proxy.output.cli_failures import argocd_failure, argocd_fatal_message
from kube_ai_proxy.output.render import pipeline_result
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.plan import plan


def fatal(message: str) -> str:
    line = {"level": "fatal", "msg": message, "time": "2026-12-05T11:37:35Z"}
    return json.dumps(line) + "\n"


UNAUTHENTICATED = fatal(
    "rpc error: code = Unauthenticated desc = invalid session: token is malformed: token "
    "contains an invalid number of segments"
)
DENIED = fatal("rpc error: code = PermissionDenied desc = permission denied")
UNREACHABLE_REPO = fatal(
    "rpc error: code = InvalidArgument desc = application spec for broken is invalid: "
    "InvalidSpecError: repository not accessible: repositories not accessible: &Repository{Repo: "
    '"git://127.0.0.1:1/none", Type: "", Name: "", Project: ""}: repo client error while '
    "testing repository: rpc error: code = Unknown desc = error testing repository "
    "connectivity: unable to ls-remote HEAD on repository: failed to list refs: dial tcp "
    "127.0.0.1:1: connect: connection refused"
)


def result(
    line: str, exit_code: int, stderr: str = "", stdout: str = "", pipe_exit: int = 0
) -> dict[str, object]:
    command_plan = plan(CliSpecs(), "argocd" if line.startswith("argocd") else "kubectl", line)
    stages = [StageExit(line.split()[0], exit_code, stderr)]
    stages += [StageExit(s.argv[0], pipe_exit, "") for s in command_plan.pipes]
    outcome = PipelineResult(stdout.encode(), len(stdout.encode()), tuple(stages), 0.1)
    return pipeline_result(command_plan, outcome, "cli", "", 10_000).model_dump()


@pytest.mark.parametrize("line", ["argocd app diff web --refresh", "kubectl diff -f x.yaml"])
def test_a_diff_that_found_changes_is_a_success(line: str) -> None:
    diff = "===== /ConfigMap plain/plain ======\n3c3\n<   color: blue\n---\n>   color: green\n"
    answered = result(line, 1, stdout=diff)
    assert answered["status"] == "success"
    assert answered["exit_code"] == 1
    assert answered["output"] == diff
    assert answered["error"] is None


def test_a_diff_that_failed_is_an_error() -> None:
    failed = result("kubectl diff -f x.yaml", 2, stderr="error: the path does not exist")
    assert failed["status"] == "error"
    assert failed["exit_code"] == 2
    # Only the CLI's exit 1 is an answer: a pipe stage's exit 1 is its failure.
    piped = result("kubectl diff -f x.yaml | grep nothing", 0, pipe_exit=1)
    assert piped["status"] == "error"
    assert piped["exit_code"] == 1


def test_argocd_diff_exiting_1_from_a_fatal_error_is_a_failure() -> None:
    # argocd's log.Fatal exits with 1 too: "Unknown source name", a bad --source-positions...
    failed = result("argocd app diff web --source-names nope", 1, stderr=fatal("Unknown source"))
    assert failed["status"] == "error"
    assert failed["error"]["message"] == "Unknown source"  # type: ignore[index]


def test_exit_1_of_other_commands_is_still_a_failure() -> None:
    failed = result("argocd app sync web", 1, stderr="boom")
    assert failed["status"] == "error"


@pytest.mark.parametrize(
    ("stderr", "code", "advice"),
    [
        (UNAUTHENTICATED, "rbac_denied", "check ARGOCD_AUTH_TOKEN"),
        (DENIED, "rbac_denied", "`argocd app list`"),
        (UNREACHABLE_REPO, "cli_error", "could not read the repository git://127.0.0.1:1/none"),
        (fatal("rpc error: code = Unavailable desc = connection error"), "unavailable", ""),
        (fatal("rpc error: code = DeadlineExceeded desc = context deadline"), "timeout", ""),
        (fatal("rpc error: code = NotFound desc = app 'x' not found"), "not_found", ""),
        (fatal("something else went wrong"), "cli_error", ""),
    ],
)
def test_argocd_fatal_lines(stderr: str, code: str, advice: str) -> None:
    answered = result("argocd app sync web", 20, stderr="a warning first\n" + stderr)
    error = answered["error"]
    assert isinstance(error, dict)
    assert error["code"] == code
    assert str(error["message"]).startswith(json.loads(stderr)["msg"])
    assert advice in str(error["message"])


def test_without_a_fatal_line_the_stderr_is_the_message() -> None:
    assert argocd_fatal_message("plain text\n{not json\n") is None
    assert argocd_failure('{"level": "info", "msg": "x"}') is None
    answered = result("argocd app sync web", 2, stderr="Error: unknown flag: --nope")
    assert answered["error"] == {"code": "cli_error", "message": "Error: unknown flag: --nope"}
