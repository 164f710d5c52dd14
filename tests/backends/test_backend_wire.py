"""OpenAICompatibleBackend against a scripted server: it is a real pydantic-ai Model, and each server's quirks
reach the wire."""

from __future__ import annotations

import pytest
from mamba_agents.backends import (
    BackendUnavailableError,
    OpenAICompatibleBackend,
    create_llamacpp_backend,
    create_lmstudio_backend,
    create_ollama_backend,
    create_vllm_backend,
    get_profile,
)
from pydantic import SecretStr
from pydantic_ai import Agent, ModelHTTPError, ModelRateLimitError, ModelServerError, UsageLimits
from pydantic_ai.exceptions import ModelAPIError, ModelContextWindowExceededError
from pydantic_ai.models import Model

from tests.backends.conftest import free_port
from tests.backends.fake_server import USAGE, FakeServer

pytestmark = pytest.mark.usefixtures("allow_model_requests")


def weather(city: str) -> str:
    """Weather for a city."""
    return f"rain in {city}"


def test_backend_is_a_pydantic_ai_model_usable_by_agent(fake_server: FakeServer):
    backend = OpenAICompatibleBackend(model="my-model", base_url=fake_server.base_url, api_key="optional-key")
    assert isinstance(backend, Model)
    result = Agent(backend).run_sync("hello")
    assert result.output == "echo: hello"
    assert result.usage.input_tokens == USAGE["prompt_tokens"]
    assert result.usage.output_tokens == USAGE["completion_tokens"]
    assert result.response.provider_name == "openai_compatible"
    assert fake_server.headers[-1]["authorization"] == "Bearer optional-key"


@pytest.mark.parametrize(
    ("factory", "provider_name"),
    [
        (create_ollama_backend, "ollama"),
        (create_vllm_backend, "vllm"),
        (create_lmstudio_backend, "lmstudio"),
        (create_llamacpp_backend, "llamacpp"),
    ],
)
def test_each_factory_talks_to_its_server(fake_server: FakeServer, factory, provider_name):
    backend = factory("llama3.2", base_url=fake_server.base_url)
    result = Agent(backend).run_sync("ping")
    assert result.output == "echo: ping"
    assert result.response.provider_name == provider_name
    assert backend.context_window == 131_072  # from the profile table, so compaction can trigger


def test_default_addresses_are_each_servers_usual_one():
    assert create_ollama_backend("llama3.2").base_url.rstrip("/") == "http://localhost:11434/v1"
    assert create_vllm_backend("Qwen/Qwen2.5-7B-Instruct").base_url.rstrip("/") == "http://localhost:8000/v1"
    assert create_lmstudio_backend().base_url.rstrip("/") == "http://localhost:1234/v1"
    assert create_llamacpp_backend().base_url.rstrip("/") == "http://localhost:8080/v1"
    assert create_lmstudio_backend().model_name == "local-model"


def test_llamacpp_quirks_on_the_wire(fake_server: FakeServer):
    backend = create_llamacpp_backend("qwen2.5", base_url=fake_server.base_url, max_tokens=64)
    agent = Agent(backend, instructions="be brief", tools=[weather])
    result = agent.run_sync("weather in Oslo?", usage_limits=UsageLimits(request_limit=3))
    assert result.output.startswith("echo:")
    first, second = fake_server.requests
    # only `max_tokens` (llama-cpp-python ignores max_completion_tokens and runs to the context limit)
    assert first["max_tokens"] == 64 and "max_completion_tokens" not in first
    assert "strict" not in first["tools"][0]["function"]
    assert first["messages"][0] == {"role": "system", "content": "be brief"}
    # the turn after the tool call: `content: ""`, never `null` (llama-cpp-python answers 500 to null)
    assistant = next(m for m in second["messages"] if m["role"] == "assistant")
    assert assistant["content"] == "" and assistant["tool_calls"][0]["function"]["name"] == "weather"
    tool = next(m for m in second["messages"] if m["role"] == "tool")
    assert tool["content"] == "rain in Oslo"


def test_servers_without_the_quirk_get_null_content(fake_server: FakeServer):
    backend = create_vllm_backend("qwen2.5", base_url=fake_server.base_url)
    Agent(backend, tools=[weather]).run_sync("weather?", usage_limits=UsageLimits(request_limit=3))
    assistant = next(m for m in fake_server.last["messages"] if m["role"] == "assistant")
    assert assistant.get("content") is None


def test_system_messages_are_merged_into_one(fake_server: FakeServer):
    backend = create_lmstudio_backend("mistral", base_url=fake_server.base_url)
    Agent(backend, system_prompt="You are terse.", instructions="Answer in English.").run_sync("hi")
    roles = [m["role"] for m in fake_server.last["messages"]]
    assert roles.count("system") == 1
    system = fake_server.last["messages"][0]["content"]
    assert "You are terse." in system and "Answer in English." in system


def test_output_tool_is_not_forced_where_the_server_rejects_required(fake_server: FakeServer):
    from pydantic import BaseModel

    class City(BaseModel):
        city: str

    backend = create_llamacpp_backend("qwen2.5", base_url=fake_server.base_url)
    result = Agent(backend, output_type=City).run_sync("where?")
    assert result.output == City(city="Oslo")
    assert fake_server.requests[0]["tool_choice"] == "auto"
    forced = create_vllm_backend("qwen2.5", base_url=fake_server.base_url)
    Agent(forced, output_type=City).run_sync("where?")
    assert fake_server.requests[-1]["tool_choice"] == "required"


async def test_streaming_through_the_backend(fake_server: FakeServer):
    backend = create_ollama_backend("llama3.2", base_url=fake_server.base_url)
    async with Agent(backend).run_stream("streamed words") as run:
        deltas = [d async for d in run.stream_text(delta=True, debounce_by=None)]
    assert "".join(deltas) == "echo: streamed words"
    assert len(deltas) >= 2
    assert fake_server.last["stream"] is True


def test_rate_limit_and_server_error_are_mapped_and_retried_per_settings(fake_server: FakeServer):
    limited = OpenAICompatibleBackend("rate-limited", fake_server.base_url, max_retries=0)
    with pytest.raises(ModelRateLimitError) as caught:
        Agent(limited).run_sync("x")
    assert caught.value.status_code == 429 and caught.value.retry_after == 0
    assert fake_server.hits["rate-limited"] == 1

    failing = OpenAICompatibleBackend("server-error", fake_server.base_url, max_retries=2)
    with pytest.raises(ModelServerError) as caught_500:
        Agent(failing).run_sync("x")
    assert caught_500.value.status_code == 500
    assert fake_server.hits["server-error"] == 3  # the SDK retried twice, as configured


def test_context_overflow_is_recognised(fake_server: FakeServer):
    backend = OpenAICompatibleBackend("too-long", fake_server.base_url, max_retries=0)
    with pytest.raises(ModelContextWindowExceededError):
        Agent(backend).run_sync("x")


def test_stopped_server_gives_a_connection_error(fake_server: FakeServer):
    backend = create_ollama_backend("llama3.2", base_url=fake_server.base_url, max_retries=0)
    assert Agent(backend).run_sync("before").output == "echo: before"
    fake_server.stop()
    with pytest.raises(ModelAPIError) as caught:
        Agent(backend).run_sync("after")
    assert not isinstance(caught.value, ModelHTTPError)


async def test_list_models_and_health_check(fake_server: FakeServer):
    fake_server.required_key = "sk-secret-123456"
    backend = create_vllm_backend(
        "fake-llama", base_url=fake_server.base_url, api_key=SecretStr("sk-secret-123456")
    )
    assert await backend.list_models() == ["fake-llama", "fake-qwen"]
    assert await backend.health_check() is True
    status = await backend.probe()
    assert status.ok and status.models == ["fake-llama", "fake-qwen"] and status.latency_ms is not None

    wrong_key = create_vllm_backend("fake-llama", base_url=fake_server.base_url, api_key="sk-wrong-000000")
    with pytest.raises(BackendUnavailableError) as caught:
        await wrong_key.list_models()
    assert caught.value.status_code == 401
    assert "sk-wrong" not in str(caught.value)
    assert await wrong_key.health_check() is False


async def test_health_check_of_a_closed_port_is_false_and_says_why():
    backend = create_ollama_backend("llama3.2", base_url=f"http://127.0.0.1:{free_port()}/v1")
    status = await backend.probe(timeout=2)
    assert status.ok is False and status.error == "cannot connect"
    with pytest.raises(BackendUnavailableError, match="not available: cannot connect"):
        await backend.list_models(timeout=2)


def test_secrets_stay_out_of_reprs_and_errors():
    backend = OpenAICompatibleBackend(
        "m", "http://user:hunter2@127.0.0.1:9/v1", api_key=SecretStr("sk-topsecret-987654")
    )
    text = repr(backend)
    assert "sk-topsecret" not in text and "hunter2" not in text
    assert "127.0.0.1:9" in text
    with pytest.raises(ValueError) as caught:
        OpenAICompatibleBackend("m", "ftp://user:hunter2@host/v1")
    assert "hunter2" not in str(caught.value)


def test_context_window_override_and_explicit_profile(fake_server: FakeServer):
    sized = OpenAICompatibleBackend("my-finetune", fake_server.base_url, context_window=32_768)
    assert sized.context_window == 32_768
    custom = get_profile("llama3.2", server="llamacpp")
    explicit = OpenAICompatibleBackend("x", fake_server.base_url, profile=custom, server="vllm")
    assert explicit.backend_profile is custom  # used as given, not re-quirked for vllm


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "", "base_url": "http://127.0.0.1:1/v1"}, "needs a model name"),
        ({"model": "m"}, "needs base_url"),
        ({"model": "m", "base_url": "localhost:8000/v1"}, "must start with http"),
        ({"model": "m", "base_url": "http://x/v1", "server": "olama"}, "unknown server kind"),
        ({"model": "m", "base_url": "http://x/v1", "context_window": 0}, "context_window must be positive"),
        ({"model": "m", "base_url": "http://x/v1", "timeout": 0}, "timeout must be positive"),
        ({"model": "m", "base_url": "http://x/v1", "max_retries": -1}, "max_retries"),
    ],
)
def test_bad_arguments_fail_clearly(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OpenAICompatibleBackend(**kwargs)
