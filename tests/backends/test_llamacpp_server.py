"""The llamacpp backend against a real llama-cpp-python server (SmolLM2-135M) started on 127.0.0.1.

The assertions are about plumbing (requests, tool calls, usage, errors), not about what a 135M model says.
Runs are capped with ``UsageLimits(request_limit=...)``: with tools on offer this model keeps calling them.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, Literal

import httpx2
import pytest
from mamba_agents.backends import BackendUnavailableError, create_llamacpp_backend, get_profile
from mamba_agents_backends import OpenAICompatibleBackend
from pydantic_ai import Agent, ModelHTTPError, UsageLimits, capture_run_messages
from pydantic_ai.exceptions import ModelAPIError, UsageLimitExceeded
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, ToolCallPart, ToolReturnPart

from tests.backends.conftest import LlamaServer, free_port, start_llama_server, stop_llama_server

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("allow_model_requests")]


class Wire:
    """An httpx2 client that keeps every chat request body and response body it sees."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.statuses: list[int] = []

    async def on_request(self, request: httpx2.Request) -> None:
        if request.url.path.endswith("/chat/completions"):
            self.requests.append(json.loads(request.content))

    async def on_response(self, response: httpx2.Response) -> None:
        if not response.request.url.path.endswith("/chat/completions"):
            return
        self.statuses.append(response.status_code)
        if "json" in response.headers.get("content-type", ""):
            await response.aread()
            self.responses.append(response.json())

    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(event_hooks={"request": [self.on_request], "response": [self.on_response]})


def backend_for(server: LlamaServer, wire: Wire | None = None, **kwargs: Any) -> OpenAICompatibleBackend:
    return create_llamacpp_backend(
        server.model,
        base_url=server.base_url,
        http_client=wire.client() if wire else None,
        max_retries=0,
        **kwargs,
    )


def test_plain_chat_with_usage_from_the_server(llama_server: LlamaServer):
    wire = Wire()
    result = Agent(backend_for(llama_server, wire, max_tokens=24)).run_sync("Say hello.")
    assert isinstance(result.output, str) and result.output.strip()
    assert result.response.model_name == "smollm2"
    assert result.response.provider_name == "llamacpp"
    served = wire.responses[-1]["usage"]
    assert result.usage.input_tokens == served["prompt_tokens"] > 0
    assert result.usage.output_tokens == served["completion_tokens"]
    assert 0 < result.usage.output_tokens <= 24  # max_tokens reached the server as `max_tokens`
    assert wire.requests[-1]["max_tokens"] == 24


async def test_streaming_yields_text_in_pieces(llama_server: LlamaServer):
    wire = Wire()
    client = wire.client()
    backend = create_llamacpp_backend(llama_server.model, base_url=llama_server.base_url, http_client=client,
                                      max_retries=0, max_tokens=32)  # fmt: skip
    try:
        async with Agent(backend).run_stream("Count from one to ten in words.") as run:
            deltas = [d async for d in run.stream_text(delta=True, debounce_by=None)]
            output = await run.get_output()
    finally:
        # With this recording client left open, the server answered the next test's requests only ~30 s
        # later (its streaming connection stayed open); closing the client releases it at once.
        await client.aclose()
    assert len(deltas) > 3
    assert "".join(deltas).strip() == output.strip()
    assert wire.requests[-1]["stream"] is True and wire.statuses[-1] == 200


# llama-cpp-python samples tool arguments without any length cap; an enum keeps a 135M model's argument short.
City = Literal["Paris", "Rome", "Oslo"]


def test_tool_call_round_trip(llama_server: LlamaServer):
    calls: list[str] = []

    def get_weather(city: City) -> str:
        """Get the current weather for a city."""
        calls.append(city)
        return f"Sunny and 21 degrees in {city}"

    wire = Wire()
    agent = Agent(backend_for(llama_server, wire, max_tokens=48, temperature=0.0), tools=[get_weather])
    # the model may want a third turn; the round trip is what is under test
    with capture_run_messages() as messages, contextlib.suppress(UsageLimitExceeded):
        agent.run_sync("What is the weather in Paris?", usage_limits=UsageLimits(request_limit=2))
    # a real tool call from the server, with arguments that parsed and reached the tool
    call = next(
        p for m in messages if isinstance(m, ModelResponse) for p in m.parts if isinstance(p, ToolCallPart)
    )
    assert call.tool_name == "get_weather"
    assert call.args_as_dict()["city"] in ("Paris", "Rome", "Oslo")
    assert calls and calls[0] == call.args_as_dict()["city"]
    returned = next(
        p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolReturnPart)
    )
    assert returned.content == f"Sunny and 21 degrees in {calls[0]}"
    # the second request carried the tool result, after an assistant turn with `content: ""` (not null,
    # which llama-cpp-python rejects with HTTP 500), and the server accepted it
    assert len(wire.requests) == 2 and wire.statuses == [200, 200]
    second = wire.requests[1]["messages"]
    assistant = next(m for m in second if m["role"] == "assistant")
    assert assistant["content"] == "" and assistant["tool_calls"][0]["function"]["name"] == "get_weather"
    assert any(m["role"] == "tool" and m["content"] == returned.content for m in second)
    assert wire.responses[0]["choices"][0]["finish_reason"] == "tool_calls"


def test_without_the_empty_content_quirk_the_server_rejects_the_follow_up(llama_server: LlamaServer):
    """Proves the profile quirk is needed: the same run with ``content: null`` gets HTTP 500."""
    from dataclasses import replace

    def get_weather(city: City) -> str:
        """Get the current weather for a city."""
        return "rain"

    profile = replace(get_profile("smollm2", server="llamacpp"), empty_content_with_tool_calls=False)
    backend = OpenAICompatibleBackend(
        llama_server.model,
        llama_server.base_url,
        server="llamacpp",
        profile=profile,
        max_retries=0,
        max_tokens=32,
    )
    with pytest.raises(ModelHTTPError) as caught:
        Agent(backend, tools=[get_weather]).run_sync(
            "Weather in Rome?", usage_limits=UsageLimits(request_limit=3)
        )
    assert caught.value.status_code == 500


def test_output_tool_without_required_tool_choice(llama_server: LlamaServer):
    """llama-cpp-python fails on ``tool_choice: "required"``; the profile makes pydantic-ai send ``auto``."""
    from pydantic import BaseModel

    class Place(BaseModel):
        name: City

    wire = Wire()
    agent = Agent(backend_for(llama_server, wire, max_tokens=32, temperature=0.0), output_type=Place)
    with capture_run_messages() as messages, contextlib.suppress(UsageLimitExceeded, ModelAPIError):
        agent.run_sync("Paris is a city. Extract it.", usage_limits=UsageLimits(request_limit=2))
    assert wire.requests[0]["tool_choice"] == "auto"
    assert wire.statuses[0] == 200
    first = next(m for m in messages if isinstance(m, ModelResponse))
    assert any(isinstance(p, ToolCallPart | TextPart) for p in first.parts)


async def test_discovery_and_health(llama_server: LlamaServer):
    backend = backend_for(llama_server)
    assert await backend.list_models() == ["smollm2"]
    assert await backend.health_check() is True


async def test_a_stopped_server():
    """Start a second server, use it, stop it: the same backend then fails with a connection error."""
    server = start_llama_server(free_port())
    try:
        backend = backend_for(server, max_tokens=8)
        assert (await Agent(backend).run("Hi")).output is not None
    finally:
        stop_llama_server(server.process)
    assert await backend.health_check() is False
    with pytest.raises(BackendUnavailableError, match="cannot connect"):
        await backend.list_models()
    with pytest.raises(ModelAPIError) as caught:
        await Agent(backend).run("Hi again")
    assert not isinstance(caught.value, ModelHTTPError)
