"""The chat engine's request handling and turn planning (no model needed)."""

from __future__ import annotations

from typing import Any

import pytest
from mamba_agents_local.chat import (
    ChatRequest,
    ChatRequestError,
    EngineOptions,
    _results_text,
    build_conversation,
    plan_turn,
)

CLOCK = {
    "type": "function",
    "function": {"name": "clock", "description": "Now.", "parameters": {"type": "object"}},
}
WEATHER = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}


def request(messages: list[dict[str, Any]], **body: Any) -> ChatRequest:
    return ChatRequest.from_body({"model": "m", "messages": messages, **body})


def call(name: str, call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}}


def test_system_messages_and_the_function_list_become_one_system_prompt():
    req = request(
        [{"role": "system", "content": "Be brief."}, {"role": "developer", "content": "No emojis."},
         {"role": "user", "content": "hi"}],
        tools=[CLOCK], tool_choice="auto",
    )  # fmt: skip
    conversation = build_conversation(req)
    assert conversation.system.startswith(
        "Be brief.\n\nNo emojis.\n\nYou have access to the following functions:"
    )
    assert "functions.clock: Now." in conversation.system
    assert conversation.turns == [{"role": "user", "content": "hi"}]


def test_tool_choice_none_hides_the_functions():
    conversation = build_conversation(
        request([{"role": "user", "content": "hi"}], tools=[CLOCK], tool_choice="none")
    )
    assert "functions" not in conversation.system


def test_tool_calls_and_results_are_rendered_as_text_turns():
    req = request(
        [
            {"role": "user", "content": "time?"},
            {"role": "assistant", "content": None, "tool_calls": [call("clock", "c1")]},
            {"role": "tool", "tool_call_id": "c1", "content": "08:15"},
        ],
        tools=[CLOCK],
    )
    conversation = build_conversation(req)
    assert conversation.turns[1] == {"role": "assistant", "content": "functions.clock:\n{}"}
    assert conversation.turns[2] == {"role": "tool", "content": "08:15", "name": "clock"}
    assert conversation.calls_this_turn == {"clock": 1}


def test_calls_are_counted_since_the_last_user_message_only():
    req = request(
        [
            {"role": "user", "content": "a"},
            {"role": "assistant", "tool_calls": [call("clock", "c1")]},
            {"role": "tool", "tool_call_id": "c1", "content": "1"},
            {"role": "assistant", "content": "It is 1."},
            {"role": "user", "content": "b"},
        ],
        tools=[CLOCK],
    )
    assert build_conversation(req).calls_this_turn == {}


def test_text_parts_are_joined_and_other_parts_refused():
    parts = [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]
    assert build_conversation(request([{"role": "user", "content": parts}])).turns[0]["content"] == "one\ntwo"
    image = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]
    with pytest.raises(ChatRequestError, match="text only"):
        build_conversation(request([{"role": "user", "content": image}]))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"messages": []}, "non-empty list"),
        ({"messages": "hi"}, "non-empty list"),
        ({"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "code"}]}, "function tools"),
        ({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "max_tokens"),
    ],
)
def test_malformed_requests_are_400s(body, message):
    with pytest.raises(ChatRequestError, match=message) as caught:
        ChatRequest.from_body(body)
    assert caught.value.status == 400


def test_unknown_role_is_refused():
    with pytest.raises(ChatRequestError, match="unsupported message role 'robot'"):
        build_conversation(request([{"role": "robot", "content": "beep"}]))


def test_request_fields_are_read():
    req = request(
        [{"role": "user", "content": "x"}],
        max_completion_tokens=9, stop="END", seed=3, stream=True, stream_options={"include_usage": True},
        temperature=0.0,
    )  # fmt: skip
    assert (req.max_tokens, req.stop, req.seed, req.stream, req.include_usage, req.temperature) == (
        9, ["END"], 3, True, True, 0.0,
    )  # fmt: skip


DEFAULTS = EngineOptions()


def plan(messages, options=DEFAULTS, **body):
    req = request(messages, **body)
    return plan_turn(req, build_conversation(req), options)


def test_plan_offers_every_function_on_a_new_question():
    p = plan([{"role": "user", "content": "q"}], tools=[CLOCK, WEATHER], tool_choice="auto")
    assert [f["name"] for f in p.functions] == ["clock", "weather"] and not p.forced


def test_plan_stops_offering_a_function_once_called():
    history = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "tool_calls": [call("clock", "c1")]},
        {"role": "tool", "tool_call_id": "c1", "content": "08:15"},
    ]
    assert [f["name"] for f in plan(history, tools=[CLOCK, WEATHER]).functions] == ["weather"]
    assert plan(history, tools=[CLOCK]).functions == []  # nothing left: the model must answer
    unlimited = plan(history, EngineOptions(max_calls_per_tool=0), tools=[CLOCK])
    assert [f["name"] for f in unlimited.functions] == ["clock"]
    # a required call still has something to call
    required = plan(history, tools=[CLOCK], tool_choice="required")
    assert [f["name"] for f in required.functions] == ["clock"] and required.forced


def test_plan_for_a_named_function_and_for_none():
    named = plan([{"role": "user", "content": "q"}], tools=[CLOCK, WEATHER],
                 tool_choice={"type": "function", "function": {"name": "weather"}})  # fmt: skip
    assert [f["name"] for f in named.functions] == ["weather"] and named.forced
    assert plan([{"role": "user", "content": "q"}], tools=[CLOCK], tool_choice="none").functions == []
    with pytest.raises(ChatRequestError, match="not among the tools"):
        plan([{"role": "user", "content": "q"}], tools=[CLOCK],
             tool_choice={"type": "function", "function": {"name": "nope"}})  # fmt: skip


def test_results_text_nudges_an_answer_when_no_function_is_left():
    one = [{"role": "tool", "content": "08:15", "name": "clock"}]
    done = _results_text(one, plan([{"role": "user", "content": "q"}]), final=True)
    assert done == "The function returned: 08:15\nAnswer my question with it."
    more = _results_text(one, plan([{"role": "user", "content": "q"}], tools=[WEATHER]), final=True)
    assert more.endswith("or call another function.")
    two = [*one, {"role": "tool", "content": "rain", "name": "weather"}]
    text = _results_text(two, plan([{"role": "user", "content": "q"}]), final=False)
    assert text == "The function clock returned: 08:15\nThe function weather returned: rain"
