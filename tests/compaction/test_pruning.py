"""selective_pruning: old tool results cleared, repeated reads dropped, oversized parts clipped."""

from __future__ import annotations

import copy

import pytest
from mamba_agents.context import invariant_violations
from mamba_agents_compaction import SelectivePruningStrategy
from pydantic_ai.messages import (
    ModelRequest,
    ModelResponse,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
)

from tests.compaction.helpers import call, context, reply, result, run, user

BIG = "line of file content\n" * 100  # ~2,100 characters


def returns(messages) -> list[ToolReturnPart]:
    return [
        p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolReturnPart)
    ]


def tool_calls(messages) -> list[ToolCallPart]:
    return [
        p for m in messages if isinstance(m, ModelResponse) for p in m.parts if isinstance(p, ToolCallPart)
    ]


def session(tools: int = 6) -> list:
    messages: list = [user("Investigate the service.", system="sys")]
    for i in range(tools):
        messages += [
            call("run_bash", {"command": f"cat log{i}"}, f"b{i}"),
            result("run_bash", f"{i}:" + BIG, f"b{i}"),
        ]
    messages.append(reply("Logs read."))
    messages += [user("Now the summary please."), reply("Here it is.")]
    return messages


def test_old_tool_results_are_cleared_but_calls_and_names_stay():
    messages = session()
    ctx = context(1, preserve=1)  # unreachable target: prune all it may
    res = run(SelectivePruningStrategy(keep_tool_pairs=2, until_target=False).compact(messages, ctx))
    assert res.success and not invariant_violations(res.messages)
    cleared = returns(res.messages)
    assert [p.tool_call_id for p in cleared] == [f"b{i}" for i in range(6)]
    for part in cleared[:4]:
        assert part.content.startswith("[run_bash result cleared to save context (")
        assert part.tool_name == "run_bash"
    # the two most recent results are kept
    assert [p.content for p in cleared[4:]] == [f"4:{BIG}", f"5:{BIG}"]
    # calls are untouched objects
    assert all(a is b for a, b in zip(tool_calls(res.messages), tool_calls(messages), strict=True))
    assert res.details["cleared_tool_results"] == 4
    assert res.tokens_after < res.tokens_before / 2
    assert res.messages[-2:] == messages[-2:] and res.messages[-1] is messages[-1]


def test_pruning_stops_once_under_target():
    messages = session()
    ctx = context(1, preserve=1)
    total = ctx.count(messages)
    # room for everything but one result: only the oldest is cleared
    ctx = context(total - 100, preserve=1)
    res = run(SelectivePruningStrategy(keep_tool_pairs=0).compact(messages, ctx))
    assert res.details["cleared_tool_results"] == 1
    assert returns(res.messages)[0].content.startswith("[run_bash result cleared")
    assert returns(res.messages)[1].content.startswith("1:")
    assert ctx.count(res.messages) <= total - 100

    everything = run(SelectivePruningStrategy(keep_tool_pairs=0, until_target=False).compact(messages, ctx))
    assert everything.details["cleared_tool_results"] == 6


def test_a_history_already_under_target_is_returned_unchanged():
    messages = session()
    res = run(SelectivePruningStrategy().compact(messages, context(10**6)))
    assert res.success and res.messages == messages and res.removed_count == 0
    assert all(a is b for a, b in zip(res.messages, messages, strict=True))


def test_recent_turns_and_first_request_are_never_touched():
    messages = session()
    messages[0] = user("Investigate: " + BIG * 4, system="sys")
    messages[-2] = user("Summarize: " + BIG * 4)
    res = run(SelectivePruningStrategy(max_part_chars=500).compact(messages, context(1, preserve=1)))
    assert res.messages[0] is messages[0]
    assert res.messages[-2] is messages[-2] and res.messages[-1] is messages[-1]


def test_repeated_reads_of_a_file_are_dropped():
    messages: list = [user("Fix the bug.")]
    messages += [call("read_file", {"path": "src/app.py"}, "r1"), result("read_file", "v1 " + BIG, "r1")]
    messages += [call("read_file", {"path": "./src/app.py"}, "r2"), result("read_file", "v2 " + BIG, "r2")]
    messages += [call("read_file", {"path": "src/other.py"}, "o1"), result("read_file", "other " + BIG, "o1")]
    messages += [reply("Read them."), user("Go on."), reply("ok")]
    res = run(
        SelectivePruningStrategy(keep_tool_pairs=10, until_target=False).compact(
            messages, context(1, preserve=1)
        )
    )
    ids = [p.tool_call_id for p in returns(res.messages)]
    assert ids == ["r2", "o1"]  # the older read of the same (normalised) path is gone, call and result
    assert [p.tool_call_id for p in tool_calls(res.messages)] == ["r2", "o1"]
    assert res.details["repeated_reads_dropped"] == 1 and res.removed_count == 2
    assert not invariant_violations(res.messages)


def test_a_repeated_read_sharing_its_message_is_marked_not_dropped():
    messages: list = [user("Fix the bug.")]
    messages += [
        call("read_file", {"path": "a.py"}, "r1", text="Let me look at a.py first."),
        result("read_file", "old " + BIG, "r1"),
    ]
    messages += [call("read_file", {"path": "a.py"}, "r2"), result("read_file", "new " + BIG, "r2")]
    messages += [reply("Done."), user("next"), reply("ok")]
    res = run(
        SelectivePruningStrategy(keep_tool_pairs=10, until_target=False).compact(
            messages, context(1, preserve=1)
        )
    )
    first = returns(res.messages)[0]
    assert first.tool_call_id == "r1" and first.content.startswith("[superseded: a.py was read again later")
    assert res.messages[1] is messages[1]  # the assistant's text stays
    assert res.details["repeated_reads_marked"] == 1


def test_a_failed_later_read_does_not_supersede_and_ranges_differ():
    messages: list = [user("Fix the bug.")]
    messages += [call("read_file", {"path": "a.py"}, "r1"), result("read_file", "good " + BIG, "r1")]
    messages += [
        call("read_file", {"path": "a.py"}, "r2"),
        result("read_file", "boom", "r2", outcome="retried"),
    ]
    messages += [call("read_file", {"path": "b.py", "offset": 0}, "b1"), result("read_file", BIG, "b1")]
    messages += [call("read_file", {"path": "b.py", "offset": 500}, "b2"), result("read_file", BIG, "b2")]
    messages += [reply("Done."), user("next"), reply("ok")]
    res = run(
        SelectivePruningStrategy(keep_tool_pairs=10, until_target=False).compact(
            messages, context(1, preserve=1)
        )
    )
    assert res.details["repeated_reads_dropped"] == 0
    assert [p.content[:5] for p in returns(res.messages)][:2] == ["good ", "boom"]


def test_old_thinking_is_removed():
    messages: list = [
        user("Think about it."),
        ModelResponse(parts=[ThinkingPart("deep " * 300), TextPart("I thought.")]),
        user("next"),
        reply("ok"),
    ]
    res = run(SelectivePruningStrategy().compact(messages, context(1, preserve=1)))
    assert res.messages[1].parts == [TextPart("I thought.")]
    assert res.details["thinking_removed"] == 1
    kept = run(SelectivePruningStrategy(drop_thinking=False).compact(messages, context(1, preserve=1)))
    assert kept.messages[1] is messages[1]


def test_oversized_parts_are_clipped_keeping_both_ends():
    huge = "START " + "x" * 20_000 + " END"
    messages: list = [
        user("Write the file."),
        call("write_file", {"path": "big.txt", "content": huge}, "w1"),
        result("write_file", "ok", "w1"),
        user("And explain: " + huge),
        reply("The file: " + huge),
        user("next"),
        reply("ok"),
    ]
    res = run(SelectivePruningStrategy(max_part_chars=1_000).compact(messages, context(1, preserve=1)))
    args = res.messages[1].parts[0].args
    assert (
        args["path"] == "big.txt" and args["content"].startswith("START") and args["content"].endswith("END")
    )
    assert "characters clipped to save context" in args["content"] and len(args["content"]) < 1_200
    assert len(res.messages[3].parts[0].content) < 1_200 and res.messages[3].parts[0].content.endswith("END")
    assert len(res.messages[4].parts[0].content) < 1_200
    assert res.details["clipped_messages"] == 3
    assert not invariant_violations(res.messages)


def test_retried_and_failed_results_keep_their_outcome_when_cleared():
    messages: list = [user("Go.")]
    messages += [call("fetch", {"url": "u"}, "f1"), result("fetch", "error: " + BIG, "f1", outcome="failed")]
    messages += [call("fetch", {"url": "u"}, "f2"), result("fetch", "retry: " + BIG, "f2", outcome="retried")]
    messages += [reply("gave up"), user("next"), reply("ok")]
    res = run(SelectivePruningStrategy(keep_tool_pairs=0).compact(messages, context(1, preserve=1)))
    assert [(p.outcome, p.content[:1]) for p in returns(res.messages)] == [("failed", "["), ("retried", "[")]


def test_pruning_twice_does_not_clear_placeholders_again():
    messages = session()
    once = run(SelectivePruningStrategy(keep_tool_pairs=0).compact(messages, context(1)))
    twice = run(SelectivePruningStrategy(keep_tool_pairs=0).compact(once.messages, context(1)))
    assert twice.details["cleared_tool_results"] == 0 and twice.messages == once.messages


def test_the_input_history_is_not_mutated():
    messages = session()
    snapshot = copy.deepcopy(messages)
    run(SelectivePruningStrategy(keep_tool_pairs=0).compact(messages, context(1)))
    assert messages == snapshot


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"keep_tool_pairs": -1}, "keep_tool_pairs"),
        ({"placeholder": "cleared {nope}"}, "placeholder"),
        ({"max_part_chars": 5}, "max_part_chars"),
        ({"keep_last": 3}, "allowed options"),
    ],
)
def test_bad_options_fail_clearly(options, message):
    with pytest.raises(ValueError, match=message):
        SelectivePruningStrategy(**options)


def test_custom_placeholder():
    res = run(
        SelectivePruningStrategy(
            keep_tool_pairs=0, placeholder="<{tool_name}: {chars} chars elided>"
        ).compact(session(), context(1))
    )
    assert returns(res.messages)[0].content == f"<run_bash: {len('0:' + BIG)} chars elided>"
