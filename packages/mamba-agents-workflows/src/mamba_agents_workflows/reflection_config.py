"""``ReflectionConfig``, the ``Critique`` a critic returns, and the state of a reflection run."""

from __future__ import annotations

from dataclasses import dataclass, field

from mamba_agents.prompts import TemplateConfig
from mamba_agents.workflows import WorkflowConfig
from pydantic import BaseModel, Field


class ReflectionConfig(WorkflowConfig):
    """Options of :class:`ReflectionWorkflow`. ``max_iterations`` is the number of drafts (rounds).

    A draft is accepted when the critic says so and, with ``min_score`` set, scores at least that.
    ``critic_model`` (a model string) builds the critic when none is passed; unset, the writer's own
    model critiques. ``critic_prompt_template`` replaces the built-in critic instructions.
    """

    max_iterations: int = Field(default=3, gt=0, description="drafts the writer may make")
    min_score: float | None = Field(default=None, ge=0, le=1, description="lowest accepted score, 0 to 1")
    critic_model: str | None = Field(default=None, description="model of the critic; unset: the writer's")
    critic_prompt_template: TemplateConfig | None = Field(
        default=None, description="replaces the built-in workflow/reflection_critic instructions"
    )


class Critique(BaseModel):
    """The critic's structured verdict on one draft."""

    accepted: bool = Field(description="true when the draft fully answers the task and needs no change")
    score: float = Field(ge=0, le=1, description="quality from 0 (useless) to 1 (perfect)")
    feedback: str = Field(description="what to change, concretely; empty when accepted")
    issues: list[str] = Field(default_factory=list, description="each problem found, one per item")


@dataclass
class ReflectionRound:
    """One draft and what the critic said about it."""

    number: int
    draft: str
    critique: Critique
    accepted: bool


@dataclass
class ReflectionState:
    """``WorkflowState.context`` of a reflection run."""

    task: str
    rounds: list[ReflectionRound] = field(default_factory=list)
    accepted: bool = False

    @property
    def final_draft(self) -> str | None:
        return self.rounds[-1].draft if self.rounds else None
