"""``CircuitBreaker``: the state machine, the single trial call, concurrency, and the seed's usage."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mamba_agents.errors import CircuitBreaker, CircuitOpenError, CircuitState


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def boom() -> None:
    raise ConnectionError("down")


async def fine() -> str:
    return "ok"


async def test_opens_after_threshold_half_opens_after_timeout_closes_on_success() -> None:
    clock = Clock()
    breaker = CircuitBreaker("api", failure_threshold=3, timeout=30.0, clock=clock)
    for _ in range(2):
        with pytest.raises(ConnectionError):
            await breaker.call(boom)
    assert breaker.state is CircuitState.CLOSED
    assert await breaker.call(fine) == "ok"  # a success resets the consecutive count
    for _ in range(3):
        with pytest.raises(ConnectionError):
            await breaker.call(boom)
    assert breaker.state is CircuitState.OPEN
    clock.now += 10
    with pytest.raises(CircuitOpenError) as info:
        await breaker.call(fine)
    assert info.value.time_until_retry == pytest.approx(20.0)
    assert "next trial call in 20.0 s" in str(info.value) and info.value.circuit == "api"
    clock.now += 20
    assert breaker.state is CircuitState.HALF_OPEN
    assert await breaker.call(fine) == "ok"
    assert breaker.state is CircuitState.CLOSED
    stats = breaker.stats
    counts = (stats.total_calls, stats.successful_calls, stats.failed_calls, stats.rejected_calls)
    assert counts == (7, 2, 5, 1)
    assert stats.state_changes == 3  # closed -> open -> half-open -> closed


async def test_failed_trial_reopens_for_a_full_timeout() -> None:
    clock = Clock()
    breaker = CircuitBreaker("api", failure_threshold=1, timeout=5.0, clock=clock)
    with pytest.raises(ConnectionError):
        await breaker.call(boom)
    clock.now += 5
    with pytest.raises(ConnectionError):
        await breaker.call(boom)  # the trial
    assert breaker.state is CircuitState.OPEN
    assert breaker.time_until_retry() == pytest.approx(5.0)


async def test_half_open_lets_exactly_one_trial_through_concurrently() -> None:
    clock = Clock()
    breaker = CircuitBreaker("api", failure_threshold=1, timeout=1.0, clock=clock)
    with pytest.raises(ConnectionError):
        await breaker.call(boom)
    clock.now += 1
    release = asyncio.Event()
    entered = []

    async def slow() -> str:
        entered.append(1)
        await release.wait()
        return "ok"

    tasks = [asyncio.create_task(breaker.call(slow)) for _ in range(10)]
    await asyncio.sleep(0.01)
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert len(entered) == 1
    assert sum(r == "ok" for r in results) == 1
    assert sum(isinstance(r, CircuitOpenError) for r in results) == 9
    assert breaker.state is CircuitState.CLOSED


async def test_a_cancelled_trial_frees_the_slot() -> None:
    clock = Clock()
    breaker = CircuitBreaker("api", failure_threshold=1, timeout=1.0, clock=clock)
    with pytest.raises(ConnectionError):
        await breaker.call(boom)
    clock.now += 1
    task = asyncio.create_task(breaker.call(asyncio.sleep, 10))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await breaker.call(fine) == "ok"


async def test_uncounted_errors_mean_the_service_answered() -> None:
    breaker = CircuitBreaker("api", failure_threshold=1, failure_on=lambda e: isinstance(e, ConnectionError))
    with pytest.raises(ValueError):
        await breaker.call(lambda: (_ for _ in ()).throw(ValueError("bad request")))
    assert breaker.state is CircuitState.CLOSED


def _fails() -> None:
    raise ConnectionError()


def _succeeds() -> None:
    return None


def test_thread_safe_counts() -> None:
    breaker = CircuitBreaker("api", failure_threshold=10_000)
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        for i in range(500):
            with contextlib.suppress(ConnectionError):
                breaker.call_sync(_fails if i % 2 else _succeeds)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = breaker.stats
    assert stats.total_calls == 4000 and stats.failed_calls == 2000 and stats.successful_calls == 2000


async def test_seed_readme_error_handling_example() -> None:
    from mamba_agents.errors import (  # noqa: F401 - the seed's import line, as written
        AgentError,
        CircuitBreaker,
        ModelBackendError,
        RateLimitError,
        create_retry_decorator,
    )

    calls = []

    @create_retry_decorator(max_attempts=3, base_wait=1.0, sleep=lambda s: None)
    async def call_api() -> str:
        calls.append(1)
        if len(calls) < 2:
            raise ConnectionError("blip")
        return "answer"

    breaker = CircuitBreaker("model-api", failure_threshold=5, timeout=30.0)
    async with breaker:
        result = await call_api()
    assert result == "answer" and len(calls) == 2
    assert breaker.stats.successful_calls == 1

    with pytest.raises(ConnectionError):
        async with breaker:
            raise ConnectionError("down")
    with breaker:  # the sync form too
        pass
    assert breaker.stats.failed_calls == 1 and breaker.stats.successful_calls == 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["ok", "fail", "wait"]), max_size=40), st.integers(1, 4))
def test_state_machine_model(events: list[str], threshold: int) -> None:
    """Against a tiny reference model: consecutive failures open, timeout half-opens, trial decides."""
    clock = Clock()
    breaker = CircuitBreaker("m", failure_threshold=threshold, timeout=10.0, clock=clock)
    state, failures, opened = "closed", 0, 0.0
    for event in events:
        if event == "wait":
            clock.now += 10
            continue
        if state == "open" and clock.now - opened >= 10:
            state = "half"
        if state == "open":
            with pytest.raises(CircuitOpenError):
                breaker.call_sync(lambda: None)
            continue
        if event == "ok":
            breaker.call_sync(lambda: None)
            state, failures = "closed", 0
        else:
            with pytest.raises(ConnectionError):
                breaker.call_sync(lambda: (_ for _ in ()).throw(ConnectionError()))
            failures += 1
            if state == "half" or failures >= threshold:
                state, opened = "open", clock.now
        expected = {"closed": CircuitState.CLOSED, "open": CircuitState.OPEN, "half": CircuitState.HALF_OPEN}
        assert breaker.state is expected[state]
