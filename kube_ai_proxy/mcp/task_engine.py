"""fastmcp-tasks' engine for this server: the backend and worker that run background tasks.

Kept apart from mcp/tasks.py, which decides what becomes a task, because loading it costs
about 20 MB and a second (docket, redis, py-key-value, beartype): a server whose backend is
its own memory loads it when its first task is made, not at start.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from fastmcp_tasks import TasksExtension
from fastmcp_tasks.settings import tasks_settings

from kube_ai_proxy.errors import StartupError

if TYPE_CHECKING:
    from fastmcp import FastMCP

    from kube_ai_proxy.config import Settings


def refuse_exposed_tokens(settings: Settings) -> None:
    """Refuse a shared backend whose task records would carry callers' tokens, unencrypted,
    out of this process."""
    authenticated = settings.auth_token is not None or settings.oauth_issuer is not None
    if authenticated and settings.tasks_shared and tasks_settings.encryption_key is None:
        raise StartupError(
            f"K8S_MCP_TASKS_BACKEND is {settings.tasks_backend} and callers authenticate: "
            "each task's record there holds its caller's token. Set "
            "FASTMCP_TASKS_ENCRYPTION_KEY (at least 32 random characters, the same on "
            "every replica) to encrypt it, or K8S_MCP_TASKS=off."
        )


def task_engine(settings: Settings, server: FastMCP) -> TasksExtension:
    """The engine, bound to `server` but not registered on it: mcp/tasks.py's extension is
    what the server advertises and routes to, and it hands the engine what it runs."""
    engine = TasksExtension(
        url=settings.tasks_backend,
        name="kube-ai-proxy",
        concurrency=settings.max_tasks,
        # fastmcp-tasks hands a task to another worker when it has run this long: a helm
        # install run twice is not a retry. A call never outlives K8S_MCP_MAX_TIMEOUT.
        redelivery_timeout=timedelta(seconds=settings.max_timeout + 60),
    )
    # Private API: ServerExtension._bind (fastmcp 4.1; tests/test_canaries.py checks it) is
    # what add_extension calls; registering the engine itself would load it at start.
    engine._bind(server)
    return engine
