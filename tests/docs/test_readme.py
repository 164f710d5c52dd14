"""The README's examples run as written (models swapped for pydantic-ai test models)."""

from __future__ import annotations

import asyncio
import os

from mamba_agents import Agent, AgentConfig, AgentSettings, CompactionConfig
from pydantic_ai.models.test import TestModel


def test_quick_start(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-readme-not-used")
    settings = AgentSettings()
    agent = Agent("gpt-4o", settings=settings)
    with agent.override(model=TestModel(custom_output_text="Alice")):
        agent.run_sync("What is 2 + 2?")
        agent.run_sync("Remember my name is Alice")
        assert agent.run_sync("What's my name?").output == "Alice"
    assert agent.get_usage().total_tokens > 0
    assert f"{agent.get_usage().request_count}" == "3"
    assert "$" in f"${agent.get_cost():.4f}"


def test_agent_patterns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("MAMBA_MODEL_BACKEND__MODEL", "gpt-4o")
    monkeypatch.setenv("MAMBA_MODEL_BACKEND__API_KEY", "sk-readme-not-used")
    from mamba_agents.tools import grep_search, read_file, run_bash

    settings = AgentSettings()
    assert Agent(settings=settings).model_name == "gpt-4o"
    assert Agent("gpt-4o-mini", settings=settings).model_name == "gpt-4o-mini"
    agent = Agent("gpt-4o", tools=[read_file, run_bash, grep_search], settings=settings)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "utils.py").write_text("def f():\n    return 1 / 0\n")
    config = AgentConfig(
        context=CompactionConfig(strategy="hybrid", trigger_threshold_tokens=50000, target_tokens=40000)
    )
    agent = Agent("gpt-4o", settings=settings, config=config, tools=[read_file])
    tm = TestModel(call_tools=["read_file"])
    with agent.override(model=tm):
        asyncio.run(agent.run("Find the bug in src/utils.py"))
    assert [t.name for t in tm.last_model_request_parameters.function_tools] == ["read_file"]
    assert agent.get_context_state().token_count > 0
    assert agent.get_cost_breakdown() is not None


def test_plugins_in_the_box(tmp_path):
    from mamba_agents.backends import create_ollama_backend, get_profile
    from mamba_agents.context import HybridStrategy, SummarizeOlderStrategy
    from mamba_agents.tools import read_file
    from mamba_agents.tools.filesystem import FilesystemSecurity

    (tmp_path / "data.txt").write_text("hello sandbox")
    security = FilesystemSecurity(
        sandbox_mode=True, base_directory=str(tmp_path), allowed_extensions=[".txt"]
    )
    assert "hello sandbox" in str(read_file("data.txt", security=security))
    agent = Agent(create_ollama_backend("llama3.2"), settings=AgentSettings())
    assert agent.model_name == "llama3.2"
    assert get_profile("llama3.2").context_window > 0
    assert SummarizeOlderStrategy.name == "summarize_older" and HybridStrategy.name == "hybrid"
