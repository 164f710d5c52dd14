"""OpenAI-style message dicts to pydantic-ai messages, for callers that hold dicts (as the seed shows)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelRequestPart,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

_ROLES = ("system", "user", "assistant", "tool")


def to_model_messages(items: Iterable[ModelMessage | Mapping[str, Any]]) -> list[ModelMessage]:
    """Convert dicts (``{"role": ..., "content": ...}``) to messages; pydantic-ai messages pass through."""
    out: list[ModelMessage] = []
    pending: list[ModelRequestPart] = []

    def flush() -> None:
        if pending:
            out.append(ModelRequest(parts=list(pending)))
            pending.clear()

    for index, item in enumerate(items):
        if isinstance(item, ModelRequest | ModelResponse):
            flush()
            out.append(item)
            continue
        if not isinstance(item, Mapping):
            raise TypeError(
                f"message {index}: expected a pydantic-ai message or a dict, not {type(item).__name__}"
            )
        role = item.get("role")
        content = item.get("content")
        if role == "system":
            pending.append(SystemPromptPart(content=str(content or "")))
        elif role == "user":
            pending.append(UserPromptPart(content=content if content is not None else ""))
        elif role == "tool":
            call_id = item.get("tool_call_id")
            if not call_id:
                raise ValueError(f"message {index}: a 'tool' message needs 'tool_call_id'")
            pending.append(
                ToolReturnPart(
                    tool_name=str(item.get("name") or "tool"), content=content, tool_call_id=str(call_id)
                )
            )
        elif role == "assistant":
            flush()
            parts: list[Any] = []
            if content:
                parts.append(TextPart(content=str(content)))
            for call in item.get("tool_calls") or ():
                function = call.get("function", call)
                args = function.get("arguments")
                parts.append(
                    ToolCallPart(
                        tool_name=function["name"],
                        args=json.loads(args) if isinstance(args, str) and args else args,
                        tool_call_id=call.get("id") or f"call_{index}_{len(parts)}",
                    )
                )
            out.append(ModelResponse(parts=parts or [TextPart(content="")]))
        else:
            raise ValueError(f"message {index}: unknown role {role!r}; allowed: {', '.join(_ROLES)}")
    flush()
    return out
