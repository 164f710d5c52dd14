"""``WorkflowConfig``: the limits every workflow runs under."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WorkflowConfig(BaseModel):
    """Limits and switches shared by every workflow; a workflow's own config extends it.

    ``max_steps`` bounds the steps (agent runs, model turns, plan steps) of one run; ``max_iterations`` the
    workflow's loop; ``timeout_seconds`` the whole run and ``step_timeout_seconds`` each step (``None``: no
    limit). A timeout cancels what is running, tool subprocesses included (async tools such as ``run_bash``
    kill their process group when cancelled). ``track_state`` keeps every finished step in ``state.steps``;
    off, only the counts, usage and cost are kept.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    max_steps: int = Field(default=50, gt=0, description="steps one run may take")
    max_iterations: int = Field(default=10, gt=0, description="iterations of the workflow's loop")
    timeout_seconds: float | None = Field(default=300.0, gt=0, description="the whole run; unset: no limit")
    step_timeout_seconds: float | None = Field(default=30.0, gt=0, description="each step; unset: no limit")
    enable_hooks: bool = Field(default=True, description="call the hooks")
    track_state: bool = Field(default=True, description="keep every finished step in state.steps")
