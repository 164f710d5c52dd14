"""The ``local`` backend end to end: SmolLM2-135M in-process, through pydantic-ai and the mamba Agent.

Assertions are about plumbing (a call happens, its arguments parse, its result reaches the next request and
the prompt the model reads), never about what a 135M model says.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from mamba_agents.config import ConfigError, ModelBackendSettings
from mamba_agents.plugins import PluginManager
from mamba_agents_local import LocalBackend, create_local_backend
from mamba_agents_local.chat import ChatEngine, ChatRequest, build_conversation, plan_turn
from pydantic import BaseModel
from pydantic_ai import Agent, ImageUrl, ModelHTTPError, NativeOutput, UsageLimits
from pydantic_ai.exceptions import ModelContextWindowExceededError
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, ToolCallPart, ToolReturnPart

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("allow_model_requests")]

NOW = "2026-11-21 08:15:02 UTC"


class City(BaseModel):
    name: str
    country: str


def recording(backend: LocalBackend) -> list[dict[str, Any]]:
    """Keep every chat request body the backend's in-process transport receives."""
    bodies: list[dict[str, Any]] = []
    handle = backend.transport.handle_async_request

    async def spy(request):
        if request.url.path.endswith("/chat/completions"):
            bodies.append(json.loads(await request.aread()))
        return await handle(request)

    backend.transport.handle_async_request = spy  # type: ignore[method-assign]
    return bodies


def clock_agent(backend: LocalBackend, calls: list[str]) -> Agent[None, str]:
    agent = Agent(backend, instructions="You are a helpful assistant.")

    @agent.tool_plain
    def get_current_time() -> str:
        """Get the current date and time."""
        calls.append("called")
        return NOW

    return agent


def test_plain_chat(local_model: LocalBackend):
    result = Agent(local_model).run_sync("Say hello in one sentence.", model_settings={"max_tokens": 32})
    assert isinstance(result.output, str) and result.output.strip()
    assert result.response.model_name == "SmolLM2-135M-Instruct.Q4_1"
    assert result.response.provider_name == "local"
    assert result.usage.input_tokens > 10
    assert 0 < result.usage.output_tokens <= 32


def test_the_model_loads_once_per_process(local_model: LocalBackend):
    load_seconds = local_model.load_seconds
    other = LocalBackend(n_ctx=4096)
    assert other.runtime is local_model.runtime and other.loaded
    Agent(other).run_sync("Hi", model_settings={"max_tokens": 4})
    assert other.load_seconds == load_seconds  # not loaded again
    assert other.context_window == 4096


def test_close_frees_the_weights_and_the_next_request_reloads_them():
    backend = LocalBackend(n_ctx=512).load()
    assert backend.loaded
    backend.runtime.close()
    assert not backend.loaded
    assert isinstance(Agent(backend).run_sync("Hi", model_settings={"max_tokens": 4}).output, str)
    assert backend.loaded


def test_the_default_thread_count_and_the_same_number_share_one_load(local_model: LocalBackend):
    from mamba_agents_local.runtime import default_threads

    assert LocalBackend(n_threads=default_threads()).runtime is local_model.runtime
    assert LocalBackend(n_threads=default_threads() + 1).runtime is not local_model.runtime


async def test_streaming_text(local_model: LocalBackend):
    async with Agent(local_model).run_stream(
        "Count from one to five.", model_settings={"max_tokens": 24}
    ) as run:
        deltas = [d async for d in run.stream_text(delta=True, debounce_by=None)]
        output = await run.get_output()
    assert len(deltas) > 3
    assert "".join(deltas) == output
    assert run.usage.output_tokens > 0 and run.usage.input_tokens > 0


def test_tool_call_result_reaches_the_next_request_and_the_prompt():
    backend = create_local_backend()
    bodies = recording(backend)
    calls: list[str] = []
    result = clock_agent(backend, calls).run_sync(
        "What time is it?", usage_limits=UsageLimits(request_limit=3)
    )
    assert calls == ["called"]
    messages = result.all_messages()
    call = next(
        p for m in messages if isinstance(m, ModelResponse) for p in m.parts if isinstance(p, ToolCallPart)
    )
    assert call.tool_name == "get_current_time" and call.args_as_dict() == {}
    returned = next(
        p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolReturnPart)
    )
    assert returned.content == NOW
    # the second request carries the result ...
    assert len(bodies) == 2
    assert any(m["role"] == "tool" and m["content"] == NOW for m in bodies[1]["messages"])
    # ... and the prompt the model reads contains it (llama-cpp-python's own handler drops tool messages)
    engine = ChatEngine(backend.runtime.llama(), model_name="x")
    request = ChatRequest.from_body(bodies[1])
    conversation = build_conversation(request)
    prompt, _ = engine._render(conversation, plan_turn(request, conversation, engine.options))
    assert f"The function returned: {NOW}" in backend.runtime.call(
        lambda llama: llama.detokenize(prompt).decode()
    )
    # the clock was called once, so the second turn had to be an answer: the run ends by itself
    assert result.usage.requests == 2
    assert isinstance(result.response.parts[-1], TextPart)


async def test_tool_call_while_streaming():
    """llama-cpp-python's chatml-function-calling refuses this ("Automatic streaming tool choice")."""
    calls: list[str] = []
    agent = clock_agent(create_local_backend(), calls)
    async with agent.run_stream("What time is it?", usage_limits=UsageLimits(request_limit=3)) as run:
        text = await run.get_output()
    assert calls == ["called"]
    assert isinstance(text, str)


def test_structured_output_as_tool_and_as_native_json(local_model: LocalBackend):
    prompt = "Paris is the capital of France. Extract the city."
    as_tool = Agent(local_model, output_type=City).run_sync(prompt, usage_limits=UsageLimits(request_limit=3))
    assert isinstance(as_tool.output, City)
    native = Agent(local_model, output_type=NativeOutput(City)).run_sync(prompt)
    assert isinstance(native.output, City)


def test_arguments_follow_the_tool_schema():
    seen: list[tuple[str, int]] = []
    agent = Agent(create_local_backend())

    @agent.tool_plain
    def repeat_word(word: str, times: int) -> str:
        """Repeat a word a number of times."""
        seen.append((word, times))
        return " ".join([word] * max(0, min(times, 5)))

    agent.run_sync("Repeat the word 'echo' three times.", usage_limits=UsageLimits(request_limit=3))
    assert len(seen) == 1
    word, times = seen[0]
    assert isinstance(word, str) and isinstance(times, int)


async def test_leaving_a_stream_early_frees_the_model(local_model: LocalBackend):
    agent = Agent(local_model)
    async with agent.run_stream(
        "Write a long story about a dragon.", model_settings={"max_tokens": 400}
    ) as run:
        async for _ in run.stream_text(delta=True, debounce_by=None):
            break
    result = await agent.run("Say yes.", model_settings={"max_tokens": 4})
    assert isinstance(result.output, str)


async def test_concurrent_runs_are_served_one_after_the_other(local_model: LocalBackend):
    agent = Agent(local_model)
    results = await asyncio.gather(
        *(agent.run(f"Say the number {i}.", model_settings={"max_tokens": 8}) for i in range(3))
    )
    assert all(isinstance(r.output, str) for r in results)


def test_a_prompt_longer_than_the_context_is_a_context_window_error():
    small = LocalBackend(n_ctx=256)
    assert small.context_window == 256
    with pytest.raises(ModelContextWindowExceededError):
        Agent(small).run_sync("word " * 400)


def test_image_input_is_refused_with_a_400(local_model: LocalBackend):
    with pytest.raises(ModelHTTPError) as caught:
        Agent(local_model).run_sync(["What is this?", ImageUrl(url="https://example.invalid/cat.png")])
    assert caught.value.status_code == 400
    assert "text only" in str(caught.value)


def test_model_requests_stay_blocked_when_tests_disallow_them(local_model: LocalBackend, monkeypatch):
    import pydantic_ai.models

    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)
    with pytest.raises(RuntimeError, match="not allowed"):
        Agent(local_model).run_sync("hi")


# -- configuration and the registry ---------------------------------------------------------------------


def test_registry_factory_builds_from_settings():
    factory = PluginManager().get("backends", "local")
    model = factory(ModelBackendSettings(backend="local", n_ctx=2048, context_window=1500, temperature=0.1))
    assert isinstance(model, LocalBackend)
    assert model.context_window == 1500
    assert model.runtime.spec.n_ctx == 2048
    assert model.settings["temperature"] == 0.1
    assert not model.loaded  # nothing loads before the first request


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (ModelBackendSettings(backend="local", model_path="/nonexistent/model.gguf"), "does not exist"),
        (ModelBackendSettings(backend="local", options={"gpu": True}), "unknown key"),
        (ModelBackendSettings(backend="local", n_ctx=100), "n_ctx"),
        (ModelBackendSettings(backend="local", n_ctx=1024, context_window=4096), "context_window"),
    ],
)
def test_bad_local_settings_are_config_errors(settings, message):
    with pytest.raises(ConfigError, match=message):
        PluginManager().get("backends", "local")(settings)


def test_reexported_from_the_core():
    from mamba_agents.backends import LocalBackend as Reexported
    from mamba_agents.backends import default_model_path

    assert Reexported is LocalBackend
    assert default_model_path().name.endswith(".gguf")
