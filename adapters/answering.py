"""Answering a chat platform within its time budget, and the one catch-all apology.

Discord and Slack both want an answer to an interaction within 3 seconds. Both adapters start
the core the same way (off the loop, through adapters/core_calls.py), wait for it up to their
budget, and then either answer with its reply or acknowledge at once and deliver the reply
later (Discord: defer and follow up; Slack: ack and post to the response_url). What differs
is only how a platform acknowledges, so that stays in each adapter.

A failure, in the core or in the adapter around it, gets the same words on every platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

from adapters.core_calls import Core, handle_off_loop
from bot.core import INTERNAL_ERROR as CORE_FAILURE
from bot.types import Invocation, Reply

log = logging.getLogger(__name__)

# Slack's and Discord's deadline is 3 s; the rest is left for the network and the library.
REPLY_BUDGET_SECONDS = 2.0
# The core's sentence; after a failure out here the core may have finished its work, so this
# one does not say that nothing was changed.
INTERNAL_ERROR = f"{CORE_FAILURE} Please try again."


def failure_reply() -> Reply:
    """What the person sees when Marquee failed (a bug, not a refusal). Marked as our failure,
    so logs and metrics count it as an error rather than a refusal."""
    return replace(Reply.error(INTERNAL_ERROR), failure="error")


def guarded_handle(core: Core, inv: Invocation) -> Reply:
    """`core.handle(inv)`, with a bug in the core answered rather than raised: the person gets
    the apology instead of the platform's own "did not respond"."""
    try:
        return core.handle(inv)
    except Exception:
        log.exception("The core failed on %s", inv.command)
        return failure_reply()


async def within_budget(core: Core, inv: Invocation, budget: float) -> asyncio.Future[Reply]:
    """Start the core on `inv` and wait for it up to `budget` seconds.

    Returns the call's future: done if the reply came in time (answer with it), else still
    running (acknowledge now, deliver its reply when it is done).
    """
    work = asyncio.ensure_future(handle_off_loop(lambda i: guarded_handle(core, i), inv))
    await asyncio.wait({work}, timeout=budget)
    return work


@contextlib.asynccontextmanager
async def catch_all(
    what: str, tell: Callable[[str], Awaitable[None]] | None = None
) -> AsyncIterator[None]:
    """Log a failure of the block and, through `tell` (None when nothing can be said any
    more), give the person the apology rather than leave them with the platform's error."""
    try:
        yield
    except Exception:
        log.exception("%s failed", what)
        if tell is not None:
            try:
                await tell(INTERNAL_ERROR)
            except Exception:  # noqa: BLE001 - the apology is best-effort
                log.warning("%s: could not tell the person it failed", what)
