"""Cut a run of messages into units that can be dropped without orphaning a tool call or result."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse


def droppable_units(messages: Sequence[ModelMessage]) -> list[list[ModelMessage]]:
    """Group ``messages`` into exchanges: a response with the requests that follow it.

    An exchange holds every tool call together with its result, and dropping a prefix of exchanges never
    leaves two responses side by side (two requests may meet; pydantic-ai merges them before each request).
    A leading request is a unit of its own.
    """
    units: list[list[ModelMessage]] = []
    for message in messages:
        starts = isinstance(message, ModelResponse) and (not units or isinstance(units[-1][-1], ModelRequest))
        if starts or not units:
            units.append([message])
        else:
            units[-1].append(message)
    return units
