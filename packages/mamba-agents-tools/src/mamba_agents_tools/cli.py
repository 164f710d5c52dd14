"""``mamba tools doctor``: which OS protections ``run_bash`` gets on this system, with this configuration."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from mamba_agents_tools import confinement


def _settings() -> tuple[Any, str | None]:
    from mamba_agents.config import AgentSettings, ToolsConfig

    try:
        return AgentSettings().tools, None
    except Exception as exc:  # a broken config file: still report what the kernel offers
        return ToolsConfig(), str(exc)


def report(tools: Any) -> dict[str, Any]:
    """The doctor's findings as plain data (the ``--json`` output)."""
    found = confinement.detect()
    bash = tools.bash
    mode = bash.confinement
    active = mode != "off"
    abi = found.landlock_abi
    rows = [
        {
            "protection": "PID + mount namespace",
            "available": found.pid_namespace,
            "active": active and found.pid_namespace,
            "effect": "the agent's process and its environment are invisible; everything a command "
            "starts dies with it (setsid and set -m too)",
        },
        {
            "protection": "network namespace",
            "available": found.network_namespace,
            "active": active and found.network_namespace and not bash.network,
            "effect": "no network but loopback"
            + (" (tools.bash.network = true: off)" if bash.network else ""),
        },
        {
            "protection": f"Landlock filesystem (ABI {abi})" if abi else "Landlock filesystem",
            "available": abi > 0,
            "active": active and abi > 0,
            "effect": "nothing written outside the sandbox and a private TMPDIR"
            + (" (read_only: nothing written at all)" if tools.read_only else ""),
        },
        {
            "protection": "Landlock TCP",
            "available": abi >= 4,
            "active": active and abi >= 4 and not bash.network and not found.network_namespace,
            "effect": "no TCP connect or bind; used only where there is no network namespace",
        },
        {
            "protection": "Landlock signal + abstract socket scope",
            "available": abi >= 6,
            "active": active and abi >= 6,
            "effect": "commands cannot signal or connect to processes outside their sandbox",
        },
    ]
    usable = mode != "required" or found.complete
    return {
        "confinement": mode,
        "run_bash_usable": usable and not (tools.read_only and (mode == "off" or abi == 0)),
        "protections": rows,
        "missing": list(found.missing),
    }


@click.group("tools")
def tools_group() -> None:
    """The built-in tools (mamba-agents-tools)."""


@tools_group.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def doctor_command(as_json: bool) -> None:
    """Report which OS protections run_bash has on this system (namespaces, Landlock, network)."""
    tools, config_error = _settings()
    data = report(tools)
    data["config_error"] = config_error
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        from rich.console import Console
        from rich.table import Table

        console = Console()
        table = Table(title=f"run_bash protections (tools.bash.confinement = {data['confinement']})")
        table.add_column("Protection", no_wrap=True)
        table.add_column("Kernel", no_wrap=True)
        table.add_column("Active", no_wrap=True)
        table.add_column("Effect", overflow="fold")
        for row in data["protections"]:
            table.add_row(
                row["protection"],
                "[green]yes[/green]" if row["available"] else "[red]no[/red]",
                "[green]yes[/green]" if row["active"] else "[yellow]no[/yellow]",
                row["effect"],
            )
        console.print(table)
        for line in data["missing"]:
            console.print(f"[yellow]missing:[/yellow] {line}")
        if not data["run_bash_usable"]:
            console.print("[red]run_bash will refuse to run with this configuration[/red]")
        if config_error:
            Console(stderr=True).print(f"[yellow]configuration not loaded:[/yellow] {config_error}")
    if not data["run_bash_usable"]:
        sys.exit(1)
