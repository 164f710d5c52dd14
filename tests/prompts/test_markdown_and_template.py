"""Markdown prompts with YAML front matter, and PromptTemplate on its own."""

from __future__ import annotations

import pytest
from mamba_agents.prompts import (
    MarkdownParseError,
    PromptConfig,
    PromptManager,
    PromptTemplate,
    TemplateRenderError,
    TemplateValidationError,
)

from tests.prompts.conftest import write

REVIEWER = """---
description: Reviews code
variables:
  language: Python
  tone: friendly
audience: engineers
---
You review {language} code in a {tone} tone. Mention {topic}. Write {{braces}} like this.
"""


def test_markdown_file_with_front_matter(prompts_dir):
    write(prompts_dir, "v1/system/reviewer.md", REVIEWER)
    manager = PromptManager(PromptConfig(prompts_dir=prompts_dir))
    template = manager.get("system/reviewer")
    assert template.template_type == "markdown"
    assert template.description == "Reviews code" and template.metadata == {"audience": "engineers"}
    assert template.defaults == {"language": "Python", "tone": "friendly"}
    assert template.get_variables() == {"language", "tone", "topic"}
    assert manager.render("system/reviewer", language="Rust", topic="lifetimes") == (
        "You review Rust code in a friendly tone. Mention lifetimes. Write {braces} like this.\n"
    )
    # a missing placeholder stays as written unless strict
    assert "Mention {topic}." in manager.render("system/reviewer")
    assert "system/reviewer" in manager.list_prompts(category="system")


def test_markdown_strict_mode_names_the_variable(prompts_dir):
    write(prompts_dir, "v1/system/reviewer.md", REVIEWER)
    manager = PromptManager(PromptConfig(prompts_dir=prompts_dir, strict_mode=True))
    with pytest.raises(TemplateRenderError) as info:
        manager.render("system/reviewer")
    assert info.value.variable == "topic" and "system/reviewer" in str(info.value)


def test_required_variables_listed_without_defaults(prompts_dir):
    write(prompts_dir, "v1/tasks/plan.md", "---\nvariables: [goal]\n---\nPlan: no placeholder here")
    strict = PromptManager(PromptConfig(prompts_dir=prompts_dir, strict_mode=True))
    with pytest.raises(TemplateRenderError, match="goal"):
        strict.render("tasks/plan")
    assert strict.render("tasks/plan", goal="x") == "Plan: no placeholder here"
    write(prompts_dir, "v1/tasks/nulls.md", "---\nvariables:\n  goal:\n  mode: fast\n---\n{goal} {mode}")
    template = strict.get("tasks/nulls")
    assert template.required == ("goal",) and template.defaults == {"mode": "fast"}


def test_substituted_values_are_not_read_again():
    manager = PromptManager()
    manager.register("md", "A {x} and {{y}}", template_type="markdown")
    assert manager.render("md", x="{y}", y="nope") == "A {y} and {y}"


def test_markdown_without_front_matter_and_registered(tmp_path):
    manager = PromptManager(PromptConfig(prompts_dir=tmp_path))
    manager.register("plain", "Hello {name}", template_type="markdown")
    assert manager.render("plain", name="World") == "Hello World"
    manager.register("fm", "---\nvariables: {name: Default}\n---\nHello {name}", template_type="markdown")
    assert manager.render("fm") == "Hello Default"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\nvariables: [unclosed\n---\nbody", "not valid YAML"),
        ("---\n- a\n- b\n---\nbody", "must be a mapping"),
        ("---\nvariables: 3\n---\nbody", "'variables' must be"),
        ("---\nvariables: {'bad name': 1}\n---\nbody", "identifiers"),
        ("---\ndescription: [1]\n---\nbody", "'description' must be a string"),
        ("---\ntitle: no end\nbody", "no closing"),
    ],
)
def test_malformed_front_matter(tmp_path, text, message):
    write(tmp_path, "v1/bad.md", text)
    with pytest.raises(MarkdownParseError, match=message) as info:
        PromptManager(PromptConfig(prompts_dir=tmp_path)).get("bad")
    assert isinstance(info.value, TemplateValidationError) and info.value.name == "bad"


def test_markdown_can_be_switched_off(prompts_dir):
    write(prompts_dir, "v1/system/reviewer.md", REVIEWER)
    manager = PromptManager(PromptConfig(prompts_dir=prompts_dir, markdown_extension=None))
    assert "system/reviewer" not in manager.list_prompts()


def test_prompt_template_on_its_own():
    template = PromptTemplate(name="greet", source="Hello {{ who }}{% if excited %}!{% endif %}")
    assert template.render(who="you", excited=True) == "Hello you!"
    assert template.get_variables() == {"who", "excited"}
    partial = template.with_variables(who="team")
    assert partial.render() == "Hello team" and template.render() == "Hello "
    strict = PromptTemplate(name="greet", source="Hello {{ who }}", strict=True)
    with pytest.raises(TemplateRenderError, match="'who' is undefined"):
        strict.render()
    with pytest.raises(TemplateValidationError, match="line 1"):
        PromptTemplate(name="bad", source="{% for x in %}")
    with pytest.raises(TemplateValidationError, match="template_type"):
        PromptTemplate(name="bad", source="x", template_type="handlebars")  # type: ignore[arg-type]
    boom = PromptTemplate(name="boom", source="{{ 1 // zero }}")
    with pytest.raises(TemplateRenderError, match="ZeroDivisionError"):
        boom.render(zero=0)
