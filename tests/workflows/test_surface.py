"""The public names: where they import from, what a missing plugin says, the seed hooks example as written."""

from __future__ import annotations

import importlib
import sys

import pytest
from mamba_agents import Agent, WorkflowConfig, WorkflowHooks
from mamba_agents.config import AgentSettings

from tests.workflows.helpers import MyWorkflow, text_model
from tests.workflows.script import Script, finish


def test_core_names_import_from_both_places() -> None:
    import mamba_agents
    import mamba_agents.workflows as workflows

    for name in ("Workflow", "WorkflowConfig", "WorkflowState", "WorkflowHooks", "WorkflowResult"):
        assert getattr(mamba_agents, name) is getattr(workflows, name)
    from mamba_agents.workflows import ReActConfig, ReActHooks, ReActWorkflow  # noqa: F401


def test_missing_plugin_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.startswith("mamba_agents_workflows")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mamba_agents_workflows", None)
    module = importlib.import_module("mamba_agents.workflows")
    monkeypatch.delattr(module, "ReActWorkflow", raising=False)
    with pytest.raises(ImportError, match="provided by the 'mamba-agents-workflows' package: pip install"):
        from mamba_agents.workflows import ReActWorkflow  # noqa: F401


def test_seed_hooks_example_prints_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    def on_step_complete(state, step):
        print(f"Step {step.step_number} completed: {step.description}")

    hooks = WorkflowHooks(
        on_workflow_start=lambda state: print("Workflow started"),
        on_workflow_complete=lambda result: print(f"Done: {result.success}"),
        on_workflow_error=lambda state, err: print(f"Error: {err}"),
        on_step_start=lambda state, num, type_: print(f"Step {num}: {type_}"),
        on_step_complete=on_step_complete,
        on_step_error=lambda state, step, err: print(f"Step failed: {err}"),
        on_iteration_start=lambda state, i: print(f"Iteration {i}"),
        on_iteration_complete=lambda state, i: print(f"Iteration {i} done"),
    )
    workflow = MyWorkflow(Agent(text_model("ok")[0], settings=AgentSettings()), config=WorkflowConfig())
    workflow._hooks = hooks
    assert workflow.run_sync("summarise").success
    assert capsys.readouterr().out.splitlines() == [
        "Workflow started",
        "Step 1: agent_run",
        "Step 1 completed: summarise",
        "Done: True",
    ]


def test_react_keeps_the_agents_own_system_prompt() -> None:
    script = Script([finish("x")])
    agent = Agent(script.model(), settings=AgentSettings(), system_prompt="You are terse.")
    from mamba_agents.workflows import ReActWorkflow

    ReActWorkflow(agent).run_sync("q")
    instructions = script.infos[0].instructions
    assert "You are terse." in instructions and "final_answer" in instructions
