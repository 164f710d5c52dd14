"""Workflows: orchestration patterns over agents.

The base classes (``Workflow``, ``WorkflowConfig``, ``WorkflowState``, ``WorkflowHooks``, ``WorkflowResult``)
are the core's; ReAct, Plan-Execute and Reflection come from the ``mamba-agents-workflows`` plugin and are
registered through ``mamba_register_workflows`` (``get_workflow("react")``).
"""

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_PLUGIN = "mamba_agents_workflows"

_EXPORTS = {
    "HookError": "mamba_agents.workflows.state",
    "Critique": _PLUGIN,
    "Plan": _PLUGIN,
    "PlanExecuteConfig": _PLUGIN,
    "PlanExecuteHooks": _PLUGIN,
    "PlanExecuteState": _PLUGIN,
    "PlanExecuteWorkflow": _PLUGIN,
    "PlanStep": _PLUGIN,
    "StepOutcome": _PLUGIN,
    "ReActConfig": _PLUGIN,
    "ReActHooks": _PLUGIN,
    "ReActState": _PLUGIN,
    "ReActWorkflow": _PLUGIN,
    "ReflectionConfig": _PLUGIN,
    "ReflectionHooks": _PLUGIN,
    "ReflectionRound": _PLUGIN,
    "ReflectionState": _PLUGIN,
    "ReflectionWorkflow": _PLUGIN,
    "ScratchpadEntry": _PLUGIN,
    "SubAgent": _PLUGIN,
    "SubAgentToolset": _PLUGIN,
    "SubAgentUsage": _PLUGIN,
    "Workflow": "mamba_agents.workflows.base",
    "WorkflowConfig": "mamba_agents.workflows.config",
    "WorkflowError": "mamba_agents.workflows.errors",
    "WorkflowExecutionError": "mamba_agents.workflows.errors",
    "WorkflowHookWarning": "mamba_agents.workflows.hooks",
    "WorkflowHooks": "mamba_agents.workflows.hooks",
    "WorkflowLimitError": "mamba_agents.workflows.errors",
    "WorkflowMaxIterationsError": "mamba_agents.workflows.errors",
    "WorkflowMaxStepsError": "mamba_agents.workflows.errors",
    "WorkflowResult": "mamba_agents.workflows.result",
    "WorkflowState": "mamba_agents.workflows.state",
    "WorkflowStep": "mamba_agents.workflows.state",
    "WorkflowStepTimeoutError": "mamba_agents.workflows.errors",
    "WorkflowTimeoutError": "mamba_agents.workflows.errors",
    "build_workflow": "mamba_agents.workflows.registry",
    "get_workflow": "mamba_agents.workflows.registry",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from mamba_agents_workflows import (
        Critique,
        Plan,
        PlanExecuteConfig,
        PlanExecuteHooks,
        PlanExecuteState,
        PlanExecuteWorkflow,
        PlanStep,
        ReActConfig,
        ReActHooks,
        ReActState,
        ReActWorkflow,
        ReflectionConfig,
        ReflectionHooks,
        ReflectionRound,
        ReflectionState,
        ReflectionWorkflow,
        ScratchpadEntry,
        StepOutcome,
    )

    from mamba_agents.workflows.base import Workflow
    from mamba_agents.workflows.config import WorkflowConfig
    from mamba_agents.workflows.errors import (
        WorkflowError,
        WorkflowExecutionError,
        WorkflowLimitError,
        WorkflowMaxIterationsError,
        WorkflowMaxStepsError,
        WorkflowStepTimeoutError,
        WorkflowTimeoutError,
    )
    from mamba_agents.workflows.hooks import WorkflowHooks, WorkflowHookWarning
    from mamba_agents.workflows.registry import build_workflow, get_workflow
    from mamba_agents.workflows.result import WorkflowResult
    from mamba_agents.workflows.state import HookError, WorkflowState, WorkflowStep
