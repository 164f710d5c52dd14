"""The run and step a coroutine is inside of, so an ``Agent.run`` inside ``_execute`` becomes a step.

Kept free of heavy imports: the ``Agent`` facade consults it on every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# The WorkflowRun whose _execute is running in this context (None outside any workflow).
current_run: ContextVar[Any] = ContextVar("mamba_workflow_run", default=None)
# True inside a step, so an agent run there is part of that step, not a new one.
in_step: ContextVar[bool] = ContextVar("mamba_workflow_in_step", default=False)


def active_run() -> Any:
    """The workflow run an agent run here should be recorded in as a step, or ``None``."""
    run = current_run.get()
    if run is None or in_step.get():
        return None
    return run


@contextmanager
def agent_runs_untracked() -> Iterator[None]:
    """Agent runs here are not steps of their own (a workflow makes steps of their parts instead)."""
    token = in_step.set(True)
    try:
        yield
    finally:
        in_step.reset(token)
