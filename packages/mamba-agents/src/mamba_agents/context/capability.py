"""Compaction as a pydantic-ai capability: checked before every model request, not only between runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.exceptions import ModelContextWindowExceededError, RetryModelRequest
from pydantic_ai.models import ModelRequestContext

from mamba_agents.context.manager import ContextManager


@dataclass
class CompactionCapability(AbstractCapability[Any]):
    """Before each model request, compact the history when it crosses the trigger.

    Both views are updated (the request going out and the run's persistent history), so a long tool loop
    inside one run cannot overflow. When the provider still answers "context window exceeded", the history is
    compacted to half the target and the request retried once.
    """

    manager: ContextManager
    # Runs whose last attempt overflowed, by run id. Kept here rather than in a per-run copy (``for_run``)
    # because a per-run copy costs every run, while an overflow is rare.
    _overflowed: set[str] = field(default_factory=set, init=False, repr=False)

    async def before_model_request(
        self, ctx: RunContext[Any], request_context: ModelRequestContext
    ) -> ModelRequestContext:
        if self.manager.context_window is None:
            self.manager.context_window = getattr(request_context.model, "context_window", None)
        if self.manager.should_compact(request_context.messages):
            await self._compact(ctx, request_context, target=None)
        return request_context

    async def prepare_model_request(
        self, ctx: RunContext[Any], request_context: ModelRequestContext
    ) -> ModelRequestContext:
        if self._overflowed and ctx.run_id in self._overflowed:
            self._overflowed.discard(ctx.run_id)
            _, target = self.manager.thresholds()
            await self._compact(ctx, request_context, target=max(1, target // 2))
        return request_context

    async def on_model_request_error(
        self, ctx: RunContext[Any], *, request_context: ModelRequestContext, error: Exception
    ) -> Any:
        if isinstance(error, ModelContextWindowExceededError) and request_context.attempt == 1:
            self._overflowed.add(ctx.run_id)
            raise RetryModelRequest()
        raise error

    async def _compact(
        self, ctx: RunContext[Any], request_context: ModelRequestContext, *, target: int | None
    ) -> None:
        result = await self.manager.compact_messages(
            request_context.messages, target=target, within_current_turn=True
        )
        if result.success and result.messages != request_context.messages:
            request_context.messages = result.messages
            ctx.messages[:] = result.messages
