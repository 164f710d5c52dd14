"""What ReAct changes in each model request of its run: a pydantic-ai capability.

Before a request it compacts a long history (``auto_compact_in_workflow``), forces a tool call after
``max_consecutive_thoughts`` tool-less turns (``tool_choice``), and adds the iteration prompt to this
request only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.messages import ModelRequest, UserPromptPart
from pydantic_ai.models import ModelRequestContext

from mamba_agents_workflows.react_config import ReActConfig
from mamba_agents_workflows.react_state import ReActState


@dataclass
class ReActSteering(AbstractCapability[Any]):
    config: ReActConfig
    react: ReActState
    context_manager: Any  # the agent's ContextManager, or None when it tracks no context
    iteration_prompt: Callable[[bool], str | None]
    on_compaction: Callable[[Any], Awaitable[None]]

    async def before_model_request(
        self, ctx: RunContext[Any], request_context: ModelRequestContext
    ) -> ModelRequestContext:
        await self._maybe_compact(ctx, request_context)
        force = self.react.consecutive_thought_count >= self.config.max_consecutive_thoughts
        if force:
            params = request_context.model_request_parameters
            names = [t.name for t in params.function_tools] + [t.name for t in params.output_tools]
            settings = dict(request_context.model_settings or {})
            settings["tool_choice"] = names
            request_context = dataclasses.replace(request_context, model_settings=settings)  # type: ignore[arg-type]
            self.react.forced_actions += 1
        text = self.iteration_prompt(force)
        if text:
            messages = list(request_context.messages)
            last = messages[-1]
            if isinstance(last, ModelRequest):
                # A new list and a new last message: this request sees the prompt, the history does not.
                messages[-1] = dataclasses.replace(last, parts=[*last.parts, UserPromptPart(text)])
                request_context.messages = messages
        return request_context

    async def _maybe_compact(self, ctx: RunContext[Any], request_context: ModelRequestContext) -> None:
        manager = self.context_manager
        if not self.config.auto_compact_in_workflow or manager is None:
            return
        trigger, target = manager.thresholds()
        ratio = self.config.compact_threshold_ratio
        if manager.token_count(request_context.messages) < ratio * trigger:
            return
        # Earlier than the agent would, and as much further down: the loop keeps growing after this.
        result = await manager.compact_messages(
            request_context.messages, target=max(1, int(ratio * target)), within_current_turn=True
        )
        if result.success and result.messages != request_context.messages:
            request_context.messages = list(result.messages)
            ctx.messages[:] = result.messages
            self.react.compaction_count += 1
        await self.on_compaction(result)
