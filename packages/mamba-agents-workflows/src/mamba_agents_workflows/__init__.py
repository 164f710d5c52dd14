"""ReAct, Plan-Execute and Reflection for Mamba Agents (import them from ``mamba_agents.workflows``).

Names load on first use: the plugin's entry module is imported at start-up and must stay light.
"""

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_EXPORTS = {
    "Critique": "mamba_agents_workflows.reflection_config",
    "Plan": "mamba_agents_workflows.plan_config",
    "PlanExecuteConfig": "mamba_agents_workflows.plan_config",
    "PlanExecuteHooks": "mamba_agents_workflows.plan_hooks",
    "PlanExecuteState": "mamba_agents_workflows.plan_config",
    "PlanExecuteWorkflow": "mamba_agents_workflows.plan_execute",
    "PlanStep": "mamba_agents_workflows.plan_config",
    "StepOutcome": "mamba_agents_workflows.plan_config",
    "ReActConfig": "mamba_agents_workflows.react_config",
    "ReActHooks": "mamba_agents_workflows.react_hooks",
    "ReActState": "mamba_agents_workflows.react_state",
    "ReActWorkflow": "mamba_agents_workflows.react",
    "ReflectionConfig": "mamba_agents_workflows.reflection_config",
    "ReflectionHooks": "mamba_agents_workflows.reflection_hooks",
    "ReflectionRound": "mamba_agents_workflows.reflection_config",
    "ReflectionState": "mamba_agents_workflows.reflection_config",
    "ReflectionWorkflow": "mamba_agents_workflows.reflection",
    "ScratchpadEntry": "mamba_agents_workflows.react_state",
    "SubAgent": "mamba_agents_workflows.subagents",
    "SubAgentToolset": "mamba_agents_workflows.subagents",
    "SubAgentUsage": "mamba_agents_workflows.subagents",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from mamba_agents_workflows.plan_config import (
        Plan,
        PlanExecuteConfig,
        PlanExecuteState,
        PlanStep,
        StepOutcome,
    )
    from mamba_agents_workflows.plan_execute import PlanExecuteWorkflow
    from mamba_agents_workflows.plan_hooks import PlanExecuteHooks
    from mamba_agents_workflows.react import ReActWorkflow
    from mamba_agents_workflows.react_config import ReActConfig
    from mamba_agents_workflows.react_hooks import ReActHooks
    from mamba_agents_workflows.react_state import ReActState, ScratchpadEntry
    from mamba_agents_workflows.reflection import ReflectionWorkflow
    from mamba_agents_workflows.reflection_config import (
        Critique,
        ReflectionConfig,
        ReflectionRound,
        ReflectionState,
    )
    from mamba_agents_workflows.reflection_hooks import ReflectionHooks
    from mamba_agents_workflows.subagents import SubAgent, SubAgentToolset, SubAgentUsage
