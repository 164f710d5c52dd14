"""One background event loop for every ``run_sync`` call: works inside Jupyter, never a new loop per call."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="mamba-agents-sync", daemon=True)
            thread.start()
            _loop = loop
        return _loop


# After Ctrl-C, how long the caller waits for the coroutine to stop (close its streams, keep what it did)
# before it is cancelled outright and the interrupt goes on regardless.
INTERRUPT_GRACE_SECONDS = 3.0


def run_sync(coro: Coroutine[Any, Any, T], *, on_interrupt: Callable[[], Any] | None = None) -> T:
    """Run ``coro`` to completion from synchronous code, whether or not this thread has a running loop.

    The coroutine runs on a long-lived loop in a daemon thread, so clients bound to a loop (HTTP pools, MCP
    sessions) stay usable across calls. Ctrl-C calls ``on_interrupt`` (a graceful stop) and waits for the
    coroutine to end, at most ``INTERRUPT_GRACE_SECONDS``; without it, or past that, the coroutine is
    cancelled. The ``KeyboardInterrupt`` is re-raised either way.
    """
    loop = _background_loop()
    if threading.current_thread().name == "mamba-agents-sync":
        raise RuntimeError(
            "run_sync() called from inside a coroutine running on its own loop; use `await run()`"
        )
    future = asyncio.run_coroutine_threadsafe(coro, loop)
    try:
        return future.result()
    except KeyboardInterrupt:
        if on_interrupt is not None:
            with contextlib.suppress(BaseException):
                on_interrupt()
                future.result(timeout=INTERRUPT_GRACE_SECONDS)
        if not future.done():
            future.cancel()
            with contextlib.suppress(BaseException):
                future.result(timeout=INTERRUPT_GRACE_SECONDS)
        raise
