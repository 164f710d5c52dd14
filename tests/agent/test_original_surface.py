"""The original Mamba Agents' facade surface: tool decorators, from_settings, cost_estimator."""

from __future__ import annotations

import pytest
from mamba_agents import Agent, AgentConfig, AgentSettings
from mamba_agents.tokens import CostEstimator
from pydantic_ai import RunContext
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.openai import OpenAIChatModel

from tests.agent.conftest import call, last_tool_returns, user_prompts


class ToolCaller:
    """Calls the tool named by the prompt ("call NAME"), then reports the outcome; records offered tools."""

    def __init__(self) -> None:
        self.offered: list[list[str]] = []

    def __call__(self, messages, info: AgentInfo) -> ModelResponse:
        self.offered.append(sorted(t.name for t in info.function_tools))
        returns = last_tool_returns(messages)
        if returns:
            part = returns[0]
            return ModelResponse(parts=[TextPart(f"{part.outcome}: {part.model_response_str()}")])
        prompt = user_prompts(messages)[-1]
        if prompt.startswith("call "):
            return call(prompt.split()[1], {"x": 2}, "c1")
        return ModelResponse(parts=[TextPart("no call")])


def test_tool_decorators_with_and_without_options_added_after_construction(settings):
    model = ToolCaller()
    agent = Agent(FunctionModel(model), settings=settings, deps_type=int)
    agent.run_sync("hello")
    assert model.offered[-1] == []

    @agent.tool
    def scaled(ctx: RunContext[int], x: int) -> int:
        """x times the deps."""
        return x * ctx.deps

    @agent.tool_plain(name="square", description="x squared", retries=2)
    def _square(x: int) -> int:
        return x * x

    assert _square(3) == 9  # the decorator gives the function back
    assert agent.run_sync("call scaled", deps=10).output == "success: 20"
    assert model.offered[-1] == ["scaled", "square"]
    assert agent.run_sync("call square", deps=1).output == "success: 4"


def test_per_tool_graceful_errors_overrides_the_config(settings):
    model = ToolCaller()
    agent = Agent(FunctionModel(model), settings=settings, config=AgentConfig(graceful_tool_errors=False))

    @agent.tool_plain(graceful_errors=True)
    def gentle(x: int) -> int:
        """Fails gently."""
        raise ValueError("disk on fire")

    @agent.tool_plain
    def harsh(x: int) -> int:
        """Fails hard (the config says so)."""
        raise ValueError("boom")

    assert agent.run_sync("call gentle").output == 'failed: {"error":"ValueError: disk on fire"}'
    with pytest.raises(ValueError, match="boom"):
        agent.run_sync("call harsh")

    strict = Agent(FunctionModel(ToolCaller()), settings=settings)

    @strict.tool(graceful_errors=False)
    def loud(ctx: RunContext[None], x: int) -> int:
        """Raises through."""
        raise KeyError("no such key")

    with pytest.raises(KeyError):
        strict.run_sync("call loud")
    assert strict.get_messages() == []  # the failed run left no half turn


def test_from_settings_and_cost_estimator(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = AgentSettings(
        model_backend={"model": "llama3.2", "base_url": "http://127.0.0.1:9/v1"},
        tokens={"prices": {"llama3.2": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}},
    )
    agent = Agent.from_settings(settings, system_prompt="hi there")
    assert isinstance(agent.model, OpenAIChatModel) and agent.model.model_name == "llama3.2"
    assert agent.get_system_prompt() == "hi there"
    assert isinstance(agent.cost_estimator, CostEstimator)
    estimate = agent.cost_estimator.estimate
    breakdown = estimate(input_tokens=1_000_000, output_tokens=1_000_000, model="llama3.2")
    assert breakdown.priced and breakdown.total_cost == pytest.approx(3.0)
