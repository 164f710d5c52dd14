"""Entry point module: registrations only (the mcp SDK and fastmcp load when a server is first used)."""

from typing import Any

from mamba_agents.plugins import hookimpl, lazy


@hookimpl
def mamba_register_mcp_transports(register: Any) -> None:
    register(
        "stdio", lazy("mamba_agents_mcp.transports:stdio"), description="a local process over stdin/stdout"
    )
    register("sse", lazy("mamba_agents_mcp.transports:sse"), description="HTTP with Server-Sent Events")
    register(
        "streamable_http", lazy("mamba_agents_mcp.transports:streamable_http"), description="Streamable HTTP"
    )


@hookimpl
def mamba_register_commands(cli: Any) -> None:
    # by import path: `mamba --help` lists the command without importing pydantic-ai
    cli.add_lazy_command(
        "mcp",
        "mamba_agents_mcp.cli:mcp_command",
        help="MCP servers from [mcp] (config_files and [mcp.servers.NAME]).",
    )
