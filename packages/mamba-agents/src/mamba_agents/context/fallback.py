"""What the manager does when a strategy leaves a history over its target.

:func:`fit` drops whole older exchanges, oldest first and summaries last; then the older tool exchanges of the
last turn; then, when the first request and the preserved turns alone do not fit, clips their longest texts
with a visible note. Its report says what each step did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic_ai.messages import (
    CompactionPart,
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolReturnPart,
    UserPromptPart,
)

from mamba_agents.context.join import joined
from mamba_agents.context.turns import (
    Partition,
    partition,
    partition_current_turn,
    split_turns,
    tool_call_ids,
    tool_return_ids,
)
from mamba_agents.context.units import droppable_units

if TYPE_CHECKING:
    from mamba_agents.context.strategy import CompactionContext

CLIP_NOTE = "\n[... {chars} characters clipped to fit the context ...]\n"
# Clipping a part can only be estimated from its share of tokens; a few rounds always converge.
_CLIP_ROUNDS = 12


def is_summary_request(message: ModelMessage) -> bool:
    return isinstance(message, ModelRequest) and any(isinstance(p, CompactionPart) for p in message.parts)


def fit(
    messages: list[ModelMessage], context: CompactionContext, *, current_turn: bool
) -> tuple[list[ModelMessage], dict[str, Any], dict[int, Any]]:
    """``messages`` brought to ``context.target_tokens`` as far as possible, what it took, and the clipped
    parts (``id(clipped) -> original part``) so the manager can tell a clipped prompt from a dropped one."""
    target = context.target_tokens
    report: dict[str, Any] = {"exchanges_dropped": 0, "turn_exchanges_dropped": 0, "parts_clipped": 0}
    current = _drop_older(messages, context, report, "exchanges_dropped", inner=False)
    if current_turn and context.count(current) > target:
        current = _drop_older(current, context, report, "turn_exchanges_dropped", inner=True)
    clipped: dict[int, Any] = {}
    if context.count(current) > target:
        current = _clip(current, context, report, clipped)
    report["reached_target"] = context.count(current) <= target
    return current, report, clipped


def _drop_older(
    messages: list[ModelMessage], context: CompactionContext, report: dict[str, Any], key: str, *, inner: bool
) -> list[ModelMessage]:
    parts = (
        partition_current_turn(messages)
        if inner
        else partition(messages, context.config.preserve_recent_turns)
    )
    if inner:
        units = droppable_units(parts.middle)
    else:
        # Whole turns (and what followed the first prompt), so no answer is left under another prompt.
        rest_of_first, turns = split_turns(parts.middle)
        units = [u for u in (rest_of_first, *turns) if u]
    if not units:
        return messages
    # The middle's last response stays when the first kept message answers its tool calls.
    pinned = (
        inner
        and parts.tail
        and isinstance(units[-1][0], ModelResponse)
        and bool(tool_call_ids(units[-1][0]) & tool_return_ids(parts.tail[0]))
    )
    candidates = range(len(units) - 1 if pinned else len(units))
    order = sorted(candidates, key=lambda i: (any(is_summary_request(m) for m in units[i]), i))
    sizes = [context.count(u) for u in units]
    total = context.count(joined(parts.head, *units, parts.tail))
    dropped: set[int] = set()
    for index in order:
        if total <= context.target_tokens:
            break
        dropped.add(index)
        total -= sizes[index]
        if total <= context.target_tokens:
            # Sizes add up only roughly (the separator, the instructions): measure the real thing once.
            total = context.count(_keep(parts, units, dropped))
    if not dropped:
        return messages
    report[key] += len(dropped)
    return _keep(parts, units, dropped)


def _keep(parts: Partition, units: list[list[ModelMessage]], dropped: set[int]) -> list[ModelMessage]:
    kept = [m for i, unit in enumerate(units) if i not in dropped for m in unit]
    return joined(parts.head, kept, parts.tail)


def _clip(
    messages: list[ModelMessage], context: CompactionContext, report: dict[str, Any], clipped: dict[int, Any]
) -> list[ModelMessage]:
    """Clip the longest texts (prompts, tool results, replies, summaries) until the history fits."""
    current = list(messages)
    for _ in range(_CLIP_ROUNDS):
        excess = context.count(current) - context.target_tokens
        if excess <= 0:
            break
        found = _longest(current)
        if found is None:
            break
        index, position, text = found
        message = current[index]
        part_tokens = max(1, context.count([ModelRequest(parts=[UserPromptPart(content=text)])]))
        note = CLIP_NOTE.format(chars=len(text))
        keep_tokens = max(0, part_tokens - excess - context.count([_note_message(note)]))
        keep = int(len(text) * keep_tokens / part_tokens)
        shorter = clip_text(text, keep)
        if len(shorter) >= len(text):
            break
        old = message.parts[position]
        new_parts = list(message.parts)
        new_parts[position] = replace(old, content=shorter)  # type: ignore[call-arg]
        clipped[id(new_parts[position])] = clipped.pop(id(old), old)
        current[index] = replace(message, parts=new_parts)  # type: ignore[arg-type]
        report["parts_clipped"] += 1
    return current


def _note_message(note: str) -> ModelRequest:
    return ModelRequest(parts=[UserPromptPart(content=note)])


def clip_text(text: str, keep: int) -> str:
    """``text`` cut to ``keep`` characters (beginning and end) around a note saying how much went."""
    if keep >= len(text):
        return text
    head = int(max(0, keep) * 0.7)
    tail = max(0, keep - head)
    gone = len(text) - head - tail
    return f"{text[:head]}{CLIP_NOTE.format(chars=gone)}{text[len(text) - tail :] if tail else ''}"


def _longest(messages: Sequence[ModelMessage]) -> tuple[int, int, str] | None:
    """``(message index, part index, text)`` of the longest clippable text, if any is worth clipping."""
    best: tuple[int, int, str] | None = None
    for index, message in enumerate(messages):
        for position, part in enumerate(message.parts):
            text = _clippable_text(part)
            if text is not None and len(text) > 200 and (best is None or len(text) > len(best[2])):
                best = (index, position, text)
    return best


def _clippable_text(part: Any) -> str | None:
    if isinstance(part, UserPromptPart | TextPart | CompactionPart):
        return part.content if isinstance(part.content, str) else None
    if isinstance(part, ToolReturnPart):
        try:
            return part.model_response_str()
        except Exception:  # exotic content is left for the model's own error, not clipped blindly
            return None
    return None
