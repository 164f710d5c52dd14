"""MCP servers over stdio, SSE and Streamable HTTP that stay connected, for Mamba Agents.

from mamba_agents.mcp import MCPClientManager, MCPServerConfig
"""

# Loaded on first use: the plugin entry module (mamba_agents_mcp.plugin) imports this package, and
# `mamba --help` must not pay for pydantic-ai and the MCP client on the way.
from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_EXPORTS = {
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
}

__all__ = sorted(_EXPORTS)

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
