"""Plain-text views of messages (what a summarizer or scorer reads), clipping, file paths in tool calls."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic_ai.messages import (
    CompactionPart,
    ModelMessage,
    ModelRequest,
    RetryFeedbackPart,
    SystemPromptPart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

# Argument names under which tools conventionally take a file or directory.
PATH_KEYS: tuple[str, ...] = (
    "path",
    "file_path",
    "filepath",
    "file",
    "filename",
    "paths",
    "files",
    "directory",
    "dir",
    "source",
    "destination",
    "src",
    "dst",
)


def clip(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, keeping the beginning and the end (where results sit)."""
    if limit <= 0 or len(text) <= limit:
        return text
    head = max(1, int(limit * 0.7))
    tail = max(0, limit - head)
    clipped = len(text) - head - tail
    return (
        f"{text[:head]}\n[... {clipped} characters clipped to save context ...]\n{text[len(text) - tail :]}"
    )


def user_text(content: Any) -> str:
    """The text of a user prompt; non-text items (images, files) are named, not inlined."""
    if isinstance(content, str):
        return content
    pieces: list[str] = []
    for item in content if isinstance(content, Sequence) else [content]:
        if isinstance(item, str):
            pieces.append(item)
        else:
            kind = getattr(item, "kind", None) or type(item).__name__
            pieces.append(f"[{kind}]")
    return "\n".join(pieces)


def tool_result_text(part: ToolReturnPart) -> str:
    try:
        return part.model_response_str()
    except Exception:  # exotic content (binary, custom objects) is named rather than rendered
        return f"[{type(part.content).__name__}]"


def args_text(part: ToolCallPart, limit: int) -> str:
    try:
        text = part.args_as_json_str()
    except Exception:
        text = str(part.args)
    return clip(text, limit)


def render_part(part: Any, max_chars: int, *, summaries: bool = True) -> str | None:
    """One line (or block) per part; ``None`` for parts a reader does not need."""
    if isinstance(part, UserPromptPart):
        return f"User: {clip(user_text(part.content), max_chars)}"
    if isinstance(part, SystemPromptPart):
        return f"System: {clip(part.content, max_chars)}"
    if isinstance(part, TextPart):
        return f"Assistant: {clip(part.content, max_chars)}" if part.content.strip() else None
    if isinstance(part, ToolCallPart):
        args = args_text(part, max_chars // 2)
        return f"Assistant called {part.tool_name}({args}) [id {part.tool_call_id}]"
    if isinstance(part, ToolReturnPart):
        outcome = "" if part.outcome == "success" else f" ({part.outcome})"
        result = clip(tool_result_text(part), max_chars)
        return f"Tool {part.tool_name} result{outcome} [id {part.tool_call_id}]: {result}"
    if isinstance(part, RetryFeedbackPart):
        return f"Feedback to the assistant: {clip(str(part.content), max_chars)}"
    if isinstance(part, CompactionPart):
        return f"Summary of earlier conversation: {part.content}" if part.content and summaries else None
    if isinstance(part, ThinkingPart):
        return None  # private reasoning; its conclusions show in what the assistant said and did
    return None


def render(
    messages: Iterable[ModelMessage], max_part_chars: int = 2_000, *, summaries: bool = True
) -> list[str]:
    """One entry per part worth reading, in order (``summaries=False`` leaves out ``CompactionPart`` text)."""
    lines: list[str] = []
    for message in messages:
        for part in message.parts:
            line = render_part(part, max_part_chars, summaries=summaries)
            if line:
                lines.append(line)
    return lines


def _normalise(path: str) -> str:
    return os.path.normpath(path.strip()) if path.strip() else path


def paths_in_args(part: ToolCallPart) -> list[str]:
    try:
        args = part.args_as_dict()
    except Exception:  # unparseable JSON args: nothing to extract
        return []
    found: list[str] = []
    for key in PATH_KEYS:
        value = args.get(key)
        values = value if isinstance(value, list) else [value]
        found.extend(_normalise(v) for v in values if isinstance(v, str) and v.strip())
    return found


def files_touched(messages: Iterable[ModelMessage]) -> dict[str, list[str]]:
    """``path -> names of the tools called on it`` for every tool call naming a file, in first-use order."""
    seen: dict[str, list[str]] = {}
    for message in messages:
        if isinstance(message, ModelRequest):
            continue
        for part in message.parts:
            if isinstance(part, ToolCallPart):
                for path in paths_in_args(part):
                    tools = seen.setdefault(path, [])
                    if part.tool_name not in tools:
                        tools.append(part.tool_name)
    return seen


def as_dict_args(part: ToolCallPart) -> dict[str, Any] | None:
    """The call's arguments as a dict, or ``None`` when they are not a JSON object."""
    if isinstance(part.args, dict):
        return part.args
    if isinstance(part.args, str) and part.args.strip():
        try:
            value = json.loads(part.args)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
    return {} if part.args is None else None
