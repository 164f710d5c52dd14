"""The Agent facade."""

from mamba_agents.agent.agent import Agent
from mamba_agents.agent.config import AgentConfig
from mamba_agents.agent.result import AgentResult

__all__ = ["Agent", "AgentConfig", "AgentResult"]
