"""``mamba mcp list | test [NAME] [--json] | tools NAME``: the servers ``[mcp]`` enables, and health."""

from __future__ import annotations

import sys
from typing import Any

import click


def _manager() -> Any:
    from mamba_agents.config import AgentSettings
    from mamba_agents.plugins import get_plugin_manager

    from mamba_agents_mcp.settings import manager_from_config

    settings = AgentSettings()
    return manager_from_config(settings.mcp, get_plugin_manager(settings.plugins))


def _load() -> Any:
    from mamba_agents.cli.output import stderr

    try:
        return _manager()
    except ValueError as exc:  # ConfigError and MCPConfigError: one line, no traceback
        stderr().print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        sys.exit(2)


@click.group("mcp")
def mcp_command() -> None:
    """MCP servers from [mcp] (config_files and [mcp.servers.NAME])."""


@mcp_command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(as_json: bool) -> None:
    """The configured servers (no connection is made)."""
    from mamba_agents.cli.output import print_json, stdout
    from rich.table import Table

    from mamba_agents_mcp.config import summary

    rows = [summary(c) for c in _load().configs]
    if as_json:
        print_json(rows)
        return
    if not rows:
        stdout().print("no MCP servers configured ([mcp] config_files / [mcp.servers.NAME])")
        return
    table = Table("server", "transport", "target", "prefix", "state")
    for row in rows:
        state = "disabled" if row["disabled"] else ("optional" if row["optional"] else "enabled")
        table.add_row(row["name"], row["transport"], row["target"], row["tool_prefix"] or "-", state)
    stdout().print(table)


@mcp_command.command("test")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def test_command(name: str | None, as_json: bool) -> None:
    """Connect to each server (or NAME), list its tools; exit 1 if one fails."""
    from mamba_agents.cli.output import print_json, stdout
    from rich.table import Table

    manager = _load()
    if name is not None:
        if name not in {c.name for c in manager.configs}:
            _unknown(manager, name)
        results = {name: manager.test_connection_sync(name)}
    else:
        results = manager.test_all_connections_sync()
    if as_json:
        print_json([r.as_dict() for r in results.values()])
    else:
        table = Table("server", "transport", "status", "tools", "latency", "error")
        for result in results.values():
            table.add_row(
                result.server_name,
                result.transport,
                "[green]ok[/green]" if result.success else "[red]failed[/red]",
                str(result.tool_count) if result.success else "-",
                f"{result.latency_ms:.0f} ms" if result.latency_ms is not None else "-",
                result.error or "",
            )
        stdout().print(table)
    if not all(r.success for r in results.values()):
        sys.exit(1)


@mcp_command.command("tools")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def tools_command(name: str, as_json: bool) -> None:
    """The tools server NAME offers, with their descriptions (names as the model sees them)."""
    from mamba_agents.cli.output import print_json, stderr, stdout
    from rich.table import Table

    manager = _load()
    if name not in {c.name for c in manager.configs}:
        _unknown(manager, name)
    result = manager.test_connection_sync(name)
    if not result.success:
        stderr().print(f"[red]error:[/red] {name}: {result.error}", markup=True, highlight=False)
        sys.exit(1)
    prefix = manager.get_server(name).tool_prefix
    tools = [
        {"name": f"{prefix}_{t.name}" if prefix else t.name, "description": t.description}
        for t in result.tools
    ]
    if as_json:
        print_json(tools)
        return
    table = Table("tool", "description")
    for tool in tools:
        table.add_row(tool["name"], tool["description"] or "")
    stdout().print(table)


def _unknown(manager: Any, name: str) -> None:
    from mamba_agents.cli.output import stderr

    known = ", ".join(c.name for c in manager.configs) or "none"
    stderr().print(
        f"[red]error:[/red] no MCP server named {name!r}; configured: {known}", markup=True, highlight=False
    )
    sys.exit(2)
