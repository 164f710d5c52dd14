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
