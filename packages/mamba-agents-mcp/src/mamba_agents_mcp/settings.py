"""``[mcp]`` in the settings: ``config_files`` and inline ``[mcp.servers.NAME]`` tables, into a manager."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mamba_agents.plugins.errors import UnknownNameError

from mamba_agents_mcp.errors import MCPConfigError, MCPServerValidationError
from mamba_agents_mcp.loader import parse_server
from mamba_agents_mcp.manager import MCPClientManager

if TYPE_CHECKING:
    from mamba_agents.config import MCPConfig
    from mamba_agents.plugins import PluginManager
    from pydantic_ai.toolsets import AbstractToolset


def manager_from_config(config: MCPConfig, plugins: PluginManager | None = None) -> MCPClientManager:
    """Every file in ``config_files`` in order, then the inline servers; a later server of the same name wins.

    Fails at once, naming the file or ``[mcp.servers.NAME]`` and the key, on anything invalid.
    """
    manager = MCPClientManager(plugin_manager=plugins)
    for index, path in enumerate(config.config_files):
        try:
            manager.add_from_file(path)
        except UnknownNameError as exc:
            raise MCPConfigError(f"mcp.config_files[{index}] ({path}): transport: {exc}") from None
        except MCPConfigError as exc:
            raise type(exc)(f"mcp.config_files[{index}]: {exc}") from None
    for name, entry in config.servers.items():
        source = f"[mcp.servers.{name}]"
        server = parse_server(name, entry, source=source)
        try:
            manager.add_server(server)
        except UnknownNameError as exc:
            raise MCPServerValidationError(f"{source}: transport: {exc}") from None
    return manager


def toolsets_from_config(
    config: MCPConfig, plugins: PluginManager | None = None
) -> list[AbstractToolset[Any]]:
    """The toolsets of the servers ``[mcp]`` enables (none when it names none; mcp is not imported)."""
    if not config.config_files and not config.servers:
        return []
    return manager_from_config(config, plugins).as_toolsets()
