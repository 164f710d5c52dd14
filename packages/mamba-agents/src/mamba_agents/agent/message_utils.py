"""pydantic-ai messages to OpenAI chat dicts and back: the dict form ``add_messages`` accepts.

``model_messages_to_dicts`` writes one dict per part that a chat API carries: ``system``, ``user``,
``assistant`` (text joined, tool calls as ``tool_calls`` with JSON ``arguments``) and ``tool`` (the text the
model was sent, so a failed result reads ``{"error": ...}``). Thinking, built-in tool and file parts have no
chat-format counterpart and are left out; a summary a compaction wrote comes out as a ``system`` message.
``dicts_to_model_messages`` (the converter ``add_messages`` uses) reads that form back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic_ai.messages import (
    CompactionPart,
    ModelMessage,
    ModelResponse,
    RetryPromptPart,
    SystemPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from mamba_agents.context.convert import to_model_messages as dicts_to_model_messages

__all__ = ["dicts_to_model_messages", "message_to_dicts", "model_messages_to_dicts", "request_part_to_dict"]


def model_messages_to_dicts(messages: Iterable[ModelMessage]) -> list[dict[str, Any]]:
    """OpenAI chat-format dicts for ``messages``, in order; ``dicts_to_model_messages`` reads them back."""
    return [item for message in messages for item in message_to_dicts(message)]


def message_to_dicts(message: ModelMessage) -> list[dict[str, Any]]:
    """A request gives one dict per part a chat API carries; a response gives one ``assistant`` dict."""
    if isinstance(message, ModelResponse):
        return [_response(message)]
    return [item for part in message.parts if (item := request_part_to_dict(part)) is not None]


def request_part_to_dict(part: Any) -> dict[str, Any] | None:
    if isinstance(part, SystemPromptPart):
        return {"role": "system", "content": part.content}
    if isinstance(part, UserPromptPart):
        content = part.content if isinstance(part.content, str) else list(part.content)
        return {"role": "user", "content": content}
    if isinstance(part, ToolReturnPart):
        plain = isinstance(part.content, str) and part.outcome == "success"
        return {
            "role": "tool",
            "tool_call_id": part.tool_call_id,
            "name": part.tool_name,
            "content": part.content if plain else part.model_response_str(),
        }
    if isinstance(part, RetryPromptPart):  # histories written by older pydantic-ai versions
        if part.tool_name is None:
            return {"role": "user", "content": part.model_response()}
        return {
            "role": "tool",
            "tool_call_id": part.tool_call_id,
            "name": part.tool_name,
            "content": part.model_response(),
        }
    if isinstance(part, CompactionPart) and part.content:
        return {"role": "system", "content": part.content}
    return None


def _response(message: ModelResponse) -> dict[str, Any]:
    texts = [p.content for p in message.parts if isinstance(p, TextPart)]
    calls = [
        {
            "id": p.tool_call_id,
            "type": "function",
            "function": {"name": p.tool_name, "arguments": _arguments(p)},
        }
        for p in message.parts
        if isinstance(p, ToolCallPart)
    ]
    item: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        item["tool_calls"] = calls
    return item


def _arguments(part: ToolCallPart) -> str:
    if isinstance(part.args, str):
        return part.args
    return json.dumps(part.args or {}, ensure_ascii=False)
