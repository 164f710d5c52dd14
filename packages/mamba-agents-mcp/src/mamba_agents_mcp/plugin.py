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
    from mamba_agents_mcp.cli import mcp_command

    cli.add_command(mcp_command)
