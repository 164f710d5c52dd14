"""``create_retry_decorator`` against real HTTP failures from the fault server, with a fake sleep."""

from __future__ import annotations

import email.utils
import time

import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mamba_agents.errors import backoff_delay, create_retry_decorator, is_transient, parse_retry_after

from tests.integration.fault_server import FaultServer, fail, ok, refused_url


class Waits(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


_clients: dict[str, openai.OpenAI] = {}


def _get(url: str) -> str:
    """One chat request through the OpenAI SDK with its own retries off (the decorator does them)."""
    client = _clients.get(url) or _clients.setdefault(
        url, openai.OpenAI(base_url=url, api_key="sk-test", max_retries=0, timeout=2)
    )
    reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    return reply.choices[0].message.content or ""


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("2", 2.0), ("0.25", 0.25), ("1.5", 1.5)],
)
def test_sync_honours_retry_after_seconds(retry_after: str, expected: float) -> None:
    waits = Waits()
    steps = [fail(429, retry_after=retry_after), fail(503, retry_after=retry_after), ok()]
    with FaultServer(steps) as server:
        retry = create_retry_decorator(max_attempts=3, base_wait=5.0, sleep=waits)
        call = retry(lambda: _get(server.base_url))
        assert call() == "ok"
        assert server.hits == 3
    assert waits == [expected, expected]


def test_retry_after_http_date() -> None:
    waits = Waits()
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    with FaultServer([fail(429, retry_after=when), ok()]) as server:
        create_retry_decorator(max_attempts=2, max_wait=60, sleep=waits)(lambda: _get(server.base_url))()
    assert len(waits) == 1 and 25 <= waits[0] <= 30.5


def test_retry_after_is_capped_by_max_wait() -> None:
    waits = Waits()
    with FaultServer([fail(429, retry_after="120"), ok()]) as server:
        create_retry_decorator(max_attempts=2, max_wait=3, sleep=waits)(lambda: _get(server.base_url))()
    assert waits == [3]


async def test_async_backoff_without_retry_after_and_gives_up_with_the_last_error() -> None:
    waits = Waits()
    with FaultServer([fail(500)]) as server:

        @create_retry_decorator(
            max_attempts=4, base_wait=1.0, max_wait=3.0, multiplier=2.0, jitter=0, sleep=waits
        )
        async def call() -> str:
            client = openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0, timeout=2)
            async with client:
                reply = await client.chat.completions.create(model="m", messages=[])
            return reply.choices[0].message.content or ""

        with pytest.raises(openai.InternalServerError) as info:
            await call()
        assert info.value.status_code == 500
        assert server.hits == 4
    assert waits == [1.0, 2.0, 3.0]


def test_refused_connection_is_retried_but_a_400_is_not() -> None:
    waits = Waits()
    url = refused_url()
    with pytest.raises(openai.APIConnectionError):
        create_retry_decorator(max_attempts=3, base_wait=0.1, sleep=waits)(lambda: _get(url))()
    assert len(waits) == 2
    waits.clear()
    with FaultServer([fail(400), ok()]) as server:
        with pytest.raises(openai.BadRequestError):
            create_retry_decorator(max_attempts=3, sleep=waits)(lambda: _get(server.base_url))()
        assert server.hits == 1
    assert waits == []


def test_retry_on_custom_types() -> None:
    calls = []

    @create_retry_decorator(max_attempts=3, base_wait=0, retry_on=KeyError, sleep=lambda s: None)
    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise KeyError("x")
        return "done"

    assert flaky() == "done" and len(calls) == 3
    with pytest.raises(ValueError):
        create_retry_decorator(max_attempts=0)


@given(
    attempt=st.integers(1, 30),
    base=st.floats(0, 10),
    maximum=st.floats(0, 100),
    multiplier=st.floats(1, 3),
    draw=st.floats(0, 1),
)
def test_backoff_is_bounded_and_jittered(
    attempt: int, base: float, maximum: float, multiplier: float, draw: float
) -> None:
    delay = backoff_delay(
        attempt, base=base, maximum=maximum, multiplier=multiplier, jitter=0.25, rand=lambda: draw
    )
    full = min(maximum, base * multiplier ** (attempt - 1))
    assert 0.75 * full - 1e-9 <= delay <= full + 1e-9


@given(st.floats(0, 1e6, allow_nan=False))
def test_parse_retry_after_numbers(seconds: float) -> None:
    assert parse_retry_after(repr(seconds)) == pytest.approx(seconds)


def test_parse_retry_after_rejects_garbage() -> None:
    assert parse_retry_after("-1") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("inf") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: go now


def test_cancellation_is_never_transient() -> None:
    import asyncio

    assert not is_transient(asyncio.CancelledError())
    assert not is_transient(KeyboardInterrupt())
    assert is_transient(ConnectionResetError())
