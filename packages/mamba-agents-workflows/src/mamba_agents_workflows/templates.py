"""The built-in prompt templates, used when the prompt manager has none of that name.

A ``TemplateConfig(name="workflow/react_system")`` renders the user's own template when the agent's
``PromptManager`` has one (a file or a registered template) and this text otherwise.
"""

from __future__ import annotations

from typing import Any

from mamba_agents.prompts import PromptManager, TemplateConfig


def prompt_manager_of(agent: Any) -> PromptManager:
    """The agent's own prompt manager (so the user's templates win), or a fresh one."""
    own = getattr(agent, "prompt_manager", None)
    return own if isinstance(own, PromptManager) else PromptManager()


BUILTIN: dict[str, str] = {
    "workflow/react_system": (
        "Solve the task in a loop of reasoning and acting.\n"
        "{% if expose_reasoning %}Before each action write one short line of reasoning that starts with "
        '"{{ reasoning_prefix }}".\n{% endif %}'
        "Act by calling one of your tools; each result comes back to you as an observation.\n"
        "When you know the answer, call the tool `{{ final_answer_tool_name }}` with the complete answer. "
        "Plain text does not end the task: only `{{ final_answer_tool_name }}` does.\n"
        "You have at most {{ max_iterations }} turns."
    ),
    "workflow/react_iteration": (
        "Turn {{ iteration }} of {{ max_iterations }}."
        "{% if force_action %} You have reasoned {{ consecutive_thoughts }} times in a row without acting: "
        "call a tool now, or `{{ final_answer_tool_name }}` if you are done.{% endif %}"
    ),
    "workflow/reflection_critic": (
        "You review a draft answer to a task. Judge whether it answers the task completely and correctly.\n"
        "Accept it only if nothing important needs to change. Otherwise give concrete feedback the writer "
        "can act on, and list each issue.{% if min_score is not none %} A draft needs a score of at least "
        "{{ min_score }} to pass.{% endif %}"
    ),
    "workflow/plan_execute_planner": (
        "You plan; others execute. Break the task into at most {{ max_plan_steps }} self-contained steps, "
        "each one a clear instruction an assistant with tools can carry out alone. Give each step a short "
        "id and list in depends_on the ids of the steps whose results it needs; steps that need nothing "
        "from each other run at the same time, so do not chain steps that are independent. Submit the plan "
        "with the `write_plan` tool."
        "{% if completed %}\nThese steps are already done; do not plan them again, but later steps may "
        "depend on their ids: {{ completed }}.{% endif %}"
    ),
}


class TemplateMissingError(ValueError):
    """A workflow's template is neither in the prompt manager nor built in."""


def check_template(manager: PromptManager, config: TemplateConfig | None, field: str) -> None:
    """Fail when the workflow is built, not at its first iteration, naming the field and the template."""
    if config is None or config.name in BUILTIN or manager.exists(config.name, config.version):
        return
    raise TemplateMissingError(
        f"{field}: no prompt template {config.name!r} in {manager.prompts_dir} and none built in "
        f"(built in: {', '.join(sorted(BUILTIN))})"
    )


_builtin_manager: PromptManager | None = None


def _builtins() -> PromptManager:
    # Compiled once: compiling a template costs milliseconds, and ReAct renders one on every run.
    global _builtin_manager
    if _builtin_manager is None:
        manager = PromptManager()
        for name, source in BUILTIN.items():
            manager.register(name, source)
        _builtin_manager = manager
    return _builtin_manager


def render(manager: PromptManager, config: TemplateConfig, variables: dict[str, Any]) -> str:
    """Render ``config`` with the workflow's ``variables`` under the config's own."""
    merged = {**variables, **config.variables}
    if manager.exists(config.name, config.version):
        return manager.get(config.name, config.version).render(**merged)
    return _builtins().get(config.name).render(**merged)
