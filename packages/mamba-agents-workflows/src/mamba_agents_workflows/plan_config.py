"""``PlanExecuteConfig``, the structured ``Plan`` a planner writes, and the state of a plan-execute run."""

from __future__ import annotations

from dataclasses import dataclass, field

from mamba_agents.prompts import TemplateConfig
from mamba_agents.workflows import WorkflowConfig
from pydantic import BaseModel, Field


class PlanExecuteConfig(WorkflowConfig):
    """Options of :class:`PlanExecuteWorkflow`. ``max_iterations`` is the number of plans: the first one
    plus the re-plans after failed steps. Steps whose dependencies are done run concurrently, at most
    ``max_parallel_steps`` at a time; a plan may have at most ``max_plan_steps`` steps (a longer one is sent
    back to the planner)."""

    max_iterations: int = Field(default=3, gt=0, description="plans: the first plus re-plans")
    max_plan_steps: int = Field(default=10, gt=0, le=100, description="steps one plan may have")
    max_parallel_steps: int = Field(default=3, gt=0, le=32, description="plan steps running at once")
    planner_prompt_template: TemplateConfig | None = Field(
        default=None, description="replaces the built-in workflow/plan_execute_planner instructions"
    )


class PlanStep(BaseModel):
    """One step of a plan; ``depends_on`` names the ids of the steps whose results it needs."""

    id: str = Field(min_length=1, max_length=40, description="short unique id, e.g. 's1'")
    description: str = Field(min_length=1, description="what to do, on its own")
    depends_on: list[str] = Field(default_factory=list, description="ids of steps this one needs first")


class Plan(BaseModel):
    goal: str = Field(description="the task, restated")
    steps: list[PlanStep] = Field(min_length=1)


@dataclass
class StepOutcome:
    """What one plan step produced (``output``) or why it failed (``error``), under which plan."""

    step: PlanStep
    plan_number: int
    output: str | None = None
    error: str | None = None

    @property
    def success(self) -> bool:
        return self.error is None


@dataclass
class PlanExecuteState:
    """``WorkflowState.context`` of a plan-execute run."""

    task: str
    plans: list[Plan] = field(default_factory=list)
    outcomes: list[StepOutcome] = field(default_factory=list)
    final_answer: str | None = None

    @property
    def results(self) -> dict[str, str]:
        """Output of every step that succeeded, by step id (the latest plan's wins)."""
        return {o.step.id: o.output for o in self.outcomes if o.output is not None}

    @property
    def failures(self) -> list[StepOutcome]:
        return [o for o in self.outcomes if o.error is not None]
