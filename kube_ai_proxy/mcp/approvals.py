"""A user's "yes" carried from the call that asked into the background task that runs.

A call that becomes a task is confirmed before the task exists (mcp/tasks.py): the question
goes back on the `tools/call` itself, and the client's answer comes with its retry. The task
then runs in a worker, perhaps on another replica, that cannot see that retry. So the retry
leaves an approval in the task backend (the same Redis, or the same process), bound to the
caller's task scope and to the exact command (`binding`), and the task takes it: one approval
runs one task, and it lapses after a few minutes unused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastmcp_tasks.context import get_task_scope

if TYPE_CHECKING:
    from docket import Docket
    from fastmcp.server.context import Context

# An approval not taken by a task within this long is dropped.
_KEEP_SECONDS = 300


def _where(ctx: Context, bound: str) -> tuple[Docket, str]:
    docket = ctx.fastmcp._docket
    if docket is None:
        raise RuntimeError("the task backend has not started")
    return docket, docket.key(f"kube-ai-proxy:approved:{get_task_scope() or '-'}:{bound}")


async def grant(ctx: Context, bound: str) -> None:
    """Record that the caller of this request approved the command `bound` names."""
    docket, key = _where(ctx, bound)
    # A list of approvals, one item each: LPOP takes one atomically, on any replica (and the
    # in-process backend has lists, not counters).
    async with docket.redis() as redis:
        await redis.rpush(key, "approved")
        await redis.expire(key, _KEEP_SECONDS)


async def take(ctx: Context, bound: str) -> bool:
    """Use up one approval of the command `bound` names, by this task's caller; False when
    there is none (the task then asks through its input_required status)."""
    docket, key = _where(ctx, bound)
    async with docket.redis() as redis:
        return await redis.lpop(key) is not None
