"""`kubectl version` natively: which forms are served, and what is printed from the CLI's own
client version and the server's /version (the e2e suite compares them with the real kubectl)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.errors import BackendError
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.native.base import NativeAnswer, NativeContext
from kube_ai_proxy.native.kubectl.info import handler_for, version
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.command import parse_command
from tests.fakes.kube import kube_of

CLIENT = {
    "clientVersion": {"major": "1", "minor": "35", "gitVersion": "v1.35.4", "platform": "x"},
    "kustomizeVersion": "v5.7.1",
}
SERVER = {"major": "1", "minor": "32", "gitVersion": "v1.32.1", "extra": "dropped"}


class _API:
    def __init__(self, answer: dict[str, Any] | BackendError) -> None:
        self.answer = answer
        self.paths: list[str] = []

    async def request(self, method: str, path: str, **_: Any) -> dict[str, Any]:
        self.paths.append(path)
        if isinstance(self.answer, BackendError):
            raise self.answer
        return self.answer


def _command(text: str) -> Any:
    return parse_command(CliSpecs()["kubectl"], text.split()[1:])


async def _run(text: str, server: dict[str, Any] | BackendError = SERVER) -> NativeAnswer:
    async def client_version() -> dict[str, Any]:
        return CLIENT

    ctx = NativeContext(
        kube=kube_of(_API(server)),
        namespace="default",
        budget=50_000,
        allow_secrets=False,
        timeout=5,
        client_version=client_version,
    )
    return await version(_command(text), ctx)


@pytest.mark.parametrize(
    ("command", "native"),
    [
        ("kubectl version", True),
        ("kubectl version -o json", True),
        ("kubectl version --output=yaml --client", True),
        ("kubectl version --client=false", True),
        ("kubectl version -o wide", False),  # kubectl's own error
        ("kubectl version --warnings-as-errors", False),
    ],
)
def test_routing(command: str, native: bool) -> None:
    assert (handler_for(_command(command)) is version) is native


async def test_text_and_the_skew_warning() -> None:
    answer = await _run("kubectl version")
    assert answer.output == (
        "Client Version: v1.35.4\nKustomize Version: v5.7.1\nServer Version: v1.32.1\n"
    )
    assert answer.stderr == (
        "Warning: version difference between client (1.35) and server (1.32) exceeds the "
        "supported minor version skew of +/-1\n"
    )


async def test_json_keeps_kubectls_fields_in_their_order() -> None:
    answer = await _run("kubectl version -o json")
    assert answer.data is not None
    server = answer.data["serverVersion"]
    # version.Info's fields: the omitempty ones left out when empty, unknown ones dropped.
    assert list(server) == [
        "major",
        "minor",
        "gitVersion",
        "gitCommit",
        "gitTreeState",
        "buildDate",
        "goVersion",
        "compiler",
        "platform",
    ]
    assert answer.output.startswith('{\n  "clientVersion": {\n    "major": "1",')
    assert answer.output.endswith("}\n")


async def test_client_only_asks_no_server() -> None:
    answer = await _run("kubectl version --client", server=BackendError("unavailable", "down"))
    assert answer.output == "Client Version: v1.35.4\nKustomize Version: v5.7.1\n"
    assert answer.stderr == ""


async def test_an_unreachable_server_is_kubectls_to_report() -> None:
    with pytest.raises(Defer):
        await _run("kubectl version", server=BackendError("unavailable", "down"))


async def test_a_version_kubectl_cannot_parse_is_kubectls_to_report() -> None:
    with pytest.raises(Defer):
        await _run("kubectl version", server={**SERVER, "gitVersion": "v1.32"})
