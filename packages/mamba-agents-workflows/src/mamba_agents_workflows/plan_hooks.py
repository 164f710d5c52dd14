"""``PlanExecuteHooks``: the base hooks plus one per plan and per plan step."""

from __future__ import annotations

from dataclasses import dataclass

from mamba_agents.workflows import WorkflowHooks
from mamba_agents.workflows.hooks import Hook


@dataclass
class PlanExecuteHooks(WorkflowHooks):
    """``on_plan(state, plan, plan_number)``, ``on_plan_step_start(state, plan_step)``,
    ``on_plan_step_complete(state, plan_step, output)``, ``on_plan_step_error(state, plan_step, error)``,
    ``on_replan(state, failures)``, plus every :class:`~mamba_agents.workflows.WorkflowHooks` callback."""

    on_plan: Hook = None
    on_plan_step_start: Hook = None
    on_plan_step_complete: Hook = None
    on_plan_step_error: Hook = None
    on_replan: Hook = None
