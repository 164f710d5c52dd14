"""The original's prompt names: ``TemplateType``, ``str(PromptTemplate)``, ``TemplateRenderError.cause``."""

from __future__ import annotations

import pytest
from mamba_agents.prompts import PromptTemplate, TemplateRenderError, TemplateType, TemplateValidationError


def test_template_type_enum_and_strings_are_interchangeable():
    by_enum = PromptTemplate(name="a", source="Hi {{ who }}", template_type=TemplateType.JINJA2)
    by_text = PromptTemplate(name="a", source="Hi {{ who }}", template_type="jinja2")
    assert by_enum.template_type is by_text.template_type is TemplateType.JINJA2
    assert TemplateType.MARKDOWN == "markdown"
    with pytest.raises(TemplateValidationError, match="allowed: jinja2, markdown"):
        PromptTemplate(name="a", source="x", template_type="mustache")


def test_str_renders_with_the_defaults():
    template = PromptTemplate(name="greet", source="Hello {{ who }}!").with_variables(who="Ada")
    assert str(template) == "Hello Ada!" == template.render()


def test_render_error_keeps_its_cause():
    template = PromptTemplate(name="div", source="{{ 1 // n }}")
    with pytest.raises(TemplateRenderError) as caught:
        template.render(n=0)
    assert isinstance(caught.value.cause, ZeroDivisionError)
    assert caught.value.cause is caught.value.__cause__


def test_the_original_extension_list_finds_both_kinds_of_template(tmp_path, monkeypatch):
    from mamba_agents import AgentSettings
    from mamba_agents.prompts import PromptConfig, PromptManager

    (tmp_path / "prompts" / "v1").mkdir(parents=True)
    (tmp_path / "prompts" / "v1" / "greet.j2").write_text("Hi {{ who }}")
    (tmp_path / "prompts" / "v1" / "note.md").write_text("---\ndescription: a note\n---\nA note\n")
    (tmp_path / "prompts" / "v1" / "old.jinja2").write_text("not looked at")
    config = PromptConfig(prompts_dir=tmp_path / "prompts", file_extensions=[".j2", ".md"])
    assert config.file_extensions == [".j2", ".md"]
    manager = PromptManager(config)
    assert manager.render("greet", who="Ada") == "Hi Ada"
    assert manager.render("note").strip() == "A note"
    assert sorted(manager.list_prompts()) == ["greet", "note"]
    assert PromptConfig(file_extensions=[".j2"]).markdown_extension is None

    (tmp_path / "config.toml").write_text('[prompts]\nfile_extensions = [".j2", ".md"]\n')
    monkeypatch.chdir(tmp_path)
    assert AgentSettings().prompts.file_extension == ".j2"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ([".j2", ".jinja2"], "one Jinja2 extension"),
        ([".md"], "one Jinja2 extension"),
        (".j2", "must be a list"),
        (["j2"], "starts with a dot"),
    ],
)
def test_a_wrong_extension_list_says_what_is_allowed(given, message):
    from mamba_agents.prompts import PromptConfig
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        PromptConfig(file_extensions=given)
