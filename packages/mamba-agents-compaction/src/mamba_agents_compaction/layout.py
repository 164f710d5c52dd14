"""Where a strategy may work: the compactable body of a history, and the exchanges it can drop whole.

The core's :func:`~mamba_agents.context.turns.partition` gives ``head`` (preamble + first user request),
``middle`` and ``tail`` (the recent turns). Two refinements every strategy here needs:

* the end of ``middle`` is *pinned* when the first tail message answers its tool calls (a request can carry
  both tool results and the next user prompt), so that response must stay;
* the body is cut into *exchanges*: one or more responses followed by the requests after them. An exchange
  holds every tool call together with its result, and dropping whole exchanges never puts two responses
  next to each other. Where a cut would leave two requests side by side (pydantic-ai would merge them, folding
  a later prompt into the first request), :meth:`Layout.join` puts the core's separator note between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mamba_agents.context.join import joined
from mamba_agents.context.strategy import CompactionContext
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolReturnPart,
)


@dataclass(frozen=True)
class Layout:
    """``head + body + pinned + tail`` is the original history; only ``body`` may be compacted."""

    head: list[ModelMessage]
    body: list[ModelMessage]
    pinned: list[ModelMessage]
    tail: list[ModelMessage]

    def join(
        self, body: Sequence[ModelMessage] | None = None, *, head: Sequence[ModelMessage] | None = None
    ) -> list[ModelMessage]:
        return joined(
            self.head if head is None else head, self.body if body is None else body, self.pinned, self.tail
        )

    def fixed(self) -> list[ModelMessage]:
        """Everything a strategy must keep as it is."""
        return [*self.head, *self.pinned, *self.tail]


def layout(messages: Sequence[ModelMessage], context: CompactionContext) -> Layout:
    parts = context.partition(messages)
    middle = list(parts.middle)
    pinned: list[ModelMessage] = []
    if (
        middle
        and parts.tail
        and isinstance(middle[-1], ModelResponse)
        and any(isinstance(p, ToolReturnPart) for p in parts.tail[0].parts)
    ):
        pinned = [middle.pop()]
    return Layout(list(parts.head), middle, pinned, list(parts.tail))


def exchanges(body: Sequence[ModelMessage]) -> list[list[ModelMessage]]:
    """Cut ``body`` before every response that follows a request."""
    groups: list[list[ModelMessage]] = []
    for message in body:
        after_request = not groups or isinstance(groups[-1][-1], ModelRequest)
        starts = isinstance(message, ModelResponse) and after_request
        if starts or not groups:
            groups.append([message])
        else:
            groups[-1].append(message)
    return groups


def return_index(messages: Sequence[ModelMessage]) -> dict[str, ToolReturnPart]:
    return {
        p.tool_call_id: p
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, ToolReturnPart)
    }
