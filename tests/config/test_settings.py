"""AgentSettings: every source, the precedence order, file loading, clear errors, no leaked secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from mamba_agents.config import AgentSettings, ConfigError

SECRET = "sk-live-0123456789abcdefSECRET"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working directory and home, with no MAMBA_ variables inherited."""
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    import os

    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    return work


def test_defaults(project):
    s = AgentSettings()
    assert s.model_backend.model is None and s.model_backend.backend == "auto"
    assert s.context.strategy == "sliding_window"
    assert s.retry.max_retries == 3
    for section in (
        "model_backend",
        "logging",
        "retry",
        "context",
        "tokens",
        "prompts",
        "plugins",
        "tools",
        "mcp",
        "capabilities",
    ):
        assert hasattr(s, section)


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        ({"home"}, "home"),
        ({"home", "toml"}, "toml"),
        ({"home", "toml", "dotenv"}, "dotenv"),
        ({"home", "toml", "dotenv", "env"}, "env"),
        ({"home", "toml", "dotenv", "env", "init"}, "init"),
        ({"home", "dotenv"}, "dotenv"),
        ({"home", "env"}, "env"),
    ],
)
def test_precedence(project, monkeypatch, layers, expected):
    if "home" in layers:
        (Path.home() / "mamba.env").write_text("MAMBA_MODEL_BACKEND__MODEL=home\n")
    if "toml" in layers:
        (project / "config.toml").write_text('[model_backend]\nmodel = "toml"\n')
    if "dotenv" in layers:
        (project / ".env").write_text("MAMBA_MODEL_BACKEND__MODEL=dotenv\n")
    if "env" in layers:
        monkeypatch.setenv("MAMBA_MODEL_BACKEND__MODEL", "env")
    kwargs = {"model_backend": {"model": "init"}} if "init" in layers else {}
    s = AgentSettings(**kwargs)
    assert s.model_backend.model == expected
    source = {v.key: v.source for v in s.explain()}["model_backend.model"]
    expected_source = {
        "home": f"{Path.home() / 'mamba.env'} (MAMBA_MODEL_BACKEND__MODEL)",
        "toml": str((project / "config.toml").resolve()),
        "dotenv": f"{(project / '.env').resolve()} (MAMBA_MODEL_BACKEND__MODEL)",
        "env": "environment variable MAMBA_MODEL_BACKEND__MODEL",
        "init": "constructor",
    }[expected]
    assert source == expected_source


def test_yaml_config_file_and_nested_env(project, monkeypatch):
    (project / "config.yaml").write_text(
        "logging:\n  level: DEBUG\n  format: json\ncontext:\n  strategy: hybrid\n"
    )
    monkeypatch.setenv("MAMBA_RETRY__MAX_RETRIES", "7")
    s = AgentSettings()
    assert (s.logging.level, s.logging.format, s.context.strategy, s.retry.max_retries) == (
        "DEBUG",
        "json",
        "hybrid",
        7,
    )


def test_toml_beats_yaml_when_both_exist(project):
    (project / "config.yaml").write_text("logging:\n  level: DEBUG\n")
    (project / "config.toml").write_text('[logging]\nlevel = "ERROR"\n')
    assert AgentSettings().logging.level == "ERROR"


def test_from_file_toml_and_yaml_and_env_still_wins(project, monkeypatch, tmp_path):
    toml = tmp_path / "custom.toml"
    toml.write_text(
        '[context]\nstrategy = "hybrid"\ntrigger_threshold_tokens = 50000\ntarget_tokens = 40000\n'
        '[model_backend]\nmodel = "from-file"\n'
    )
    s = AgentSettings.from_file(toml)
    assert (s.context.strategy, s.context.trigger_threshold_tokens, s.context.target_tokens) == (
        "hybrid",
        50000,
        40000,
    )
    yaml = tmp_path / "custom.yaml"
    yaml.write_text("model_backend:\n  model: yaml-model\n")
    assert AgentSettings.from_file(yaml).model_backend.model == "yaml-model"
    monkeypatch.setenv("MAMBA_MODEL_BACKEND__MODEL", "env-model")
    assert AgentSettings.from_file(toml).model_backend.model == "env-model"
    # the explicit file replaces config.toml in the working directory, and does not leak into later settings
    (project / "config.toml").write_text('[logging]\nlevel = "ERROR"\n')
    assert AgentSettings.from_file(yaml).logging.level == "INFO"
    assert AgentSettings().logging.level == "ERROR"


def test_from_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        AgentSettings.from_file(tmp_path / "missing.toml")
    bad = tmp_path / "x.ini"
    bad.write_text("")
    with pytest.raises(ConfigError, match=r"unsupported config file type '\.ini'"):
        AgentSettings.from_file(bad)


def test_invalid_value_names_file_key_and_allowed_values(project):
    (project / "config.toml").write_text('[logging]\nlevel = "LOUD"\n')
    with pytest.raises(ConfigError) as err:
        AgentSettings()
    message = str(err.value)
    assert str((project / "config.toml").resolve()) in message
    assert "logging.level = 'LOUD'" in message
    assert "'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'" in message


def test_invalid_env_value_names_the_variable(project, monkeypatch):
    monkeypatch.setenv("MAMBA_RETRY__RETRY_LEVEL", "9")
    with pytest.raises(
        ConfigError, match=r"environment variable MAMBA_RETRY__RETRY_LEVEL: retry.retry_level = '9'"
    ):
        AgentSettings()


def test_unknown_key_in_a_section_is_an_error(project):
    (project / "config.toml").write_text('[logging]\nlevle = "DEBUG"\n')
    with pytest.raises(ConfigError, match=r"logging.levle .*unknown key; did you mean 'level'"):
        AgentSettings()


def test_secret_is_masked_in_repr_dump_and_explain(project, monkeypatch):
    monkeypatch.setenv("MAMBA_MODEL_BACKEND__API_KEY", SECRET)
    s = AgentSettings()
    assert s.model_backend.api_key.get_secret_value() == SECRET
    assert SECRET not in repr(s) and SECRET not in str(s)
    assert SECRET not in str(s.model_dump_safe())
    assert SECRET not in str(s.explain())
    assert {v.key: v.value for v in s.explain()}["model_backend.api_key"] == "**********"


def test_secret_never_appears_in_a_validation_error(project):
    (project / "config.toml").write_text(f'[model_backend]\napi_key = "{SECRET}"\ntimeout = -1\n')
    (project / ".env").write_text(f"MAMBA_MODEL_BACKEND__API_KEY={SECRET}\nMAMBA_MODEL_BACKEND__N_CTX=-5\n")
    with pytest.raises(ConfigError) as err:
        AgentSettings()
    text = str(err.value) + repr(err.value) + str(err.value.__cause__) + str(err.value.__context__)
    assert SECRET not in text
    assert "model_backend.timeout" in text and "model_backend.n_ctx" in text


def test_secret_in_an_invalid_secret_field_is_masked(project, monkeypatch):
    monkeypatch.setenv("MAMBA_MODEL_BACKEND__API_KEY", SECRET)
    with pytest.raises(ConfigError) as err:
        AgentSettings(model_backend={"api_key": ["not", SECRET]})
    assert SECRET not in str(err.value)


def test_compaction_target_must_be_below_trigger(project):
    with pytest.raises(ConfigError, match=r"target_tokens .* must be below trigger_threshold_tokens"):
        AgentSettings(context={"trigger_threshold_tokens": 100, "target_tokens": 200})
