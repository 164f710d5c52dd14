"""``[workflows]`` and ``mamba run --workflow``: live steps, the trace, totals, bad config in one line,
and a third-party workflow registered by a plugin running the same way."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from mamba_agents import Agent, Workflow, WorkflowConfig, WorkflowState
from mamba_agents.cli import cli, main
from mamba_agents.config import AgentSettings, ConfigError
from mamba_agents.plugins import hookimpl
from mamba_agents.workflows import ReActWorkflow, build_workflow


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    return tmp_path


def test_run_with_react_shows_steps_live_and_the_trace(project) -> None:
    result = CliRunner().invoke(cli, ["run", "--workflow", "react", "--model", "test", "What is up?"])
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert (
        "workflow started" in err and "▶ step 1 react_iteration" in err and "✓ step 1 react_iteration" in err
    )
    assert "── iteration 1" in err
    assert "trace" in err and "Final Answer: " in err  # ReAct's reasoning trace
    assert "react · completed · 1 step(s) · 1 iteration(s) · 1 request(s)" in err and "unpriced" in err
    assert result.stdout.strip()  # the answer


def test_run_json(project) -> None:
    result = CliRunner().invoke(cli, ["run", "-w", "react", "--model", "test", "--json", "q"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (
        data["workflow"] == "react" and data["success"] is True and data["termination_reason"] == "completed"
    )
    assert (
        data["steps"] == 1 and data["requests"] == 1 and data["cost_usd"] is None and data["model"] == "test"
    )


def test_default_and_options_come_from_config(project) -> None:
    (project / "config.toml").write_text(
        '[workflows]\ndefault = "react"\n\n[workflows.options.react]\nmax_iterations = 2\nmax_steps = 1\n'
    )
    settings = AgentSettings()
    workflow = build_workflow(Agent("test", settings=settings))
    assert isinstance(workflow, ReActWorkflow) and workflow.config.max_iterations == 2
    result = CliRunner().invoke(cli, ["run", "--model", "test", "--json", "q"])
    assert json.loads(result.stdout)["workflow"] == "react"


def test_a_limit_hit_from_the_cli_exits_1_and_says_which(project) -> None:
    (project / "config.toml").write_text("[workflows.options.plan_execute]\nmax_steps = 1\n")
    result = CliRunner().invoke(cli, ["run", "-w", "plan_execute", "--model", "test", "q"])
    assert result.exit_code == 1
    assert "plan_execute · max_steps (max_steps)" in result.stderr
    assert "error: workflow 'plan_execute' stopped: a step past max_steps=1" in result.stderr


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[workflows]\ndefault = "recat"\n', "workflows.default = 'recat': unknown workflow 'recat'"),
        (
            "[workflows.options.react]\nmax_iteration = 3\n",
            "unknown option(s) 'max_iteration' for workflow 'react'; did you mean 'max_iterations'?",
        ),
        (
            "[workflows.options.react]\nmax_iterations = 0\n",
            "max_iterations: Input should be greater than 0 (got 0)",
        ),
        ("[workflows.options.nope]\nx = 1\n", "workflows.options.nope = 'nope': unknown workflow 'nope'"),
        ('[workflows]\nflavour = "x"\n', "workflows.flavour"),
    ],
)
def test_bad_workflow_config_fails_when_the_agent_is_built(project, toml: str, message: str) -> None:
    (project / "config.toml").write_text(toml)
    with pytest.raises(ConfigError) as caught:
        Agent("test", settings=AgentSettings())
    text = str(caught.value)
    assert message in text and "config.toml" in text and "\n" not in text


def test_bad_workflow_config_is_one_line_from_the_cli(project, capsys) -> None:
    (project / "config.toml").write_text('[workflows]\ndefault = "recat"\n')
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--model", "test", "q"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'react'" in err and "Traceback" not in err


class ShoutConfig(WorkflowConfig):
    suffix: str = "!"


class Shout(Workflow[None, str, dict]):
    """A third-party workflow: one agent run, shouted."""

    config_class = ShoutConfig

    def __init__(self, agent, config=None, hooks=None):
        super().__init__(config=config, hooks=hooks)
        self.agent = agent

    @property
    def name(self) -> str:
        return "shout"

    def _create_initial_state(self, prompt: str) -> WorkflowState[dict]:
        return WorkflowState(context={})

    async def _execute(self, prompt, state, deps=None) -> str:
        async with self.iteration(state):
            result = await self.agent.run(prompt)
        return str(result.output).upper() + self._config.suffix


class ShoutPlugin:
    @hookimpl
    def mamba_register_workflows(self, register) -> None:
        register("shout", Shout)


def test_a_third_party_workflow_runs_the_same_way(project, register_plugin) -> None:
    register_plugin(ShoutPlugin(), name="shout-plugin")
    (project / "config.toml").write_text(
        '[workflows]\ndefault = "shout"\n[workflows.options.shout]\nsuffix = "?!"\n'
    )
    result = CliRunner().invoke(cli, ["run", "--model", "test", "hello"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("?!") and result.stdout.strip()[:-2].isupper()
    assert "▶ step 1 agent_run" in result.stderr and "shout · completed · 1 step(s)" in result.stderr
    (project / "config.toml").write_text("[workflows.options.shout]\nloudness = 11\n")
    with pytest.raises(ConfigError, match=r"allowed options: .*suffix"):
        Agent("test", settings=AgentSettings())
