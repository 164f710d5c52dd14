"""The original project's own config files load and mean what they say (issue 19 §4).

Every key of its ``config.example.toml`` and ``.env.example`` is either read (under its name or a new one) or
dropped with one ``ConfigWarning`` that names the file or variable, the key and what to write instead.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest
from mamba_agents import Agent
from mamba_agents.config import AgentSettings, ConfigError
from mamba_agents.config.legacy import ConfigWarning
from pydantic_ai.models.test import TestModel

ORIGINAL = Path(__file__).with_name("original")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    return tmp_path


def load() -> tuple[AgentSettings, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        settings = AgentSettings()
    return settings, [str(w.message) for w in caught if issubclass(w.category, ConfigWarning)]


def test_config_example_toml_loads_and_means_what_it_says(project: Path) -> None:
    shutil.copy(ORIGINAL / "config.example.toml", project / "config.toml")
    settings, said = load()
    # Read as written, or under the new name.
    assert settings.model_backend.base_url == "http://localhost:11434/v1"
    assert settings.retry.max_retries == 3 and settings.retry.circuit_breaker_threshold == 5
    assert settings.logging.max_body_size == 1024 and settings.logging.correlation_id is True
    assert settings.tokens.encoding == "cl100k_base"
    assert settings.context.preserve_recent_turns == 10
    assert settings.prompts.file_extension == ".jinja2"
    assert settings.observability.otel is False
    server = settings.mcp.servers["filesystem"]
    assert server["command"] == "npx" and server["args"][-1] == "/data"
    # One line per key that is not read as written, naming the file:line and what to write instead.
    config = str((project / "config.toml").resolve())
    expected = {
        "[model_backend] max_retries": "read as [retry] max_retries",
        "[logging] body_size_limit": "read as [logging] max_body_size",
        "[logging] include_correlation_id": "read as [logging] correlation_id",
        "[observability] enable_otel_instrumentation": "read as [observability] otel",
        "[observability] request_id_format": "ignored",
        "[observability] propagate_trace_context": "ignored",
        "[observability] metrics_enabled": "ignored",
        "[token_tracking] encoding": "read as [tokens] encoding",
        "[token_tracking] cache_tokenizer": "ignored",
        "[token_tracking] safety_margin": "ignored",
        "[[mcp_servers]]": "read as [mcp.servers.NAME]",
    }
    for key, what in expected.items():
        lines = [line for line in said if f"{key} " in line]
        assert len(lines) == 1, (key, said)
        assert lines[0].startswith(config) and what in lines[0] and "\n" not in lines[0]
    assert len(said) == len(expected)  # preserve_system_prompt = true is what happens anyway: no warning
    Agent(TestModel(), settings=settings)  # and an Agent builds from it


def test_env_example_loads_from_dotenv_and_from_the_environment(project: Path, monkeypatch) -> None:
    shutil.copy(ORIGINAL / "env.example", project / ".env")
    settings, said = load()
    assert settings.retry.max_retries == 3 and settings.retry.retry_level == 2
    assert settings.tokens.encoding == "cl100k_base" and settings.context.target_tokens == 80000
    assert any("MAMBA_MODEL_BACKEND__MAX_RETRIES" in s and "MAMBA_RETRY__MAX_RETRIES" in s for s in said)
    assert sum("[streaming]" in s and "ignored" in s for s in said) == 2

    (project / ".env").unlink()
    for line in (ORIGINAL / "env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            monkeypatch.setenv(name, value)
    from_env, said_env = load()
    assert from_env.retry.max_retries == 3 and from_env.tokens.encoding == "cl100k_base"
    assert all(s.startswith("environment variable MAMBA_") for s in said_env) and len(said_env) == 4


def test_a_new_key_set_too_wins_and_the_old_one_says_it_is_ignored(project: Path) -> None:
    (project / "config.toml").write_text("[model_backend]\nmax_retries = 7\n\n[retry]\nmax_retries = 1\n")
    settings, said = load()
    assert settings.retry.max_retries == 1
    assert said == [f"{(project / 'config.toml').resolve()}:2: [model_backend] max_retries is ignored: "
                    "[retry] max_retries is set as well"]  # fmt: skip


def test_preserve_system_prompt_false_warns_that_it_is_always_kept(project: Path) -> None:
    (project / "config.toml").write_text("[context]\npreserve_system_prompt = false\n")
    _, said = load()
    assert len(said) == 1 and "the system prompt is always kept" in said[0]


def test_keys_the_original_never_had_still_fail_in_one_line(project: Path) -> None:
    (project / "config.toml").write_text("[token_tracking]\nencodin = 'x'\n")
    with pytest.raises(ConfigError, match="unknown section"):
        AgentSettings()
