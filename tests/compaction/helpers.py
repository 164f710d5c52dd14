"""Builders for conversations, a small deterministic token counter, and scripted summarizer models."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Any

from mamba_agents.context import CompactionConfig, CompactionContext
from pydantic_ai.messages import (
    CompactionPart,
    ModelMessage,
    ModelRequest,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel


class CharCounter:
    """About four characters per token plus a little per part and message: deterministic and fast."""

    def __init__(self) -> None:
        self.calls = 0

    def count_messages(self, messages: Sequence[ModelMessage]) -> int:
        self.calls += 1
        total = 0
        for message in messages:
            total += 3
            for part in message.parts:
                total += 1 + len(part_text(part)) // 4
        return total


def part_text(part: Any) -> str:
    if isinstance(part, ToolCallPart):
        return part.tool_name + part.args_as_json_str()
    if isinstance(part, ToolReturnPart):
        return part.tool_name + part.model_response_str()
    content = getattr(part, "content", "")
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    return json.dumps(content, default=str)


def context(
    target: int,
    *,
    preserve: int = 1,
    model: Any = None,
    counter: Any = None,
    summary_max_tokens: int = 1_024,
) -> CompactionContext:
    config = CompactionConfig(
        trigger_threshold_tokens=max(target + 1, target * 2),
        target_tokens=target,
        preserve_recent_turns=preserve,
        summary_max_tokens=summary_max_tokens,
    )
    return CompactionContext(
        config=config, target_tokens=target, counter=counter or CharCounter(), model=model
    )


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# -- message builders -----------------------------------------------------------------------------


def user(text: str, *, system: str | None = None) -> ModelRequest:
    parts: list[Any] = [SystemPromptPart(content=system)] if system else []
    return ModelRequest(parts=[*parts, UserPromptPart(content=text)])


def reply(text: str) -> ModelResponse:
    return ModelResponse(parts=[TextPart(content=text)])


def call(
    name: str, args: dict[str, Any], call_id: str, *, text: str | None = None, thinking: str | None = None
) -> ModelResponse:
    parts: list[Any] = []
    if thinking:
        parts.append(ThinkingPart(content=thinking))
    if text:
        parts.append(TextPart(content=text))
    parts.append(ToolCallPart(tool_name=name, args=args, tool_call_id=call_id))
    return ModelResponse(parts=parts)


def result(name: str, content: Any, call_id: str, *, outcome: str = "success") -> ModelRequest:
    return ModelRequest(
        parts=[ToolReturnPart(tool_name=name, content=content, tool_call_id=call_id, outcome=outcome)]
    )  # type: ignore[arg-type]


def summaries(messages: Sequence[ModelMessage]) -> list[str]:
    return [p.content for m in messages for p in m.parts if isinstance(p, CompactionPart)]


def prompts(messages: Sequence[ModelMessage]) -> list[str]:
    return [p.content for m in messages for p in m.parts if isinstance(p, UserPromptPart)]


def all_text(messages: Sequence[ModelMessage]) -> str:
    return "\n".join(part_text(p) for m in messages for p in m.parts)


# -- scripted models ------------------------------------------------------------------------------


class Summarizer:
    """A FunctionModel summarizer that records what it was asked and answers with ``answer(prompt)``."""

    def __init__(self, answer: Callable[[str], str] | str = "## Task\nsummary") -> None:
        self.answer = answer
        self.prompts: list[str] = []
        self.instructions: list[str] = []
        self.model = FunctionModel(self._respond, model_name="summarizer")

    def _respond(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        request = messages[-1]
        assert isinstance(request, ModelRequest)
        self.instructions.append(
            " ".join(p.content for p in request.parts if isinstance(p, SystemPromptPart))
        )
        prompt = "\n".join(str(p.content) for p in request.parts if isinstance(p, UserPromptPart))
        self.prompts.append(prompt)
        text = self.answer(prompt) if callable(self.answer) else self.answer
        return ModelResponse(parts=[TextPart(content=text)])

    @property
    def calls(self) -> int:
        return len(self.prompts)


def failing_model(error: Exception) -> FunctionModel:
    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise error

    return FunctionModel(respond, model_name="broken")
