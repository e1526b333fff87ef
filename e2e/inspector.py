"""The MCP Inspector CLI (`mcp-inspector --cli`), an independent MCP client written in TypeScript.

A server that only works with the Python client it was tested with is not yet interoperable; the
Inspector is what people reach for to poke at a server, so e2e drives it too. It is pinned in
e2e/package.json and installed into e2e/node_modules by `npm ci --prefix e2e`.

Invocations (checked against @modelcontextprotocol/inspector 2.12.0):

    mcp-inspector --cli -q --format json [-e KEY=VALUE ...] PYTHON -m kube_ai_proxy.main \
        --method tools/list
    mcp-inspector --cli -q --format json [-e KEY=VALUE ...] PYTHON -m kube_ai_proxy.main \
        --method tools/call --tool-name execute_kubectl \
        --tool-args-json '{"command": "kubectl get pods -A"}'
    mcp-inspector --cli -q --format json http://127.0.0.1:PORT/mcp \
        --header "Authorization: Bearer TOKEN" --method tools/list

A stdio server inherits only PATH, HOME and a few other variables from the Inspector; anything
else (KUBECONFIG, K8S_MCP_*) must be passed with -e. With --format json the result is one JSON
object on stdout, {"result": ...}; a failure is {"error": {"code", "message"}} on stderr with a
non-zero exit: 5 for `tool_is_error` (the call answered isError: true; its result is still on
stdout) and `tool_not_found`, 3 for `auth_required` (HTTP 401).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

E2E_DIR = Path(__file__).resolve().parent
INSPECTOR_BIN = E2E_DIR / "node_modules" / ".bin" / "mcp-inspector"
INSTALL_HINT = "run: make e2e-deps (or: npm ci --prefix e2e)"


def missing_prerequisite() -> str | None:
    """Why the Inspector cannot run here, with the command that fixes it; None when it can."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return (
            "Node.js and npm are not on PATH: install them (Debian: apt-get install nodejs npm), "
            "then " + INSTALL_HINT
        )
    if not INSPECTOR_BIN.exists():
        return f"the MCP Inspector CLI is not installed at {INSPECTOR_BIN}: {INSTALL_HINT}"
    return None


@dataclass(frozen=True)
class InspectorResult:
    """`payload` is the stdout object when there is one (a result, also of a call that answered
    isError), else the stderr error envelope."""

    exit_code: int
    payload: dict[str, Any]
    stderr: str

    @property
    def result(self) -> dict[str, Any]:
        """The MCP result; a failed call (error envelope) raises with what the Inspector said."""
        if "result" not in self.payload:
            raise AssertionError(
                f"inspector failed (exit {self.exit_code}): {self.payload} {self.stderr}"
            )
        result: dict[str, Any] = self.payload["result"]
        return result


@dataclass(frozen=True)
class Inspector:
    executable: Path
    # The Inspector keeps a server catalog and client settings under ~/.mcp-inspector; a test
    # gives it a home of its own so it neither reads nor litters the developer's.
    home: Path

    def stdio(
        self,
        env: Mapping[str, str],
        method: str,
        *method_args: str,
        timeout: float = 120,
    ) -> InspectorResult:
        """Run the server over stdio under the Inspector. `env` is passed with -e, since the
        Inspector gives a stdio server almost none of its own environment."""
        # The Inspector refuses `-e KEY=` with an empty value (make exports MFLAGS= and
        # MAKEFLAGS=); an empty variable is the same as an absent one to the server.
        env_flags = [
            flag for key, value in env.items() if value for flag in ("-e", f"{key}={value}")
        ]
        target = [sys.executable, "-m", "kube_ai_proxy.main"]
        return self._run([*env_flags, *target], method, method_args, env.get("PATH"), timeout)

    def http(
        self,
        url: str,
        method: str,
        *method_args: str,
        headers: Sequence[str] = (),
        timeout: float = 120,
    ) -> InspectorResult:
        header_flags = [flag for header in headers for flag in ("--header", header)]
        return self._run([url, *header_flags], method, method_args, None, timeout)

    def _run(
        self,
        target: list[str],
        method: str,
        method_args: Sequence[str],
        path: str | None,
        timeout: float,
    ) -> InspectorResult:
        command = [str(self.executable), "--cli", "-q", "--format", "json", *target]
        command += ["--method", method, *method_args]
        self.home.mkdir(parents=True, exist_ok=True)
        environment = {**os.environ, "HOME": str(self.home)}
        if path is not None:
            # The server's PATH (built kubectl first) is also the one the Inspector spawns with.
            environment["PATH"] = path
        completed = subprocess.run(
            command,
            cwd=E2E_DIR.parent,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        try:
            payload = json.loads(completed.stdout or completed.stderr)
        except json.JSONDecodeError:
            payload = {"unparsed": completed.stdout, "stderr": completed.stderr}
        return InspectorResult(completed.returncode, payload, completed.stderr)


def call_tool_args(tool: str, arguments: Mapping[str, Any]) -> list[str]:
    """`--tool-name NAME --tool-args-json JSON`: values pass verbatim (timeout stays an int,
    a command that looks like a number stays a string); --tool-arg key=value coerces them."""
    return ["--tool-name", tool, "--tool-args-json", json.dumps(dict(arguments))]
