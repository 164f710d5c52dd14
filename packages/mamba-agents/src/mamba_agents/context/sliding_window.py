"""The core's default strategy: drop the oldest messages between the first prompt and the recent turns."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic_ai.messages import ModelMessage

from mamba_agents.context.result import CompactionResult
from mamba_agents.context.strategy import CompactionContext, CompactionStrategy
from mamba_agents.context.units import droppable_units


class SlidingWindowStrategy(CompactionStrategy):
    """Keeps the first user message and the last ``preserve_recent_turns`` turns; drops the oldest of the rest
    (a tool call together with its result) until the history fits ``target_tokens``."""

    name = "sliding_window"

    async def compact(self, messages: Sequence[ModelMessage], context: CompactionContext) -> CompactionResult:
        parts = context.partition(messages)
        units = droppable_units(parts.middle)
        fixed = context.count(parts.head) + context.count(parts.tail)
        sizes = [context.count(unit) for unit in units]
        total = fixed + sum(sizes)
        dropped = 0
        while dropped < len(units) and total > context.target_tokens:
            total -= sizes[dropped]
            dropped += 1
        kept = [m for unit in units[dropped:] for m in unit]
        removed = sum(len(unit) for unit in units[:dropped])
        return CompactionResult(
            strategy=self.name,
            messages=parts.join(kept),
            removed_count=removed,
            details={"units_dropped": dropped},
        )
