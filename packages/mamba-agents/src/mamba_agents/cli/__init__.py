"""The ``mamba`` command line."""

from __future__ import annotations

import sys

import click

from mamba_agents import __version__
from mamba_agents.cli.config_cmd import config
from mamba_agents.cli.plugins_cmd import plugins
from mamba_agents.cli.run_cmd import chat, run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mamba")
def cli() -> None:
    """Mamba Agents: run agents, inspect plugins and configuration."""


cli.add_command(plugins)
cli.add_command(config)
cli.add_command(run)
cli.add_command(chat)


def main(argv: list[str] | None = None) -> None:
    from mamba_agents.config import ConfigError
    from mamba_agents.plugins import get_plugin_manager

    try:
        get_plugin_manager().add_commands(cli)
    except ConfigError as exc:  # bad [plugins] config: still let `mamba config show` explain it
        click.echo(f"error: {exc}", err=True)
    try:
        cli.main(args=argv, prog_name="mamba", standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:
        # a model or run error (HTTP status, limits, unreachable server) is a message, not a traceback
        if not type(exc).__module__.startswith(("pydantic_ai", "mamba_agents", "openai")):
            raise
        click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
