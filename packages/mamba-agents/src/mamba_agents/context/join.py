"""Joining the pieces of a cut history without merging turns.

pydantic-ai merges adjacent ``ModelRequest`` s before every request, so a cut that leaves the first user
request next to a later one would fold that later prompt into the first request (and the next compaction would
then keep it forever as "the first message"). :func:`joined` puts a short, marked note in between instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart

SEPARATOR_TEXT = "[Earlier messages were removed here to save context.]"
_META = "mamba_agents"


def separator() -> ModelResponse:
    """The note standing where removed messages were, between two requests that must stay apart."""
    return ModelResponse(parts=[TextPart(content=SEPARATOR_TEXT)], metadata={_META: {"separator": True}})


def is_separator(message: ModelMessage) -> bool:
    meta = message.metadata if isinstance(message, ModelResponse) else None
    return isinstance(meta, dict) and isinstance(meta.get(_META), dict) and bool(meta[_META].get("separator"))


def joined(*pieces: Sequence[ModelMessage]) -> list[ModelMessage]:
    """Concatenate ``pieces``, keeping two requests from meeting where a piece ends and the next begins.

    Requests already adjacent inside a piece are left alone (that is not a cut). A separator from an earlier
    cut stays only while it still stands between two requests.
    """
    out: list[ModelMessage] = []
    for piece in pieces:
        for index, message in enumerate(piece):
            if is_separator(message):
                if out and isinstance(out[-1], ModelRequest):
                    out.append(message)
                continue
            if out and is_separator(out[-1]) and not isinstance(message, ModelRequest):
                out.pop()
            elif (
                index == 0 and out and isinstance(out[-1], ModelRequest) and isinstance(message, ModelRequest)
            ):
                out.append(separator())
            out.append(message)
    if out and is_separator(out[-1]):
        out.pop()
    return out
