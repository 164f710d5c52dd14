"""A FunctionModel that plays a list of turns and records what each request carried."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

Turn = ModelResponse | Callable[[list[ModelMessage], AgentInfo], ModelResponse]


def say(text: str) -> ModelResponse:
    return ModelResponse(parts=[TextPart(text)], usage=RequestUsage(input_tokens=10, output_tokens=5))


def call(tool: str, text: str | None = None, **args: Any) -> ModelResponse:
    parts: list[Any] = [TextPart(text)] if text else []
    parts.append(ToolCallPart(tool, args))
    return ModelResponse(parts=parts, usage=RequestUsage(input_tokens=10, output_tokens=5))


def finish(answer: str, text: str | None = None, tool: str = "final_answer") -> ModelResponse:
    return call(tool, text, answer=answer)


@dataclass
class Script:
    turns: list[Turn]
    repeat_last: bool = False
    infos: list[AgentInfo] = field(default_factory=list)
    requests: list[list[ModelMessage]] = field(default_factory=list)

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.infos.append(info)
        self.requests.append(list(messages))
        index = len(self.infos) - 1
        if index >= len(self.turns):
            if not self.repeat_last:
                raise AssertionError(f"the script has {len(self.turns)} turns; request {index + 1} came")
            index = len(self.turns) - 1
        turn = self.turns[index]
        return turn(messages, info) if callable(turn) else turn

    def model(self, name: str = "scripted") -> FunctionModel:
        return FunctionModel(self, model_name=name)

    @property
    def calls(self) -> int:
        return len(self.infos)

    def last_user_text(self, request: int) -> str:
        """The user-prompt text at the end of request ``request`` (0-based) as the model got it."""
        last = self.requests[request][-1]
        assert isinstance(last, ModelRequest)
        return " | ".join(str(p.content) for p in last.parts if isinstance(p, UserPromptPart))
