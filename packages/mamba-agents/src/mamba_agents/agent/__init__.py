"""The Agent facade."""

from mamba_agents.agent.agent import Agent
from mamba_agents.agent.config import AgentConfig
from mamba_agents.agent.message_utils import dicts_to_model_messages, model_messages_to_dicts
from mamba_agents.agent.messages import MessageQuery, MessageStats, ToolCallInfo, Turn
from mamba_agents.agent.pending import PendingToolCallsError
from mamba_agents.agent.result import AgentResult
from mamba_agents.agent.runlock import ReentrantRunError

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentResult",
    "MessageQuery",
    "MessageStats",
    "PendingToolCallsError",
    "ReentrantRunError",
    "ToolCallInfo",
    "Turn",
    "dicts_to_model_messages",
    "model_messages_to_dicts",
]
