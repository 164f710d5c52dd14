"""``mamba plugins``: what is installed, what loaded, what it registered."""

from __future__ import annotations

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--all", "show_all", is_flag=True, help="Include the core's built-in plugins.")
def plugins(as_json: bool, show_all: bool) -> None:
    """List discovered plugins: distribution, version, status, hooks, registered names, import time."""
    from rich.markup import escape
    from rich.table import Table

    from mamba_agents.cli.output import print_json, stdout
    from mamba_agents.plugins import get_plugin_manager

    infos = [i for i in get_plugin_manager().plugins() if show_all or not i.builtin]
    if as_json:
        print_json([i.as_dict() for i in infos])
        return
    table = Table(title="Mamba Agents plugins", show_lines=False)
    for column in ("plugin", "distribution", "status", "hooks", "registered", "import"):
        table.add_column(column, overflow="fold")
    for info in infos:
        if info.error:
            status = f"[red]error[/red]: {escape(info.error)}"
        elif not info.enabled:
            status = f"[yellow]disabled[/yellow]: {escape(info.reason or '')}"
        else:
            status = "[green]loaded[/green]"
        if info.conflicts:
            refused = "\n".join(escape(c) for c in info.conflicts)
            status += f"\n[yellow]{len(info.conflicts)} conflict(s)[/yellow]:\n{refused}"
        registered = "\n".join(f"{kind}: {', '.join(names)}" for kind, names in info.registered.items())
        dist = f"{info.distribution or '-'} {info.version or ''}".strip()
        hooks = "\n".join(h.removeprefix("mamba_register_") for h in info.hooks)
        took = "-" if info.import_seconds is None else f"{info.import_seconds * 1000:.1f} ms"
        table.add_row(info.name, dist, status, hooks, registered or "-", took)
    stdout().print(table)
    if not infos:
        stdout().print("No plugins installed. Try: pip install 'mamba-agents[all]'", markup=False)
