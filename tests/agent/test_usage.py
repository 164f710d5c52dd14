"""Usage and cost through the facade: one record per model request, genai-prices, user prices, unpriced."""

from __future__ import annotations

import pytest
from mamba_agents import Agent, AgentConfig
from mamba_agents.context.config import CompactionConfig
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.usage import RequestUsage

from tests.agent.conftest import last_tool_returns


def _priced(messages, info):
    if last_tool_returns(messages):
        return ModelResponse(
            parts=[TextPart("done")],
            provider_name="openai",
            usage=RequestUsage(input_tokens=1_000, output_tokens=500, cache_read_tokens=200),
        )
    return ModelResponse(
        parts=[ToolCallPart("noop", {}, tool_call_id="n1")],
        provider_name="openai",
        usage=RequestUsage(input_tokens=1_000, output_tokens=500, cache_read_tokens=200),
    )


def noop() -> str:
    return "ok"


def test_one_record_per_model_request_and_real_prices(settings):
    agent = Agent(FunctionModel(_priced, model_name="gpt-4o"), settings=settings, tools=[noop])
    agent.run_sync("Hello!")
    usage = agent.get_usage()
    assert usage.request_count == 2  # a tool call and the answer: two model requests in one run
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (2000, 1000, 3000)
    history = agent.get_usage_history()
    assert [r.total_tokens for r in history] == [1500, 1500]
    assert abs(agent.get_cost() - 2 * 0.00725) < 1e-9
    breakdown = agent.get_cost_breakdown()
    assert breakdown.priced
    assert (
        abs(breakdown.prompt_cost + breakdown.completion_cost + breakdown.cache_cost - breakdown.total_cost)
        < 1e-9
    )
    assert f"${agent.get_cost():.4f}" == "$0.0145"
    agent.reset_tracking()
    assert agent.get_usage().total_tokens == 0 and agent.get_usage_history() == []


def test_unknown_model_is_unpriced_not_zero(settings):
    agent = Agent(
        FunctionModel(
            lambda m, i: ModelResponse(
                parts=[TextPart("x")], usage=RequestUsage(input_tokens=10, output_tokens=2)
            ),
            model_name="my-llama",
        ),
        settings=settings,
    )
    agent.run_sync("hi")
    breakdown = agent.get_cost_breakdown()
    assert not breakdown.priced and breakdown.unpriced_requests == 1
    assert "my-llama" in breakdown.unpriced_models
    assert "unpriced" in repr(agent.get_cost())


def test_user_price_table_prices_a_local_model(settings):
    settings.tokens.prices = {"my-llama": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}
    agent = Agent(
        FunctionModel(
            lambda m, i: ModelResponse(
                parts=[TextPart("x")], usage=RequestUsage(input_tokens=1_000_000, output_tokens=500_000)
            ),
            model_name="my-llama",
        ),
        settings=settings,
    )
    agent.run_sync("hi")
    assert agent.get_cost_breakdown().priced
    assert abs(agent.get_cost() - 2.0) < 1e-9


@pytest.mark.parametrize("strategy", ["summarize_older", "importance_scoring", "hybrid"])
def test_every_model_call_is_counted_once_compaction_calls_included(settings, strategy):
    calls: list[int] = []

    def model(messages, info):
        calls.append(1)
        return ModelResponse(
            parts=[TextPart("noted: " + "ok " * 5)], usage=RequestUsage(input_tokens=40, output_tokens=7)
        )

    agent = Agent(
        FunctionModel(model, model_name="my-llama"),
        settings=settings,
        config=AgentConfig(
            context=CompactionConfig(
                strategy=strategy,
                trigger_threshold_tokens=600,
                target_tokens=400,
                preserve_recent_turns=1,
            )
        ),
    )
    for n in range(25):
        agent.run_sync(f"Message {n}: " + "lorem ipsum dolor sit amet " * 4)
        assert agent.get_usage().request_count == len(calls)
        assert agent.get_usage().input_tokens == 40 * len(calls)
    assert any(r.usage.requests for r in agent.get_compaction_history()), "compaction never asked the model"
