"""importance_scoring: model scores when a model is given, else the documented heuristic; it says which."""

from __future__ import annotations

import re

import pytest
from mamba_agents.context import invariant_violations
from mamba_agents.context.join import is_separator, separator
from mamba_agents_compaction import ImportanceScoringStrategy
from mamba_agents_compaction.importance import heuristic_score, parse_scores
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.compaction.helpers import all_text, call, context, failing_model, prompts, reply, result, run, user

PAD = " filler" * 60


def history() -> list:
    return [
        user("Plan the migration.", system="sys"),
        reply("Starting." + PAD),
        user("Remember: the deadline is 2024-12-01 and we must never drop the `orders` table." + PAD),
        reply("Understood, noted the deadline." + PAD),
        user("ok thanks" + PAD),
        call("fetch", {"url": "http://x"}, "f1"),
        result("fetch", "HTTP 500 upstream error" + PAD, "f1", outcome="retried"),
        reply("Retrying later." + PAD),
        user("What is next?"),
        reply("Next is the schema diff."),
    ]


def scoring_model(scores: dict[int, int] | None = None, *, reply_text: str | None = None, calls=None):
    def score(messages, info: AgentInfo) -> ModelResponse:
        prompt = str(messages[-1].parts[-1].content)
        items = [int(n) for n in re.findall(r"^\[(\d+)\]", prompt, re.MULTILINE)]
        if calls is not None:
            calls.append(items)
        text = (
            reply_text
            if reply_text is not None
            else "\n".join(f"{n}: {(scores or {}).get(n, 5)}" for n in items)
        )
        return ModelResponse(parts=[TextPart(text)])

    return FunctionModel(score)


def test_heuristic_drops_chit_chat_and_failed_attempts_before_requirements():
    messages = history()
    ctx = context(1, preserve=1)
    floor = ctx.count([messages[0], *messages[-2:]])
    keep_one = ctx.count(messages[1:3])  # room for one old exchange: a reply and the user prompt after it
    # ... and the separator that keeps that prompt from merging into the next one
    ctx = context(floor + keep_one + ctx.count([separator()]) + 5, preserve=1)
    res = run(ImportanceScoringStrategy().compact(messages, ctx))
    assert res.success and res.details["scorer"] == "heuristic" and res.details["model_calls"] == 0
    assert ctx.count(res.messages) <= ctx.target_tokens
    text = all_text(res.messages)
    assert "deadline is 2024-12-01" in text
    assert "ok thanks" not in text and "HTTP 500" not in text
    assert not invariant_violations(res.messages)
    assert res.messages[0] is messages[0] and res.messages[-2:] == messages[-2:]


def test_model_scores_decide_what_goes():
    calls: list[list[int]] = []
    # exchanges: [Starting + Remember], [Understood + ok thanks], [fetch call + result], [Retrying]
    model = scoring_model({1: 9, 2: 1, 3: 8, 4: 7}, calls=calls)
    messages = history()
    ctx = context(1, preserve=1)
    floor = ctx.count([messages[0], *messages[-2:]])
    ctx = context(floor + 260, preserve=1, model=model)
    res = run(ImportanceScoringStrategy().compact(messages, ctx))
    assert res.details["scorer"] == "model" and res.details["model_calls"] == 1 == res.usage.requests
    assert ctx.usage.requests == 1
    assert calls == [[1, 2, 3, 4]]
    assert res.details["dropped"][0] == 1  # 0-based index of the exchange rated 1
    assert "Understood" not in all_text(res.messages)
    assert not invariant_violations(res.messages)


def test_unrated_items_fall_back_to_the_heuristic_and_it_says_so():
    model = scoring_model(reply_text="1: 9\n3: 2")
    res = run(ImportanceScoringStrategy().compact(history(), context(1, preserve=1, model=model)))
    assert res.details["scorer"] == "model+heuristic" and res.details["unrated"] == 2


def test_a_failing_scorer_falls_back_to_the_heuristic():
    res = run(
        ImportanceScoringStrategy().compact(
            history(), context(1, preserve=1, model=failing_model(RuntimeError("scorer offline")))
        )
    )
    assert res.success and res.details["scorer"] == "heuristic"
    assert "scorer offline" in res.details["model_error"]
    assert "scorer offline" not in all_text(res.messages)


def test_batches_and_no_call_when_under_target_or_heuristic_forced():
    calls: list[list[int]] = []
    model = scoring_model(calls=calls)
    res = run(ImportanceScoringStrategy(batch_size=3).compact(history(), context(1, preserve=1, model=model)))
    assert [len(c) for c in calls] == [3, 1] and res.details["model_calls"] == 2

    calls.clear()
    under = run(ImportanceScoringStrategy().compact(history(), context(10**6, model=model)))
    assert calls == [] and under.details["reason"] == "already under target"

    forced = run(ImportanceScoringStrategy(scorer="heuristic").compact(history(), context(1, model=model)))
    assert calls == [] and forced.details["scorer"] == "heuristic"


def test_scorer_model_without_a_model_is_reported():
    res = run(ImportanceScoringStrategy(scorer="model").compact(history(), context(1)))
    assert res.details["scorer"] == "heuristic" and "no model" in res.details["model_error"]


def test_everything_old_can_go_when_the_target_demands_it():
    messages = history()
    res = run(ImportanceScoringStrategy().compact(messages, context(1, preserve=1)))
    assert [m for m in res.messages if not is_separator(m)] == [messages[0], *messages[-2:]]
    assert prompts(res.messages) == ["Plan the migration.", "What is next?"]


@pytest.mark.parametrize(
    ("reply_text", "expected"),
    [
        ("1: 7\n2: 3", {1: 0.7, 2: 0.3}),
        ("[1] 10\n[2] = 0", {1: 1.0, 2: 0.0}),
        ('{"1": 4, "2": "x", "3": 12}', {1: 0.4, 3: 1.0}),
        ('```json\n{"2": 5}\n```', {2: 0.5}),
        ("I cannot rate these.", {}),
    ],
)
def test_parse_scores(reply_text, expected):
    assert parse_scores(reply_text) == pytest.approx(expected)


def test_heuristic_terms():
    requirement = [user("You must never push to main; deadline 2024-12-01.")]
    chatter = [user("cool")]
    assert heuristic_score(requirement, 0, 2) > heuristic_score(chatter, 0, 2)
    assert heuristic_score(chatter, 1, 2) > heuristic_score(chatter, 0, 2)  # newer scores higher
    failed = [call("x", {}, "c"), result("x", "boom", "c", outcome="failed")]
    ok = [call("x", {}, "c"), result("x", "fine", "c")]
    assert heuristic_score(failed, 0, 2) < heuristic_score(ok, 0, 2)
