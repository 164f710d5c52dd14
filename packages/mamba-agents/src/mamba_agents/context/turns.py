"""Turn structure of a pydantic-ai history, and the invariants every compaction must keep.

A *turn* starts at a ``ModelRequest`` holding a ``UserPromptPart`` and runs up to the next one: the prompt,
the model's responses, the tool calls and their results. Messages before the first user prompt are the
*preamble* (a system prompt, usually).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    SystemPromptPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from mamba_agents.context.join import joined


def is_user_turn_start(message: ModelMessage) -> bool:
    return isinstance(message, ModelRequest) and any(isinstance(p, UserPromptPart) for p in message.parts)


def split_turns(messages: Sequence[ModelMessage]) -> tuple[list[ModelMessage], list[list[ModelMessage]]]:
    """``(preamble, turns)``."""
    preamble: list[ModelMessage] = []
    turns: list[list[ModelMessage]] = []
    for message in messages:
        if is_user_turn_start(message):
            turns.append([message])
        elif turns:
            turns[-1].append(message)
        else:
            preamble.append(message)
    return preamble, turns


@dataclass(frozen=True)
class Partition:
    """A history cut into what must stay (``head``, ``tail``) and what a strategy may compact (``middle``).

    ``head`` is the preamble plus the first user request; ``tail`` is the last ``preserve_recent_turns``
    turns. The current, unfinished turn is always in ``tail``.
    """

    head: list[ModelMessage]
    middle: list[ModelMessage]
    tail: list[ModelMessage]

    def join(self, middle: Sequence[ModelMessage] | None = None) -> list[ModelMessage]:
        """``head + middle + tail``, with a note where two requests would otherwise meet (and merge)."""
        return joined(self.head, self.middle if middle is None else middle, self.tail)


def partition(messages: Sequence[ModelMessage], preserve_recent_turns: int) -> Partition:
    preamble, turns = split_turns(messages)
    if not turns:
        return Partition(list(preamble), [], [])
    keep = max(1, preserve_recent_turns)
    if len(turns) <= keep:
        # Everything is recent; only the inside of the first turn (after its prompt) could go.
        first = turns[0]
        if len(turns) == 1:
            return Partition([*preamble, first[0]], [], first[1:])
        return Partition([*preamble, first[0]], [], [m for t in turns for m in t][1:])
    head = [*preamble, turns[0][0]]
    middle = [*turns[0][1:], *(m for t in turns[1 : len(turns) - keep] for m in t)]
    tail = [m for t in turns[len(turns) - keep :] for m in t]
    return Partition(head, middle, tail)


def partition_current_turn(messages: Sequence[ModelMessage]) -> Partition:
    """Open up the last turn when it alone is too big (a long tool loop inside one run).

    ``head`` is everything before the last turn plus its prompt; ``tail`` is the latest exchange (the last
    response and the request answering it); ``middle`` is the older tool exchanges of the last turn.
    """
    from mamba_agents.context.units import droppable_units

    preamble, turns = split_turns(messages)
    if not turns:
        return Partition(list(preamble), [], [])
    last = turns[-1]
    earlier = [m for t in turns[:-1] for m in t]
    units = droppable_units(last[1:])
    if len(units) <= 1:
        return Partition([*preamble, *earlier, last[0]], [], last[1:])
    return Partition([*preamble, *earlier, last[0]], [m for u in units[:-1] for m in u], units[-1])


def tool_call_ids(message: ModelMessage) -> set[str]:
    if isinstance(message, ModelResponse):
        return {p.tool_call_id for p in message.parts if isinstance(p, ToolCallPart)}
    return set()


def tool_return_ids(message: ModelMessage) -> set[str]:
    if isinstance(message, ModelRequest):
        return {p.tool_call_id for p in message.parts if isinstance(p, ToolReturnPart)}
    return set()


def invariant_violations(messages: Sequence[ModelMessage], *, allow_open_last: bool = True) -> list[str]:
    """Problems that make a history invalid for a provider (empty when it is sound).

    Every tool call has its result in the next request; no result is orphaned; a system prompt appears only
    at the start. ``allow_open_last`` accepts unanswered calls in the final response (a run in progress).
    """
    problems: list[str] = []
    for index, message in enumerate(messages):
        if isinstance(message, ModelRequest):
            late_system = index > 0 and any(isinstance(p, SystemPromptPart) for p in message.parts)
            if late_system and any(
                not isinstance(p, SystemPromptPart) for m in messages[:index] for p in m.parts
            ):
                problems.append(f"message {index}: system prompt after the start of the conversation")
            returns = tool_return_ids(message)
            previous = tool_call_ids(messages[index - 1]) if index > 0 else set()
            for orphan in sorted(returns - previous):
                problems.append(
                    f"message {index}: tool result {orphan!r} has no call in the previous response"
                )
        else:
            calls = tool_call_ids(message)
            if not calls:
                continue
            if index == len(messages) - 1:
                if not allow_open_last:
                    problems.append(f"message {index}: tool calls {sorted(calls)} have no results")
                continue
            answered = tool_return_ids(messages[index + 1])
            for missing in sorted(calls - answered):
                problems.append(f"message {index}: tool call {missing!r} has no result")
    return problems
