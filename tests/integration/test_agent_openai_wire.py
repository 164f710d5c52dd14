"""The Agent against a real HTTP server speaking the OpenAI chat protocol on 127.0.0.1."""

from __future__ import annotations

import pydantic_ai.models
import pytest
from mamba_agents import Agent, AgentSettings

from tests.integration.openai_fake import FakeOpenAI, text_reply, tool_reply

SECRET = "sk-wire-secret-abcdef123456"


@pytest.fixture(autouse=True)
def allow_local_requests(monkeypatch, tmp_path):
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
    monkeypatch.chdir(tmp_path)


def _settings(base_url: str) -> AgentSettings:
    return AgentSettings(
        model_backend={"model": "fake-model", "base_url": base_url, "api_key": SECRET},
        retry={"max_retries": 0},
    )


def test_multi_turn_on_the_wire():
    answers = iter(["Hi Alice.", "Your name is Alice."])
    with FakeOpenAI(lambda body: text_reply(next(answers))) as server:
        agent = Agent(settings=_settings(server.base_url), system_prompt="Be brief.")
        agent.run_sync("Remember my name is Alice")
        assert agent.run_sync("What's my name?").output == "Your name is Alice."
    first, second = server.requests
    assert first["messages"][0] == {"role": "system", "content": "Be brief."}
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert second["messages"][0]["content"] == "Be brief."
    assert second["messages"][2]["content"] == "Hi Alice."
    assert server.headers[0]["authorization"] == f"Bearer {SECRET}"
    usage = agent.get_usage()
    assert (usage.request_count, usage.input_tokens, usage.output_tokens) == (2, 22, 14)
    assert not agent.get_cost_breakdown().priced  # an unknown local model is unpriced, not $0


def test_tool_call_round_trip_on_the_wire():
    def responder(body):
        if body["messages"][-1]["role"] == "tool":
            return text_reply(f"The time is {body['messages'][-1]['content']}")
        assert [t["function"]["name"] for t in body["tools"]] == ["current_time"]
        return tool_reply("current_time", {"timezone": "UTC"})

    with FakeOpenAI(responder) as server:
        settings = _settings(server.base_url)
        settings.tools.enabled = ["current_time"]
        result = Agent(settings=settings).run_sync("What time is it?")
    assert result.output.startswith("The time is 20")
    assert [m["role"] for m in server.requests[1]["messages"]] == ["user", "assistant", "tool"]
    assert len(result.new_messages()) == 4
