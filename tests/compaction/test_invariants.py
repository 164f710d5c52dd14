"""Property tests: every strategy keeps a history sound on generated conversations.

Conversations have tool calls (several per response), retries and failures (``ToolReturnPart(outcome=...)``),
thinking parts, multi-part messages (text + thinking + calls; a request holding the previous turn's tool
results and the next prompt), a system prompt, an earlier summary, and sometimes a run in progress (the last
response's calls unanswered). After any strategy:

* every tool call keeps its result and no result is orphaned (``invariant_violations``);
* at most one system prompt, at the start;
* the first user prompt and the last ``preserve_recent_turns`` turns are kept, untouched;
* the result is at or under ``target_tokens`` whenever the strategy can get there (its floor: what it leaves
  with a target of one token);
* the input is not mutated.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import re
import zlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mamba_agents.context import invariant_violations, partition, split_turns
from mamba_agents.context.strategy import CompactionStrategy
from mamba_agents.context.turns import partition_current_turn
from mamba_agents_compaction import (
    HybridStrategy,
    ImportanceScoringStrategy,
    SelectivePruningStrategy,
    SummarizeOlderStrategy,
)
from pydantic_ai.messages import (
    CompactionPart,
    ModelMessage,
    ModelRequest,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.compaction.helpers import CharCounter, Summarizer, context, failing_model

TOOLS = ("read_file", "run_bash", "grep_search", "write_file")
PATHS = ("a.py", "b.py", "src/c.py", "./a.py")

sizes = st.integers(min_value=0, max_value=1_200)


def words(n: int, tag: str) -> str:
    return f"{tag} " + "w " * (n // 2)


@st.composite
def conversations(draw: Any) -> list[ModelMessage]:
    ids = itertools.count()
    turns = draw(st.integers(min_value=1, max_value=7))
    messages: list[ModelMessage] = []
    carried: list[ToolReturnPart] = []  # results that travel with the next user prompt
    for turn in range(turns):
        parts: list[Any] = []
        if turn == 0 and draw(st.booleans()):
            parts.append(SystemPromptPart(content="You are an agent."))
        parts += carried
        carried = []
        parts.append(UserPromptPart(content=words(draw(sizes), f"prompt{turn}")))
        if turn == 0 and draw(st.integers(0, 4)) == 0:
            parts.append(CompactionPart(content="## Task\nan earlier summary"))
        messages.append(ModelRequest(parts=parts))
        steps = draw(st.integers(min_value=0, max_value=4))
        last_turn = turn == turns - 1
        ending = draw(st.sampled_from(["answer", "answer", "carry", "open"]))
        for step in range(steps):
            response: list[Any] = []
            if draw(st.booleans()):
                response.append(ThinkingPart(content=words(draw(sizes), "think")))
            if draw(st.integers(0, 2)) == 0:
                response.append(TextPart(content=words(draw(sizes), "say")))
            calls = [
                ToolCallPart(
                    tool_name=draw(st.sampled_from(TOOLS)),
                    args={"path": draw(st.sampled_from(PATHS))},
                    tool_call_id=f"call{next(ids)}",
                )
                for _ in range(draw(st.integers(min_value=1, max_value=3)))
            ]
            messages.append(ModelResponse(parts=[*response, *calls]))
            results = [
                ToolReturnPart(
                    tool_name=c.tool_name,
                    content=words(draw(sizes), "out"),
                    tool_call_id=c.tool_call_id,
                    outcome=draw(st.sampled_from(["success", "success", "retried", "failed"])),
                )
                for c in calls
            ]
            final = step == steps - 1
            if final and ending == "carry" and not last_turn:
                carried = results
            elif final and ending == "open" and last_turn:
                pass  # a run in progress: the calls await their results
            else:
                messages.append(ModelRequest(parts=results))
        if not carried and not (last_turn and ending == "open" and steps):
            messages.append(ModelResponse(parts=[TextPart(content=words(draw(sizes), "answer"))]))
    return messages


def scoring_model() -> FunctionModel:
    """Rates every item with a score derived from its text: deterministic, and different per item."""

    def score(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompt = str(messages[-1].parts[-1].content)
        lines = re.findall(r"^\[(\d+)\] (.*)$", prompt, re.MULTILINE)
        return ModelResponse(
            parts=[TextPart("\n".join(f"{n}: {zlib.crc32(t.encode()) % 11}" for n, t in lines))]
        )

    return FunctionModel(score)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def check(
    strategy: CompactionStrategy,
    messages: list[ModelMessage],
    fraction: float,
    preserve: int,
    model: Any = None,
    current_turn: bool = False,
) -> None:
    counter = CharCounter()
    total = counter.count_messages(messages)
    target = max(1, int(total * fraction))
    snapshot = copy.deepcopy(messages)
    ctx = context(target, preserve=preserve, model=model, counter=counter)
    ctx.current_turn = current_turn  # as the manager sets it to open an oversize last turn
    result = run(strategy.compact(messages, ctx))
    out = result.messages

    assert messages == snapshot, "the input history was mutated"
    assert not invariant_violations(out), invariant_violations(out)
    # dropping never leaves two responses side by side (providers want them alternating with requests)
    assert not any(
        isinstance(a, ModelResponse) and isinstance(b, ModelResponse) for a, b in itertools.pairwise(out)
    )
    systems = [i for i, m in enumerate(out) for p in m.parts if isinstance(p, SystemPromptPart)]
    assert len(systems) <= 1 and systems in ([], [0])
    # the first user prompt is still in the first request; the recent turns are the very same objects
    _, turns = split_turns(messages)
    first = [p for p in turns[0][0].parts if isinstance(p, UserPromptPart)]
    _, turns_out = split_turns(out)
    assert all(any(q is p for q in turns_out[0][0].parts) for p in first)
    tail = (partition_current_turn(messages) if current_turn else partition(messages, preserve)).tail
    assert len(out) >= len(tail) and all(
        a is b for a, b in zip(out[len(out) - len(tail) :], tail, strict=True)
    )
    # one summary at most per compacted region: the older turns, and the inside of the current turn
    summaries_before = sum(isinstance(p, CompactionPart) for m in messages for p in m.parts)
    summaries_after = sum(isinstance(p, CompactionPart) for m in out for p in m.parts)
    assert summaries_after <= (summaries_before + 1 if current_turn else 1)
    if not result.success:
        assert out == messages and result.error
        return
    # at or under target whenever the strategy can get there
    floor_ctx = context(1, preserve=preserve, model=model, counter=counter)
    floor_ctx.current_turn = current_turn
    floor = counter.count_messages(run(strategy.compact(messages, floor_ctx)).messages)
    if floor <= target:
        assert counter.count_messages(out) <= target, (floor, target, counter.count_messages(out))


SETTINGS = settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.too_slow])
fractions = st.floats(min_value=0.02, max_value=1.1)
preserves = st.integers(min_value=0, max_value=3)


@SETTINGS
@given(conversations(), fractions, preserves, st.booleans())
def test_selective_pruning_keeps_the_invariants(messages, fraction, preserve, current_turn):
    strategy = SelectivePruningStrategy(keep_tool_pairs=2, max_part_chars=400)
    check(strategy, messages, fraction, preserve, current_turn=current_turn)


@SETTINGS
@given(conversations(), fractions, preserves, st.booleans())
def test_importance_scoring_heuristic_keeps_the_invariants(messages, fraction, preserve, current_turn):
    check(ImportanceScoringStrategy(), messages, fraction, preserve, current_turn=current_turn)


@SETTINGS
@given(conversations(), fractions, preserves)
def test_importance_scoring_with_a_model_keeps_the_invariants(messages, fraction, preserve):
    check(ImportanceScoringStrategy(batch_size=5), messages, fraction, preserve, model=scoring_model())


@SETTINGS
@given(conversations(), fractions, preserves, st.integers(min_value=20, max_value=3_000), st.booleans())
def test_summarize_older_keeps_the_invariants(messages, fraction, preserve, summary_size, current_turn):
    summarizer = Summarizer("## Task\n" + "s" * summary_size)
    check(SummarizeOlderStrategy(), messages, fraction, preserve, summarizer.model, current_turn)


@SETTINGS
@given(conversations(), fractions, preserves)
def test_a_failing_summarizer_never_changes_the_history(messages, fraction, preserve):
    check(SummarizeOlderStrategy(), messages, fraction, preserve, model=failing_model(RuntimeError("down")))


@SETTINGS
@given(conversations(), fractions, preserves, st.booleans(), st.booleans())
def test_hybrid_keeps_the_invariants(messages, fraction, preserve, summarizer_works, current_turn):
    model = Summarizer("## Task\nshort").model if summarizer_works else failing_model(RuntimeError("down"))
    check(HybridStrategy(), messages, fraction, preserve, model=model, current_turn=current_turn)


@settings(max_examples=100, deadline=None)
@given(conversations())
def test_generated_conversations_are_sound_to_begin_with(messages):
    # the generator itself must produce valid, alternating histories, or the properties above prove nothing
    assert not invariant_violations(messages)
    assert all(type(a) is not type(b) for a, b in itertools.pairwise(messages))
