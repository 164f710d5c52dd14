"""The run and conversation a log line belongs to, carried in a context variable.

The Agent sets it around each run (pydantic-ai's ``run_id`` and ``conversation_id``, the same ids its
OpenTelemetry spans carry), so every log line written during the run, in tools and plugins too, can say
which run it came from. Kept import-light: the facade imports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar

_ids: ContextVar[tuple[str | None, str | None]] = ContextVar("mamba_correlation", default=(None, None))


def correlation_ids() -> tuple[str | None, str | None]:
    """``(run_id, conversation_id)`` of the run in progress in this context, or ``(None, None)``."""
    return _ids.get()


@contextmanager
def correlated(run_id: str | None, conversation_id: str | None = None) -> Iterator[None]:
    """Log lines written inside carry ``run_id`` and ``conversation_id``."""
    token = _ids.set((run_id, conversation_id))
    try:
        yield
    finally:
        # ended in another context (a task pydantic-ai started): the value ends with that context
        with suppress(ValueError):
            _ids.reset(token)
