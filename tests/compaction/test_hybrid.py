"""hybrid: strategies in order, re-measured after each, stopping once under target."""

from __future__ import annotations

import pytest
from mamba_agents.context import ContextManager, SlidingWindowStrategy, invariant_violations
from mamba_agents_compaction import HybridStrategy, SelectivePruningStrategy, SummarizeOlderStrategy
from pydantic_ai.messages import CompactionPart

from tests.compaction.helpers import (
    CharCounter,
    Summarizer,
    call,
    context,
    failing_model,
    reply,
    result,
    run,
    summaries,
    user,
)

BIG = "output line\n" * 150


def session(turns: int = 8) -> list:
    messages: list = [user("Audit the repository.", system="sys")]
    for i in range(turns):
        if i:
            messages.append(user(f"Continue with part {i}; note value V{i}=" + "detail " * 40))
        messages += [call("run_bash", {"command": f"audit {i}"}, f"a{i}"), result("run_bash", BIG, f"a{i}")]
        messages.append(reply(f"Part {i} audited. " + "finding " * 40))
    return messages


def test_default_is_prune_then_summarize_and_it_stops_when_pruning_is_enough():
    summarizer = Summarizer()
    messages = session()
    ctx = context(1, preserve=1)
    pruned_floor = ctx.count(run(SelectivePruningStrategy(keep_tool_pairs=3).compact(messages, ctx)).messages)
    ctx = context(pruned_floor + 50, preserve=1, model=summarizer.model)
    res = run(HybridStrategy().compact(messages, ctx))
    assert [type(s) for s in HybridStrategy().steps] == [SelectivePruningStrategy, SummarizeOlderStrategy]
    assert res.success and res.strategy == "hybrid"
    assert [s["strategy"] for s in res.details["steps"]] == ["selective_pruning"]
    assert summarizer.calls == 0 and res.usage.requests == 0
    assert ctx.count(res.messages) <= ctx.target_tokens


def test_it_summarizes_when_pruning_is_not_enough():
    summarizer = Summarizer("## Task\naudit")
    messages = session()
    ctx = context(800, preserve=1, model=summarizer.model)
    res = run(HybridStrategy().compact(messages, ctx))
    assert [s["strategy"] for s in res.details["steps"]] == ["selective_pruning", "summarize_older"]
    assert all(s["success"] for s in res.details["steps"])
    assert res.details["steps"][0]["tokens_after"] < res.details["steps"][0]["tokens_before"]
    assert summarizer.calls == 1 == res.usage.requests
    assert res.summary and res.summary.startswith("## Task\naudit")
    assert isinstance(res.messages[0].parts[-1], CompactionPart)
    assert ctx.count(res.messages) <= 800 and res.details["reached_target"]
    assert not invariant_violations(res.messages)


def test_a_failed_summary_still_leaves_a_history_that_fits():
    messages = session()
    ctx = context(800, preserve=1, model=failing_model(RuntimeError("model down")))
    alone = run(HybridStrategy().compact(messages, ctx))
    steps = alone.details["steps"]
    assert steps[1]["strategy"] == "summarize_older" and not steps[1]["success"]
    assert "model down" in steps[1]["error"]
    assert alone.success and not alone.details["reached_target"] and ctx.count(alone.messages) > 800

    # Through the manager (as in an agent), the fallback brings it to the target.
    manager = ContextManager(ctx.config, strategy=HybridStrategy(), token_counter=CharCounter())
    manager.model = ctx.model
    res = run(manager.compact_messages(messages, within_current_turn=True))
    assert res.success and res.details["fallback"]["exchanges_dropped"] > 0
    assert res.details["fallback"]["reached_target"] and ctx.count(res.messages) <= 800
    assert not summaries(res.messages) and "model down" not in str(res.messages)
    assert not invariant_violations(res.messages)


def test_when_every_step_fails_the_result_says_so():
    messages = session()
    ctx = context(800, preserve=1, model=failing_model(RuntimeError("model down")))
    res = run(HybridStrategy(strategies=["summarize_older"]).compact(messages, ctx))
    assert not res.success and "model down" in res.error and res.messages == messages


def test_steps_by_name_with_options_or_as_instances():
    summarizer = Summarizer()
    hybrid = HybridStrategy(
        strategies=[
            {"name": "selective_pruning", "keep_tool_pairs": 0},
            SlidingWindowStrategy(),
            "summarize_older",
        ]
    )
    assert [s.name for s in hybrid.steps] == ["selective_pruning", "sliding_window", "summarize_older"]
    assert hybrid.steps[0].settings.keep_tool_pairs == 0
    res = run(hybrid.compact(session(), context(300, preserve=1, model=summarizer.model)))
    assert res.success and [s["strategy"] for s in res.details["steps"]][:2] == [
        "selective_pruning",
        "sliding_window",
    ]


def test_a_history_under_target_is_left_alone():
    messages = session(2)
    res = run(HybridStrategy().compact(messages, context(10**6)))
    assert res.success and res.messages == messages and res.details["steps"] == []


@pytest.mark.parametrize(
    ("strategies", "message"),
    [
        ([], "at least one strategy"),
        (["no_such_strategy"], "unknown compaction"),
        (["hybrid"], "cannot be 'hybrid'"),
        ([{"keep_tool_pairs": 1}], "needs a 'name'"),
        ([42], "is not a strategy name"),
        ([{"name": "selective_pruning", "bogus": 1}], "allowed options"),
    ],
)
def test_bad_step_lists_fail_clearly(strategies, message):
    with pytest.raises((ValueError, KeyError), match=message):
        HybridStrategy(strategies=strategies)
