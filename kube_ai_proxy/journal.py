"""The journal of the writes this server performed, each with how to revert it (K8S_MCP_JOURNAL):
a bounded JSON-lines file, listed newest first by the kube://changes resource.

What it keeps comes from the write's preview (preview/undo.py): the objects as they were, the
helm revision before. Secrets are kept by name only. The file holds only what a revert needs,
and it is cut to its last MAX_ENTRIES entries as it grows.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from kube_ai_proxy.preview.undo import Undo

MAX_ENTRIES = 200


class Revert(BaseModel):
    command: str | None = Field(
        description="The command that reverts this part; null when it cannot be reverted."
    )
    stdin: str | None = Field(default=None, description="What the command reads on stdin.")
    note: str = Field(default="", description="Why it cannot be reverted, when it cannot.")
    version: str | None = Field(
        default=None,
        description="The resourceVersion the object it puts back had right after the write.",
    )


class Change(BaseModel):
    """One write, as kube://changes lists it."""

    id: str
    time: str
    caller: str | None = None
    command: str
    summary: str
    revert: list[Revert]


def default_path() -> Path:
    """Under the user's state directory (XDG_STATE_HOME, else ~/.local/state)."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "kube-ai-proxy" / "journal.jsonl"


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path

    def record(
        self,
        command: str,
        summary: str,
        undo: tuple[Undo, ...],
        caller: str | None,
        versions: Mapping[str, str | None] | None = None,
    ) -> Change:
        """`versions`: for each restore's stdin, its object's resourceVersion after the write."""
        versions = versions or {}
        entry = Change(
            id=secrets.token_hex(6),
            time=datetime.now(UTC).isoformat(timespec="seconds"),
            caller=caller,
            command=command,
            summary=summary,
            revert=[
                Revert(
                    command=u.command,
                    stdin=u.stdin,
                    note=u.note,
                    version=versions.get(u.stdin) if u.stdin is not None else None,
                )
                for u in undo
            ],
        )
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lines = [*self._lines()[-(MAX_ENTRIES - 1) :], entry.model_dump_json()]
        # Written whole and renamed into place: a reader never sees half a file.
        partial = self.path.with_suffix(".tmp")
        partial.write_text("".join(f"{line}\n" for line in lines))
        partial.chmod(0o600)
        partial.replace(self.path)
        return entry

    def version_after(self, stdin: str) -> str | None:
        """The resourceVersion recorded for the newest revert that reads `stdin`."""
        for change in self.recent():
            for step in change.revert:
                if step.stdin == stdin:
                    return step.version
        return None

    def recent(self) -> list[Change]:
        """The changes, newest first; a line that does not parse is skipped."""
        found = []
        for line in reversed(self._lines()):
            try:
                found.append(Change.model_validate(json.loads(line)))
            except (ValueError, TypeError):
                continue
        return found

    def _lines(self) -> list[str]:
        try:
            return [line for line in self.path.read_text().splitlines() if line.strip()]
        except FileNotFoundError:
            return []
