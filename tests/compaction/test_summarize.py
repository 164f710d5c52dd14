"""summarize_older: structured, incremental, abandoned cleanly on failure, accounted."""

from __future__ import annotations

import pytest
from mamba_agents.context import invariant_violations
from mamba_agents.context.join import is_separator
from mamba_agents_compaction import SummarizeOlderStrategy
from pydantic_ai import ModelHTTPError, ModelServerError
from pydantic_ai.messages import (
    CompactionPart,
    ModelRequest,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    ThinkingPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.compaction.helpers import (
    Summarizer,
    all_text,
    call,
    context,
    failing_model,
    reply,
    result,
    run,
    summaries,
    user,
)


def conversation(turns: int = 6, size: int = 400) -> list:
    messages: list = [user("Build the report generator.", system="You are a helpful agent.")]
    messages += [call("read_file", {"path": "src/report.py"}, "r0"), result("read_file", "x" * size, "r0")]
    messages.append(reply("The report module is read."))
    for i in range(1, turns):
        messages.append(user(f"Step {i}: the secret code for step {i} is CODE-{i:03d}."))
        messages += [
            call("run_bash", {"command": f"make step{i}"}, f"c{i}"),
            result("run_bash", "y" * size, f"c{i}"),
        ]
        messages.append(reply(f"Done with step {i}."))
    return messages


def test_summary_replaces_old_turns_as_a_compaction_part():
    summarizer = Summarizer("## Task\nBuild the report generator.\n## Facts and values\nCODE-001")
    messages = conversation()
    ctx = context(400, preserve=2, model=summarizer.model)
    res = run(SummarizeOlderStrategy().compact(messages, ctx))

    assert res.success, res.error
    assert res.strategy == "summarize_older"
    assert summarizer.calls == 1
    # the structured sections are asked for
    for section in ("## Task", "## Decisions", "## Facts and values", "## Files touched", "## Open items"):
        assert section in summarizer.instructions[0]
    # old messages went to the summarizer, recent ones did not
    assert "CODE-001" in summarizer.prompts[0] and "CODE-003" in summarizer.prompts[0]
    assert "CODE-004" not in summarizer.prompts[0] and "CODE-005" not in summarizer.prompts[0]
    # the summary lives in a request as a CompactionPart, never as a system prompt
    first = res.messages[0]
    assert isinstance(first, ModelRequest) and isinstance(first.parts[-1], CompactionPart)
    assert sum(isinstance(p, SystemPromptPart) for m in res.messages for p in m.parts) == 1
    assert res.summary == first.parts[-1].content and res.summary.startswith("## Task")
    # first request's prompt and the last two turns are kept as they were
    assert first.parts[:2] == messages[0].parts and first.parts[1] is messages[0].parts[1]
    # a separator keeps the first request and the next kept prompt from merging into one request
    assert is_separator(res.messages[1])
    assert res.messages[2:] == messages[-8:] and all(
        a is b for a, b in zip(res.messages[2:], messages[-8:], strict=True)
    )
    assert res.removed_count == len(messages) - 1 - 8
    assert res.usage.requests == 1 and ctx.usage.requests == 1
    assert res.tokens_after < res.tokens_before
    assert not invariant_violations(res.messages)


def test_the_summarizer_gets_max_tokens_and_no_thinking():
    seen: list[AgentInfo] = []
    prompts: list[str] = []

    def summarize(messages, info: AgentInfo) -> ModelResponse:
        seen.append(info)
        prompts.append(str(messages[-1].parts[-1].content))
        return ModelResponse(parts=[TextPart("## Task\nshort")])

    messages = conversation()
    messages[3] = ModelResponse(
        parts=[ThinkingPart("PRIVATE-REASONING"), TextPart("The report module is read.")]
    )
    res = run(
        SummarizeOlderStrategy().compact(
            messages, context(5_000, model=FunctionModel(summarize), summary_max_tokens=256)
        )
    )
    assert res.success
    assert seen[0].model_settings and seen[0].model_settings.get("max_tokens") == 256
    assert "PRIVATE-REASONING" not in prompts[0]

    # a tight target asks for a shorter summary than summary_max_tokens
    ctx = context(300, model=FunctionModel(summarize), summary_max_tokens=256)
    run(SummarizeOlderStrategy().compact(messages, ctx))
    # the budget is at most summary_share (half) of the target
    assert seen[-1].model_settings["max_tokens"] <= 150 < 256


def test_a_second_compaction_extends_the_previous_summary():
    summarizer = Summarizer(lambda prompt: f"## Task\nsummary #{prompt.count('<summary>') + 1}")
    messages = conversation(turns=6)
    ctx = context(400, preserve=2, model=summarizer.model)
    first = run(SummarizeOlderStrategy().compact(messages, ctx))
    assert first.success and first.summary.startswith("## Task\nsummary #1")

    grown = list(first.messages)
    for i in range(6, 10):
        grown += [user(f"Step {i}: the secret code is CODE-{i:03d}."), reply(f"Done with step {i}.")]
    second = run(SummarizeOlderStrategy().compact(grown, ctx))
    assert second.success, second.error
    prompt = summarizer.prompts[-1]
    # the previous summary is handed over, the messages it covers are not summarised again
    assert "<summary>\n## Task\nsummary #1" in prompt
    assert "CODE-001" not in prompt and "CODE-005" in prompt
    assert second.summary.startswith("## Task\nsummary #2")
    assert summaries(second.messages) == [second.summary]  # one summary, updated in place
    assert second.details["extended_previous_summary"] is True
    assert second.messages[0].parts[-1].metadata["mamba_agents"]["generation"] == 2
    assert not invariant_violations(second.messages)


@pytest.mark.parametrize(
    "model",
    [
        failing_model(
            ModelHTTPError.for_category(
                ModelServerError,
                status_code=500,
                model_name="summarizer",
                body="upstream exploded: token=abc123",
            )
        ),
        failing_model(RuntimeError("connection reset")),
        FunctionModel(lambda messages, info: ModelResponse(parts=[TextPart("   ")])),
    ],
    ids=["http-500", "exception", "empty-text"],
)
def test_a_failed_summary_abandons_the_compaction(model):
    messages = conversation()
    ctx = context(300, model=model)
    res = run(SummarizeOlderStrategy().compact(messages, ctx))
    assert not res.success
    assert res.error and res.error.startswith("summarizer failed:")
    assert res.messages == messages and all(a is b for a, b in zip(res.messages, messages, strict=True))
    assert res.summary is None
    text = all_text(res.messages)
    assert "summarizer failed" not in text and "exploded" not in text and "connection reset" not in text
    assert not summaries(res.messages)


def test_without_a_model_it_says_what_to_configure():
    res = run(SummarizeOlderStrategy().compact(conversation(), context(300)))
    assert not res.success and "summarization_model" in res.error


def test_nothing_old_enough_means_no_model_call():
    summarizer = Summarizer()
    messages = [user("hi"), reply("hello"), user("again"), reply("sure")]
    res = run(SummarizeOlderStrategy().compact(messages, context(5, preserve=2, model=summarizer.model)))
    assert res.success and res.messages == messages and summarizer.calls == 0
    assert "nothing" in res.details["reason"]


def test_files_from_tool_calls_are_kept_when_the_summary_forgets_them():
    summarizer = Summarizer("## Task\nreport generator")
    messages = conversation()
    res = run(SummarizeOlderStrategy().compact(messages, context(300, model=summarizer.model)))
    assert "src/report.py (read_file)" in res.summary
    assert res.details["files"] == ["src/report.py"]

    plain = run(
        SummarizeOlderStrategy(record_files=False).compact(messages, context(300, model=summarizer.model))
    )
    assert "src/report.py" not in plain.summary


def test_a_summary_too_long_for_the_target_is_clipped_to_fit():
    summarizer = Summarizer("## Task\n" + "long summary line\n" * 600)
    messages = conversation(turns=8, size=2_000)
    ctx = context(900, preserve=1, model=summarizer.model)
    res = run(SummarizeOlderStrategy().compact(messages, ctx))
    assert res.success
    assert ctx.count(res.messages) <= 900
    assert res.details["summary_clipped"] is True and "characters clipped" in res.summary


def test_a_summary_that_does_not_shrink_the_history_is_refused():
    summarizer = Summarizer("## Task\n" + "padding " * 2_000)
    messages = conversation(turns=4, size=10)
    res = run(SummarizeOlderStrategy().compact(messages, context(10_000, preserve=1, model=summarizer.model)))
    assert not res.success and "would not shrink" in res.error
    assert res.messages == messages and res.usage.requests == 1


def test_long_transcripts_are_summarised_in_chunks_each_building_on_the_last():
    summarizer = Summarizer(lambda prompt: f"## Task\nchunk summary {prompt.count('Step')}")
    messages = conversation(turns=12, size=300)
    res = run(
        SummarizeOlderStrategy(chunk_chars=1_000).compact(messages, context(300, model=summarizer.model))
    )
    assert res.success and summarizer.calls > 2
    assert res.details["chunks"] == summarizer.calls == res.usage.requests
    for later in summarizer.prompts[1:]:
        assert "<summary>" in later
    assert "<summary>" not in summarizer.prompts[0]


def test_options_are_validated():
    with pytest.raises(ValueError, match="invalid options for compaction strategy 'summarize_older'"):
        SummarizeOlderStrategy(chunk_chars=10)
    with pytest.raises(ValueError, match="allowed options"):
        SummarizeOlderStrategy(model="gpt-4o")


def test_the_input_history_is_not_mutated():
    import copy

    messages = conversation()
    snapshot = copy.deepcopy(messages)
    run(SummarizeOlderStrategy().compact(messages, context(300, model=Summarizer().model)))
    assert messages == snapshot


def test_user_messages_are_quoted_and_carried_over_to_the_next_summary():
    summarizer = Summarizer("## Task\nthe model forgot the codes")
    messages = conversation(turns=6)
    ctx = context(400, preserve=2, model=summarizer.model)
    first = run(SummarizeOlderStrategy().compact(messages, ctx))
    assert "Earlier user messages (verbatim):" in first.summary
    assert "CODE-001" in first.summary and "CODE-003" in first.summary
    assert first.details["user_messages_quoted"] == 3

    grown = list(first.messages)
    for i in range(6, 10):
        grown += [user(f"Step {i}: the secret code is CODE-{i:03d}."), reply(f"Done with step {i}.")]
    second = run(SummarizeOlderStrategy().compact(grown, ctx))
    # the model only ever sees its own text; the quotes and files are carried over beside it
    assert "Earlier user messages" not in summarizer.prompts[-1]
    assert "src/report.py" not in summarizer.prompts[-1].split("</summary>")[0]
    for code in ("CODE-001", "CODE-005", "CODE-007"):
        assert code in second.summary
    assert "src/report.py (read_file)" in second.summary

    none = run(SummarizeOlderStrategy(quote_user_messages=False).compact(messages, ctx))
    assert "CODE-001" not in none.summary


def test_quotes_beyond_the_budget_lose_the_middle_ones_first():
    summarizer = Summarizer("## Task\nx")
    messages = conversation(turns=12)
    res = run(
        SummarizeOlderStrategy(user_quote_chars=160).compact(messages, context(300, model=summarizer.model))
    )
    quoted = res.summary.split("Earlier user messages (verbatim):\n")[1].splitlines()
    assert sum(len(q) - 2 for q in quoted) <= 160
    assert "CODE-001" in quoted[0] and "CODE-010" in quoted[-1]
    assert res.details["user_messages_quoted"] == len(quoted) < 10


def test_a_summary_written_elsewhere_is_extended_as_it_is():
    summarizer = Summarizer("## Task\nmerged")
    messages = conversation()
    messages[0] = ModelRequest(
        parts=[*messages[0].parts, CompactionPart(content="Summary from another tool: X=42")]
    )
    res = run(SummarizeOlderStrategy().compact(messages, context(300, model=summarizer.model)))
    assert "<summary>\nSummary from another tool: X=42\n</summary>" in summarizer.prompts[0]
    assert summaries(res.messages) == [res.summary]
