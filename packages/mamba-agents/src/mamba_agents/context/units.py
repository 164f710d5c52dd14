"""Cut a run of messages into units that can be dropped without orphaning a tool call or result."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolReturnPart, UserPromptPart


def droppable_units(messages: Sequence[ModelMessage]) -> list[list[ModelMessage]]:
    """Group ``messages`` so each unit holds a response with the request(s) answering its tool calls."""
    units: list[list[ModelMessage]] = []
    for message in messages:
        answers_previous = (
            isinstance(message, ModelRequest)
            and units
            and isinstance(units[-1][-1], ModelResponse | ModelRequest)
            and any(isinstance(p, ToolReturnPart) for p in message.parts)
            and not any(isinstance(p, UserPromptPart) for p in message.parts)
        )
        if answers_previous:
            units[-1].append(message)
        else:
            units.append([message])
    return units
