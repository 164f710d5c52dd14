"""The built-in transports, registered by name: ``factory(MCPServerConfig) -> pydantic-ai MCPToolset``.

A factory is called for every (re)connection, so each one starts from a fresh client and transport. A plugin
adds a transport the same way (``mamba_register_mcp_transports``) and a config names it in ``transport``.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from pydantic_ai.mcp import MCPToolset

from mamba_agents_mcp.config import MCPServerConfig

# SSE holds one event stream open between calls; it must outlive idle gaps, not just one request.
_SSE_STREAM_SECONDS = 300.0


def _toolset(config: MCPServerConfig, client: Any) -> MCPToolset[Any]:
    return MCPToolset(client, id=config.name, init_timeout=config.timeout, read_timeout=config.read_timeout)


def _server_stderr() -> TextIO | None:
    """Where a stdio server's stderr goes: ours, or the process's own when ours is not a file.

    Jupyter, IDEs and test runners replace ``sys.stderr`` with an object that has no descriptor, and a child
    process cannot write to that: the connection would fail with a bare ``fileno``.
    """
    for stream in (sys.stderr, sys.__stderr__):
        try:
            if stream is not None:
                stream.fileno()
                return None if stream is sys.stderr else stream
        except (AttributeError, OSError, ValueError):
            continue
    return open(os.devnull, "w")  # owned by the transport for the process's lifetime


def stdio(config: MCPServerConfig) -> MCPToolset[Any]:
    from fastmcp.client.transports import StdioTransport

    assert config.command is not None
    transport = StdioTransport(
        command=config.command,
        args=list(config.args),
        env=config.resolved_env(),
        cwd=str(config.cwd.expanduser()) if config.cwd is not None else None,
        keep_alive=True,
        log_file=_server_stderr(),
    )
    return _toolset(config, transport)


def sse(config: MCPServerConfig) -> MCPToolset[Any]:
    from fastmcp.client.transports import SSETransport

    assert config.url is not None
    transport = SSETransport(
        config.url,
        headers=config.resolved_headers() or None,
        sse_read_timeout=max(config.read_timeout, _SSE_STREAM_SECONDS),
    )
    return _toolset(config, transport)


def streamable_http(config: MCPServerConfig) -> MCPToolset[Any]:
    from fastmcp.client.transports import StreamableHttpTransport

    assert config.url is not None
    transport = StreamableHttpTransport(config.url, headers=config.resolved_headers() or None)
    return _toolset(config, transport)
