"""Mamba Agents: a plugin-based AI agent framework on pydantic-ai.

Names are loaded on first use so that ``import mamba_agents`` stays light (no plugin, openai, tiktoken,
jinja2 or mcp import).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

__version__ = "0.2.0"

_EXPORTS: dict[str, str] = {
    "Agent": "mamba_agents.agent",
    "AgentConfig": "mamba_agents.agent",
    "AgentResult": "mamba_agents.agent",
    "AgentSettings": "mamba_agents.config",
    "CompactionConfig": "mamba_agents.context",
    "CompactionResult": "mamba_agents.context",
    "ContextState": "mamba_agents.context",
    "CostBreakdown": "mamba_agents.tokens",
    "MCPClientManager": "mamba_agents.mcp",
    "MCPServerConfig": "mamba_agents.mcp",
    "UsageRecord": "mamba_agents.tokens",
    "TokenUsage": "mamba_agents.tokens",
    "PromptConfig": "mamba_agents.prompts",
    "PromptManager": "mamba_agents.prompts",
    "PromptTemplate": "mamba_agents.prompts",
    "TemplateConfig": "mamba_agents.prompts",
    "Workflow": "mamba_agents.workflows",
    "WorkflowConfig": "mamba_agents.workflows",
    "WorkflowHooks": "mamba_agents.workflows",
    "WorkflowResult": "mamba_agents.workflows",
    "WorkflowState": "mamba_agents.workflows",
    "WorkflowStep": "mamba_agents.workflows",
    "hookimpl": "mamba_agents.plugins",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from mamba_agents.agent import Agent, AgentConfig, AgentResult
    from mamba_agents.config import AgentSettings
    from mamba_agents.context import CompactionConfig, CompactionResult, ContextState
    from mamba_agents.mcp import MCPClientManager, MCPServerConfig
    from mamba_agents.plugins import hookimpl
    from mamba_agents.prompts import PromptConfig, PromptManager, PromptTemplate, TemplateConfig
    from mamba_agents.tokens import CostBreakdown, TokenUsage, UsageRecord
    from mamba_agents.workflows import (
        Workflow,
        WorkflowConfig,
        WorkflowHooks,
        WorkflowResult,
        WorkflowState,
        WorkflowStep,
    )
