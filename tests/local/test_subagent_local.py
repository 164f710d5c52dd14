"""A sub-agent on the embedded local model (plumbing: the parent delegates, the local model answers)."""

from __future__ import annotations

import os

import pytest
from mamba_agents import Agent, AgentSettings
from mamba_agents.workflows import SubAgent
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import FunctionModel

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("allow_model_requests")]


def test_a_local_model_subagent_answers_the_parent(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)

    def parent(messages, info):
        back = [p for p in messages[-1].parts if isinstance(p, ToolReturnPart)]
        if back:
            return ModelResponse(parts=[TextPart(f"{back[0].outcome}: {back[0].model_response_str()}")])
        return ModelResponse(
            parts=[ToolCallPart("delegate_task", {"agent_name": "local", "task": "Say hello."})]
        )

    local = Agent(settings=AgentSettings(model_backend={"backend": "local"}))
    sub = SubAgent(local, name="local", description="a small local model", max_requests=2, timeout=120)
    agent = Agent(FunctionModel(parent), settings=AgentSettings(), subagents=[sub])
    output = agent.run_sync("go").output
    assert output.startswith("success: ") and "[sub-agent local: 1 request(s)" in output
    usage = agent.subagents.usage_by_subagent()["local"].usage
    assert usage.requests == 1 and usage.input_tokens > 0
    assert agent.get_usage().request_count == 3  # two parent requests and the local model's one
