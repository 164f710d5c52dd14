"""``messages_to_dicts()``: OpenAI chat dicts that ``add_messages`` reads back into the same conversation."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from mamba_agents import Agent
from mamba_agents.agent import dicts_to_model_messages, model_messages_to_dicts
from mamba_agents.context import ContextManager
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.agent.conftest import last_tool_returns, user_prompts

text = st.text(max_size=20)
ids = st.text("abcdef0123456789", min_size=1, max_size=6)
names = st.sampled_from(["lookup", "add", "read_file"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def assistant(draw):
    calls = draw(st.lists(st.tuples(ids, names, st.dictionaries(text, json_values, max_size=3)), max_size=2))
    item = {"role": "assistant"}
    if calls:
        item["content"] = draw(st.none() | text.filter(bool))
        item["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)},
            }
            for call_id, name, args in calls
        ]
    else:
        item["content"] = draw(text)
    return item


request_item = st.one_of(
    st.builds(lambda c: {"role": "system", "content": c}, text),
    st.builds(lambda c: {"role": "user", "content": c}, text),
    st.builds(lambda i, n, c: {"role": "tool", "tool_call_id": i, "name": n, "content": c}, ids, names, text),
)


@given(st.lists(request_item | assistant(), max_size=12))
@hsettings(max_examples=60, deadline=None)
def test_dicts_survive_the_round_trip(items):
    assert model_messages_to_dicts(dicts_to_model_messages(items)) == items
    manager = ContextManager()
    manager.add_messages(items)  # the same converter add_messages uses
    assert model_messages_to_dicts(manager.get_messages()) == items
    assert json.loads(json.dumps(items)) == items  # plain JSON all the way


def _parts(messages):
    out = []
    for message in messages:
        for part in message.parts:
            if isinstance(part, TextPart | ToolCallPart | ToolReturnPart) or part.part_kind == "user-prompt":
                args = part.args_as_dict() if isinstance(part, ToolCallPart) else None
                out.append((part.part_kind, getattr(part, "content", None), args))
    return out


turn = st.tuples(st.text(min_size=1, max_size=15), st.lists(st.integers(0, 99), max_size=3))


@given(st.lists(turn, min_size=1, max_size=4))
@hsettings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_an_agent_conversation_with_tools_comes_back_from_its_dicts(settings, turns):
    plans = {}

    def model(messages, info: AgentInfo):
        prompt = user_prompts(messages)[-1]
        returns = last_tool_returns(messages)
        if returns:
            return ModelResponse(parts=[TextPart("sum " + " ".join(p.content for p in returns))])
        numbers = plans[prompt]
        if not numbers:
            return ModelResponse(parts=[TextPart(f"no tools for {prompt}")])
        return ModelResponse(
            parts=[TextPart("calling")]
            + [ToolCallPart("double", {"n": n}, tool_call_id=f"{prompt}-{i}") for i, n in enumerate(numbers)]
        )

    def double(n: int) -> str:
        """Twice n."""
        return str(2 * n)

    agent = Agent(FunctionModel(model), settings=settings, tools=[double])
    for index, (prompt, numbers) in enumerate(turns):
        key = f"{index}:{prompt}"
        plans[key] = numbers
        agent.run_sync(key)
        dicts = agent.messages_to_dicts()
        restored = ContextManager()
        restored.add_messages(dicts)
        assert model_messages_to_dicts(restored.get_messages()) == dicts
        assert _parts(restored.get_messages()) == _parts(agent.get_messages())
        assert all(isinstance(m, ModelRequest | ModelResponse) for m in agent.get_messages())
    roles = [d["role"] for d in agent.messages_to_dicts()]
    assert roles.count("user") == len(turns)
    assert roles.count("tool") == sum(len(n) for _, n in turns)
