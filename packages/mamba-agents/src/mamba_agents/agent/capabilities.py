"""The capabilities the facade composes onto its pydantic-ai agent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_ai import RunContext, ToolDefinition
from pydantic_ai.capabilities import AbstractCapability, ValidatedToolArgs, WrapToolExecuteHandler
from pydantic_ai.exceptions import ToolFailed
from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models import ModelRequestContext

from mamba_agents.tokens import UsageTracker


@dataclass
class UsageTracking(AbstractCapability[Any]):
    """One usage record per model request, taken from the response pydantic-ai got."""

    tracker: UsageTracker

    async def after_model_request(
        self, ctx: RunContext[Any], *, request_context: ModelRequestContext, response: ModelResponse
    ) -> ModelResponse:
        self.tracker.record_response(response)
        return response


@dataclass
class GracefulToolErrors(AbstractCapability[Any]):
    """An unexpected exception in a tool becomes a failed tool result the model reads, not a crashed run.

    pydantic-ai's own control flow (``ModelRetry``, ``ToolFailed``, approvals, deferrals, limits) passes.
    """

    async def wrap_tool_execute(
        self,
        ctx: RunContext[Any],
        *,
        call: ToolCallPart,
        tool_def: ToolDefinition,
        args: ValidatedToolArgs,
        handler: WrapToolExecuteHandler,
    ) -> Any:
        try:
            return await handler(args)
        except Exception as exc:
            if type(exc).__module__.startswith("pydantic_ai"):
                raise
            raise ToolFailed(f"{type(exc).__name__}: {exc}") from exc
