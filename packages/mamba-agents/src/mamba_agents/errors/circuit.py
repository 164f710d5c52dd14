"""``CircuitBreaker``: stop calling a service that keeps failing, try it again after a while."""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypeVar

from mamba_agents.errors.base import CircuitOpenError

T = TypeVar("T")


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class CircuitStats:
    """Counts since the breaker was made (or reset)."""

    state: CircuitState
    total_calls: int = 0
    successful_calls: int = 0
    failed_calls: int = 0
    rejected_calls: int = 0
    state_changes: int = 0
    consecutive_failures: int = 0
    time_until_retry: float = 0.0


@dataclass(frozen=True)
class _Ticket:
    generation: int
    trial: bool


# The tickets of the calls this task (or thread) is inside, per breaker, for ``with`` / ``async with``.
_entered: ContextVar[tuple[tuple[int, _Ticket], ...]] = ContextVar("mamba_circuit_entered", default=())


def _every_exception(exc: BaseException) -> bool:
    return isinstance(exc, Exception)


class CircuitBreaker:
    """Closed (calls pass) -> open after ``failure_threshold`` consecutive failures (calls fail at once with
    :class:`~mamba_agents.errors.CircuitOpenError`) -> half-open after ``timeout`` seconds, when exactly one
    trial call is let through: its success closes the circuit, its failure opens it again.

    ``failure_on`` decides which exceptions count as failures (default: every ``Exception``); an exception
    it does not count means the service answered, so it counts as a success. Cancellation counts as
    neither. Use ``with breaker:``, ``async with breaker:``, ``await breaker.call(fn, ...)`` or
    ``breaker.call_sync(fn, ...)``. Safe to share between threads and asyncio tasks: the state is guarded
    by a lock that is never held while the call runs.
    """

    def __init__(
        self,
        name: str,
        failure_threshold: int = 5,
        timeout: float = 30.0,
        *,
        failure_on: Callable[[BaseException], bool] = _every_exception,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be at least 1, got {failure_threshold!r}")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        self.name = name
        self.failure_threshold = failure_threshold
        self.timeout = timeout
        self.failure_on = failure_on
        self._clock = clock
        self._lock = threading.Lock()
        self._reset_locked()

    def _reset_locked(self) -> None:
        self._state = CircuitState.CLOSED
        self._generation = 0
        self._failures = 0
        self._opened_at = 0.0
        self._trial_out = False
        self._stats = CircuitStats(state=CircuitState.CLOSED)

    # -- state ----------------------------------------------------------------------------------------

    @property
    def state(self) -> CircuitState:
        """The state now; an open circuit whose timeout has passed reads as half-open."""
        with self._lock:
            if self._state is CircuitState.OPEN and self._remaining_locked() <= 0:
                return CircuitState.HALF_OPEN
            return self._state

    def time_until_retry(self) -> float:
        """Seconds until an open circuit lets a trial call through (0 when closed or due)."""
        with self._lock:
            return self._remaining_locked() if self._state is CircuitState.OPEN else 0.0

    @property
    def stats(self) -> CircuitStats:
        with self._lock:
            remaining = self._remaining_locked() if self._state is CircuitState.OPEN else 0.0
            return replace(self._stats, state=self._state, time_until_retry=remaining)

    def reset(self) -> None:
        """Back to closed with no history."""
        with self._lock:
            self._reset_locked()

    def _remaining_locked(self) -> float:
        return max(0.0, self._opened_at + self.timeout - self._clock())

    def _move_locked(self, state: CircuitState) -> None:
        if state is not self._state:
            from mamba_agents.observability.spans import breaker_changed

            breaker_changed(self.name, self._state.value, state.value)
            self._state = state
            self._generation += 1
            self._stats = replace(self._stats, state_changes=self._stats.state_changes + 1)
            if state is CircuitState.OPEN:
                self._opened_at = self._clock()
                self._trial_out = False

    # -- the protocol: acquire, then record ------------------------------------------------------------

    def acquire(self) -> _Ticket:
        """Admit one call or raise :class:`CircuitOpenError`; pass the ticket to :meth:`release`."""
        with self._lock:
            if self._state is CircuitState.OPEN:
                remaining = self._remaining_locked()
                if remaining > 0:
                    raise self._rejected_locked(remaining)
                self._move_locked(CircuitState.HALF_OPEN)
            if self._state is CircuitState.HALF_OPEN:
                if self._trial_out:
                    raise self._rejected_locked(0.0, trial=True)
                self._trial_out = True
                ticket = _Ticket(self._generation, trial=True)
            else:
                ticket = _Ticket(self._generation, trial=False)
            self._stats = replace(self._stats, total_calls=self._stats.total_calls + 1)
            return ticket

    def release(self, ticket: _Ticket, error: BaseException | None = None) -> None:
        """Record how the call admitted with ``ticket`` ended (``error`` None: it succeeded)."""
        counted = error is not None and self.failure_on(error)
        cancelled = error is not None and not isinstance(error, Exception)
        with self._lock:
            if cancelled:
                if ticket.trial and ticket.generation == self._generation:
                    self._trial_out = False  # let another caller make the trial
                return
            if counted:
                self._stats = replace(self._stats, failed_calls=self._stats.failed_calls + 1)
            else:
                self._stats = replace(self._stats, successful_calls=self._stats.successful_calls + 1)
            if ticket.generation != self._generation:
                return  # admitted before the last state change: its outcome no longer says anything
            if counted:
                self._failures += 1
                if ticket.trial or self._failures >= self.failure_threshold:
                    self._move_locked(CircuitState.OPEN)
            else:
                self._failures = 0
                if ticket.trial:
                    self._trial_out = False
                    self._move_locked(CircuitState.CLOSED)
            self._stats = replace(self._stats, consecutive_failures=self._failures)

    def _rejected_locked(self, remaining: float, *, trial: bool = False) -> CircuitOpenError:
        self._stats = replace(self._stats, rejected_calls=self._stats.rejected_calls + 1)
        why = "a trial call is in progress" if trial else f"next trial call in {remaining:.1f} s"
        return CircuitOpenError(
            f"circuit {self.name!r} is open after {self.failure_threshold} consecutive failure(s); {why}",
            circuit=self.name,
            time_until_retry=remaining,
        )

    # -- ways to use it -------------------------------------------------------------------------------

    async def call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """``await fn(*args, **kwargs)`` (or call it, if it is not async) through the breaker."""
        ticket = self.acquire()
        try:
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        except BaseException as exc:
            self.release(ticket, exc)
            raise
        self.release(ticket)
        return result

    def call_sync(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        ticket = self.acquire()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            self.release(ticket, exc)
            raise
        self.release(ticket)
        return result

    def _enter(self) -> None:
        ticket = self.acquire()
        _entered.set((*_entered.get(), (id(self), ticket)))

    def _exit(self, exc: BaseException | None) -> None:
        stack = list(_entered.get())
        for index in range(len(stack) - 1, -1, -1):
            if stack[index][0] == id(self):
                _, ticket = stack.pop(index)
                _entered.set(tuple(stack))
                self.release(ticket, exc)
                return

    def __enter__(self) -> CircuitBreaker:
        self._enter()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._exit(exc)

    async def __aenter__(self) -> CircuitBreaker:
        self._enter()
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._exit(exc)

    def __repr__(self) -> str:
        return (
            f"CircuitBreaker({self.name!r}, state={self.state.value}, "
            f"failure_threshold={self.failure_threshold}, timeout={self.timeout})"
        )
