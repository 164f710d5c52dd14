"""Shared helpers for Agent tests: scripted FunctionModels that record what the model was sent."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from mamba_agents.config import AgentSettings
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage


@dataclass
class Recorder:
    """A FunctionModel that answers with the last user prompt and remembers every request it got."""

    calls: list[list[ModelMessage]] = field(default_factory=list)
    instructions: list[str | None] = field(default_factory=list)

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.calls.append(list(messages))
        self.instructions.append(info.instructions)
        prompts = [
            p.content
            for m in messages
            if isinstance(m, ModelRequest)
            for p in m.parts
            if isinstance(p, UserPromptPart)
        ]
        return ModelResponse(
            parts=[TextPart(f"echo: {prompts[-1] if prompts else ''}")],
            usage=RequestUsage(input_tokens=10, output_tokens=5),
        )

    def model(self, name: str = "recorder") -> FunctionModel:
        return FunctionModel(self, model_name=name)


def user_prompts(messages: list[ModelMessage]) -> list[str]:
    return [
        p.content
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, UserPromptPart)
    ]


def last_tool_returns(messages: list[ModelMessage]) -> list[ToolReturnPart]:
    return [p for p in messages[-1].parts if isinstance(p, ToolReturnPart)] if messages else []


def call(tool: str, args: dict, call_id: str) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(tool, args, tool_call_id=call_id)])


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def settings(tmp_path, monkeypatch) -> AgentSettings:
    """Settings isolated from the developer's files and environment."""
    import os

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    return AgentSettings()
