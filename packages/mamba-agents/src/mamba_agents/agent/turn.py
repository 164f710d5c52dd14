"""``Turn``: what one call of ``run`` / ``run_stream`` / ``iter`` carries from start to end."""

from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import CancellationToken
from pydantic_ai.exceptions import RunTimedOut

from mamba_agents.agent.runlock import RunLock
from mamba_agents.agent.timeouts import RunDeadline
from mamba_agents.context.result import CompactionResult


@dataclass
class Turn:
    deadline: RunDeadline | None
    token: CancellationToken
    token_given: bool
    compactions: list[CompactionResult] = field(default_factory=list)
    kept: bool = False
    """A stopped run left its completed part in history (so a bound session saves it)."""

    async def acquire(self, lock: RunLock) -> contextvars.Token[frozenset[int]]:
        """Wait for the agent's run lock within the deadline: the wait is part of the time the caller gave."""
        if self.deadline is None:
            return await lock.acquire()
        try:
            async with asyncio.timeout(max(self.deadline.remaining(), 0)):
                return await lock.acquire()
        except TimeoutError:
            from mamba_agents.errors.mapping import to_agent_error

            error = to_agent_error(
                RunTimedOut(
                    f"the run timed out ({self.deadline.limit}) while waiting for another run of this agent "
                    "to finish; it never started, and the history is as it was"
                )
            )
            error.details.update(  # type: ignore[attr-defined]
                reason="timeout", timeout=self.deadline.seconds, limit=self.deadline.limit, incomplete=False
            )
            raise error from None

    def run_kwargs(self) -> dict[str, Any]:
        """``timeout`` (what is left of the deadline) and ``cancellation_token`` for pydantic-ai's run."""
        out: dict[str, Any] = {"cancellation_token": self.token}
        if self.deadline is not None:
            # pydantic-ai refuses timeout <= 0; a deadline spent on the lock wait still stops the run at once
            out["timeout"] = max(self.deadline.remaining(), 1e-3)
        return out
