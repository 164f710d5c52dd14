"""MCP errors: configuration errors are ``ConfigError`` (one line: file, server and key); connection errors
name the server and what was tried (the URL or the command), never a header or key."""

from __future__ import annotations

from mamba_agents.config.errors import ConfigError


class MCPConfigError(ConfigError):
    """An MCP server configuration (an ``MCPServerConfig``, a ``.mcp.json`` file or ``[mcp]``) is invalid."""


class MCPFileNotFoundError(MCPConfigError):
    """A ``.mcp.json`` file that was named does not exist."""


class MCPFileParseError(MCPConfigError):
    """A ``.mcp.json`` file is not valid JSON or not in the ``mcpServers`` format."""


class MCPServerValidationError(MCPConfigError):
    """One server entry is invalid; the message names the file, the server and the key."""


class MCPConnectionError(Exception):
    """A problem reaching an MCP server."""


class MCPServerNotFoundError(MCPConnectionError, LookupError):
    """No server of that name is configured."""


class MCPServerUnavailable(MCPConnectionError):
    """A (non-optional) server could not be reached; names the server and the URL or command."""

    def __init__(self, server: str, target: str, reason: str) -> None:
        self.server = server
        self.target = target
        self.reason = reason
        super().__init__(f"MCP server {server!r} ({target}) is unavailable: {reason}")


class MCPConnectionTimeoutError(MCPServerUnavailable):
    """Connecting to a server took longer than its ``timeout``."""
