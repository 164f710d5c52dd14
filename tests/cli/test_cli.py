"""The ``mamba`` CLI: plugins, config show, plugin-contributed commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from mamba_agents.cli import cli, main
from mamba_agents.plugins import hookimpl

SECRET = "sk-cli-secret-9876543210zyx"


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    return tmp_path


def test_help_lists_commands():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("plugins", "config", "run", "chat"):
        assert command in result.output


def test_plugins_json_reports_installed_and_builtin(mamba_plugin_manager):
    out = CliRunner().invoke(cli, ["plugins", "--json", "--all"])
    assert out.exit_code == 0, out.output
    rows = {row["name"]: row for row in json.loads(out.output)}
    core = rows["mamba_agents.context.plugin"]
    assert core["builtin"] and core["registered"] == {"compaction_strategies": ["sliding_window"]}
    assert core["import_ms"] is not None and core["error"] is None
    for key in ("distribution", "version", "enabled", "reason", "hooks"):
        assert key in core
    # without --all only entry-point plugins are listed
    plain = json.loads(CliRunner().invoke(cli, ["plugins", "--json"]).output)
    assert all(not row["builtin"] for row in plain)


def test_plugins_table_is_readable(mamba_plugin_manager):
    out = CliRunner().invoke(cli, ["plugins", "--all"], terminal_width=200)
    assert out.exit_code == 0
    assert "Mamba Agents plugins" in out.output
    assert "sliding_window" in out.output and "loaded" in out.output


def test_config_show_masks_secrets_and_names_sources(clean_env, monkeypatch):
    (clean_env / "config.toml").write_text(
        f'[model_backend]\nmodel = "openai:gpt-4o"\napi_key = "{SECRET}"\n'
    )
    monkeypatch.setenv("MAMBA_LOGGING__LEVEL", "DEBUG")
    runner = CliRunner()
    as_json = runner.invoke(cli, ["config", "show", "--json"])
    assert as_json.exit_code == 0, as_json.output
    rows = {row["key"]: row for row in json.loads(as_json.output)}
    assert rows["model_backend.api_key"]["value"] == "**********"
    assert rows["model_backend.model"]["source"].endswith("config.toml")
    assert rows["logging.level"]["value"] == "DEBUG"
    assert rows["logging.level"]["source"] == "environment variable MAMBA_LOGGING__LEVEL"
    assert rows["retry.max_retries"]["source"] == "default"
    table = runner.invoke(cli, ["config", "show"], terminal_width=200)
    assert table.exit_code == 0
    for output in (as_json.output, table.output):
        assert SECRET not in output
    assert "MAMBA_LOGGING__LEVEL" in table.output


def test_config_error_is_clear_and_secret_free(clean_env):
    (clean_env / "config.toml").write_text(f'[model_backend]\napi_key = "{SECRET}"\ntimeout = "soon"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "mamba_agents.cli", "config", "show"],
        capture_output=True,
        text=True,
        cwd=clean_env,
        env={**os.environ, "HOME": str(clean_env)},
    )
    assert proc.returncode == 2
    assert "config.toml" in proc.stderr and "model_backend.timeout" in proc.stderr
    assert SECRET not in proc.stderr + proc.stdout


def test_plugin_contributed_command(register_plugin, capsys):
    class Commands:
        @hookimpl
        def mamba_register_commands(self, cli):
            @cli.command(name="hello-plugin")
            @click.argument("who")
            def hello(who):
                click.echo(f"hello {who} from a plugin")

    register_plugin(Commands(), name="commands")
    with pytest.raises(SystemExit) as exit_info:
        main(["hello-plugin", "world"])
    assert exit_info.value.code == 0
    assert "hello world from a plugin" in capsys.readouterr().out
    cli.commands.pop("hello-plugin", None)
