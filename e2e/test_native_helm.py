"""Native helm reads against the real helm: the same text, plus helm's JSON as data.

Two releases of the e2e chart (e2e/charts/wordpress) are installed with the built helm; `blog`
is upgraded once (two revisions) with values that exercise go-yaml's quoting, folding and key
order. Each command then runs through the server (pyhelm3 reading helm's JSON, printed again
as helm prints it: `backend: native`) and through the real helm, and the texts must be equal,
byte for byte; `data` must equal what `helm ... -o json` says. With secrets allowed the text is
helm's own; by default the values' and the manifest's Secrets are REDACTED, in the text and in
the data.

`python tests/data/helm-record.py` records the same commands for the fast rendering tests.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shlex
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from e2e import mcp_server
from e2e.harness import Cluster
from kube_ai_proxy.native.helm import manifest_documents, redacted_release
from kube_ai_proxy.output.redact import redact_object, redact_values

NAMESPACE = "e2e-helm"
CHART = Path(__file__).resolve().parent / "charts" / "wordpress"
BLOG_PASSWORD = "blog-db-password"
SHOP_PASSWORD = "shop-db-password"
CHART_PASSWORDS = ("demo-password", "demo-root-password")
SECRETS = (BLOG_PASSWORD, SHOP_PASSWORD, *CHART_PASSWORDS)

# User-supplied values for blog's second revision: strings go-yaml must quote (or not) as it
# does, long lines it folds, keys it orders its own way, numbers as Go prints them.
TRICKY_VALUES: dict[str, Any] = {
    "mariadb": {"auth": {"password": BLOG_PASSWORD}},
    "wordpress": {"replicaCount": 2},
    "strings": {
        "yes": "yes",
        "on": "on",
        "No": "No",
        "tilde": "~",
        "null": "null",
        "empty": "",
        "float": "1.0",
        "exp": "1e3",
        "hex": "0x1F",
        "octal": "0o17",
        "leading-zero": "0755",
        "bad-octal": "08",
        "underscored": "1_000",
        "binary": "0b101",
        "signed": "+12",
        "negative": "-3",
        "dot-number": ".5",
        "dot-inf": ".inf",
        "dot-word": ".hidden",
        "date": "2024-01-02",
        "datetime": "2024-1-2T3:4:5Z",
        "impossible-date": "2024-02-30",
        "spaced-time": "2024-01-02 10:20:30",
        "sexagesimal": "1:20",
        "clock": "12:30:45",
        "dash": "-",
        "dash-space": "- a",
        "colon-space": "a: b",
        "hash": "a #b",
        "hash-start": "#x",
        "alias": "*x",
        "anchor": "&x",
        "tag": "!x",
        "pipe": "|x",
        "greater": ">x",
        "single-quotes": "'q'",
        "double-quotes": '"dq"',
        "percent": "%x",
        "at": "@x",
        "backtick": "`x",
        "brackets": "[x]",
        "braces": "{x}",
        "question": "?x",
        "question-space": "? x",
        "colon-start": ":x",
        "colon-end": "x:",
        "leading-space": " lead",
        "trailing-space": "trail ",
        "document-start": "--- x",
        "document-end": "...",
        "url": "http://example.com/a?b=c&d=<e>",
        "long": "a long sentence that goes on " * 6,
        "long-single": "a: " + "word " * 30 + "end",
        "long-double": "yes\t" + "word " * 30 + "end",
        "unbroken": "x" * 120,
        "multiline": "line one\nline two\n",
        "no-final-newline": "a\nb",
        "keep": "a\n\n",
        "leading-break": "\nx",
        "indented": "  indented\nnext\n",
        "space-break": "a \nb",
        "tab": "a\tb",
        "bell": "bell\x07",
        "unicode": "ünïcödé 日本語",
        "nbsp": "a\xa0b",
    },
    "numbers": {
        "int": 1,
        "negative": -1,
        "float": 1.5,
        "small": 1e-7,
        "tiny": 0.0001,
        "big": 1e21,
        "large": 1234567.5,
        "huge": 12345678901234567890,
        "million": 1000000,
        "zero": 0,
        "third": 1 / 3,
    },
    "keys": {
        "a10": 1,
        "a9": 2,
        "A": 3,
        "b": 4,
        "_x": 5,
        "1": 6,
        "10": 7,
        "2": 8,
        "01": 9,
        "key with space": 10,
        "on": 11,
        "a01": 12,
        "a1": 13,
        "ä": 14,
        "Z": 15,
    },
    "lists": {"empty": [], "nested": [[1, 2], {"a": None}], "objects": [{"b": 1, "a": 2}]},
    "empty-map": {},
    "bools": [True, False],
}


def helm(cluster: Cluster, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(cluster.bin_dir / "helm"), *args],
        env=cluster.env(),
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def _next_second() -> None:
    """Wait for the clock's next whole second. helm sorts by date (`list -d`) on whole seconds
    and leaves releases deployed in the same second in a random order (its latest-revision
    filter iterates a Go map and sort.Sort is not stable), so two runs of `helm list -d` agree
    only when every release was deployed in a second of its own."""
    time.sleep(1 - time.time() % 1)


def install_releases(cluster: Cluster) -> None:
    """blog (two revisions: the chart's defaults, then TRICKY_VALUES) and shop (one, with a
    description), in NAMESPACE, each revision deployed in a second of its own; nothing is
    done for a release already there."""
    listed = helm(cluster, "list", "-n", NAMESPACE, "-q", "-a").stdout.split()
    if "blog" not in listed:
        helm(cluster, "install", "blog", str(CHART), "-n", NAMESPACE, "--create-namespace")
        _next_second()
        with tempfile.TemporaryDirectory() as tmp:
            values = Path(tmp) / "values.json"
            values.write_text(json.dumps(TRICKY_VALUES))
            helm(cluster, "upgrade", "blog", str(CHART), "-n", NAMESPACE, "-f", str(values))
    if "shop" not in listed:
        _next_second()
        helm(
            cluster,
            "install",
            "shop",
            str(CHART),
            "-n",
            NAMESPACE,
            "--create-namespace",
            f"--set=mariadb.auth.password={SHOP_PASSWORD}",
            "--set=mariadb.architecture=standalone",
            "--description=The shop, installed with a description longer than the others",
        )


def fetch_command(words: list[str]) -> list[str]:
    """The `-o json` command whose answer the native path reads for `words` (helm's own
    arguments, without `helm`)."""
    kept: list[str] = []
    rest = iter(words)
    for word in rest:
        if word in ("-o", "--output"):
            next(rest)
        elif word not in ("-q", "--short", "--no-headers", "--show-desc"):
            kept.append(word)
    if kept[:2] in (["get", "manifest"], ["get", "notes"]):
        kept = ["status", *kept[2:]]
    return [*kept, "-o", "json"]


def expected_data(words: list[str], fetched: Any, *, allow_secrets: bool) -> Any:
    """What `data` must be, from helm's JSON for the command."""
    verb = words[0] if words[0] != "get" else f"get {words[1]}"
    if verb in ("list", "ls"):
        return {"releases": fetched}
    if verb in ("history", "hist"):
        return {"history": fetched}
    if verb == "get values":
        return {"values": (fetched if allow_secrets else redact_values(fetched)) or {}}
    if verb == "get manifest":
        documents = manifest_documents(fetched.get("manifest", ""))
        return {"manifest": documents if allow_secrets else redact_object(documents)}
    if verb == "get notes":
        return {"notes": fetched["info"].get("notes", "")}
    return fetched if allow_secrets else redacted_release(fetched)


COMMANDS = [
    "helm list -n {ns}",
    "helm ls -n {ns} -o json",
    "helm list -n {ns} -o yaml",
    "helm list -n {ns} -q",
    "helm list -n {ns} -q -o json",
    "helm list -n {ns} --short -o yaml",
    "helm list -n {ns} --no-headers",
    "helm list -n {ns} -d",
    "helm list -n {ns} -d -r",
    "helm list -n {ns} -r",
    "helm list -n {ns} -m 1",
    "helm list -n {ns} --max 1 --offset 1",
    "helm list -n {ns} --filter ^sh",
    "helm list -n {ns} -f b.o",
    "helm list -n {ns} -l name=shop",
    "helm list -n {ns} -a",
    "helm list -n {ns} --superseded",
    "helm list -n {ns} --deployed --failed",
    "helm list -n {ns} --pending",
    "helm list -n {ns} --uninstalled",
    "helm list -n {ns} --time-format 2006-01-02T15:04",
    "helm list -n {ns} --time-format=Mon_Jan_2 -o yaml",
    "helm list -n {ns} --filter nomatch",
    "helm list -n {ns} --filter nomatch --no-headers",
    "helm list -n {ns} --filter nomatch -o json",
    "helm list -n {ns} --filter nomatch -o yaml",
    "helm history blog -n {ns}",
    "helm hist blog -n {ns} -o json",
    "helm history blog -n {ns} -o yaml",
    "helm history blog -n {ns} --max 1",
    "helm history shop -n {ns}",
    "helm status blog -n {ns}",
    "helm status blog -n {ns} -o json",
    "helm status blog -n {ns} -o yaml",
    "helm status blog -n {ns} --revision 1",
    "helm status blog -n {ns} --revision 1 -o yaml",
    "helm status blog -n {ns} --show-desc",
    "helm status shop -n {ns} --show-desc -o table",
    "helm get values blog -n {ns}",
    "helm get values blog -n {ns} -o json",
    "helm get values blog -n {ns} -o yaml",
    "helm get values blog -n {ns} -a",
    "helm get values blog -n {ns} --all -o json",
    "helm get values blog -n {ns} -a -o yaml",
    "helm get values blog -n {ns} --revision 1",
    "helm get values blog -n {ns} --revision 1 -o json",
    "helm get values blog -n {ns} --revision 1 -o yaml",
    "helm get values shop -n {ns}",
    "helm get manifest blog -n {ns}",
    "helm get manifest blog -n {ns} --revision 1",
    "helm get manifest shop -n {ns}",
    "helm get notes blog -n {ns}",
    "helm get notes shop -n {ns} --revision 1",
]


@pytest.fixture(scope="module")
def releases(cluster: Cluster) -> Iterator[str]:
    install_releases(cluster)
    yield NAMESPACE
    helm(cluster, "uninstall", "blog", "shop", "-n", NAMESPACE, check=False)
    cluster.kubectl("delete", "namespace", NAMESPACE, "--wait=false", check=False)


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def exact(base_server_env: dict[str, str]) -> AsyncIterator[Client[StdioTransport]]:
    """The server with secrets allowed: its text must be helm's own."""
    env = {**base_server_env, "K8S_MCP_ALLOW_SECRETS": "true"}
    async with mcp_server.stdio_client(env) as connected:
        yield connected


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def guarded(base_server_env: dict[str, str]) -> AsyncIterator[Client[StdioTransport]]:
    """The server as configured by default: Secrets redacted."""
    async with mcp_server.stdio_client(base_server_env) as connected:
        yield connected


async def _call(client: Client[StdioTransport], command: str) -> dict[str, Any]:
    raw = await client.call_tool("execute_helm", {"command": command}, raise_on_error=False)
    result: dict[str, Any] = raw.structured_content or {}
    return result


def _fetched(cluster: Cluster, words: list[str]) -> Any:
    return json.loads(helm(cluster, *fetch_command(words)).stdout)


@pytest.mark.parametrize("template", COMMANDS)
async def test_text_and_data_match_helm(
    exact: Client[StdioTransport], cluster: Cluster, releases: str, template: str
) -> None:
    command = template.format(ns=releases)
    words = shlex.split(command)[1:]
    result = await _call(exact, command)
    real = helm(cluster, *words)
    assert result["backend"] == "native", result
    assert result["status"] == "success", result
    assert result["output"] == real.stdout
    assert result["data"] == expected_data(words, _fetched(cluster, words), allow_secrets=True)


@pytest.mark.parametrize("template", [c for c in COMMANDS if "get" in c or "status" in c])
async def test_secrets_are_redacted(
    guarded: Client[StdioTransport], cluster: Cluster, releases: str, template: str
) -> None:
    command = template.format(ns=releases)
    words = shlex.split(command)[1:]
    result = await _call(guarded, command)
    assert result["backend"] == "native", result
    shown = result["output"] + json.dumps(result["data"])
    for secret in SECRETS:
        assert secret not in shown
        assert base64.b64encode(secret.encode()).decode() not in shown
    fetched = _fetched(cluster, words)
    assert result["data"] == expected_data(words, fetched, allow_secrets=False)
    if words[:2] == ["get", "values"]:
        # Helm's own text with the secret values replaced: nothing else changes.
        real = helm(cluster, *words).stdout
        for secret in SECRETS:
            real = real.replace(secret, "REDACTED")
        assert result["output"] == real


def _redacted_documents(text: str) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


async def test_a_redacted_manifest_keeps_every_document(
    guarded: Client[StdioTransport], cluster: Cluster, releases: str
) -> None:
    result = await _call(guarded, f"helm get manifest blog -n {releases}")
    real = helm(cluster, "get", "manifest", "blog", "-n", releases).stdout
    assert _redacted_documents(result["output"]) == redact_object(_redacted_documents(real))
    secret = next(d for d in _redacted_documents(result["output"]) if d["kind"] == "Secret")
    assert set(secret["data"].values()) == {"REDACTED"}


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ("helm status missing -n {ns}", "not_found"),
        ("helm get values missing -n {ns}", "not_found"),
        ("helm history missing -n {ns}", "not_found"),
        ("helm get manifest blog -n {ns} --revision 9", "not_found"),
        ("helm list -n {ns} --filter '('", "cli_error"),
    ],
)
async def test_errors_match_helm(
    exact: Client[StdioTransport], cluster: Cluster, releases: str, template: str, code: str
) -> None:
    command = template.format(ns=releases)
    result = await _call(exact, command)
    real = helm(cluster, *shlex.split(command)[1:], check=False)
    assert real.returncode == 1
    assert result["backend"] == "native"
    assert result["status"] == "error"
    assert result["exit_code"] == 1
    assert result["error"]["code"] == code
    assert result["error"]["message"] == real.stderr.strip()


@pytest.mark.parametrize(
    "template",
    [
        "helm status blog -n {ns} --show-resources",
        "helm list -n {ns} --debug",
        "helm get values blog -n {ns} --revision 0x1",
        "helm get all blog -n {ns}",
        "helm list -n {ns} --offset -1",
    ],
)
async def test_flags_native_does_not_render_go_to_helm(
    exact: Client[StdioTransport], cluster: Cluster, releases: str, template: str
) -> None:
    command = template.format(ns=releases)
    result = await _call(exact, command)
    assert result["backend"] == "cli", result


async def test_pipes_read_the_native_output(exact: Client[StdioTransport], releases: str) -> None:
    result = await _call(exact, f"helm list -n {releases} -q -r | head -n 1")
    assert result["backend"] == "native"
    assert result["output"] == "shop\n"


async def test_answers_larger_than_the_budget(
    base_server_env: Mapping[str, str], cluster: Cluster, releases: str
) -> None:
    env = {**base_server_env, "K8S_MCP_MAX_OUTPUT": "2000"}
    async with mcp_server.stdio_client(env) as small:
        manifest = await _call(small, f"helm get manifest blog -n {releases}")
        status = await _call(small, f"helm status blog -n {releases}")
    assert manifest["backend"] == "native"
    assert manifest["truncated"] is True
    assert len(manifest["output"]) <= 2000
    assert manifest["output"].startswith("---\n# Source: wordpress/templates/")
    assert manifest["data"] is None
    assert "helm get manifest" not in manifest["next"]
    # The status text fits; its data (the release, manifest included) does not.
    real = helm(cluster, "status", "blog", "-n", releases).stdout
    assert status["output"] == real
    assert status["truncated"] is True
    assert status["data"] is None
    assert "helm get manifest" in status["next"]


@pytest.mark.parametrize("template", ["helm list -A", "helm list --all-namespaces -o json"])
async def test_all_namespaces_match_helm(
    exact: Client[StdioTransport], cluster: Cluster, releases: str, template: str
) -> None:
    # Earlier tests delete their namespaces without waiting; their releases' Secrets go with
    # them. helm sorts on the name alone and leaves equal names (in two namespaces) in a
    # random order, so the listing is compared once nothing is being deleted and no name is
    # in two namespaces.
    await asyncio.to_thread(cluster.settle)
    words = shlex.split(template)[1:]
    listed = json.loads(helm(cluster, "list", "-A", "-a", "-o", "json").stdout)
    names = [release["name"] for release in listed]
    assert len(names) == len(set(names)), f"a release name is in two namespaces: {listed}"
    result = await _call(exact, template)
    real = helm(cluster, *words)
    assert result["backend"] == "native"
    assert result["output"] == real.stdout
    assert "e2e-helm" in result["output"]
