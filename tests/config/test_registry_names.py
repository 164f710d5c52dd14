"""Names that resolve through a registry fail when the Agent / ContextManager is built, not turns later."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mamba_agents import Agent
from mamba_agents.config import AgentSettings, CompactionConfig, ConfigError
from mamba_agents.context import ContextManager
from mamba_agents.plugins import PluginManager
from pydantic_ai.models.test import TestModel


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.upper().startswith("MAMBA_"):
            monkeypatch.delenv(key)
    return tmp_path


def test_misspelt_strategy_in_a_file_fails_when_the_agent_is_built(project):
    (project / "config.toml").write_text('[context]\nstrategy = "slidng_window"\n')
    with pytest.raises(ConfigError) as err:
        Agent(TestModel())
    message = str(err.value)
    assert message.startswith(f"{(project / 'config.toml').resolve()}: context.strategy = 'slidng_window': ")
    assert "did you mean 'sliding_window'?" in message and "registered: " in message


def test_misspelt_strategy_from_the_environment_names_the_variable(project, monkeypatch):
    monkeypatch.setenv("MAMBA_CONTEXT__STRATEGY", "hybird")
    with pytest.raises(ConfigError, match=r"^environment variable MAMBA_CONTEXT__STRATEGY: .*'hybrid'\?"):
        Agent(TestModel())


def test_standalone_context_manager_checks_strategy_and_options(project):
    with pytest.raises(ConfigError, match="did you mean 'sliding_window'"):
        ContextManager(CompactionConfig(strategy="slidng_window"))
    with pytest.raises(ConfigError, match="'sliding_window' takes no options"):
        ContextManager(CompactionConfig(strategy_options={"keep": 3}))
    with pytest.raises(ConfigError, match="did you mean 'sliding_window'"):
        ContextManager(strategy="slidingwindow")
    assert ContextManager().strategy.name == "sliding_window"


def test_plugin_strategy_options_are_checked_with_the_allowed_names(project):
    settings = AgentSettings(
        context={"strategy": "selective_pruning", "strategy_options": {"keep_tool_pairz": 2}},
    )
    with pytest.raises(ConfigError) as err:
        Agent(TestModel(), settings=settings)
    message = str(err.value)
    assert "context.strategy_options" in message and "did you mean 'keep_tool_pairs'?" in message


@pytest.mark.parametrize(
    ("section", "pattern"),
    [
        ({"model_backend": {"backend": "openai_compatibel"}}, r"model_backend.backend = 'openai_compatibel'"),
        (
            {"tools": {"enabled": ["filesystem", "red_file"]}},
            r"tools.enabled\[1\] = 'red_file'.*'read_file'\?",
        ),
        ({"capabilities": {"enabled": ["nope"]}}, r"capabilities.enabled\[0\] = 'nope': unknown capability"),
        (
            {"capabilities": {"options": {"nope": {"a": 1}}}},
            r"capabilities.options.nope: options for capability 'nope', which is not in capabilities.enabled",
        ),
        (
            {"context": {"summarization_model": "llama3"}},
            r"context.summarization_model = 'llama3': model 'llama3' names no provider",
        ),
    ],
)
def test_every_registry_name_is_checked_at_build(project, section, pattern):
    with pytest.raises(ConfigError, match=rf"^constructor: {pattern}"):
        Agent(TestModel(), settings=AgentSettings(**section))


def test_several_bad_names_are_reported_together(project):
    settings = AgentSettings(context={"strategy": "x"}, tools={"enabled": ["y"]})
    with pytest.raises(ConfigError) as err:
        Agent(TestModel(), settings=settings)
    assert str(err.value).splitlines()[0] == "invalid configuration (2 problems):"


def test_valid_names_build_and_run(project):
    settings = AgentSettings(
        context={"strategy": "hybrid", "trigger_threshold_tokens": 500},
        tools={"enabled": ["current_time", "filesystem"]},
        model_backend={"backend": "pydantic_ai"},
    )
    agent = Agent(TestModel(), settings=settings)
    assert agent.run_sync("hi").output


def test_mamba_run_with_an_unknown_tool_is_one_line_before_any_model_loads(project, capsys):
    from mamba_agents.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["run", "hello", "--tools", "nope"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and "tools.enabled[0] = 'nope'" in err


NAMES = PluginManager().registry("compaction_strategies").names()


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=20))
def test_any_strategy_name_either_resolves_or_fails_at_build(name):
    manager = PluginManager()
    if name in NAMES:
        assert ContextManager(CompactionConfig(strategy=name), plugin_manager=manager).strategy.name == name
    else:
        with pytest.raises(ConfigError, match=rf"unknown compaction strategy {name!r}"):
            ContextManager(CompactionConfig(strategy=name), plugin_manager=manager)
