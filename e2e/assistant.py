"""An assistant's side of the demos (e2e/test_demo.py, e2e/test_kind_demo.py): every step
through the execute_* tools, insisting on a structured answer."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastmcp import Client
from fastmcp.client.transports import StdioTransport


class Assistant:
    """Calls a tool and insists on a structured answer, the way a program consuming it would."""

    def __init__(self, client: Client[StdioTransport], namespace: str) -> None:
        self.client = client
        self.namespace = namespace

    async def run(self, tool: str, command: str, **extra: Any) -> dict[str, Any]:
        raw = await self.client.call_tool(tool, {"command": command, **extra}, raise_on_error=False)
        result: dict[str, Any] = raw.structured_content or {}
        assert not raw.is_error, f"{command}: {result.get('error')}\n{result.get('output')}"
        assert result["status"] == "success"
        assert result["backend"] in ("cli", "native")
        assert result["exit_code"] == 0
        return result

    async def kubectl(self, command: str, **extra: Any) -> dict[str, Any]:
        return await self.run("execute_kubectl", command, **extra)

    async def pods(self, selector: str) -> list[dict[str, Any]]:
        result = await self.kubectl(f"kubectl get pods -n {self.namespace} -l {selector} -o json")
        items: list[dict[str, Any]] = result["data"]["items"]
        return items

    async def wait_output(self, command: str, text: str, timeout: float = 30) -> str:
        """`command`'s output once it holds `text`, asked again each second: what the
        cluster records in its own time (events, which controllers send in batches after
        what they report is done)."""
        deadline = time.monotonic() + timeout
        while True:
            output: str = (await self.kubectl(command))["output"]
            if text in output:
                return output
            if time.monotonic() > deadline:
                raise AssertionError(f"`{command}` never printed {text!r}; last: {output!r}")
            await asyncio.sleep(1)

    async def wait_pods(self, selector: str, count: int, timeout: float = 90) -> list[Any]:
        """Until exactly `count` pods match and all of them are Running."""
        deadline = time.monotonic() + timeout
        while True:
            pods = await self.pods(selector)
            phases = [p["status"].get("phase") for p in pods]
            if len(pods) == count and all(phase == "Running" for phase in phases):
                return pods
            if time.monotonic() > deadline:
                raise AssertionError(f"{selector}: wanted {count} Running pods, have {phases}")
            await asyncio.sleep(1)
