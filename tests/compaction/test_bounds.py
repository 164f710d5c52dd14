"""Issue 9 §1 from the outside: a plain chat through a real ``Agent`` stays bounded with every strategy.

The chat is ``tests/compaction/lorem.py`` (trigger 250, target 150, one preserved turn). After every turn:
no request the model got reached the trigger, every compaction ended at or under the target, the first
request holds only the first prompt (no later prompt was merged into it) and the prompts keep their order.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from mamba_agents.context import CompactionConfig, ContextManager, invariant_violations
from pydantic_ai.messages import ModelRequest, UserPromptPart
from pydantic_ai.models.function import FunctionModel

from tests.compaction.lorem import STRATEGIES, ChatModel, agent, first_request_prompts, prompt


def prompt_numbers(messages) -> list[int]:
    return [
        int(re.match(r"Message (\d+):", str(p.content)).group(1))  # type: ignore[union-attr]
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, UserPromptPart)
    ]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_lorem_chat_stays_under_the_target_with_every_strategy(strategy):
    model = ChatModel()
    bot = agent(strategy, model)
    counter = bot.context_manager.token_counter
    compactions = []

    async def chat() -> None:
        for i in range(12):
            result = await bot.run(prompt(i))
            compactions.extend(result.compactions)
            sent = model.chat_requests[-1]
            assert counter.count_messages(sent) < 250, (i, counter.count_messages(sent))
            history = bot.get_messages()
            assert first_request_prompts(history) == [prompt(0)]
            numbers = prompt_numbers(history)
            assert numbers == sorted(set(numbers)) and numbers[0] == 0 and numbers[-1] == i
            assert not invariant_violations(history)

    asyncio.run(chat())
    assert compactions, "the chat is long enough to compact"
    for result in compactions:
        assert result.success and result.tokens_after <= 150, (result.error, result.details)
    if strategy == "summarize_older":
        # no room for a summary under this target: the manager's fallback did it, and says so
        assert "no room for a summary" in compactions[0].details["strategy_error"]
        assert compactions[0].details["fallback"]["reached_target"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_standalone_context_manager_reaches_the_target(strategy):
    config = CompactionConfig(
        strategy=strategy, trigger_threshold_tokens=600, target_tokens=400, preserve_recent_turns=1
    )
    manager = ContextManager(config, model=FunctionModel(ChatModel(), model_name="lorem"))
    for i in range(30):
        manager.add_messages([{"role": "user", "content": prompt(i)}, {"role": "assistant", "content": "ok"}])
    assert manager.should_compact()
    result = asyncio.run(manager.compact())
    assert result.success and manager.token_count() <= 400, result.details
    messages = manager.get_messages()
    assert first_request_prompts(messages) == [prompt(0)]
    numbers = prompt_numbers(messages)
    assert numbers == sorted(set(numbers)) and numbers[-1] == 29
    if strategy in ("summarize_older", "hybrid"):
        assert result.summary and result.summary.startswith("## Task")


def test_importance_scoring_asks_the_agents_model():
    model = ChatModel()
    bot = agent("importance_scoring", model)

    async def chat() -> list:
        found = []
        for i in range(12):
            found.extend((await bot.run(prompt(i))).compactions)
        return found

    compactions = asyncio.run(chat())
    assert model.strategy_requests >= 1
    assert any(c.details.get("scorer") == "model" for c in compactions), [c.details for c in compactions]


def test_an_updated_summary_replaces_the_old_one_within_its_budget():
    from mamba_agents.context import CompactionConfig
    from pydantic_ai.messages import CompactionPart

    config = CompactionConfig(
        strategy="summarize_older",
        trigger_threshold_tokens=900,
        target_tokens=600,
        preserve_recent_turns=1,
        strategy_options={"summary_share": 0.25},
    )
    manager = ContextManager(config, model=FunctionModel(ChatModel(), model_name="lorem"))
    counter = manager.token_counter
    for cycle in range(4):
        for i in range(cycle * 10, cycle * 10 + 10):
            manager.add_messages(
                [{"role": "user", "content": prompt(i)}, {"role": "assistant", "content": "ok"}]
            )
        result = asyncio.run(manager.compact())
        assert result.success, result.error
        messages = manager.get_messages()
        parts = [p for m in messages for p in m.parts if isinstance(p, CompactionPart)]
        assert len(parts) == 1
        alone = counter.count_messages([ModelRequest(parts=[parts[0]])])
        empty = counter.count_messages([ModelRequest(parts=[CompactionPart(content="")])])
        assert alone - empty <= 600 * 0.25
        assert manager.token_count() <= 600
        assert first_request_prompts(messages) == [prompt(0)]


def test_a_pass_that_cannot_reach_the_trigger_waits_for_the_context_to_grow():
    from mamba_agents.context import CompactionResult, CompactionStrategy

    from tests.compaction.helpers import CharCounter, call, reply, result, user

    class Nothing(CompactionStrategy):
        name = "nothing"

        async def compact(self, messages, context):
            return CompactionResult(strategy=self.name, messages=list(messages))

    # The preserved turn's tool call arguments alone are over the trigger: nothing may be dropped or clipped.
    config = CompactionConfig(trigger_threshold_tokens=300, target_tokens=200, preserve_recent_turns=1)
    manager = ContextManager(config, strategy=Nothing(), token_counter=CharCounter())
    messages = [user("go"), call("write_file", {"path": "a", "content": "x " * 1_000}, "c1")]
    assert manager.should_compact(messages)
    first = asyncio.run(manager.compact_messages(messages, within_current_turn=True))
    assert first.tokens_after >= 300 and first.details["retry_at_tokens"] == first.tokens_after + 50
    assert not first.details["fallback"]["reached_target"]
    assert not manager.should_compact(messages)  # the same pass would be repeated for nothing

    grown = [*messages, result("write_file", "ok", "c1"), reply("done " * 10)]
    assert manager.token_counter.count_messages(grown) < first.details["retry_at_tokens"]
    assert not manager.should_compact(grown)
    grown += [user("again " * 100)]
    assert manager.should_compact(grown)  # grown by half the trigger-target gap: try again

    manager.clear()  # a context cut by someone else is judged afresh
    assert manager.should_compact([messages[0], reply("y " * 1_000)])
