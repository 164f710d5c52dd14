"""Answers that end early, against the real fault server: an error, never a complete turn with 'stop'."""

from __future__ import annotations

from typing import Any

import pydantic_ai.models
import pytest
from mamba_agents import Agent, AgentSettings
from mamba_agents.errors import BackendConnectionError, IncompleteResponseError
from pydantic_ai import ModelAPIError
from pydantic_ai.messages import ModelResponse

from tests.integration.fault_server import FaultServer, Step, no_finish, ok, stream_cut, stream_eof


@pytest.fixture(autouse=True)
def _allow_local_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)


def make_agent(url: str) -> Agent[Any, str]:
    settings = AgentSettings(
        model_backend={"backend": "openai_compatible", "model": "fault-model", "base_url": url, "timeout": 5},
        retry={"max_retries": 0},
    )
    return Agent(settings=settings)


async def first_turn_ok(agent: Agent[Any, str]) -> list[Any]:
    result = await agent.run("first")
    assert result.output == "fine"
    return agent.get_messages()


async def streamed(agent: Agent[Any, str], prompt: str) -> str:
    async with agent.run_stream(prompt) as run:
        return await run.get_output()


CUT_OFF: list[tuple[str, Step, bool, str]] = [
    ("stream ends cleanly, no finish reason", stream_eof("half of it"), True, "without a finish reason"),
    ("answer without a finish reason", no_finish("half of it"), False, "without a finish reason"),
    ("stream counted as 0/0 tokens", ok("half of it", usage=(0, 0)), True, "0 input and 0 output tokens"),
    ("answer counted as 0/0 tokens", ok("half of it", usage=(0, 0)), False, "0 input and 0 output tokens"),
]


@pytest.mark.parametrize(("name", "step", "stream", "why"), CUT_OFF, ids=[c[0] for c in CUT_OFF])
async def test_an_answer_that_ended_early_is_an_error_and_not_stored(
    name: str, step: Step, stream: bool, why: str
) -> None:
    with FaultServer([ok("fine"), step, ok("again fine")]) as server:
        agent = make_agent(server.base_url)
        before = await first_turn_ok(agent)
        with pytest.raises(IncompleteResponseError) as caught:
            await (streamed(agent, "second") if stream else agent.run("second"))
        error = caught.value
        assert isinstance(error, ModelAPIError)  # still what pydantic-ai users catch
        assert why in str(error) and "fault-model" in str(error) and "127.0.0.1" in str(error)
        assert error.partial == "half of it" and error.retryable is True
        assert agent.get_messages() == before  # nothing of the cut-off turn is kept
        # The request happened: it is counted once; the next turn works.
        assert agent.get_usage().request_count == 2
        assert (await agent.run("third")).output == "again fine"
        answers = [m for m in agent.get_messages() if isinstance(m, ModelResponse)]
        assert [a.text for a in answers] == ["fine", "again fine"]
        assert all(a.finish_reason == "stop" and a.provider_details.get("finish_reason") for a in answers)


async def test_a_broken_chunk_is_a_connection_error_and_not_stored() -> None:
    with FaultServer([ok("fine"), stream_cut("half of it"), ok("fine")]) as server:
        agent = make_agent(server.base_url)
        before = await first_turn_ok(agent)
        with pytest.raises(BackendConnectionError) as caught:
            await streamed(agent, "second")
        assert "broke while the answer was streaming" in str(caught.value)
        assert isinstance(caught.value, ModelAPIError) and caught.value.url.startswith("http://127.0.0.1")
        assert agent.get_messages() == before


async def test_a_complete_stream_is_kept() -> None:
    with FaultServer([ok("all of it")]) as server:
        agent = make_agent(server.base_url)
        assert await streamed(agent, "go") == "all of it"
        [answer] = [m for m in agent.get_messages() if isinstance(m, ModelResponse)]
        assert answer.provider_details["finish_reason"] == "stop" and answer.usage.output_tokens == 7
