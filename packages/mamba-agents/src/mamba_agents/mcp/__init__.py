"""MCP servers over stdio, SSE and Streamable HTTP that stay connected.

Provided by the ``mamba-agents-mcp`` plugin package; every name loads on first use and, when the package is
missing, raises ``ImportError`` saying what to install.

    from mamba_agents.mcp import MCPClientManager, MCPServerConfig
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "MCPAuthConfig": "mamba_agents_mcp.config",
    "MCPServerConfig": "mamba_agents_mcp.config",
    "ServerStatus": "mamba_agents_mcp.connection",
    "ServerToolset": "mamba_agents_mcp.connection",
    "MCPConfigError": "mamba_agents_mcp.errors",
    "MCPConnectionError": "mamba_agents_mcp.errors",
    "MCPConnectionTimeoutError": "mamba_agents_mcp.errors",
    "MCPFileNotFoundError": "mamba_agents_mcp.errors",
    "MCPFileParseError": "mamba_agents_mcp.errors",
    "MCPServerNotFoundError": "mamba_agents_mcp.errors",
    "MCPServerUnavailable": "mamba_agents_mcp.errors",
    "MCPServerValidationError": "mamba_agents_mcp.errors",
    "load_mcp_json": "mamba_agents_mcp.loader",
    "MCPClientManager": "mamba_agents_mcp.manager",
    "MCPConnectionResult": "mamba_agents_mcp.manager",
    "MCPToolInfo": "mamba_agents_mcp.manager",
    "manager_from_config": "mamba_agents_mcp.settings",
    "toolsets_from_config": "mamba_agents_mcp.settings",
}

__all__ = [
    "MCPAuthConfig",
    "MCPClientManager",
    "MCPConfigError",
    "MCPConnectionError",
    "MCPConnectionResult",
    "MCPConnectionTimeoutError",
    "MCPFileNotFoundError",
    "MCPFileParseError",
    "MCPServerConfig",
    "MCPServerNotFoundError",
    "MCPServerUnavailable",
    "MCPServerValidationError",
    "MCPToolInfo",
    "ServerStatus",
    "ServerToolset",
    "load_mcp_json",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from mamba_agents_mcp.config import MCPAuthConfig, MCPServerConfig
    from mamba_agents_mcp.connection import ServerStatus, ServerToolset
    from mamba_agents_mcp.errors import (
        MCPConfigError,
        MCPConnectionError,
        MCPConnectionTimeoutError,
        MCPFileNotFoundError,
        MCPFileParseError,
        MCPServerNotFoundError,
        MCPServerUnavailable,
        MCPServerValidationError,
    )
    from mamba_agents_mcp.loader import load_mcp_json
    from mamba_agents_mcp.manager import MCPClientManager, MCPConnectionResult, MCPToolInfo
    from mamba_agents_mcp.settings import manager_from_config, toolsets_from_config
