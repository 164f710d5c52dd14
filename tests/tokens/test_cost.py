"""CostEstimator (genai-prices + user table), CostBreakdown, Cost and format_cost: unknown is never $0."""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest
from mamba_agents.config import AgentSettings, ModelPrice
from mamba_agents.tokens import Cost, CostBreakdown, CostEstimator, format_cost
from pydantic import ValidationError


def approx(value: float) -> pytest.approx:
    return pytest.approx(value, abs=1e-12)


def test_gpt_4o_reference_price_with_cache_reads():
    breakdown = CostEstimator().estimate(
        input_tokens=1000, output_tokens=500, model="gpt-4o", cache_read_tokens=200
    )
    assert breakdown.priced and breakdown.unpriced_requests == 0 and breakdown.currency == "USD"
    assert breakdown.total_cost == approx(0.00725)
    assert breakdown.prompt_cost == approx(800 * 2.5 / 1e6)  # uncached input
    assert breakdown.cache_cost == approx(200 * 1.25 / 1e6)  # cache reads at half price
    assert breakdown.completion_cost == approx(500 * 10 / 1e6)
    assert str(breakdown) == "$0.0073"


def test_models_are_priced_separately_not_by_substring():
    estimator = CostEstimator()
    full = estimator.estimate(input_tokens=1000, output_tokens=500, model="gpt-4o")
    mini = estimator.estimate(input_tokens=1000, output_tokens=500, model="gpt-4o-mini")
    assert full.total_cost == approx(0.0075)
    assert mini.total_cost == approx(0.00045)
    assert full.prompt_cost != full.completion_cost  # input and output have their own rates


@pytest.mark.parametrize("model", ["openai:gpt-4o", "openai-chat:gpt-4o", "openai-responses:gpt-4o"])
def test_pydantic_ai_model_strings(model):
    assert CostEstimator().estimate(input_tokens=1000, output_tokens=500, model=model).total_cost == approx(
        0.0075
    )


def test_cache_writes_are_priced_and_parts_add_up():
    breakdown = CostEstimator().estimate(
        input_tokens=10_000,
        output_tokens=1_000,
        model="claude-sonnet-4-5",
        cache_read_tokens=2_000,
        cache_write_tokens=3_000,
    )
    assert breakdown.priced and breakdown.cache_cost > 0
    parts = breakdown.prompt_cost + breakdown.completion_cost + breakdown.cache_cost
    assert parts == approx(breakdown.total_cost)


@pytest.mark.parametrize("model", ["my-llama", "ollama:llama3.2", "vllm:gpt-4o", "test", None])
def test_unknown_or_local_models_are_unpriced_never_zero(model):
    breakdown = CostEstimator().estimate(input_tokens=1000, output_tokens=500, model=model)
    assert not breakdown.priced
    assert breakdown.unpriced_requests == 1
    assert breakdown.unpriced_models == [model or "<unknown model>"]
    assert str(breakdown) == "unpriced"
    assert f"{breakdown.cost:.4f}" == "0.0000"  # a number; the breakdown is what says unpriced


def test_user_price_table_for_a_local_model():
    estimator = CostEstimator(
        {"my-llama": ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0, cache_read_per_mtok=0.1)}
    )
    breakdown = estimator.estimate(
        input_tokens=1_000_000, output_tokens=500_000, model="my-llama", cache_read_tokens=200_000
    )
    assert breakdown.priced
    assert breakdown.prompt_cost == approx(0.8)
    assert breakdown.cache_cost == approx(0.02)
    assert breakdown.completion_cost == approx(1.0)
    assert breakdown.total_cost == approx(1.82)


def test_user_table_matches_exact_name_then_name_without_provider():
    estimator = CostEstimator({"llama3.2": {"input_per_mtok": 1, "output_per_mtok": 1}})
    assert estimator.estimate(
        input_tokens=10**6, output_tokens=0, model="ollama:llama3.2"
    ).total_cost == approx(1)
    assert not estimator.estimate(input_tokens=10, output_tokens=0, model="llama3.2-instruct").priced


def test_user_table_overrides_genai_prices():
    estimator = CostEstimator({"gpt-4o": {"input_per_mtok": 1.0, "output_per_mtok": 1.0}})
    assert estimator.estimate(input_tokens=10**6, output_tokens=10**6, model="gpt-4o").total_cost == approx(
        2.0
    )


def test_price_table_from_settings():
    settings = AgentSettings(tokens={"prices": {"my-llama": {"input_per_mtok": 3, "output_per_mtok": 6}}})
    estimator = CostEstimator(settings.tokens.prices)
    assert estimator.estimate(input_tokens=10**6, output_tokens=10**6, model="my-llama").total_cost == approx(
        9
    )


def test_bad_input_is_rejected_with_a_clear_message():
    estimator = CostEstimator()
    with pytest.raises(ValueError, match="input_tokens must not be negative"):
        estimator.estimate(input_tokens=-1, output_tokens=0, model="gpt-4o")
    with pytest.raises(ValueError, match="exceed input_tokens"):
        estimator.estimate(input_tokens=10, output_tokens=0, model="gpt-4o", cache_read_tokens=11)
    with pytest.raises(TypeError, match="output_tokens must be an int"):
        estimator.estimate(input_tokens=1, output_tokens=1.5, model="gpt-4o")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        CostEstimator({"m": {"input_per_mtok": -1, "output_per_mtok": 1}})
    with pytest.raises(ValueError, match="model names"):
        CostEstimator({"": {"input_per_mtok": 1, "output_per_mtok": 1}})


def test_cost_is_a_float_that_formats_as_a_number_and_remembers_what_was_unpriced():
    priced = Cost(0.01234)
    assert isinstance(priced, float) and priced == 0.01234
    assert f"${priced:.4f}" == "$0.0123" and priced.priced
    assert repr(priced) == "Cost(0.01234)"
    partial = Cost(0.01234, unpriced_requests=2, unpriced_models=["my-llama"])
    assert f"${partial:.4f}" == "$0.0123"
    assert f"{partial}" == str(partial) == "0.01234"
    assert not partial.priced and float(partial) == 0.01234 and float(str(partial)) == 0.01234
    assert repr(partial) == "Cost(0.01234, unpriced_requests=2, unpriced_models=['my-llama'])"
    nothing = Cost(0.0, unpriced_requests=1, unpriced_models=["my-llama"])
    assert str(nothing) == "0.0" and f"{nothing:.4f}" == "0.0000" and f"[{nothing:>10.4f}]" == "[    0.0000]"
    assert nothing.fully_unpriced and not nothing.priced
    assert "unpriced" in repr(nothing) and "my-llama" in repr(nothing)
    assert str(Cost(0.0)) == "0.0" and not Cost(0.0).fully_unpriced  # nothing requested: a real zero
    restored = pickle.loads(pickle.dumps(partial))
    assert (
        restored == partial and restored.unpriced_requests == 2 and restored.unpriced_models == ("my-llama",)
    )


def test_format_cost_for_the_cli():
    assert format_cost(Cost(0.0123)) == "$0.0123"
    assert format_cost(Cost(0.0, unpriced_requests=3)) == "unpriced"
    assert format_cost(Cost(0.0123, unpriced_requests=1)) == "$0.0123 + 1 unpriced request"
    assert format_cost(Cost(0.0123, unpriced_requests=2)) == "$0.0123 + 2 unpriced requests"
    assert format_cost(None) == "unpriced"
    assert format_cost(Decimal("0.5")) == "$0.5000"
    assert format_cost(CostBreakdown.unpriced("x")) == "unpriced"
    assert format_cost(0.00001, digits=6) == "$0.000010"


def test_breakdowns_combine():
    priced = CostEstimator().estimate(input_tokens=1000, output_tokens=500, model="gpt-4o")
    unpriced = CostBreakdown.unpriced("my-llama")
    combined = CostBreakdown.combine([priced, unpriced, unpriced])
    assert combined.total_cost == approx(priced.total_cost)
    assert (
        not combined.priced and combined.unpriced_requests == 2 and combined.unpriced_models == ["my-llama"]
    )
    assert format_cost(combined) == "$0.0075 + 2 unpriced requests"
