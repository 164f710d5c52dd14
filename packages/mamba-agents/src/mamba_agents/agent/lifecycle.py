"""Closing an agent: what ``async with agent`` entered, and the connections its toolsets keep open.

pydantic-ai enters models and toolsets for each run and leaves them after it, so a provider's own HTTP client
is closed at the end of every run. What outlives a run is a toolset that keeps its connection on purpose (the
MCP plugin's ``ServerToolset``: one connection, one stdio process, shared by every run) and whatever an
``async with agent`` block entered. Those are closed here, each at most once per close, however deep in
wrapper toolsets (prefixes, graceful errors) they sit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from pydantic_ai.toolsets import AbstractToolset

logger = logging.getLogger("mamba_agents")

# How long close waits for a run in progress to end after cancelling it, before closing under it anyway.
CLOSE_WAIT_SECONDS = 10.0


def closable_toolsets(toolsets: Iterable[AbstractToolset[Any]]) -> list[Any]:
    """The leaf toolsets under ``toolsets`` that hold a connection across runs (they have ``aclose``)."""
    found: list[Any] = []
    seen: set[int] = set()

    def visit(leaf: AbstractToolset[Any]) -> None:
        if id(leaf) not in seen and callable(getattr(leaf, "aclose", None)):
            seen.add(id(leaf))
            found.append(leaf)

    for toolset in toolsets:
        toolset.apply(visit)
    return found


async def close_toolsets(toolsets: Iterable[Any]) -> list[BaseException]:
    """``aclose()`` each one; a failure is logged and returned, and the others are still closed."""
    errors: list[BaseException] = []
    for toolset in toolsets:
        try:
            await toolset.aclose()
        except Exception as exc:  # one server failing to close must not keep the others open
            logger.warning("closing %r failed: %s: %s", toolset, type(exc).__name__, exc)
            errors.append(exc)
    return errors


async def wait_for_lock(lock: Any) -> Any:
    """The run lock, or ``None`` when a cancelled run still holds it after ``CLOSE_WAIT_SECONDS``."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(CLOSE_WAIT_SECONDS):
            return await lock.acquire()
    logger.warning("closing the agent while a run is still ending (waited %g s)", CLOSE_WAIT_SECONDS)
    return None
