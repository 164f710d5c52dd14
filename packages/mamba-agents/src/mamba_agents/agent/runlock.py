"""``RunLock``: one run of an Agent at a time, whichever thread or event loop the runs come from.

An ``asyncio.Lock`` belongs to one loop, so ``run_sync`` (the background loop) and ``await run()`` (the
caller's loop) each got their own and overwrote each other's turn. This lock keeps its state behind a
``threading.Lock`` and wakes the next waiter on that waiter's own loop, first come first served.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections import deque
from dataclasses import dataclass, field

# The RunLocks held by the current task (and the tools it runs, which inherit the context): a run that starts
# another run of the same agent from inside itself would wait for itself forever.
_held: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "mamba_agents_runs", default=frozenset()
)


class ReentrantRunError(RuntimeError):
    """A run of an Agent was started from inside another run of the same Agent (it would wait forever)."""


@dataclass(eq=False)
class _Waiter:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]
    granted: bool = False


@dataclass(eq=False)
class RunLock:
    """A fair mutex that async code on any loop, in any thread, can wait for without blocking its loop."""

    name: str = "agent"
    _mutex: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _locked: bool = False
    _waiters: deque[_Waiter] = field(default_factory=deque, repr=False)

    def locked(self) -> bool:
        return self._locked

    def check_not_held(self) -> None:
        """Refuse a nested run from inside one of this lock's runs (a tool calling its own agent)."""
        if id(self) in _held.get():
            raise ReentrantRunError(
                f"{self.name}: a run was started from inside one of its own runs (a tool calling the agent "
                "that runs it); this would wait for itself forever. Use a second Agent for nested runs."
            )

    async def acquire(self) -> contextvars.Token[frozenset[int]]:
        self.check_not_held()
        with self._mutex:
            if not self._locked:
                self._locked = True
                return _held.set(_held.get() | {id(self)})
            loop = asyncio.get_running_loop()
            waiter = _Waiter(loop, loop.create_future())
            self._waiters.append(waiter)
        try:
            await waiter.future
        except BaseException:
            with self._mutex:
                granted = waiter.granted
                if not granted:
                    self._waiters.remove(waiter)
            if granted:  # ownership arrived together with the cancellation: pass it on
                self.release()
            raise
        return _held.set(_held.get() | {id(self)})

    def release(self, token: contextvars.Token[frozenset[int]] | None = None) -> None:
        if token is not None:
            _held.reset(token)
        while True:
            with self._mutex:
                if not self._waiters:
                    self._locked = False
                    return
                waiter = self._waiters.popleft()
                waiter.granted = True
            try:
                waiter.loop.call_soon_threadsafe(_wake, waiter.future)
                return
            except RuntimeError:  # that waiter's loop is closed: it will never run, try the next one
                continue


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
