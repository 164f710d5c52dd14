"""The Agent against a real scripted fault server: ``[retry]`` decides attempts, waits, errors and breakers.

Every test talks to 127.0.0.1 only; waits go through a fake sleep so nothing really sleeps.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import pydantic_ai.models
import pytest
from mamba_agents import Agent, AgentSettings
from mamba_agents.errors import (
    BackendConnectionError,
    CircuitOpenError,
    ModelBackendError,
    RateLimitError,
    ServerError,
)
from mamba_agents.resilience import capability
from pydantic_ai import ModelAPIError, ModelHTTPError, ModelRateLimitError
from pydantic_ai.messages import ModelRequest, ModelResponse, UserPromptPart

from tests.integration.fault_server import (
    FaultServer,
    Step,
    fail,
    hang,
    ok,
    refused_url,
    reset,
    truncated,
)


@pytest.fixture(autouse=True)
def _allow_local_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(capability, "_sleep", fake_sleep)
    return recorded


def make_agent(url: str, *, timeout: float = 5.0, **retry: Any) -> Agent[Any, str]:
    settings = AgentSettings(
        model_backend={
            "backend": "openai_compatible",
            "model": "fault-model",
            "base_url": url,
            "timeout": timeout,
        },
        retry=retry,
    )
    return Agent(settings=settings)


def check_history(agent: Agent[Any, str], prompts: list[str], answers: list[str]) -> None:
    """Exactly one request and one response per successful turn, in order; failed attempts left no trace."""
    messages = agent.get_messages()
    requests = [m for m in messages if isinstance(m, ModelRequest)]
    responses = [m for m in messages if isinstance(m, ModelResponse)]
    seen = [p.content for m in requests for p in m.parts if isinstance(p, UserPromptPart)]
    assert seen == prompts
    assert [r.text for r in responses] == answers


RECOVERING: list[tuple[str, list[Step], int]] = [
    ("429 no Retry-After", [fail(429), ok("fine")], 1),
    ("429 Retry-After 2", [fail(429, retry_after="2"), ok("fine")], 1),
    ("429 Retry-After 0.25", [fail(429, retry_after="0.25"), ok("fine")], 1),
    ("500", [fail(500), ok("fine")], 1),
    ("503 twice", [fail(503), fail(503), ok("fine")], 2),
    ("reset", [reset(), ok("fine")], 1),
    ("truncated body", [truncated(), ok("fine")], 1),
    ("read timeout", [hang(3), ok("fine")], 1),
    ("recovers after 3 failures", [fail(500), fail(502), fail(504), ok("fine")], 3),
]


@pytest.mark.parametrize(("name", "steps", "failures"), RECOVERING, ids=[r[0] for r in RECOVERING])
def test_transient_failures_are_retried_once_each_and_counted_once(
    name: str, steps: list[Step], failures: int, waits: list[float]
) -> None:
    with FaultServer(steps) as server:
        agent = make_agent(server.base_url, timeout=1.0, max_retries=3)
        result = agent.run_sync("hello")
        assert result.output == "fine"
        assert server.hits == failures + 1  # no SDK retries on top of ours
    assert len(waits) == failures
    assert len(result.response.failed_attempts) == failures
    usage = agent.get_usage()
    assert (usage.prompt_tokens, usage.completion_tokens, usage.request_count) == (11, 7, 1)
    assert result.usage.input_tokens == 11 and result.usage.output_tokens == 7
    check_history(agent, ["hello"], ["fine"])


@pytest.mark.parametrize(("header", "expected"), [("2", 2.0), ("0.25", 0.25), ("0", 0.0)])
def test_retry_after_is_honoured_exactly(header: str, expected: float, waits: list[float]) -> None:
    with FaultServer([fail(429, retry_after=header), fail(429, retry_after=header), ok()]) as server:
        make_agent(server.base_url).run_sync("x")
    assert waits == [expected, expected]


def test_retry_after_http_date(waits: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    with FaultServer([fail(503, retry_after=when), ok()]) as server:
        make_agent(server.base_url).run_sync("x")
    assert len(waits) == 1 and 15 <= waits[0] <= 20.5


def test_backoff_without_retry_after_grows_by_the_level_multiplier(waits: list[float]) -> None:
    with FaultServer([fail(500)] * 5 + [ok()]) as server:
        agent = make_agent(
            server.base_url,
            retry_level=3,
            initial_backoff_seconds=1.0,
            max_backoff_seconds=2.0,
            circuit_breaker_threshold=10,
        )
        agent.run_sync("x")
        assert server.hits == 6  # level 3: 5 model retries
    full = [min(2.0, 1.2**n) for n in range(5)]
    assert all(0.75 * f - 1e-9 <= w <= f + 1e-9 for w, f in zip(waits, full, strict=True))


def test_gives_up_after_max_retries_with_a_clear_error(waits: list[float]) -> None:
    with FaultServer([fail(503)]) as server:
        agent = make_agent(server.base_url, max_retries=2, circuit_breaker_threshold=10)
        with pytest.raises(ServerError) as info:
            agent.run_sync("x")
        assert server.hits == 3
    err = info.value
    assert isinstance(err, ModelHTTPError) and err.status_code == 503  # still pydantic-ai's class
    assert err.attempts == 3 and err.backend == "openai_compatible" and err.model == "fault-model"
    assert "gave up after 3 attempt(s): retry.max_retries = 2 reached" in str(err)
    assert server.base_url in str(err)
    assert agent.get_messages() == []  # nothing half-written
    assert agent.get_usage().request_count == 0


def test_retry_after_longer_than_the_bound_gives_up_at_once(waits: list[float]) -> None:
    with FaultServer([fail(429, retry_after="120"), ok()]) as server:
        agent = make_agent(server.base_url, max_backoff_seconds=10)
        with pytest.raises(RateLimitError) as info:
            agent.run_sync("x")
        assert server.hits == 1
    assert waits == []
    assert isinstance(info.value, ModelRateLimitError) and info.value.retry_after == 120
    assert "more than retry.max_backoff_seconds = 10" in str(info.value)


def test_non_transient_errors_are_not_retried(waits: list[float]) -> None:
    with FaultServer([fail(400), ok()]) as server:
        agent = make_agent(server.base_url)
        with pytest.raises(ModelBackendError) as info:
            agent.run_sync("x")
        assert server.hits == 1
    assert waits == [] and info.value.status_code == 400


def test_refused_connection_names_host_backend_and_check_command(waits: list[float]) -> None:
    url = refused_url()
    agent = make_agent(url, max_retries=1, circuit_breaker_threshold=10)
    with pytest.raises(BackendConnectionError) as info:
        agent.run_sync("x")
    message = str(info.value)
    host = url.split("//")[1].split("/")[0]
    assert message.startswith(f"Connection error: cannot reach {host}")
    assert "openai_compatible" in message and "mamba backends --check" in message
    assert isinstance(info.value, ModelAPIError)
    assert len(waits) == 1


def test_max_retries_zero_and_threshold_one_make_one_attempt_over_two_runs(waits: list[float]) -> None:
    """The issue's complaint: this used to give 6 requests (the SDK's own retries)."""
    with FaultServer([fail(500)]) as server:
        agent = make_agent(server.base_url, max_retries=0, circuit_breaker_threshold=1)
        with pytest.raises(ServerError):
            agent.run_sync("one")
        with pytest.raises(CircuitOpenError) as info:
            agent.run_sync("two")
        assert server.hits == 1
    assert info.value.time_until_retry > 0 and "is open" in str(info.value)
    assert isinstance(info.value, ModelAPIError)  # pydantic-ai's ModelUnavailableError too
    assert waits == []


def test_history_survives_a_failed_turn(waits: list[float]) -> None:
    with FaultServer([ok("first"), fail(400), ok("third")]) as server:
        agent = make_agent(server.base_url)
        agent.run_sync("a")
        with pytest.raises(ModelBackendError):
            agent.run_sync("b")
        agent.run_sync("c")
        # the failed turn's prompt never reached the stored history, and the next request did not carry it
        assert [m["content"] for m in server.requests[2]["messages"] if m["role"] == "user"] == ["a", "c"]
    check_history(agent, ["a", "c"], ["first", "third"])
    assert agent.get_usage().request_count == 2


def test_breaker_recovers_after_its_timeout(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    with FaultServer([fail(503), fail(503), ok("back")]) as server:
        agent = make_agent(
            server.base_url, max_retries=0, circuit_breaker_threshold=2, circuit_breaker_timeout=5
        )
        for _ in range(2):
            with pytest.raises(ServerError):
                agent.run_sync("x")
        with pytest.raises(CircuitOpenError):
            agent.run_sync("x")
        assert server.hits == 2
        (breaker,) = agent._resilience.breakers.values()
        monkeypatch.setattr(breaker, "_clock", lambda: time.monotonic() + 5)
        assert agent.run_sync("x").output == "back"
        assert breaker.state.value == "closed" and server.hits == 3


def test_tool_retries_follow_the_level() -> None:
    from pydantic_ai import ModelRetry
    from pydantic_ai.messages import ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        raise ModelRetry("again")

    def model(messages: list[Any], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[ToolCallPart("flaky", {})])

    for level, allowed in ((1, 1), (3, 3)):
        calls.clear()
        settings = AgentSettings(retry={"retry_level": level})
        agent = Agent(FunctionModel(model), tools=[flaky], settings=settings)
        with pytest.raises(Exception, match="exceeded max retries"):
            agent.run_sync("x")
        assert len(calls) == allowed + 1
