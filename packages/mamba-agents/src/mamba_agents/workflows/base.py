"""``Workflow``: the base of every workflow. It enforces ``WorkflowConfig`` and calls the hooks.

A subclass gives ``name``, ``_create_initial_state(prompt)`` and ``async _execute(prompt, state, deps)``.
Inside ``_execute``, every ``Agent.run`` is a step (numbered, timed, bounded by ``step_timeout_seconds``
and ``max_steps``, its usage and cost recorded); ``self.step(...)`` / ``self.step_scope(...)`` make
anything else a step and ``self.iteration(state)`` counts one iteration of a loop with its hooks.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic_ai import DeferredToolRequests

from mamba_agents.observability.spans import workflow_step_span
from mamba_agents.tokens.cost import Cost, CostBreakdown
from mamba_agents.tokens.tracker import UsageTracker
from mamba_agents.workflows.config import WorkflowConfig
from mamba_agents.workflows.errors import (
    WorkflowError,
    WorkflowMaxStepsError,
    WorkflowStepTimeoutError,
    WorkflowTimeoutError,
)
from mamba_agents.workflows.hooks import WorkflowHooks
from mamba_agents.workflows.result import WorkflowResult
from mamba_agents.workflows.state import WorkflowState, WorkflowStep
from mamba_agents.workflows.tracking import current_run, in_step

DepsT = TypeVar("DepsT")
OutputT = TypeVar("OutputT")
StateT = TypeVar("StateT")
T = TypeVar("T")


@dataclass
class WorkflowRun:
    """One run in progress: the state, and the step numbers handed out so far (parallel steps too)."""

    workflow: Workflow[Any, Any, Any]
    state: WorkflowState[Any]
    started_steps: int = 0

    async def agent_step(self, agent: Any, prompt: Any, call: Callable[[], Awaitable[Any]]) -> Any:
        description = prompt if isinstance(prompt, str) else type(prompt).__name__
        async with self.workflow.step_scope(
            "agent_run", description=description[:200], input_data=prompt
        ) as s:
            result = await call()
            record_agent_result(s, agent, result)
            return result


def price_messages(agent: Any, messages: list[Any]) -> CostBreakdown:
    """What the responses in ``messages`` cost, priced as ``agent`` prices them (its price table first)."""
    tracker = UsageTracker(getattr(agent, "cost_estimator", None))
    tracker.record_messages(messages)
    return tracker.get_cost_breakdown()


def record_agent_result(step: WorkflowStep[Any], agent: Any, result: Any) -> None:
    """Put an agent run's output, usage and cost on ``step``."""
    step.output_data = result.output
    step.usage = result.usage
    step.cost = price_messages(agent, result.new_messages())


class Workflow(ABC, Generic[DepsT, OutputT, StateT]):
    """An orchestration pattern over one or more agents, run under ``WorkflowConfig``'s limits.

    ``run`` never raises for a limit, a timeout or a failed step: the ``WorkflowResult`` says what
    happened (``success``, ``termination_reason``, ``limit``, ``error``). Cancelling the task that awaits
    ``run`` still cancels it.
    """

    config_class: type[WorkflowConfig] = WorkflowConfig
    hooks_class: type[WorkflowHooks] = WorkflowHooks

    def __init__(self, config: WorkflowConfig | None = None, hooks: WorkflowHooks | None = None) -> None:
        self._config = config if config is not None else self.config_class()
        self._hooks = hooks if hooks is not None else self.hooks_class()
        self.last_state: WorkflowState[StateT] | None = None
        self.last_result: WorkflowResult[OutputT, StateT] | None = None

    # -- what a subclass provides ---------------------------------------------------------------------

    @property
    @abstractmethod
    def name(self) -> str:
        """The workflow's name (the one it is registered under)."""

    @abstractmethod
    def _create_initial_state(self, prompt: str) -> WorkflowState[StateT]:
        """The state a run of ``prompt`` starts from."""

    @abstractmethod
    async def _execute(self, prompt: str, state: WorkflowState[StateT], deps: DepsT | None = None) -> OutputT:
        """Do the work; return the output. Raise a ``WorkflowError`` to stop with a reason."""

    def _is_complete(self, result: Any) -> bool:
        """Whether an agent result finishes the task. Default: it has an output that is not ``None``, not
        blank text, and not a pause waiting on tool approvals (``DeferredToolRequests``)."""
        output = getattr(result, "output", result)
        if output is None or isinstance(output, DeferredToolRequests):
            return False
        return not (isinstance(output, str) and not output.strip())

    # -- properties -----------------------------------------------------------------------------------

    @property
    def config(self) -> WorkflowConfig:
        return self._config

    @property
    def hooks(self) -> WorkflowHooks:
        return self._hooks

    def get_cost(self) -> Cost:
        """USD spent by the last run (0 before any)."""
        return self.last_result.cost if self.last_result is not None else Cost(0.0)

    # -- running --------------------------------------------------------------------------------------

    async def run(self, prompt: str, deps: DepsT | None = None) -> WorkflowResult[OutputT, StateT]:
        """Run the workflow on ``prompt`` within ``timeout_seconds``; see the class docstring."""
        started = time.perf_counter()
        state = self._create_initial_state(prompt)
        state._max_iterations = self._config.max_iterations
        state._track_steps = self._config.track_state
        self.last_state = state
        run = WorkflowRun(self, state)
        token, step_token = current_run.set(run), in_step.set(False)
        output: Any = None
        error: BaseException | None = None
        try:
            await self._trigger("on_workflow_start", state, state)
            try:
                async with asyncio.timeout(self._config.timeout_seconds) as deadline:
                    output = await self._execute(prompt, state, deps)
            except TimeoutError as exc:
                if not deadline.expired():
                    raise
                raise WorkflowTimeoutError(
                    f"workflow {self.name!r} stopped: it ran past timeout_seconds="
                    f"{self._config.timeout_seconds:g}",
                    value=self._config.timeout_seconds,
                ) from exc
        except Exception as exc:
            error = exc
        except asyncio.CancelledError:
            state.is_failed = True
            result = self._result(state, None, None, started, reason="cancelled")
            self.last_result = result
            raise
        finally:
            current_run.reset(token)
            in_step.reset(step_token)
        if error is None:
            state.is_complete = True
            result = self._result(state, output, None, started)
        else:
            state.is_failed = True
            await self._trigger("on_workflow_error", state, state, error)
            result = self._result(state, None, error, started)
        self.last_result = result
        await self._trigger("on_workflow_complete", state, result)
        result.hook_errors = list(state.hook_errors)
        return result

    def run_sync(self, prompt: str, deps: DepsT | None = None) -> WorkflowResult[OutputT, StateT]:
        """``run`` from synchronous code; works inside a running event loop (Jupyter)."""
        from mamba_agents.agent.loop import run_sync

        return run_sync(self.run(prompt, deps))

    # -- building blocks for _execute -----------------------------------------------------------------

    @asynccontextmanager
    async def step_scope(
        self, step_type: str, *, description: str = "", input_data: Any = None
    ) -> AsyncIterator[WorkflowStep[Any]]:
        """One step: numbered, bounded by ``max_steps`` and ``step_timeout_seconds``, hooks called.

        Set ``output_data`` (and ``usage`` / ``cost``) on the yielded step. Past the step timeout the body is
        cancelled (with the tool calls and subprocesses under it) and ``WorkflowStepTimeoutError`` raised.
        """
        run = _require_run(self)
        state = run.state
        if run.started_steps >= self._config.max_steps:
            raise WorkflowMaxStepsError(
                f"workflow {self.name!r} stopped: a step past max_steps={self._config.max_steps}",
                value=self._config.max_steps,
            )
        run.started_steps += 1
        step: WorkflowStep[Any] = WorkflowStep(run.started_steps, step_type, description, input_data)
        await self._trigger("on_step_start", state, state, step.step_number, step_type)
        limit = self._config.step_timeout_seconds
        token = in_step.set(True)
        try:
            try:
                async with asyncio.timeout(limit) as deadline:
                    with workflow_step_span(self.name, step.step_number, step_type):
                        yield step
            except TimeoutError as exc:
                if not deadline.expired():
                    raise
                raise WorkflowStepTimeoutError(
                    f"workflow {self.name!r}: step {step.step_number} ({step_type}) ran past "
                    f"step_timeout_seconds={limit:g} and was cancelled",
                    value=limit,
                    step_number=step.step_number,
                ) from exc
        except BaseException as exc:
            step.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            step.completed_at = datetime.now(UTC)
            state.add_step(step)
            if isinstance(exc, Exception):
                await self._trigger("on_step_error", state, state, step, exc)
            raise
        finally:
            in_step.reset(token)
        step.completed_at = datetime.now(UTC)
        state.add_step(step)
        await self._trigger("on_step_complete", state, state, step)

    async def step(
        self,
        step_type: str,
        call: Callable[[], Awaitable[T]],
        *,
        description: str = "",
        input_data: Any = None,
    ) -> T:
        """Await ``call()`` as one step (see :meth:`step_scope`); its value is the step's output."""
        async with self.step_scope(step_type, description=description, input_data=input_data) as s:
            value = await call()
            s.output_data = value
        return value

    async def run_agent(
        self,
        agent: Any,
        prompt: Any,
        *,
        step_type: str = "agent_run",
        description: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """``agent.run(prompt, **kwargs)`` as one step, with its usage and cost recorded."""
        text = description if description is not None else (prompt if isinstance(prompt, str) else "")
        async with self.step_scope(step_type, description=text[:200], input_data=prompt) as s:
            result = await agent.run(prompt, **kwargs)
            record_agent_result(s, agent, result)
        return result

    @asynccontextmanager
    async def iteration(self, state: WorkflowState[Any]) -> AsyncIterator[int]:
        """Count one iteration (``max_iterations`` enforced) between its start and complete hooks."""
        state.iteration_count += 1
        number = state.iteration_count
        await self._trigger("on_iteration_start", state, state, number)
        yield number
        await self._trigger("on_iteration_complete", state, state, number)

    async def _trigger(self, name: str, state: WorkflowState[Any] | None, *args: Any) -> None:
        if self._config.enable_hooks:
            await self._hooks.trigger(name, state, *args)

    # -- internals ------------------------------------------------------------------------------------

    def _result(
        self,
        state: WorkflowState[Any],
        output: Any,
        error: BaseException | None,
        started: float,
        *,
        reason: str | None = None,
    ) -> WorkflowResult[OutputT, StateT]:
        limit = getattr(error, "limit", None) if isinstance(error, WorkflowError) else None
        if reason is None:
            reason = (
                "completed"
                if error is None
                else error.reason
                if isinstance(error, WorkflowError)
                else "error"
            )
        if isinstance(error, WorkflowError) and error.partial_output is not None:
            output = error.partial_output
        return WorkflowResult(
            success=error is None and reason == "completed",
            output=output,
            state=state,
            error=None if error is None else (str(error) or type(error).__name__),
            total_steps=state.total_steps,
            total_iterations=state.iteration_count,
            duration_seconds=time.perf_counter() - started,
            termination_reason=reason,
            limit=limit,
            usage=state.usage,
            cost_breakdown=state.cost,
            hook_errors=list(state.hook_errors),
            exception=error,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _require_run(workflow: Workflow[Any, Any, Any]) -> WorkflowRun:
    run = current_run.get()
    if run is None or run.workflow is not workflow:
        raise RuntimeError(f"{type(workflow).__name__}: steps exist only inside its run() (in _execute)")
    return run
