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
    """Entry point: bad input (configuration, names, files) is one ``error:`` line and exit status 2."""
    from mamba_agents.config import ConfigError
    from mamba_agents.plugins import PluginError, get_plugin_manager

    args = sys.argv[1:] if argv is None else list(argv)
    try:
        get_plugin_manager().add_commands(cli)
    except (ConfigError, PluginError) as exc:
        # Help and version need no configuration; anything else would fail on the same error, so say it once.
        if not _only_help_or_version(args):
            _fail(exc, 2)
    try:
        cli.main(args=args, prog_name="mamba", standalone_mode=True)
    except (ConfigError, PluginError) as exc:
        _fail(exc, 2)
    except Exception as exc:
        # a model or run error (HTTP status, limits, unreachable server) is a message, not a traceback
        if not type(exc).__module__.startswith(("pydantic_ai", "mamba_agents", "openai")):
            raise
        _fail(exc, 1, with_type=True)


def _only_help_or_version(args: list[str]) -> bool:
    return not args or any(a in ("--help", "-h", "--version") for a in args)


def _fail(exc: Exception, status: int, *, with_type: bool = False) -> None:
    text = f"{type(exc).__name__}: {exc}" if with_type else str(exc)
    click.echo(f"error: {text}", err=True)
    sys.exit(status)
