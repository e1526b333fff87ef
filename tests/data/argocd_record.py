"""Record tests/data/argocd-recorded.json: a real argocd-server's answers to the requests the
native Argo CD reads make, and what the real argocd CLI printed for the same commands.

    .venv/bin/python -m tests.data.argocd_record     # the cluster is started if it is down

It runs the e2e Argo CD (e2e/argocd.py: the built argocd as argocd-server on the local
cluster, with e2e/argocd.py's seed objects) and, for each command of e2e/test_argocd.py's
COMMANDS and FAILURES, runs the native handler through a transport that records every HTTP
exchange (method, path and query, status, body), then the CLI. Connection states carry the
time they were tried, which differs between the two runs (each tries again): those times are
left out of the comparison (`normalized`), here and in the tests. Besides: the CLI's
`version --client -o json`, what the native path reads before it leaves a command to the CLI,
and the adapter's own cases (no token, an invalid token, a login; the token in its answer is
replaced by a placeholder). Each distinct answer body is stored once, under `answers`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shlex
import ssl
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from adapters.argocd import ArgoCD, ArgoCDConfig
from e2e.argocd import argocd_server, seed
from e2e.harness import CacheLayout, up
from e2e.test_argocd import COMMANDS, DEFERRED, FAILURES, normalized
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.native import argocd as argocd_reads
from kube_ai_proxy.native.base import ArgoCDContext, NativeAnswer
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.plan import plan

OUT = Path(__file__).parent / "argocd-recorded.json"
SESSION_TOKEN = "recorded-session-token"
_DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests on to the real server and keeps each exchange, body decoded."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[dict[str, Any]] = []
        self.replace: dict[str, str] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await httpx.Response(
            response.status_code, headers=response.headers, stream=response.stream
        ).aread()
        text = body.decode()
        for secret, placeholder in self.replace.items():
            text = text.replace(secret, placeholder)
        self.exchanges.append(
            {
                "method": request.method,
                "path": request.url.raw_path.decode(),
                "status": response.status_code,
                "content_type": response.headers.get("content-type", ""),
                "body": text,
            }
        )
        headers = [(k, v) for k, v in response.headers.items() if k not in _DROPPED_HEADERS]
        return httpx.Response(response.status_code, headers=headers, content=body)


def recorder(ca_file: Path) -> Recorder:
    return Recorder(
        httpx.AsyncHTTPTransport(verify=ssl.create_default_context(cafile=str(ca_file)))
    )


async def run_native(
    command: str, config: ArgoCDConfig, client_version: dict[str, Any], ca_file: Path
) -> tuple[NativeAnswer | None, list[dict[str, Any]]]:
    """The native answer and the exchanges it made; no answer when the native path does not
    serve the command (no exchanges) or leaves it to the CLI (Defer)."""
    transport = recorder(ca_file)
    argocd = ArgoCD(config, transport=transport)

    async def version() -> dict[str, Any]:
        return client_version

    ctx = ArgoCDContext(
        argocd=argocd,
        budget=10_000_000,
        allow_secrets=False,
        timeout=60,
        client_version=version,
        app_url_base=f"https://{config.server}",
    )
    parsed = plan(CliSpecs(), "argocd", command).command
    if not argocd_reads.can_serve(parsed):
        return None, []
    try:
        answer = await argocd_reads.native_argocd(parsed, ctx)
    except Defer:
        return None, transport.exchanges
    finally:
        await argocd.aclose()
    return answer, transport.exchanges


async def adapter_cases(address: str, ca_file: Path, password: str) -> dict[str, Any]:
    """The answers the adapter's own tests replay: no token, a token Argo CD cannot read, a
    login (its token replaced), an application list and a 404 after it."""
    cases: dict[str, Any] = {}
    transport = recorder(ca_file)
    async with httpx.AsyncClient(base_url=f"https://{address}", transport=transport) as client:
        await client.get("/api/v1/applications")
        await client.get("/api/v1/applications", headers={"Authorization": "Bearer not-a-token"})
        login = await client.post(
            "/api/v1/session", json={"username": "admin", "password": password}
        )
        token = login.json()["token"]
        transport.exchanges[-1]["body"] = transport.exchanges[-1]["body"].replace(
            token, SESSION_TOKEN
        )
        bearer = {"Authorization": f"Bearer {token}"}
        await client.get("/api/v1/applications", headers=bearer)
        await client.get("/api/v1/projects/nope", headers=bearer)
    names = ("no_token", "bad_token", "login", "list", "project_not_found")
    for name, exchange in zip(names, transport.exchanges, strict=True):
        cases[name] = exchange
    return cases


async def record() -> dict[str, Any]:
    cluster = up(CacheLayout.from_env())
    with tempfile.TemporaryDirectory() as tmp, argocd_server(cluster, Path(tmp)) as server:
        seed(cluster, server)
        version = server.cli("version", "--client", "-o", "json")
        client_version = json.loads(version.stdout)["client"]
        config = ArgoCDConfig(
            server=server.address, token=server.readonly_token, ca_file=str(server.ca_file)
        )
        cases: list[dict[str, Any]] = []
        commands = [*COMMANDS, *(command for command, _, _ in FAILURES)]
        for template in commands:
            command = template.format(ns=server.namespace)
            for _ in range(3):
                answer, exchanges = await run_native(
                    command, config, client_version, server.ca_file
                )
                real = server.cli(*shlex.split(command)[1:], token=server.readonly_token)
                if answer is not None and (
                    answer.error_code is not None
                    or normalized(answer.output) == normalized(real.stdout)
                ):
                    break
            else:
                raise SystemExit(f"{command}: the native text never matched the CLI's")
            cases.append(
                {
                    "command": command,
                    "exchanges": exchanges,
                    "stdout": real.stdout,
                    "stderr": real.stderr,
                    "exit_code": real.returncode,
                }
            )
        # What the native path starts to read and then leaves to the CLI (sync windows).
        deferred: list[dict[str, Any]] = []
        for template in DEFERRED:
            command = template.format(ns=server.namespace)
            answer, exchanges = await run_native(command, config, client_version, server.ca_file)
            if exchanges:
                assert answer is None, command  # read, then left to the CLI
                deferred.append({"command": command, "exchanges": exchanges})
        answers: dict[str, str] = {}
        for case in [*cases, *deferred]:
            for exchange in case["exchanges"]:
                body = exchange.pop("body")
                key = hashlib.sha256(body.encode()).hexdigest()[:16]
                answers[key] = body
                exchange["answer"] = key
        return {
            "server": server.address,
            "namespace": server.namespace,
            "client_version": client_version,
            "cases": cases,
            "deferred": deferred,
            "answers": answers,
            "adapter": await adapter_cases(server.address, server.ca_file, server.admin_password),
        }


def main() -> int:
    recorded = asyncio.run(record())
    OUT.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(recorded['cases'])} commands -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
