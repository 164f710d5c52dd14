"""``[model_backend] fallback``: pydantic-ai's ModelFallback over resolved backends, behind their breakers."""

from __future__ import annotations

from typing import Any

import pydantic_ai.models
import pytest
from mamba_agents import Agent, AgentSettings
from mamba_agents.config import ConfigError
from mamba_agents.errors import CircuitOpenError, ServerError
from mamba_agents.resilience import capability

from tests.integration.fault_server import FaultServer, fail, ok, refused_url


@pytest.fixture(autouse=True)
def _local(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(capability, "_sleep", fake_sleep)
    return waits


def backend(url: str, model: str = "fault-model") -> dict[str, Any]:
    return {"backend": "openai_compatible", "model": model, "base_url": url, "timeout": 2}


def test_primary_down_fails_over_after_its_retries_and_says_who_answered() -> None:
    with FaultServer([ok("from backup")]) as backup:
        settings = AgentSettings(
            model_backend={
                **backend(refused_url(), "primary"),
                "fallback": [backend(backup.base_url, "backup")],
            },
            retry={"max_retries": 1, "circuit_breaker_threshold": 10},
        )
        agent = Agent(settings=settings)
        result = agent.run_sync("hi")
        assert result.output == "from backup"
        assert result.response.model_name == "backup"
        assert [a.model_name for a in result.response.failed_attempts] == ["primary", "primary"]
        assert backup.hits == 1
    assert agent.get_usage().request_count == 1


def test_open_circuit_skips_the_primary_without_a_request() -> None:
    with FaultServer([fail(503)]) as primary, FaultServer([ok("backup")]) as other:
        settings = AgentSettings(
            model_backend={
                **backend(primary.base_url, "primary"),
                "fallback": [backend(other.base_url, "b")],
            },
            retry={"max_retries": 0, "circuit_breaker_threshold": 1},
        )
        agent = Agent(settings=settings)
        assert agent.run_sync("one").output == "backup"
        assert primary.hits == 1
        result = agent.run_sync("two")
        assert result.output == "backup" and primary.hits == 1  # the open circuit sent nothing
        assert "circuit" in result.response.failed_attempts[0].error
        assert other.hits == 2


def test_all_down_raises_every_failure() -> None:
    with FaultServer([fail(500)]) as a, FaultServer([fail(503)]) as b:
        settings = AgentSettings(
            model_backend={**backend(a.base_url, "a"), "fallback": [backend(b.base_url, "b")]},
            retry={"max_retries": 0, "circuit_breaker_threshold": 5},
        )
        with pytest.raises(ExceptionGroup) as info:
            Agent(settings=settings).run_sync("x")
    kinds = {type(e) for e in info.value.exceptions}
    assert all(issubclass(k, ServerError) for k in kinds)


def test_bad_fallback_entries_fail_when_the_agent_is_built() -> None:
    for entry, words in (
        ("nonsense", "model_backend.fallback[0]"),
        ({"backend": "nope", "model": "m"}, "not a registered backend"),
        ({"backend": "ollama", "model": "m", "timeout": -1}, "model_backend.fallback[0]: timeout"),
    ):
        settings = AgentSettings(model_backend={**backend("http://127.0.0.1:1/v1"), "fallback": [entry]})
        with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
            Agent(settings=settings)


def test_fallback_string_forms_resolve_to_backends() -> None:
    settings = AgentSettings(
        model_backend={**backend("http://127.0.0.1:1/v1"), "fallback": ["ollama:llama3.2", "vllm:qwen"]}
    )
    agent = Agent(settings=settings)
    chain = agent._resilience.fallbacks
    assert [(m.wrapped.server, m.model_name) for m in chain] == [("ollama", "llama3.2"), ("vllm", "qwen")]
    assert CircuitOpenError  # the error a skipped model raises
