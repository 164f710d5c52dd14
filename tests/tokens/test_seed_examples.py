"""The seed README's "Token Management" examples, run as written (the model is a FunctionModel posing as
gpt-4o, so usage and prices are those of gpt-4o)."""

from __future__ import annotations

import os
from datetime import datetime

import pytest
from mamba_agents.config import AgentSettings
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.usage import RequestUsage


@pytest.fixture
def settings(tmp_path, monkeypatch) -> AgentSettings:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    return AgentSettings()


def gpt_4o(messages, info) -> ModelResponse:
    return ModelResponse(
        parts=[TextPart("Sure.")],
        provider_name="openai",
        usage=RequestUsage(input_tokens=1_000, output_tokens=500, cache_read_tokens=200),
    )


def test_built_in_agent_tracking(settings, capsys):
    from mamba_agents import Agent

    agent = Agent(FunctionModel(gpt_4o, model_name="gpt-4o"), settings=settings)

    # Run some queries
    agent.run_sync("Hello!")
    agent.run_sync("Tell me about Python")
    agent.run_sync("What are decorators?")

    # Get aggregate usage
    usage = agent.get_usage()
    print(f"Total tokens: {usage.total_tokens}")
    print(f"Requests: {usage.request_count}")

    # Get cost estimate
    cost = agent.get_cost()
    print(f"Estimated cost: ${cost:.4f}")

    # Get detailed breakdown
    breakdown = agent.get_cost_breakdown()
    print(f"Prompt cost: ${breakdown.prompt_cost:.4f}")
    print(f"Completion cost: ${breakdown.completion_cost:.4f}")

    # Get per-request history
    history = agent.get_usage_history()
    for record in history:
        print(f"{record.timestamp}: {record.total_tokens} tokens")

    out = capsys.readouterr().out.splitlines()
    assert out[:5] == [
        "Total tokens: 4500",
        "Requests: 3",
        "Estimated cost: $0.0217",  # 3 x $0.00725 = 0.02175, whose float is just under the half
        "Prompt cost: $0.0060",  # 3 x 800 uncached input tokens at $2.50/M
        "Completion cost: $0.0150",  # 3 x 500 output tokens at $10/M
    ]
    assert breakdown.cache_cost == pytest.approx(3 * 200 * 1.25 / 1e6)
    assert len(history) == 3 and all(isinstance(r.timestamp, datetime) for r in history)
    assert out[5:] == [f"{r.timestamp}: 1500 tokens" for r in history]

    # Reset tracking for new session
    agent.reset_tracking()
    assert agent.get_usage().total_tokens == 0 and agent.get_usage_history() == []

    # Count tokens for arbitrary text
    count = agent.get_token_count("Hello, world!")
    assert count == 4  # gpt-4o's o200k_base: "Hello", ",", " world", "!"


def test_standalone_token_utilities():
    from mamba_agents.tokens import CostEstimator, TokenCounter, UsageTracker

    # Count tokens
    counter = TokenCounter(encoding="cl100k_base")
    count = counter.count("Hello, world!")
    msg_count = counter.count_messages([{"role": "user", "content": "Hi"}])
    assert count == 4
    assert msg_count == 8

    # Track usage across requests
    tracker = UsageTracker()
    tracker.record_usage(input_tokens=100, output_tokens=50, model="gpt-4o")
    summary = tracker.get_summary()
    assert (summary.input_tokens, summary.output_tokens, summary.total_tokens, summary.request_count) == (
        100,
        50,
        150,
        1,
    )

    # Estimate costs
    estimator = CostEstimator()
    cost = estimator.estimate(input_tokens=1000, output_tokens=500, model="gpt-4o")
    assert cost.priced
    assert cost.prompt_cost == pytest.approx(0.0025) and cost.completion_cost == pytest.approx(0.005)
    assert cost.total_cost == pytest.approx(0.0075)
