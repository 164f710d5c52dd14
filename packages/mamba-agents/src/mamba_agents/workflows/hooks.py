"""``WorkflowHooks``: callbacks at each moment of a run, sync or async; one that raises is reported only."""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from mamba_agents.workflows.state import HookError, WorkflowState

logger = logging.getLogger("mamba_agents.workflows")

Hook = Callable[..., Any] | None


class WorkflowHookWarning(UserWarning):
    """A workflow hook raised; the run went on."""


@dataclass
class WorkflowHooks:
    """Observability callbacks. Each may be a function or a coroutine function; sync ones run inline on the
    event loop (keep them quick). A hook that raises is logged, warned about and recorded in
    ``state.hook_errors`` / ``result.hook_errors``; it never fails the run.

    ============================  ====================================
    ``on_workflow_start``         ``(state)``
    ``on_workflow_complete``      ``(result)``, after success or failure
    ``on_workflow_error``         ``(state, error)``
    ``on_step_start``             ``(state, step_number, step_type)``
    ``on_step_complete``          ``(state, step)``
    ``on_step_error``             ``(state, step, error)``
    ``on_iteration_start``        ``(state, iteration)``
    ``on_iteration_complete``     ``(state, iteration)``
    ============================  ====================================
    """

    on_workflow_start: Hook = None
    on_workflow_complete: Hook = None
    on_workflow_error: Hook = None
    on_step_start: Hook = None
    on_step_complete: Hook = None
    on_step_error: Hook = None
    on_iteration_start: Hook = None
    on_iteration_complete: Hook = None

    def names(self) -> list[str]:
        """The hooks set on this object."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    async def trigger(self, name: str, state: WorkflowState[Any] | None, *args: Any) -> None:
        """Call hook ``name`` with ``args``; a failure goes to ``state.hook_errors`` and a warning."""
        hook = getattr(self, name)
        if hook is None:
            return
        try:
            value = hook(*args)
            if inspect.isawaitable(value):
                await value
        except Exception as exc:
            text = f"{type(exc).__name__}: {exc}"
            logger.warning("workflow hook %s raised %s", name, text)
            warnings.warn(f"workflow hook {name} raised {text}", WorkflowHookWarning, stacklevel=2)
            if state is not None:
                state.hook_errors.append(HookError(name, text))
