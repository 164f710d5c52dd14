"""Configuration: ``AgentSettings`` and its sections."""

from mamba_agents.config.errors import ConfigError
from mamba_agents.config.sections import (
    BashConfig,
    CapabilitiesConfig,
    LoggingConfig,
    MCPConfig,
    ModelBackendSettings,
    ModelPrice,
    PluginsConfig,
    RetryConfig,
    TokenizerConfig,
    ToolsConfig,
    WorkflowsConfig,
)
from mamba_agents.config.settings import AgentSettings, ConfigValue
from mamba_agents.context.config import CompactionConfig
from mamba_agents.prompts.config import PromptConfig

__all__ = [
    "AgentSettings",
    "BashConfig",
    "CapabilitiesConfig",
    "CompactionConfig",
    "ConfigError",
    "ConfigValue",
    "LoggingConfig",
    "MCPConfig",
    "ModelBackendSettings",
    "ModelPrice",
    "PluginsConfig",
    "PromptConfig",
    "RetryConfig",
    "TokenizerConfig",
    "ToolsConfig",
    "WorkflowsConfig",
]
