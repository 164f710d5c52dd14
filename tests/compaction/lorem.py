"""The chat of issue 9 §1, driven through a real ``Agent``: tokens in context after every third turn.

``uv run python -m tests.compaction.lorem`` prints the table for the five strategies; the tests in
``test_bounds.py`` run the same chat and check the bounds after every turn.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from typing import Any

from mamba_agents import Agent, AgentConfig
from mamba_agents.config import AgentSettings
from mamba_agents.context import CompactionConfig, CompactionResult
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

STRATEGIES = ("sliding_window", "selective_pruning", "summarize_older", "importance_scoring", "hybrid")
SUMMARY = "## Task\nA lorem ipsum chat.\n## Decisions\nnone\n## Facts and values\nnone\n## Open items\nnone"


def prompt(i: int) -> str:
    return f"Message {i}: " + "lorem ipsum dolor sit amet " * 4


@dataclass
class ChatModel:
    """Answers chat turns with "ok", summary requests with a summary and scoring requests with scores."""

    chat_requests: list[list[ModelMessage]] = field(default_factory=list)
    strategy_requests: int = 0

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        last = messages[-1]
        system = " ".join(p.content for p in last.parts if isinstance(p, SystemPromptPart))
        if "working memory" in system:
            self.strategy_requests += 1
            return ModelResponse(parts=[TextPart(SUMMARY)])
        if "decide which parts" in system:
            self.strategy_requests += 1
            text = " ".join(str(p.content) for p in last.parts if isinstance(p, UserPromptPart))
            items = text.count("\n[") + 1
            return ModelResponse(parts=[TextPart("\n".join(f"{n}: 3" for n in range(1, items + 1)))])
        self.chat_requests.append(list(messages))
        return ModelResponse(parts=[TextPart("ok")])


def config(strategy: str) -> CompactionConfig:
    return CompactionConfig(
        strategy=strategy, trigger_threshold_tokens=250, target_tokens=150, preserve_recent_turns=1
    )


def agent(strategy: str, model: Any) -> Agent[Any, str]:
    return Agent(
        FunctionModel(model, model_name="lorem"),
        settings=AgentSettings(),
        config=AgentConfig(context=config(strategy)),
    )


async def chat(
    strategy: str, turns: int = 30
) -> tuple[list[int], list[CompactionResult], Agent[Any, str], ChatModel]:
    model = ChatModel()
    bot = agent(strategy, model)
    after: list[int] = []
    compactions: list[CompactionResult] = []
    for i in range(turns):
        result = await bot.run(prompt(i))
        compactions.extend(result.compactions)
        after.append(bot.get_context_state().token_count)
    return after, compactions, bot, model


def table(turns: int = 30) -> str:
    rows = ["| strategy | tokens after every third turn | largest request sent | after each compaction |"]
    rows.append("|---|---|---|---|")
    for strategy in STRATEGIES:
        after, compactions, bot, model = asyncio.run(chat(strategy, turns))
        counter = bot.context_manager.token_counter  # type: ignore[union-attr]
        largest = max(counter.count_messages(m) for m in model.chat_requests)
        every_third = ", ".join(str(n) for n in after[2::3])
        fits = sorted({c.tokens_after for c in compactions})
        rows.append(f"| {strategy} | {every_third} | {largest} | {fits[0]}-{fits[-1]} |")
    return "\n".join(rows)


def first_request_prompts(messages: list[ModelMessage]) -> list[str]:
    first = next(m for m in messages if isinstance(m, ModelRequest))
    return [str(p.content) for p in first.parts if isinstance(p, UserPromptPart)]


if __name__ == "__main__":
    print(table(int(sys.argv[1]) if len(sys.argv) > 1 else 30))
