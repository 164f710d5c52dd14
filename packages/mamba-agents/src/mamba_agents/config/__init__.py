"""Configuration: ``AgentSettings`` and its sections.

Names load on first use: the sections and errors are cheap, ``AgentSettings`` brings in pydantic-settings.
"""

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_EXPORTS = {
    "AgentSettings": "mamba_agents.config.settings",
    "BashConfig": "mamba_agents.config.sections",
    "CapabilitiesConfig": "mamba_agents.config.sections",
    "CompactionConfig": "mamba_agents.context.config",
    "ErrorRecoveryConfig": "mamba_agents.config.sections",
    "ConfigError": "mamba_agents.config.errors",
    "ConfigValue": "mamba_agents.config.settings",
    "ConfigWarning": "mamba_agents.config.legacy",
    "LoggingConfig": "mamba_agents.config.sections",
    "MCPConfig": "mamba_agents.config.sections",
    "ModelBackendSettings": "mamba_agents.config.sections",
    "ModelPrice": "mamba_agents.config.sections",
    "ObservabilityConfig": "mamba_agents.config.sections",
    "PluginsConfig": "mamba_agents.config.sections",
    "PromptConfig": "mamba_agents.prompts.config",
    "RetryConfig": "mamba_agents.config.sections",
    "TokenizerConfig": "mamba_agents.config.sections",
    "ToolsConfig": "mamba_agents.config.sections",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from mamba_agents.config.errors import ConfigError
    from mamba_agents.config.legacy import ConfigWarning
    from mamba_agents.config.sections import (
        BashConfig,
        CapabilitiesConfig,
        ErrorRecoveryConfig,
        LoggingConfig,
        MCPConfig,
        ModelBackendSettings,
        ModelPrice,
        ObservabilityConfig,
        PluginsConfig,
        RetryConfig,
        TokenizerConfig,
        ToolsConfig,
    )
    from mamba_agents.config.settings import AgentSettings, ConfigValue
    from mamba_agents.context.config import CompactionConfig
    from mamba_agents.prompts.config import PromptConfig
