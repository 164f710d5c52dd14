"""The ``mamba`` command line.

Start-up stays light: ``mamba --help``, ``--version``, ``plugins`` and ``config show`` import neither
pydantic-ai, openai nor a backend. A plugin's command registers by name and import path
(``cli.add_lazy_command``) and its module loads only when that command runs.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from mamba_agents import __version__
from mamba_agents.cli.config_cmd import config
from mamba_agents.cli.plugins_cmd import plugins
from mamba_agents.cli.run_cmd import chat, run


class MambaGroup(click.Group):
    """A click group whose plugin commands are imported only when invoked (their help line is given)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, tuple[str, str]] = {}

    def add_lazy_command(self, name: str, target: str, help: str = "") -> None:
        """Register command ``name`` as ``"module:attribute"``; ``help`` is its line in ``mamba --help``."""
        self.lazy_commands[name] = (target, help)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy_commands:
            from mamba_agents.plugins.registry import lazy

            target, _ = self.lazy_commands[cmd_name]
            try:
                command = lazy(target).resolve()
            except Exception as exc:  # a broken plugin command is an error message, not a traceback
                raise click.ClickException(
                    f"command {cmd_name!r} ({target}) cannot be loaded: {type(exc).__name__}: {exc}"
                ) from None
            if not isinstance(command, click.Command):
                raise click.ClickException(f"command {cmd_name!r}: {target} is not a click command")
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
            else:
                rows.append((name, self.lazy_commands[name][1]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=MambaGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    # pydantic-ai's first-run banner is for people writing their own agent, not for users of this command
    os.environ.setdefault("PYDANTIC_AI_NO_BANNER", "1")
    try:
        get_plugin_manager().add_commands(cli)
    except (ConfigError, PluginError) as exc:
        # Help and version need no configuration; anything else would fail on the same error, so say it once.
        if not _only_help_or_version(args):
            _fail(exc, 2)
    try:
        status = cli.main(args=args, prog_name="mamba", standalone_mode=False)
    except click.UsageError as exc:  # one line, not click's usage block
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except BrokenPipeError:
        # `mamba run ... | head -1`: the reader left; say nothing more on the closed pipe
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    except (ConfigError, PluginError) as exc:
        _fail(exc, 2)
    except Exception as exc:
        # a model or run error (HTTP status, limits, unreachable server) is a message, not a traceback
        if not type(exc).__module__.startswith(("pydantic_ai", "mamba_agents", "openai")):
            raise
        _fail(exc, 1, with_type=True)
    sys.exit(status if isinstance(status, int) else 0)


def _only_help_or_version(args: list[str]) -> bool:
    return not args or any(a in ("--help", "-h", "--version") for a in args)


def _fail(exc: Exception, status: int, *, with_type: bool = False) -> None:
    text = f"{type(exc).__name__}: {exc}" if with_type else str(exc)
    click.echo(f"error: {text}", err=True)
    sys.exit(status)
