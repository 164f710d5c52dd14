"""The Agent's hook for ``[mcp]``: the configured servers' toolsets; nothing is imported without any."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_ai.toolsets import AbstractToolset

    from mamba_agents.config import MCPConfig
    from mamba_agents.plugins import PluginManager


def configured_toolsets(config: MCPConfig, plugins: PluginManager) -> list[AbstractToolset[Any]]:
    """One toolset per enabled server of ``[mcp]``; an invalid entry fails here, when the Agent is built."""
    if not config.config_files and not config.servers:
        return []
    from mamba_agents.mcp import toolsets_from_config  # ImportError naming the package when it is missing

    return toolsets_from_config(config, plugins)
