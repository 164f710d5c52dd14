"""Bad configuration fails early and in one line, naming the file (and line) or the variable.

Driven from the outside: ``AgentSettings()`` and the ``mamba`` command in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mamba_agents.config import AgentSettings, ConfigError

SECRET = "sk-loud-0123456789abcdefSECRET"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.upper().startswith("MAMBA_"):
            monkeypatch.delenv(key)
    return tmp_path


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``mamba`` in-process, through its entry point: (exit status, stdout, stderr)."""
    from mamba_agents.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out = capsys.readouterr()
    return exit_info.value.code or 0, out.out, out.err


def mamba(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("MAMBA_")}
    return subprocess.run(
        [sys.executable, "-m", "mamba_agents.cli", *args],
        stdin=subprocess.DEVNULL,  # `mamba run` reads a piped stdin into the prompt
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, "HOME": str(cwd), **(env or {})},
        timeout=60,
    )


BAD_FILES = {
    "toml-syntax": (
        "config.toml",
        f'[model_backend\napi_key = "{SECRET}"\n',
        r"config\.toml:1: .*invalid TOML",
    ),
    "toml-section": (
        "config.toml",
        '[logging]\nlevel = "INFO"\n\n[modle_backend]\nmodel = "x"\n',
        r"config\.toml:4: unknown section \[modle_backend\]; did you mean \[model_backend\]\?",
    ),
    "toml-key": (
        "config.toml",
        '[context]\nstrategyy = "hybrid"\n',
        r"config\.toml: context\.strategyy = 'hybrid': unknown key; did you mean 'strategy'\?",
    ),
    "toml-value": (
        "config.toml",
        "[retry]\nretry_level = 7\n",
        r"config\.toml: retry\.retry_level = 7: Input should be 1, 2 or 3",
    ),
    "yaml-syntax": (
        "config.yaml",
        f"model_backend:\n  api_key: {SECRET}\n  model: [\n",
        r"config\.yaml:4: .*invalid YAML",
    ),
    "yaml-not-a-mapping": ("config.yaml", "- a\n- b\n", r"config\.yaml: expected sections \(a mapping\)"),
    "yaml-section-not-a-table": (
        "config.yaml",
        "logging: loud\n",
        r"config\.yaml:1: \[logging\] must be a table",
    ),
    "dotenv-syntax": (
        ".env",
        f"MAMBA_MODEL_BACKEND__API_KEY={SECRET}\nexport 'broken\n",
        r"\.env:2: not a KEY=VALUE line",
    ),
    "dotenv-unknown-section": (
        ".env",
        "MAMBA_CONTEXTT__STRATEGY=hybrid\n",
        r"\.env: MAMBA_CONTEXTT__STRATEGY: unknown section 'contextt'; "
        r"did you mean MAMBA_CONTEXT__STRATEGY\?",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_one_line_from_agent_settings(project, case):
    name, text, pattern = BAD_FILES[case]
    (project / name).write_text(text)
    with pytest.raises(ConfigError) as err:
        AgentSettings()
    message = str(err.value)
    assert "\n" not in message
    assert str((project / name).resolve()) in message
    import re

    assert re.search(pattern, message), message
    assert SECRET not in message


def test_bad_file_from_mamba_is_exit_2_one_line_no_traceback(project):
    name, text, _ = BAD_FILES["toml-syntax"]
    (project / name).write_text(text)
    for args in (["config", "show"], ["run", "hello"]):
        proc = mamba(project, *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: "), proc.stderr
        assert "Traceback" not in proc.stderr and SECRET not in proc.stderr + proc.stdout
    assert mamba(project, "--help").returncode == 0
    version = mamba(project, "--version")
    assert version.returncode == 0 and "mamba, version" in version.stdout


@pytest.mark.parametrize("case", ["toml-section", "yaml-syntax", "dotenv-syntax", "toml-value"])
def test_every_command_reports_a_bad_file_once_and_help_still_works(project, capsys, case):
    name, text, _ = BAD_FILES[case]
    (project / name).write_text(text)
    for args in (["config", "show"], ["plugins"], ["run", "hello"], ["chat"]):
        code, out, err = run_main(capsys, *args)
        assert code == 2, (args, err)
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert str((project / name).resolve()) in err and SECRET not in out + err
    for args in (["--help"], ["--version"], ["config", "--help"]):
        code, out, err = run_main(capsys, *args)
        assert code == 0 and out and not err, (args, err)


@pytest.mark.parametrize(
    ("variable", "pattern"),
    [
        ("MAMBA_CONTEXTT__STRATEGY", r"unknown section 'contextt'; did you mean MAMBA_CONTEXT__STRATEGY\?"),
        ("MAMBA_MODEL_BACKEND__MODLE", r"unknown key 'modle' in \[model_backend\]; did you mean 'model'\?"),
        (
            "MAMBA_LOGGING_LEVEL",
            r"sections and keys are separated by '__'; did you mean MAMBA_LOGGING__LEVEL\?",
        ),
        (
            "MAMBA_TOOLS__BASH__TIMEOUTT",
            r"unknown key 'timeoutt' in \[tools\.bash\]; did you mean 'timeout'\?",
        ),
    ],
)
def test_unknown_variable_names_the_closest_valid_one(project, monkeypatch, capsys, variable, pattern):
    monkeypatch.setenv(variable, "1")
    with pytest.raises(ConfigError, match=rf"^environment variable {variable}: {pattern}"):
        AgentSettings()
    code, _, err = run_main(capsys, "config", "show")
    assert code == 2 and err.count("\n") == 1 and variable in err


def test_unknown_section_in_the_constructor(project):
    with pytest.raises(ConfigError, match=r"unknown section 'modle_backend'; did you mean 'model_backend'\?"):
        AgentSettings(modle_backend={"model": "x"})


def test_several_problems_one_line_each(project):
    (project / "config.toml").write_text("[retry]\nretry_level = 7\nmax_retries = -1\n")
    with pytest.raises(ConfigError) as err:
        AgentSettings()
    lines = str(err.value).splitlines()
    assert lines[0] == "invalid configuration (2 problems):"
    assert all("config.toml: retry." in line for line in lines[1:])


def test_config_show_takes_the_same_config_flag_as_run(project, tmp_path, capsys):
    import json

    other = tmp_path / "elsewhere.yaml"
    other.write_text("logging:\n  level: DEBUG\n")
    for flag in ("--config", "--file"):
        code, out, err = run_main(capsys, "config", "show", "--json", flag, str(other))
        assert code == 0, err
        rows = {row["key"]: row for row in json.loads(out)}
        assert rows["logging.level"]["value"] == "DEBUG"
        assert rows["logging.level"]["source"] == str(other.resolve())
    code, _, err = run_main(capsys, "config", "show", "--config", str(tmp_path / "missing.toml"))
    assert code == 2 and "config file not found" in err and err.count("\n") == 1


def test_config_show_marks_sections_nothing_installed_reads(project, capsys, monkeypatch):
    import json

    from mamba_agents.config import ToolsConfig

    code, out, _ = run_main(capsys, "config", "show", "--json")
    rows = {row["key"]: row for row in json.loads(out)}
    assert code == 0 and rows["tools.read_only"]["in_effect"] and rows["context.strategy"]["in_effect"]
    assert rows["retry.retry_level"]["in_effect"] == ("retry" not in AgentSettings().unused_sections())
    monkeypatch.setattr(ToolsConfig, "consumer", "mamba_agents_tools_missing_here")
    code, out, _ = run_main(capsys, "config", "show", "--json")
    rows = {row["key"]: row for row in json.loads(out)}
    assert (
        rows["tools.read_only"]["in_effect"] is False and "not in effect" in rows["tools.read_only"]["note"]
    )
    code, out, _ = run_main(capsys, "config", "show")
    assert "[tools] not in effect" in out.replace("\n", " ")


def test_plugins_allow_list_naming_no_installed_plugin_is_an_error(project, capsys, monkeypatch):
    from mamba_agents.plugins import reset_plugin_managers

    monkeypatch.setenv("MAMBA_PLUGINS__ENABLED", "mamba_agents_toolz")
    reset_plugin_managers()
    try:
        code, _, err = run_main(capsys, "plugins")
        assert code == 2 and err.count("\n") == 1
        assert "no installed plugin is named 'mamba_agents_toolz'" in err
        code, out, _ = run_main(capsys, "--help")
        assert code == 0 and "plugins" in out
    finally:
        reset_plugin_managers()
