"""What the confirmation tests share: the person who answers the server's questions, and how
many times the fake CLIs ran a command (FAKE_CLI_MARKER)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastmcp.client.elicitation import ElicitResult


class User:
    """The person behind the client: answers every question the same way, and remembers."""

    def __init__(self, allow: bool | None) -> None:
        self.allow = allow  # None: dismisses the dialog
        self.questions: list[str] = []

    async def __call__(self, message: str, response_type: Any, params: Any, context: Any) -> Any:
        self.questions.append(message)
        if self.allow is None:
            return ElicitResult(action="cancel")
        return response_type(value=self.allow)


def runs(marker: Path) -> int:
    """How many times a CLI ran the command: what a write's preview runs does not count (the
    server's dry run, whose flags the server adds after the command's own, and helm's reads
    of the deployed release)."""
    lines = marker.read_text().splitlines() if marker.exists() else []
    return sum(not _previewing(json.loads(line)) for line in lines)


def _previewing(run: dict[str, Any]) -> bool:
    argv = run["argv"]
    helm_read = run["program"] == "helm" and argv[:1] in (["get"], ["history"])
    return helm_read or "--dry-run=server --output=" in " ".join(argv)
