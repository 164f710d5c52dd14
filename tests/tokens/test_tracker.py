"""UsageTracker: one record per model request from pydantic-ai responses, prices, totals, snapshots."""

from __future__ import annotations

import dataclasses
import json
import threading
from decimal import Decimal

import pytest
from mamba_agents.tokens import TokenUsage, UsageTracker
from pydantic_ai import Agent as PydanticAgent
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.usage import RequestUsage


def approx(value: float) -> pytest.approx:
    return pytest.approx(value, abs=1e-12)


def tool_then_answer(usage: RequestUsage, provider: str | None = "openai"):
    """A model that calls ``noop`` once, then answers: two model requests per run."""

    def model(messages, info):
        answered = any(isinstance(p, ToolReturnPart) for p in messages[-1].parts)
        parts = [TextPart("done")] if answered else [ToolCallPart("noop", {}, tool_call_id="n1")]
        return ModelResponse(parts=parts, usage=usage, provider_name=provider)

    return model


def run(model_fn, model_name: str):
    agent = PydanticAgent(FunctionModel(model_fn, model_name=model_name))

    @agent.tool_plain
    def noop() -> str:
        return "ok"

    return agent.run_sync("go")


def test_seed_record_usage_and_summary():
    tracker = UsageTracker()
    record = tracker.record_usage(input_tokens=100, output_tokens=50, model="gpt-4o")
    summary = tracker.get_summary()
    assert (summary.input_tokens, summary.output_tokens, summary.total_tokens) == (100, 50, 150)
    assert (summary.prompt_tokens, summary.completion_tokens, summary.request_count) == (100, 50, 1)
    assert record.priced and record.cost == Decimal("0.00075") and record.price_source == "genai-prices"
    assert record.total_tokens == 150 and record.requests == 1


def test_one_record_per_model_request_priced_by_pydantic_ai():
    result = run(
        tool_then_answer(RequestUsage(input_tokens=1000, output_tokens=500, cache_read_tokens=200)), "gpt-4o"
    )
    tracker = UsageTracker()
    records = tracker.record_messages(result.new_messages(), run_id=result.run_id)
    assert len(records) == 2 == result.usage.requests
    assert all(r.cost == Decimal("0.00725") and r.price_source == "provider" for r in records)
    assert all(r.model == "gpt-4o" and r.provider == "openai" and r.run_id == result.run_id for r in records)
    summary = tracker.get_summary()
    assert summary.request_count == 2 and summary.cache_read_tokens == 400 and summary.total_tokens == 3000
    breakdown = tracker.get_cost_breakdown()
    assert breakdown.priced and breakdown.total_cost == approx(0.0145)
    assert breakdown.prompt_cost == approx(2 * 0.002)
    assert breakdown.cache_cost == approx(2 * 0.00025)
    assert breakdown.completion_cost == approx(2 * 0.005)
    assert float(tracker.get_total_cost()) == approx(float(result.usage.cost))
    assert f"${tracker.get_cost():.4f}" == "$0.0145"


def test_local_model_is_unpriced():
    result = run(
        tool_then_answer(RequestUsage(input_tokens=10, output_tokens=5), provider="ollama"), "my-llama"
    )
    tracker = UsageTracker()
    tracker.record_messages(result.new_messages())
    breakdown = tracker.get_cost_breakdown()
    assert (
        not breakdown.priced
        and breakdown.unpriced_requests == 2
        and breakdown.unpriced_models == ["my-llama"]
    )
    assert breakdown.total_cost == 0.0
    assert f"{tracker.get_cost():.4f}" == "0.0000" and tracker.get_cost().fully_unpriced
    assert str(tracker.get_cost_breakdown()) == "unpriced"
    assert all(r.cost is None and not r.priced for r in tracker.get_usage_history())


def test_user_price_table_prices_responses_and_overrides_provider_cost():
    usage = RequestUsage(input_tokens=1_000_000, output_tokens=500_000)
    local = run(tool_then_answer(usage, provider="ollama"), "my-llama")
    openai = run(tool_then_answer(usage), "gpt-4o")
    tracker = UsageTracker(
        prices={
            "my-llama": {"input_per_mtok": 1.0, "output_per_mtok": 2.0},
            "gpt-4o": {"input_per_mtok": 0.5, "output_per_mtok": 0.5},
        }
    )
    tracker.record_messages(local.new_messages())
    tracker.record_messages(openai.new_messages())
    history = tracker.get_usage_history()
    assert [r.price_source for r in history] == ["user-table"] * 4
    assert [float(r.cost) for r in history] == [2.0, 2.0, 0.75, 0.75]
    assert tracker.get_cost_breakdown().total_cost == approx(5.5)


def test_mixed_priced_and_unpriced():
    tracker = UsageTracker()
    tracker.record_usage(input_tokens=1000, output_tokens=500, model="gpt-4o")
    tracker.record_usage(input_tokens=10, output_tokens=5, model="my-llama")
    cost = tracker.get_cost()
    assert cost == approx(0.0075) and cost.unpriced_requests == 1
    assert f"${cost:.4f}" == "$0.0075"
    assert str(tracker.get_cost_breakdown()) == "$0.0075 + 1 unpriced request"


def test_given_cost_is_used_and_split_by_the_price_table():
    tracker = UsageTracker()
    record = tracker.record_usage(input_tokens=1000, output_tokens=500, model="gpt-4o", cost=0.015)
    assert record.cost == Decimal("0.015") and record.price_source == "given"
    assert float(record.prompt_cost + record.completion_cost + record.cache_cost) == approx(0.015)
    assert float(record.completion_cost) == approx(0.01)  # same 1:2 proportion as the real rates
    unknown = tracker.record_usage(input_tokens=10, output_tokens=5, model="my-llama", cost=Decimal("0.5"))
    assert unknown.cost == Decimal("0.5") and unknown.prompt_cost == 0
    assert tracker.get_cost_breakdown().priced and tracker.get_cost_breakdown().total_cost == approx(0.515)
    with pytest.raises(ValueError, match="cost must not be negative"):
        tracker.record_usage(input_tokens=1, output_tokens=1, model="x", cost=-1)


def test_requests_argument_and_request_count():
    tracker = UsageTracker()
    tracker.record_usage(input_tokens=30, output_tokens=3, model="my-llama", requests=3)
    assert tracker.get_summary().request_count == 3
    assert tracker.get_cost_breakdown().unpriced_requests == 3
    with pytest.raises(ValueError, match="requests"):
        tracker.record_usage(input_tokens=1, output_tokens=1, requests=0)


def test_summary_and_history_are_snapshots():
    tracker = UsageTracker()
    tracker.record_usage(input_tokens=10, output_tokens=5, model="gpt-4o")
    summary = tracker.get_summary()
    history = tracker.get_usage_history()
    tracker.record_usage(input_tokens=20, output_tokens=5, model="gpt-4o")
    assert summary.total_tokens == 15 and len(history) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.input_tokens = 0  # type: ignore[misc]
    history.clear()
    assert len(tracker.get_usage_history()) == 2


def test_reset():
    tracker = UsageTracker()
    tracker.record_usage(input_tokens=10, output_tokens=5, model="my-llama")
    tracker.reset()
    assert tracker.get_summary() == TokenUsage()
    assert tracker.get_usage_history() == []
    assert (
        tracker.get_cost_breakdown().priced and tracker.get_cost() == 0.0 and str(tracker.get_cost()) == "0.0"
    )


def test_usage_by_model_and_json_records():
    tracker = UsageTracker()
    tracker.record_usage(input_tokens=10, output_tokens=5, model="gpt-4o", tool_name="search")
    tracker.record_usage(input_tokens=20, output_tokens=5, model="gpt-4o")
    tracker.record_usage(input_tokens=1, output_tokens=1, model="my-llama")
    by_model = tracker.get_usage_by_model()
    assert by_model["gpt-4o"] == TokenUsage(30, 10, 0, 0, 2) and by_model["my-llama"].request_count == 1
    data = json.loads(json.dumps([r.to_dict() for r in tracker.get_usage_history()]))
    assert data[0]["tool_name"] == "search" and data[0]["total_tokens"] == 15 and data[0]["priced"]
    assert data[2]["cost"] is None and not data[2]["priced"]
    assert TokenUsage(1, 2, 0, 0, 1).to_dict()["total_tokens"] == 3


def test_threads_do_not_lose_records():
    tracker = UsageTracker(prices={"m": {"input_per_mtok": 1, "output_per_mtok": 1}})

    def work() -> None:
        for _ in range(200):
            tracker.record_usage(input_tokens=3, output_tokens=2, model="m")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    summary = tracker.get_summary()
    assert summary.request_count == 1600 and summary.total_tokens == 8000 and len(tracker) == 1600
    assert tracker.get_total_cost() == Decimal(8000) / Decimal(1_000_000)


def test_estimator_and_prices_are_exclusive():
    from mamba_agents.tokens import CostEstimator

    with pytest.raises(ValueError, match="not both"):
        UsageTracker(CostEstimator(), prices={})
