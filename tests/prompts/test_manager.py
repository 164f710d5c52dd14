"""PromptManager: versions, inheritance, caching, strict mode, registration, listing and every error."""

from __future__ import annotations

import threading

import pytest
from mamba_agents.prompts import (
    PromptConfig,
    PromptError,
    PromptManager,
    PromptNotFoundError,
    TemplateConfig,
    TemplateConflictError,
    TemplateRenderError,
    TemplateValidationError,
)
from pydantic import ValidationError

from tests.prompts.conftest import write


def manager_for(prompts_dir, **options) -> PromptManager:
    return PromptManager(PromptConfig(prompts_dir=prompts_dir, **options))


# -- versions and inheritance ---------------------------------------------------------------------------


def test_versions(prompts_dir):
    manager = manager_for(prompts_dir)
    assert manager.render("system/assistant", name="A") == "You are A, a general assistant."
    assert manager.render("system/assistant", version="v2", name="A").startswith("I am A (v2).")
    v2 = manager_for(prompts_dir, default_version="v2")
    assert v2.render("system/assistant", name="B").startswith("I am B (v2).")
    template = v2.get("system/assistant")
    assert (template.name, template.version, template.path) == (
        "system/assistant",
        "v2",
        prompts_dir / "v2/system/assistant.jinja2",
    )


def test_a_variable_called_name_or_template_name_is_a_template_variable(prompts_dir):
    manager = manager_for(prompts_dir)
    manager.register("vars", "{{ name }}|{{ template_name }}")
    assert manager.render("vars", name="N", template_name="T") == "N|T"


def test_include_and_extends_by_path(prompts_dir):
    write(prompts_dir, "v1/parts/rules.jinja2", "Rule: {{ rule }}")
    write(prompts_dir, "v1/system/ruled.jinja2", 'Start. {% include "v1/parts/rules.jinja2" %} End.')
    manager = manager_for(prompts_dir)
    assert manager.render("system/ruled", rule="be kind") == "Start. Rule: be kind End."
    assert manager.get("system/ruled").get_variables() == {"rule"}
    assert manager.get("system/coder").get_variables() == {"language"}


def test_templates_cannot_reach_outside_the_prompts_folder(prompts_dir):
    (prompts_dir.parent / "secret.txt").write_text("TOP SECRET")
    write(prompts_dir, "v1/system/escape.jinja2", '{% include "../secret.txt" %}')
    with pytest.raises(TemplateRenderError, match="does not exist"):
        manager_for(prompts_dir).render("system/escape")


def test_sandbox_blocks_python_internals(prompts_dir):
    manager = manager_for(prompts_dir)
    manager.register("evil", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateRenderError, match="sandbox") as info:
        manager.render("evil")
    assert info.value.name == "evil"
    write(prompts_dir, "v1/system/evil.jinja2", "{{ cycler.__init__.__globals__ }}")
    with pytest.raises(TemplateRenderError, match="sandbox"):
        manager.render("system/evil")


# -- strict mode, defaults ------------------------------------------------------------------------------


def test_non_strict_renders_missing_variables_empty(prompts_dir):
    assert manager_for(prompts_dir).render("system/assistant") == "You are , a general assistant."


def test_strict_mode_names_template_and_variable(prompts_dir):
    manager = manager_for(prompts_dir, strict_mode=True)
    with pytest.raises(TemplateRenderError) as info:
        manager.render("system/assistant", role="x")
    error = info.value
    assert (error.name, error.version, error.variable) == ("system/assistant", "v1", "name")
    assert str(error) == "cannot render prompt 'system/assistant' (version v1): variable 'name' is undefined"
    # default() still fills a missing variable in strict mode
    assert manager.render("system/coder").startswith("You are an expert Python developer.")
    manager.register("strict/registered", "Hi {{ who }}")
    with pytest.raises(TemplateRenderError, match="'who' is undefined"):
        manager.render("strict/registered")
    with pytest.raises(TemplateRenderError, match="'who' is undefined"):
        manager.render_string("Hey {{ who }}")


def test_default_variables_and_precedence(prompts_dir):
    manager = manager_for(prompts_dir, default_variables={"name": "Default", "role": "configured"})
    assert manager.render("system/assistant") == "You are Default, a configured assistant."
    bound = manager.get("system/assistant").with_variables(name="Bound")
    assert bound.render() == "You are Bound, a configured assistant."
    assert bound.render(name="Call") == "You are Call, a configured assistant."
    assert manager.get("system/assistant").render() == "You are Default, a configured assistant."


# -- caching --------------------------------------------------------------------------------------------


def test_caching_keeps_a_template_until_clear_cache(prompts_dir):
    manager = manager_for(prompts_dir, enable_caching=True)
    assert manager.get("workflow/react") is manager.get("workflow/react")
    assert manager.render("workflow/react", task="t") == "Think step by step about: t"
    write(prompts_dir, "v1/workflow/react.jinja2", "Changed: {{ task }}")
    assert manager.render("workflow/react", task="t") == "Think step by step about: t"
    manager.clear_cache()
    assert manager.render("workflow/react", task="t") == "Changed: t"


def test_without_caching_files_are_reread(prompts_dir):
    manager = manager_for(prompts_dir, enable_caching=False)
    assert manager.render("system/coder", language="Go").startswith("You are an expert Go developer.")
    write(prompts_dir, "v1/base/base.jinja2", "{% block persona %}{% endblock %} -- edited base")
    write(prompts_dir, "v1/workflow/react.jinja2", "Changed: {{ task }}")
    assert manager.render("workflow/react", task="t") == "Changed: t"
    assert manager.render("system/coder", language="Go").endswith("-- edited base")


# -- registration ---------------------------------------------------------------------------------------


def test_registered_templates_override_files_and_use_inheritance(prompts_dir):
    manager = manager_for(prompts_dir)
    manager.register("system/assistant", "Registered {{ name }}")
    assert manager.render("system/assistant", name="X") == "Registered X"
    assert manager.render("system/assistant", version="v2", name="X").startswith("I am X")
    manager.register(
        "test/child", '{% extends "v1/base/base.jinja2" %}{% block persona %}Child{% endblock %}'
    )
    assert manager.render("test/child").startswith("Child")
    manager.register("test/parent", "[{% block body %}parent{% endblock %}]")
    write(
        prompts_dir,
        "v1/system/uses_registered.jinja2",
        '{% extends "v1/test/parent" %}{% block body %}file{% endblock %}',
    )
    assert manager.render("system/uses_registered") == "[file]"
    manager.unregister("system/assistant")
    assert manager.render("system/assistant", name="X") == "You are X, a general assistant."


def test_register_versions_and_prompt_templates(prompts_dir):
    manager = manager_for(prompts_dir)
    manager.register("test/greeting", "v3 says hi", version="v3")
    assert manager.list_versions("test/greeting") == ["v3"]
    assert not manager.exists("test/greeting") and manager.exists("test/greeting", version="v3")
    copied = manager.register("test/copy", manager.get("workflow/react"))
    assert (copied.name, copied.version) == ("test/copy", "v1")
    assert manager.render("test/copy", task="x") == "Think step by step about: x"
    with pytest.raises(TypeError, match="register"):
        manager.register("test/bad", 42)  # type: ignore[arg-type]


# -- listing --------------------------------------------------------------------------------------------


def test_listing(prompts_dir):
    manager = manager_for(prompts_dir)
    manager.register("test/greeting", "Hello")
    assert manager.list_prompts() == [
        "base/base",
        "system/assistant",
        "system/coder",
        "test/greeting",
        "workflow/react",
    ]
    assert manager.list_prompts(category="system") == ["system/assistant", "system/coder"]
    assert manager.list_prompts(category="workflow/") == ["workflow/react"]
    assert manager.list_prompts(category="nothing") == []
    assert manager.list_prompts(version="v2") == ["system/assistant"]
    for version in ("v10", "v9"):
        write(prompts_dir, f"{version}/system/assistant.jinja2", "x")
    assert manager.list_versions("system/assistant") == ["v1", "v2", "v9", "v10"]
    assert manager.list_versions("system/unknown") == []
    assert manager.exists("system/coder") and not manager.exists("system/unknown")


def test_missing_prompts_folder_only_lists_registered(tmp_path):
    manager = PromptManager(PromptConfig(prompts_dir=tmp_path / "nowhere"))
    assert manager.list_prompts() == []
    manager.register("a/b", "x")
    assert manager.list_prompts() == ["a/b"]
    with pytest.raises(PromptNotFoundError, match="has no folder 'v1'"):
        manager.get("system/assistant")


# -- errors ---------------------------------------------------------------------------------------------


def test_not_found_lists_what_exists(prompts_dir):
    manager = manager_for(prompts_dir)
    with pytest.raises(PromptNotFoundError) as info:
        manager.get("system/asistant")
    error = info.value
    assert "system/assistant" in error.available and "system/coder" in error.available
    assert (
        "system/assistant" in str(error) and isinstance(error, LookupError) and isinstance(error, PromptError)
    )
    write(prompts_dir, "v2/system/only_v2.jinja2", "v2 only")
    with pytest.raises(PromptNotFoundError, match=r"it exists in version\(s\): v2"):
        manager.get("system/only_v2")


def test_conflicting_files(prompts_dir):
    write(prompts_dir, "v1/system/assistant.md", "Markdown {name}")
    with pytest.raises(TemplateConflictError) as info:
        manager_for(prompts_dir).get("system/assistant")
    assert info.value.extensions == [".jinja2", ".md"]
    assert "assistant.jinja2" in str(info.value) and "assistant.md" in str(info.value)


def test_syntax_errors_are_validation_errors(prompts_dir):
    write(prompts_dir, "v1/system/broken.jinja2", "line one\n{% if x %}never closed")
    manager = manager_for(prompts_dir)
    with pytest.raises(TemplateValidationError, match="line 2") as info:
        manager.get("system/broken")
    assert info.value.name == "system/broken"
    with pytest.raises(TemplateValidationError, match="syntax error"):
        manager.register("test/broken", "{{ unclosed")


def test_missing_parent_is_a_render_error(prompts_dir):
    write(prompts_dir, "v1/system/orphan.jinja2", '{% extends "v1/base/missing.jinja2" %}')
    with pytest.raises(TemplateRenderError, match=r"'v1/base/missing\.jinja2', which does not exist"):
        manager_for(prompts_dir).render("system/orphan")


@pytest.mark.parametrize("name", ["../secret", "/etc/passwd", "a//b", "", "sys tem/x", ".hidden", "a\\b"])
def test_invalid_names(prompts_dir, name):
    with pytest.raises(TemplateValidationError):
        manager_for(prompts_dir).get(name)


def test_name_with_extension_and_bad_versions(prompts_dir):
    manager = manager_for(prompts_dir)
    assert manager.get("system/coder.jinja2").name == "system/coder"
    with pytest.raises(TemplateValidationError, match="version"):
        manager.get("system/coder", version="../v1")


def test_render_config(prompts_dir):
    manager = manager_for(prompts_dir)
    config = TemplateConfig(name="system/assistant", version="v2", variables={"name": "Cfg"})
    assert manager.render_config(config).startswith("I am Cfg (v2).")
    assert manager.render_config({"name": "workflow/react", "variables": {"task": "t"}}).endswith("t")


def test_config_validation():
    with pytest.raises(ValidationError, match="default_version"):
        PromptConfig(default_version="../v1")
    with pytest.raises(ValidationError, match="file extension"):
        PromptConfig(file_extension="jinja2")
    with pytest.raises(ValidationError, match="must differ"):
        PromptConfig(file_extension=".md")
    with pytest.raises(ValidationError):
        PromptConfig(unknown_option=True)
    with pytest.raises(ValidationError, match="template name"):
        TemplateConfig(name="../x")
    assert PromptConfig(markdown_extension=None).file_extensions == [".jinja2"]
    with pytest.raises(TypeError, match="PromptConfig"):
        PromptManager({"prompts_dir": "x"})  # type: ignore[arg-type]


def test_concurrent_renders_share_one_cache(prompts_dir):
    manager = manager_for(prompts_dir)
    results: list[str] = []

    def work(i: int) -> None:
        for _ in range(50):
            results.append(manager.render("system/assistant", name=str(i)))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 200 and {r for r in results} == {
        f"You are {i}, a general assistant." for i in range(4)
    }
