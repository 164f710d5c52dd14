"""MCP servers over stdio, SSE and Streamable HTTP that stay connected, for Mamba Agents.

from mamba_agents.mcp import MCPClientManager, MCPServerConfig
"""

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
