"""The core's default strategy: drop the oldest messages between the first prompt and the recent turns."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic_ai.messages import ModelMessage, ModelResponse

from mamba_agents.context.result import CompactionResult
from mamba_agents.context.strategy import CompactionContext, CompactionStrategy
from mamba_agents.context.turns import tool_call_ids, tool_return_ids
from mamba_agents.context.units import droppable_units


class SlidingWindowStrategy(CompactionStrategy):
    """Keeps the first user message and the last ``preserve_recent_turns`` turns; drops the oldest of the rest
    (a tool call together with its result) until the history fits ``target_tokens``."""

    name = "sliding_window"

    async def compact(self, messages: Sequence[ModelMessage], context: CompactionContext) -> CompactionResult:
        parts = context.partition(messages)
        units = droppable_units(parts.middle)
        # The last response of the middle stays when the first recent message holds its tool results.
        pinned = (
            units
            and parts.tail
            and isinstance(units[-1][0], ModelResponse)
            and bool(tool_call_ids(units[-1][0]) & tool_return_ids(parts.tail[0]))
        )
        droppable = len(units) - 1 if pinned else len(units)
        fixed = context.count(parts.head) + context.count(parts.tail)
        sizes = [context.count(unit) for unit in units]
        total = fixed + sum(sizes)
        dropped = 0
        while dropped < droppable and total > context.target_tokens:
            total -= sizes[dropped]
            dropped += 1

        def keep(start: int) -> list[ModelMessage]:
            return parts.join([m for unit in units[start:] for m in unit])

        # The sizes add up only roughly (a separator where two requests would meet): check the real thing.
        while dropped < droppable and context.count(keep(dropped)) > context.target_tokens:
            dropped += 1
        removed = sum(len(unit) for unit in units[:dropped])
        return CompactionResult(
            strategy=self.name,
            messages=keep(dropped),
            removed_count=removed,
            details={"units_dropped": dropped},
        )
