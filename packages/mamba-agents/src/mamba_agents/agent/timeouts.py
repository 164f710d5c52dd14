"""Time limits of a run: ``timeout=`` / ``AgentConfig.run_timeout`` and ``AgentConfig.tool_timeout``.

The run limit is pydantic-ai's own (``run(timeout=)`` raising ``RunTimedOut``); the facade only adds the time
spent waiting for another run of the same agent, so one deadline covers the whole call. The tool limit is a
capability rather than pydantic-ai's ``tool_timeout``: that one covers only the agent's own function tools
and turns an overrun into a retry prompt whose budget, once spent, crashes the run. Here every tool (MCP
tools included) is bounded and an overrun is a failed tool result the model reads.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
from pydantic_ai import RunContext, ToolDefinition
from pydantic_ai.capabilities import AbstractCapability, ValidatedToolArgs, WrapToolExecuteHandler
from pydantic_ai.exceptions import ToolFailed
from pydantic_ai.messages import ToolCallPart


@dataclass(frozen=True)
class RunDeadline:
    """When a call must be done, and which setting said so (for the error message)."""

    seconds: float
    limit: str
    started: float

    @classmethod
    def resolve(cls, explicit: float | None, configured: float | None) -> RunDeadline | None:
        if explicit is not None:
            if explicit <= 0:
                raise ValueError(f"timeout must be > 0 seconds, got {explicit!r}")
            return cls(float(explicit), f"timeout={explicit:g} s", time.monotonic())
        if configured is not None:
            return cls(float(configured), f"AgentConfig.run_timeout = {configured:g} s", time.monotonic())
        return None

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)


@contextlib.contextmanager
def _abandon_threads() -> Iterator[None]:
    # A sync tool runs in a worker thread that anyio shields from cancellation unless told otherwise, so a
    # timeout would only fire once the tool returned; pydantic-ai's own tool timeout uses the same switch.
    try:
        from pydantic_ai._utils import abandon_threads_on_cancel
    except ImportError:  # pragma: no cover - without it the limit fires once the thread returns
        yield
        return
    with abandon_threads_on_cancel():
        yield


@dataclass
class ToolTimeouts(AbstractCapability[Any]):
    """Every tool call gets at most ``seconds``; past that it is cancelled and the model reads a failure."""

    seconds: float

    async def wrap_tool_execute(
        self,
        ctx: RunContext[Any],
        *,
        call: ToolCallPart,
        tool_def: ToolDefinition,
        args: ValidatedToolArgs,
        handler: WrapToolExecuteHandler,
    ) -> Any:
        # move_on_after, not fail_after: a TimeoutError the tool raises itself is the tool's own error.
        with anyio.move_on_after(self.seconds), _abandon_threads():
            return await handler(args)
        raise ToolFailed(
            f"tool {call.tool_name!r} was stopped after {self.seconds:g} s (AgentConfig.tool_timeout) "
            "before it finished"
        )
