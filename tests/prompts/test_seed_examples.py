"""The seed README's "Prompt Management" examples, run as written against the seed's folder layout."""

from __future__ import annotations

import os

import pytest
from mamba_agents.config import AgentSettings
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel

CODER_RUST = "You are an expert Rust developer.\n\nHelp the user write clean, efficient code.\n\n"


@pytest.fixture
def in_project(prompts_dir, monkeypatch):
    """Run from the folder that holds ``prompts/``, with no user settings."""
    monkeypatch.chdir(prompts_dir.parent)
    monkeypatch.setenv("HOME", str(prompts_dir.parent))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    return prompts_dir


def test_file_based_templates_inheritance(in_project):
    from mamba_agents.prompts import PromptManager

    manager = PromptManager()
    assert manager.render("system/coder", language="Rust") == CODER_RUST
    assert manager.render("system/coder").startswith("You are an expert Python developer.")
    # the base template on its own, through the same manager
    assert manager.render("base/base") == "You are a helpful AI assistant.\n\n"


def test_standalone_prompt_manager(in_project):
    from mamba_agents.prompts import PromptConfig, PromptManager

    # Configure prompts directory
    config = PromptConfig(
        prompts_dir="./prompts",
        default_version="v1",
        enable_caching=True,
        strict_mode=False,  # Raise on missing variables
    )
    manager = PromptManager(config)

    # Load and render template
    template = manager.get("system/assistant")
    prompt = template.render(name="Helper", role="coding assistant")
    assert prompt == "You are Helper, a coding assistant assistant."

    # Or render directly
    prompt = manager.render("system/assistant", name="Helper")
    assert prompt == "You are Helper, a general assistant."

    # List available templates
    templates = manager.list_prompts(category="system")
    versions = manager.list_versions("system/assistant")
    assert templates == ["system/assistant", "system/coder"]
    assert versions == ["v1", "v2"]

    # Register templates programmatically (useful for testing)
    manager.register("test/greeting", "Hello, {{ name }}!")
    result = manager.render("test/greeting", name="World")
    assert result == "Hello, World!"


def test_using_templates_with_agents(in_project):
    from mamba_agents import Agent
    from mamba_agents.prompts import PromptManager, TemplateConfig

    seen: list[str | None] = []

    def model(messages, info):
        seen.append(info.instructions)
        return ModelResponse(parts=[TextPart("ok")])

    gpt_4o = FunctionModel(model, model_name="gpt-4o")
    settings = AgentSettings()

    # Option 1: String prompt (backward compatible)
    agent = Agent(gpt_4o, settings=settings, system_prompt="You are a helpful assistant.")
    assert agent.get_system_prompt() == "You are a helpful assistant."

    # Option 2: Template config (loads from file)
    agent = Agent(
        gpt_4o,
        settings=settings,
        system_prompt=TemplateConfig(
            name="system/assistant", variables={"name": "Code Helper", "expertise": "Python"}
        ),
    )
    assert agent.get_system_prompt() == "You are Code Helper, a general assistant."

    # Option 3: Pre-render template
    manager = PromptManager()
    prompt = manager.render("system/assistant", name="Code Helper")
    agent = Agent(gpt_4o, settings=settings, system_prompt=prompt)
    assert agent.get_system_prompt() == "You are Code Helper, a general assistant."
    agent.run_sync("hi")
    assert seen[-1] == "You are Code Helper, a general assistant."

    # Runtime prompt switching
    agent.set_system_prompt(TemplateConfig(name="system/coder", variables={"language": "Python"}))

    # Get current prompt
    assert agent.get_system_prompt().startswith("You are an expert Python developer.")
    agent.run_sync("and now?")
    assert seen[-1].startswith("You are an expert Python developer.")  # the next request sends the new one
