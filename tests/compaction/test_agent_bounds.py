"""Property test: an ``Agent`` with every strategy keeps its context bounded on generated conversations.

Conversations are chat only, tool-heavy (up to four tool calls a turn, results up to ~1,500 tokens), mixed,
or carry one huge message (a prompt or a tool result far over the trigger). The model is a
``FunctionModel`` that also answers the strategies' summary and scoring requests. At every model request the
context sent is under the trigger; every compaction ends at or under the target; after every turn the
history keeps every tool call with its result, the first prompt first (clipped at most, never merged with a
later one) and the prompts in order.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mamba_agents import Agent, AgentConfig
from mamba_agents.config import AgentSettings
from mamba_agents.context import CompactionConfig, invariant_violations
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.compaction.lorem import STRATEGIES, SUMMARY

TRIGGER, TARGET = 600, 400


@dataclass(frozen=True)
class Turn:
    prompt_chars: int
    tool_results: tuple[int, ...]  # one entry per tool call, the result's size in characters
    answer_chars: int


def turns_of(kind: str) -> st.SearchStrategy[list[Turn]]:
    small = st.integers(0, 300)
    results = {
        "chat": st.just(()),
        "tools": st.lists(st.integers(0, 6_000), min_size=1, max_size=4).map(tuple),
        "mixed": st.lists(st.integers(0, 3_000), max_size=3).map(tuple),
    }[kind]
    return st.lists(st.builds(Turn, small, results, small), min_size=2, max_size=6)


@st.composite
def conversations(draw: Any) -> list[Turn]:
    kind = draw(st.sampled_from(["chat", "tools", "mixed", "huge"]))
    if kind != "huge":
        return draw(turns_of(kind))
    turns = draw(turns_of("mixed"))
    index = draw(st.integers(0, len(turns) - 1))
    huge = 12_000  # ~3,000 tokens: five times the trigger
    turns[index] = (
        Turn(huge, turns[index].tool_results, turns[index].answer_chars)
        if draw(st.booleans())
        else Turn(turns[index].prompt_chars, (*turns[index].tool_results, huge), turns[index].answer_chars)
    )
    return turns


def text(tag: str, chars: int) -> str:
    return (tag + " " + "lorem ipsum dolor sit amet " * (chars // 27 + 1))[: max(len(tag), chars)]


@dataclass
class Script:
    """The model: plays the current turn's tool calls, then answers; serves summaries and scores."""

    counter: Any = None
    turn: Turn | None = None
    step: int = 0
    sent: list[int] = field(default_factory=list)

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        last = messages[-1]
        system = " ".join(p.content for p in last.parts if isinstance(p, SystemPromptPart))
        if "working memory" in system:
            return ModelResponse(parts=[TextPart(SUMMARY)])
        if "decide which parts" in system:
            prompt = " ".join(str(p.content) for p in last.parts if isinstance(p, UserPromptPart))
            return ModelResponse(
                parts=[TextPart("\n".join(f"{n}: 4" for n in range(1, prompt.count("\n[") + 2)))]
            )
        self.sent.append(self.counter.count_messages(messages))
        assert self.turn is not None
        if self.step < len(self.turn.tool_results):
            self.step += 1
            return ModelResponse(
                parts=[
                    ToolCallPart(
                        "fetch",
                        {"size": self.turn.tool_results[self.step - 1]},
                        f"c{id(self)}-{len(self.sent)}",
                    )
                ]
            )
        return ModelResponse(parts=[TextPart(text("answer", self.turn.answer_chars))])


def fetch(size: int) -> str:
    """Return ``size`` characters."""
    return text("result", size)


async def converse(strategy: str, turns: list[Turn]) -> None:
    script = Script()
    config = CompactionConfig(
        strategy=strategy, trigger_threshold_tokens=TRIGGER, target_tokens=TARGET, preserve_recent_turns=1
    )
    bot = Agent(
        FunctionModel(script, model_name="scripted"),
        settings=AgentSettings(),
        config=AgentConfig(context=config),
        tools=[fetch],
    )
    script.counter = bot.context_manager.token_counter
    first = text("prompt0", turns[0].prompt_chars)
    for index, turn in enumerate(turns):
        script.turn, script.step = turn, 0
        result = await bot.run(text(f"prompt{index}", turn.prompt_chars))
        assert all(n < TRIGGER for n in script.sent), (index, script.sent)
        for compaction in result.compactions:
            assert compaction.success and compaction.tokens_after <= TARGET, (
                compaction.error,
                compaction.details,
            )
        history = bot.get_messages()
        assert not invariant_violations(history, allow_open_last=False)
        requests = [m for m in history if isinstance(m, ModelRequest)]
        prompts = [p.content for m in requests for p in m.parts if isinstance(p, UserPromptPart)]
        first_prompts = [p.content for p in requests[0].parts if isinstance(p, UserPromptPart)]
        assert len(first_prompts) == 1 and first_prompts[0][:7] == first[:7]
        order = [int(str(p).split(" ", 1)[0].removeprefix("prompt")) for p in prompts]
        assert order == sorted(set(order)) and order[-1] == index


# Each example is a whole conversation through an Agent; a few per strategy keep the run short
# (MAMBA_PROPERTY_EXAMPLES=200 for a deeper search).
EXAMPLES = int(os.environ.get("MAMBA_PROPERTY_EXAMPLES", "4"))


@pytest.mark.parametrize("strategy", STRATEGIES)
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns=conversations())
def test_every_strategy_keeps_an_agent_under_its_bounds(strategy, turns):
    asyncio.run(converse(strategy, turns))
