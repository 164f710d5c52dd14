"""``mamba --help``, ``--version``, ``plugins``, ``config show`` start without pydantic-ai, openai, a backend.

Each command runs in a fresh interpreter through the real entry point; the modules it imported are read back.
(How long that takes is measured in ``tests/benchmarks/test_startup.py``, not asserted here.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "pydantic_ai",
    "openai",
    "mamba_agents_backends.model",
    "mamba_agents_local.model",
    "llama_cpp",
    "httpx",
)

PROBE = """
import sys, json
from mamba_agents.cli import main
try:
    main({args!r})
except SystemExit as exc:
    code = exc.code
heavy = sorted({{m.split('.')[0] if not m.startswith('mamba_agents_') else m for m in sys.modules
                if m.split('.')[0] in {heavy!r} or m in {heavy!r}}})
sys.stderr.write("\\nMODULES " + json.dumps(heavy) + "\\n")
"""


def _run(args: list[str], cwd: Path) -> tuple[str, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MAMBA_")}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**env, "HOME": str(cwd)},
        timeout=120,
    )
    marker = proc.stderr.rindex("MODULES ")
    return proc.stdout, json.loads(proc.stderr[marker + len("MODULES ") :])


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["plugins"], ["plugins", "--json", "--all"], ["config", "show"]]
)
def test_light_commands_import_no_model_code(tmp_path, args):
    out, heavy = _run(args, tmp_path)
    assert out
    assert heavy == [], f"mamba {' '.join(args)} imported {heavy}"


def test_plugin_commands_are_listed_without_importing_them(tmp_path):
    out, heavy = _run(["--help"], tmp_path)
    assert "backends" in out and "List the registered model backends" in out
    assert heavy == []


def test_a_lazy_plugin_command_still_runs(capsys):
    from mamba_agents.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["backends", "--json"])
    assert exit_info.value.code == 0
    rows = json.loads(capsys.readouterr().out)["backends"]
    assert any(row["name"] == "openai_compatible" for row in rows)


def test_a_lazy_command_that_cannot_load_is_one_line(capsys):
    from mamba_agents.cli import cli, main

    cli.add_lazy_command("broken-cmd", "no_such_module_for_mamba:cmd", help="broken on purpose")
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(["broken-cmd"])
    finally:
        cli.lazy_commands.pop("broken-cmd", None)
    err = capsys.readouterr().err
    assert (
        exit_info.value.code == 1
        and "cannot be loaded: ModuleNotFoundError" in err
        and "Traceback" not in err
    )


def test_markup_in_messages_is_printed_as_written(mamba_plugin_manager):
    from click.testing import CliRunner
    from mamba_agents.cli import cli

    out = CliRunner().invoke(cli, ["plugins"]).output
    assert "pip install 'mamba-agents[all]'" in out


def test_a_core_only_install_does_not_claim_a_local_model(
    mamba_plugin_manager, caplog, tmp_path, monkeypatch
):
    from mamba_agents import Agent
    from mamba_agents.config import AgentSettings, ConfigError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"no model configured: set \[model_backend\] model"):
        Agent(settings=AgentSettings())
    assert "embedded local model" not in caplog.text


def test_mamba_sets_no_banner_for_pydantic_ai(monkeypatch, capsys):
    from mamba_agents.cli import main

    monkeypatch.delenv("PYDANTIC_AI_NO_BANNER", raising=False)
    with pytest.raises(SystemExit):
        main(["--version"])
    assert os.environ.get("PYDANTIC_AI_NO_BANNER") == "1"
