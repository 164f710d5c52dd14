"""Counting a 500-message conversation: one new message on a cached history vs counting all from scratch."""

from __future__ import annotations

import itertools
import random

from mamba_agents.tokens import TokenCounter
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from tests.benchmarks.conftest import best_of

_TEXT = (
    "the model reads a file then calls a tool to search the repository for the failing test and explains "
    "why the assertion about token counts differs between encodings when the history grows past the limit"
)
WORDS = _TEXT.split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def conversation(size: int, seed: int = 7) -> list[ModelMessage]:
    """User turns, answers and tool round trips: about 60 tokens a message."""
    rng = random.Random(seed)
    messages: list[ModelMessage] = []
    while len(messages) < size:
        messages.append(ModelRequest(parts=[UserPromptPart(sentence(rng, rng.randint(10, 60)))]))
        if rng.random() < 0.4:
            call_id = f"call_{len(messages)}"
            messages.append(
                ModelResponse(parts=[ToolCallPart("grep_search", {"pattern": rng.choice(WORDS)}, call_id)])
            )
            messages.append(ModelRequest(parts=[ToolReturnPart("grep_search", sentence(rng, 80), call_id)]))
        messages.append(ModelResponse(parts=[TextPart(sentence(rng, rng.randint(20, 90)))]))
    return messages[:size]


def test_incremental_vs_from_scratch(benchmark, report):
    history = conversation(500)
    counter = TokenCounter.for_model("gpt-4o")
    counter.count_messages(history)  # warm: the encoding is loaded and every message cached
    fresh = itertools.count()

    def add_one_and_count() -> int:
        new = ModelRequest(
            parts=[UserPromptPart(f"Follow-up question number {next(fresh)} about the failing test.")]
        )
        return counter.count_messages([*history, new])

    def from_scratch() -> int:
        counter.clear_cache()
        return counter.count_messages(history)

    # The cached path tokenizes exactly one message; the uncached path all 500.
    before = counter.cache_info()
    incremental_total = add_one_and_count()
    assert counter.cache_info().misses - before.misses == 1
    assert counter.cache_info().hits - before.hits == 500
    scratch_total = from_scratch()
    assert counter.cache_info().misses == 500
    uncached = TokenCounter.for_model("gpt-4o")
    assert scratch_total == uncached.count_messages(history)
    assert incremental_total > scratch_total

    scratch_seconds = best_of(from_scratch, repeat=5)
    counter.count_messages(history)
    incremental_seconds = best_of(add_one_and_count, repeat=50)
    benchmark(add_one_and_count)

    report("messages", len(history))
    report("conversation_tokens", scratch_total)
    report("from_scratch_ms", round(scratch_seconds * 1000, 3))
    report("add_one_and_count_cached_ms", round(incremental_seconds * 1000, 3))
    report("speedup_x", round(scratch_seconds / incremental_seconds, 1))


def test_growing_conversation_total_work(benchmark, report):
    """Counting after every one of 500 additions: O(new messages) with the cache, O(n^2) without."""
    history = conversation(500, seed=11)
    counter = TokenCounter.for_model("gpt-4o")
    counter.count(".")  # load the encoding outside the timing

    def grow_cached() -> int:
        counter.clear_cache()
        total = 0
        for end in range(1, len(history) + 1):
            total = counter.count_messages(history[:end])
        return total

    cached_seconds = best_of(grow_cached, repeat=3)
    assert counter.cache_info().misses == 500  # each message tokenized once over the whole growth

    scratch = TokenCounter.for_model("gpt-4o")
    step = 50  # from scratch, sampled every 50th step and scaled: the full O(n^2) run takes seconds

    def grow_sampled_from_scratch() -> int:
        total = 0
        for end in range(step, len(history) + 1, step):
            scratch.clear_cache()
            total = scratch.count_messages(history[:end])
        return total

    sampled_seconds = best_of(grow_sampled_from_scratch, repeat=3)
    benchmark.pedantic(grow_cached, rounds=1, iterations=1)
    assert grow_sampled_from_scratch() == grow_cached()
    report("grow_500_cached_ms", round(cached_seconds * 1000, 2))
    report("grow_500_from_scratch_estimated_ms", round(sampled_seconds * step * 1000, 1))
    report("growth_speedup_x", round(sampled_seconds * step / cached_seconds, 1))
