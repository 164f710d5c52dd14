"""``WorkflowStep`` and ``WorkflowState``: what a workflow run did, step by step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic_ai.usage import RunUsage

from mamba_agents.tokens.cost import Cost, CostBreakdown
from mamba_agents.workflows.errors import WorkflowMaxIterationsError

StateT = TypeVar("StateT")
OutputT = TypeVar("OutputT")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WorkflowStep(Generic[OutputT]):
    """One step: an agent run, a model turn, a plan step. ``usage`` and ``cost`` are the step's own."""

    step_number: int
    step_type: str
    description: str = ""
    input_data: Any = None
    output_data: OutputT | None = None
    error: str | None = None
    started_at: datetime = field(default_factory=_now)
    completed_at: datetime | None = None
    usage: RunUsage = field(default_factory=RunUsage)
    cost: CostBreakdown = field(default_factory=CostBreakdown)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_seconds(self) -> float | None:
        if self.completed_at is None:
            return None
        return (self.completed_at - self.started_at).total_seconds()

    @property
    def success(self) -> bool:
        return self.error is None and self.completed_at is not None


@dataclass(frozen=True)
class HookError:
    """A hook that raised: reported here (and as a warning), never fatal to the run."""

    hook: str
    error: str


class WorkflowState(Generic[StateT]):
    """The state of one run. ``context`` is the workflow's own (a dict, a ``ReActState``, ...).

    Setting ``iteration_count`` past the run's ``max_iterations`` raises ``WorkflowMaxIterationsError``,
    so a hand-written loop cannot run over its bound either.
    """

    def __init__(
        self,
        context: StateT | None = None,
        *,
        metadata: dict[str, Any] | None = None,
        iteration_count: int = 0,
    ) -> None:
        self.context = context
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.current_step = 1
        self.total_steps = 0
        self.is_complete = False
        self.is_failed = False
        self.steps: list[WorkflowStep[Any]] = []
        self.hook_errors: list[HookError] = []
        self.usage = RunUsage()
        self._costs: list[CostBreakdown] = []
        self._max_iterations: int | None = None
        self._track_steps = True
        self._iteration_count = iteration_count

    @property
    def iteration_count(self) -> int:
        return self._iteration_count

    @iteration_count.setter
    def iteration_count(self, value: int) -> None:
        if self._max_iterations is not None and value > self._max_iterations:
            raise WorkflowMaxIterationsError(
                f"workflow stopped: iteration {value} would pass max_iterations={self._max_iterations}",
                value=self._max_iterations,
            )
        self._iteration_count = value

    @property
    def cost(self) -> CostBreakdown:
        """What the steps so far cost (requests nobody could price are counted, never $0)."""
        return CostBreakdown.combine(self._costs)

    def get_cost(self) -> Cost:
        return self.cost.cost

    def add_step(self, step: WorkflowStep[Any]) -> None:
        """Count a finished step (kept in ``steps`` when ``track_state`` is on) with its usage and cost."""
        self.total_steps += 1
        self.current_step = self.total_steps + 1
        self.usage = self.usage + step.usage
        self._costs.append(step.cost)
        if self._track_steps:
            self.steps.append(step)

    def get_latest_step(self) -> WorkflowStep[Any] | None:
        return self.steps[-1] if self.steps else None

    def get_step(self, step_number: int) -> WorkflowStep[Any] | None:
        return next((s for s in self.steps if s.step_number == step_number), None)

    def __repr__(self) -> str:
        return (
            f"WorkflowState(total_steps={self.total_steps}, iteration_count={self.iteration_count}, "
            f"is_complete={self.is_complete}, is_failed={self.is_failed}, context={self.context!r})"
        )
