"""What resilience costs when nothing fails, and how long failing over takes. Ratios, measured in one run.

- The retry capability (``ModelRequestRetries``) on a raw pydantic-ai agent, against the same agent without
  it: the capability alone, on a ``FunctionModel`` (the worst case: no network time to hide in).
- Everything ``[retry]`` adds (the capability, a circuit breaker per backend around the model), the same way.
- Failover: an answer from the backup when the primary refuses connections, and when the primary's circuit
  is open, against asking the backup directly; both on the fault server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic_ai.models
import pytest
from mamba_agents import Agent, AgentSettings
from mamba_agents.config.sections import RetryConfig
from mamba_agents.resilience import capability
from mamba_agents.resilience.capability import ModelRequestRetries
from mamba_agents.resilience.policy import RetryPolicy
from mamba_agents.resilience.setup import build
from pydantic_ai import Agent as RawAgent
from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel

from tests.integration.fault_server import FaultServer, ok, refused_url


def _plain(messages: Any, info: Any) -> ModelResponse:
    return ModelResponse(parts=[TextPart("ok")])


def interleaved_best(a: Callable[[], Any], b: Callable[[], Any], *, repeat: int) -> tuple[float, float]:
    """The fastest of ``repeat`` runs of each, alternating, so load on the machine hits both alike."""
    best_a = best_b = float("inf")
    for _ in range(repeat):
        for fn, which in ((a, "a"), (b, "b")):
            started = time.perf_counter()
            fn()
            took = time.perf_counter() - started
            if which == "a":
                best_a = min(best_a, took)
            else:
                best_b = min(best_b, took)
    return best_a, best_b


def test_retry_capability_overhead_on_a_successful_run(benchmark: Any, report: Any) -> None:
    loop = asyncio.new_event_loop()
    policy = RetryPolicy.from_config(RetryConfig())
    bare = RawAgent(FunctionModel(_plain))
    retried = RawAgent(FunctionModel(_plain), capabilities=[ModelRequestRetries(policy)])
    resilience = build(FunctionModel(_plain), RetryConfig())
    full = RawAgent(resilience.model, capabilities=resilience.capabilities, **resilience.agent_kwargs)

    def run(agent: RawAgent[Any, Any]) -> Callable[[], Any]:
        return lambda: loop.run_until_complete(agent.run("hello"))

    for agent in (bare, retried, full):
        run(agent)()  # warm up
    bare_s, retried_s = interleaved_best(run(bare), run(retried), repeat=300)
    bare2_s, full_s = interleaved_best(run(bare), run(full), repeat=300)
    report("no_capability_us", round(bare_s * 1e6, 1))
    report("retry_capability_us", round(retried_s * 1e6, 1))
    report("retry_capability_ratio", round(retried_s / bare_s, 3))
    report("retry_and_breaker_us", round(full_s * 1e6, 1))
    report("retry_and_breaker_ratio", round(full_s / bare2_s, 3))
    # The floor: pydantic-ai's dispatch cost for any one capability, here one that does nothing.
    bare3_s, empty_s = interleaved_best(
        run(bare), run(RawAgent(FunctionModel(_plain), capabilities=[_Empty()])), repeat=300
    )
    report("empty_capability_ratio", round(empty_s / bare3_s, 3))
    benchmark(run(retried))
    loop.close()


@dataclass
class _Empty(AbstractCapability[Any]):
    pass


@pytest.mark.usefixtures("no_waits")
def test_retry_capability_overhead_over_http(benchmark: Any, report: Any) -> None:
    """The same on the wire (the fault server on 127.0.0.1), with one HTTP client kept across runs."""
    import httpx2
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider

    loop = asyncio.new_event_loop()
    policy = RetryPolicy.from_config(RetryConfig())
    with FaultServer([ok("fine")]) as server:
        client = httpx2.AsyncClient()

        def model() -> OpenAIChatModel:
            provider = OpenAICompatibleProvider("fault", base_url=server.base_url, http_client=client)
            return OpenAIChatModel("fault-model", provider=provider)

        bare = RawAgent(model())
        retried = RawAgent(model(), capabilities=[ModelRequestRetries(policy)])

        def run(agent: RawAgent[Any, Any]) -> Callable[[], Any]:
            return lambda: loop.run_until_complete(agent.run("hello"))

        run(bare)()
        run(retried)()
        bare_s, retried_s = interleaved_best(run(bare), run(retried), repeat=100)
        report("http_no_capability_us", round(bare_s * 1e6, 1))
        report("http_retry_capability_us", round(retried_s * 1e6, 1))
        report("http_retry_capability_ratio", round(retried_s / bare_s, 3))
        benchmark(run(retried))
        loop.run_until_complete(client.aclose())
    loop.close()


@pytest.fixture
def no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)

    async def no_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(capability, "_sleep", no_sleep)


def _backend(url: str, model: str) -> dict[str, Any]:
    return {"backend": "openai_compatible", "model": model, "base_url": url, "timeout": 5}


@pytest.mark.usefixtures("no_waits")
def test_time_to_fail_over(benchmark: Any, report: Any, tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    with FaultServer([ok("from backup")]) as backup:
        direct = Agent(settings=AgentSettings(model_backend=_backend(backup.base_url, "backup")))
        failing_over = Agent(
            settings=AgentSettings(
                model_backend={
                    **_backend(refused_url(), "primary"),
                    "fallback": [_backend(backup.base_url, "backup")],
                },
                # one attempt on the primary, and a breaker that opens on the first failure
                retry={"max_retries": 0, "circuit_breaker_threshold": 1, "circuit_breaker_timeout": 3600},
            )
        )
        refused = Agent(
            settings=AgentSettings(
                model_backend={
                    **_backend(refused_url(), "primary"),
                    "fallback": [_backend(backup.base_url, "backup")],
                },
                retry={"max_retries": 0, "circuit_breaker_threshold": 1000},  # never opens: refused each time
            )
        )

        def ask(agent: Agent[Any, Any]) -> Callable[[], Any]:
            def go() -> None:
                assert agent.run_sync("hi").output == "from backup"
                agent.clear_context()

            return go

        for agent in (direct, refused, failing_over):
            ask(agent)()  # warm up; failing_over's circuit is open from here on
        direct_s, refused_s = interleaved_best(ask(direct), ask(refused), repeat=30)
        direct2_s, open_s = interleaved_best(ask(direct), ask(failing_over), repeat=30)
        report("backup_directly_ms", round(direct_s * 1e3, 2))
        report("primary_refused_then_backup_ms", round(refused_s * 1e3, 2))
        report("primary_refused_ratio", round(refused_s / direct_s, 2))
        report("primary_circuit_open_then_backup_ms", round(open_s * 1e3, 2))
        report("primary_circuit_open_ratio", round(open_s / direct2_s, 2))
        benchmark(ask(failing_over))
