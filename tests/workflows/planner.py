"""A scripted model for Plan-Execute: plans from a list, executes steps (optionally slowly), synthesises."""

from __future__ import annotations

import asyncio
import re
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


def step(id: str, description: str | None = None, *depends_on: str) -> dict[str, Any]:
    return {"id": id, "description": description or f"do {id}", "depends_on": list(depends_on)}


def _prompt(messages: list[ModelMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart):
                    return str(part.content)
    return ""


@dataclass
class Brain:
    plans: list[list[dict[str, Any]]]
    delay: float = 0.0
    fail: dict[str, str] = field(default_factory=dict)  # step id -> error raised when executing it
    slow: dict[str, float] = field(default_factory=dict)
    planner_prompts: list[str] = field(default_factory=list)
    planner_instructions: list[str] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)
    step_prompts: dict[str, str] = field(default_factory=dict)
    synth_prompts: list[str] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    events: list[tuple[str, str]] = field(default_factory=list)

    async def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        usage = RequestUsage(input_tokens=10, output_tokens=5)
        if info.output_tools and info.output_tools[0].name == "write_plan":
            self.planner_prompts.append(_prompt(messages))
            self.planner_instructions.append(info.instructions or "")
            steps = self.plans[min(len(self.planner_prompts), len(self.plans)) - 1]
            return ModelResponse(
                parts=[ToolCallPart("write_plan", {"goal": "g", "steps": steps})], usage=usage
            )
        text = _prompt(messages)
        match = re.search(r"Your step \(([^)]+)\)", text)
        if match is None:
            self.synth_prompts.append(text)
            return ModelResponse(parts=[TextPart("final: " + ",".join(self.executed))], usage=usage)
        sid = match.group(1)
        self.step_prompts[sid] = text
        self.events.append(("start", sid))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.slow.get(sid, self.delay))
            if sid in self.fail:
                raise RuntimeError(self.fail[sid])
        finally:
            self.in_flight -= 1
            self.events.append(("end", sid))
        self.executed.append(sid)
        return ModelResponse(parts=[TextPart(f"result of {sid}")], usage=usage)

    def model(self, name: str = "scripted") -> FunctionModel:
        return FunctionModel(self, model_name=name)
