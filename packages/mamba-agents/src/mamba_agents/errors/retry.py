"""``create_retry_decorator``: tenacity retries with exponential backoff, jitter and ``Retry-After``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import tenacity

from mamba_agents.errors.transient import backoff_delay, is_transient, retry_after_seconds

F = TypeVar("F", bound=Callable[..., Any])
RetryOn = type[BaseException] | tuple[type[BaseException], ...] | Callable[[BaseException], bool]


class _WaitTransient(tenacity.wait.wait_base):
    """What the server asked (``Retry-After``), else exponential backoff with jitter; at most ``max_wait``."""

    def __init__(self, base: float, maximum: float, multiplier: float, jitter: float) -> None:
        self.base, self.maximum, self.multiplier, self.jitter = base, maximum, multiplier, jitter

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        asked = retry_after_seconds(exc) if exc is not None else None
        if asked is not None:
            return min(asked, self.maximum)
        return backoff_delay(
            retry_state.attempt_number,
            base=self.base,
            maximum=self.maximum,
            multiplier=self.multiplier,
            jitter=self.jitter,
        )


def _predicate(retry_on: RetryOn) -> Callable[[BaseException], bool]:
    if isinstance(retry_on, type | tuple):
        types = retry_on
        return lambda exc: isinstance(exc, types)
    if callable(retry_on):
        return retry_on
    raise TypeError(f"retry_on must be exception types or a predicate, not {type(retry_on).__name__}")


def create_retry_decorator(
    max_attempts: int = 3,
    base_wait: float = 1.0,
    max_wait: float = 60.0,
    *,
    multiplier: float = 2.0,
    jitter: float = 0.25,
    retry_on: RetryOn = is_transient,
    sleep: Callable[[float], Any] | None = None,
    before_sleep: Callable[[tenacity.RetryCallState], Any] | None = None,
) -> Callable[[F], F]:
    """A decorator retrying a sync or async function on transient errors.

    ``max_attempts`` counts the first call. Waits grow ``base_wait * multiplier**n`` up to ``max_wait``,
    less up to ``jitter`` (a fraction) at random; a ``Retry-After`` the server sent (whole or fractional
    seconds, or an HTTP date) replaces the backoff, capped at ``max_wait``. ``retry_on`` is an exception
    type, a tuple of them, or a predicate (default: :func:`~mamba_agents.errors.is_transient`: rate
    limits, connection errors, timeouts, 5xx). The last error is re-raised as it is. ``sleep`` replaces
    the waiting (tests pass a fake clock); for async functions it may return an awaitable.
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts!r}")
    if base_wait < 0 or max_wait < 0:
        raise ValueError("base_wait and max_wait must not be negative")
    if multiplier < 1:
        raise ValueError(f"multiplier must be at least 1, got {multiplier!r}")
    if not 0 <= jitter <= 1:
        raise ValueError(f"jitter must be between 0 and 1, got {jitter!r}")
    options: dict[str, Any] = {
        "stop": tenacity.stop_after_attempt(max_attempts),
        "wait": _WaitTransient(base_wait, max_wait, multiplier, jitter),
        "retry": tenacity.retry_if_exception(_predicate(retry_on)),
        "reraise": True,
    }
    if before_sleep is not None:
        options["before_sleep"] = before_sleep

    def decorate(fn: F) -> F:
        chosen = dict(options)
        if sleep is not None:
            chosen["sleep"] = _async_sleep(sleep) if inspect.iscoroutinefunction(fn) else sleep
        return tenacity.retry(**chosen)(fn)

    return decorate


def _async_sleep(sleep: Callable[[float], Any]) -> Callable[[float], Any]:
    async def wait(seconds: float) -> None:
        result = sleep(seconds)
        if inspect.isawaitable(result):
            await result

    return wait
