"""``mamba config show``: the effective settings and where each value came from."""

from __future__ import annotations

import click


@click.group()
def config() -> None:
    """Inspect configuration."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--config",
    "--file",
    "config_file",
    type=click.Path(dir_okay=False),
    help="Use this config file (TOML or YAML) instead of ./config.toml; same flag as `mamba run`.",
)
def show(as_json: bool, config_file: str | None) -> None:
    """Show effective settings with their source; secrets are masked."""
    from rich.markup import escape
    from rich.table import Table

    from mamba_agents.cli.output import print_json, stdout
    from mamba_agents.config import AgentSettings

    settings = AgentSettings.from_file(config_file) if config_file else AgentSettings()
    values = settings.explain()
    unused = settings.unused_sections()

    def note(key: str) -> str | None:
        return unused.get(key.split(".", 1)[0])

    if as_json:
        print_json(
            [
                {"key": v.key, "value": v.value, "source": v.source, "in_effect": note(v.key) is None}
                | ({"note": note(v.key)} if note(v.key) else {})
                for v in values
            ]
        )
        return
    table = Table(title="Effective configuration")
    table.add_column("key")
    table.add_column("value", overflow="fold")
    table.add_column("source", overflow="fold")
    for value in values:
        source = escape(value.source) if value.source != "default" else "[dim]default[/dim]"
        why = note(value.key)
        if why:
            table.add_row(
                f"[dim]{escape(value.key)}[/dim]",
                f"[dim]{escape(repr(value.value))}[/dim]",
                f"{source} [yellow]({escape(why)})[/yellow]",
            )
        else:
            table.add_row(escape(value.key), escape(repr(value.value)), source)
    stdout().print(table)
    if unused:
        stdout().print(
            "\n".join(f"[yellow]\\[{escape(name)}][/yellow] {escape(why)}" for name, why in unused.items()),
            highlight=False,
        )
