"""Plan-Execute from the outside: parallel independent steps (bounded), dependencies, plan checks,
re-planning after a failed or timed-out step, limits, hooks, usage and cost."""

from __future__ import annotations

import asyncio

import pytest
from mamba_agents import Agent
from mamba_agents.config import AgentSettings
from mamba_agents.prompts import PromptManager, TemplateConfig
from mamba_agents.workflows import (
    Plan,
    PlanExecuteConfig,
    PlanExecuteHooks,
    PlanExecuteWorkflow,
    PlanStep,
)
from mamba_agents_workflows.plan_execute import plan_problems

from tests.workflows.helpers import RecordingHooks
from tests.workflows.planner import Brain, step

PRICED = AgentSettings(tokens={"prices": {"scripted": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}})


def workflow(brain: Brain, settings: AgentSettings | None = None, **kwargs) -> PlanExecuteWorkflow:
    return PlanExecuteWorkflow(Agent(brain.model(), settings=settings or AgentSettings()), **kwargs)


def test_independent_steps_run_at_the_same_time() -> None:
    brain = Brain([[step("a"), step("b"), step("c")]], delay=0.3)
    result = workflow(brain).run_sync("three things")
    assert result.success and result.output.startswith("final: ")
    assert brain.max_in_flight == 3 and sorted(brain.executed) == ["a", "b", "c"]
    assert [s.step_type for s in result.state.steps].count("execute") == 3
    assert result.state.context.results == {k: f"result of {k}" for k in "abc"}


@pytest.mark.parametrize("parallel", [1, 2])
def test_max_parallel_steps_bounds_the_fan_out(parallel: int) -> None:
    brain = Brain([[step(x) for x in "abcde"]], delay=0.05)
    result = workflow(brain, config=PlanExecuteConfig(max_parallel_steps=parallel)).run_sync("t")
    assert result.success and brain.max_in_flight == parallel and len(brain.executed) == 5


def test_dependencies_wait_and_get_the_results() -> None:
    brain = Brain([[step("fetch"), step("parse"), step("store", "store it", "fetch", "parse")]], delay=0.05)
    result = workflow(brain).run_sync("ingest")
    assert result.success
    starts = [sid for kind, sid in brain.events if kind == "start"]
    ends = [sid for kind, sid in brain.events if kind == "end"]
    assert starts.index("store") == 2 and brain.events.index(("start", "store")) > max(
        brain.events.index(("end", "fetch")), brain.events.index(("end", "parse"))
    )
    assert (
        "[fetch] result of fetch" in brain.step_prompts["store"]
        and "[parse] result of parse" in brain.step_prompts["store"]
    )
    assert ends[-1] == "store"
    assert "[store] store it: result of store" in brain.synth_prompts[0]


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ([step("a", None, "a")], "depends on itself"),
        ([step("a", None, "zz")], "unknown step(s) zz"),
        ([step("a", None, "b"), step("b", None, "a")], "cycle"),
        ([step("a"), step("a")], "unique"),
        ([step(f"s{i}") for i in range(4)], "at most 3"),
    ],
)
def test_a_plan_that_cannot_run_goes_back_to_the_planner(bad, problem: str) -> None:
    brain = Brain([bad, [step("ok")]])
    result = workflow(brain, config=PlanExecuteConfig(max_plan_steps=3)).run_sync("t")
    assert result.success and brain.executed == ["ok"]
    assert len(brain.planner_prompts) == 2  # pydantic-ai's retry, one plan step
    assert len(result.state.context.plans) == 1 and result.state.iteration_count == 1
    assert [s.step_type for s in result.state.steps] == ["plan", "execute", "synthesize"]


def test_plan_problems_is_clean_for_a_good_plan() -> None:
    plan = Plan(goal="g", steps=[PlanStep(id="b", description="x", depends_on=["a"])])
    assert plan_problems(plan, {"a"}, 5) == []
    assert "already ran" in plan_problems(plan, {"b", "a"}, 5)[0]


def test_a_failed_step_is_replanned_and_finished_steps_are_kept() -> None:
    brain = Brain([[step("a"), step("b")], [step("b2", "another way to b", "a")]], fail={"b": "disk full"})
    recorder = RecordingHooks()
    result = workflow(brain, hooks=recorder.hooks(PlanExecuteHooks)).run_sync("t")
    assert result.success and result.state.iteration_count == 2
    assert sorted(brain.executed) == ["a", "b2"]  # a ran once, b2 instead of b
    assert "b (do b): RuntimeError: disk full" in brain.planner_prompts[1]
    assert "already done" in brain.planner_instructions[1] and ": a." in brain.planner_instructions[1]
    failures = result.state.context.failures
    assert [(f.step.id, f.plan_number) for f in failures] == [("b", 1)]
    assert "[a] result of a" in brain.step_prompts["b2"]
    replans = [args for name, args in recorder.calls if name == "on_replan"]
    assert len(replans) == 1 and replans[0][1][0].step.id == "b"
    errors = [args for name, args in recorder.calls if name == "on_plan_step_error"]
    assert errors[0][1].id == "b" and "disk full" in errors[0][2]
    plans = [args for name, args in recorder.calls if name == "on_plan"]
    assert [a[2] for a in plans] == [1, 2]


def test_replanning_is_bounded_by_max_iterations() -> None:
    brain = Brain([[step("x")]], fail={"x": "always"})
    result = workflow(brain, config=PlanExecuteConfig(max_iterations=2)).run_sync("t")
    assert (result.success, result.termination_reason, result.limit) == (
        False,
        "max_iterations",
        "max_iterations",
    )
    assert "step 'x' failed (RuntimeError: always)" in result.error and len(brain.planner_prompts) == 2


def test_a_step_past_its_timeout_is_replanned() -> None:
    brain = Brain([[step("slow"), step("quick")], [step("other")]], slow={"slow": 5.0})
    config = PlanExecuteConfig(step_timeout_seconds=0.3, timeout_seconds=None)
    result = workflow(brain, config=config).run_sync("t")
    assert result.success and sorted(brain.executed) == ["other", "quick"]
    assert "step_timeout_seconds=0.3" in result.state.context.failures[0].error


def test_max_steps_stops_the_run() -> None:
    brain = Brain([[step(x) for x in "abcdef"]], delay=0.01)
    result = workflow(brain, config=PlanExecuteConfig(max_steps=3, max_parallel_steps=1)).run_sync("t")
    assert (result.termination_reason, result.limit) == ("max_steps", "max_steps")
    assert len(brain.executed) == 2  # plan, a, b: three steps


async def test_workflow_timeout_cancels_the_running_steps() -> None:
    brain = Brain([[step("a"), step("b")]], delay=5.0)
    result = await workflow(
        brain, config=PlanExecuteConfig(timeout_seconds=0.3, step_timeout_seconds=None)
    ).run("t")
    assert result.termination_reason == "timeout" and brain.executed == []
    await asyncio.sleep(0.05)
    assert brain.in_flight == 0  # both executor runs were cancelled, none left running


def test_hooks_per_step_and_costs() -> None:
    brain = Brain([[step("a"), step("b", None, "a")]])
    recorder = RecordingHooks()
    wf = workflow(brain, PRICED, hooks=recorder.hooks(PlanExecuteHooks))
    result = wf.run_sync("t")
    names = [n for n in recorder.names() if n.startswith("on_plan")]
    assert names == [
        "on_plan",
        "on_plan_step_start",
        "on_plan_step_complete",
        "on_plan_step_start",
        "on_plan_step_complete",
    ]
    complete = [a for n, a in recorder.calls if n == "on_plan_step_complete"]
    assert complete[0][1].id == "a" and complete[0][2] == "result of a"
    assert result.usage.requests == 4  # plan, a, b, synthesis
    assert result.cost == pytest.approx(4 * 20 / 1e6) and result.cost.priced
    assert wf.agent.get_messages() == []  # the agent's own conversation is left alone
    assert wf.agent.get_cost() == pytest.approx(result.cost)


def test_planner_prompt_template() -> None:
    manager = PromptManager()
    manager.register("plans/mine", "Plan {{ task }} in {{ max_plan_steps }} steps at most.")
    brain = Brain([[step("a")]])
    config = PlanExecuteConfig(planner_prompt_template=TemplateConfig(name="plans/mine"), max_plan_steps=4)
    assert workflow(brain, config=config, prompt_manager=manager).run_sync("x").success
    assert "Plan x in 4 steps at most." in brain.planner_instructions[0]
    with pytest.raises(ValueError, match="planner_prompt_template"):
        workflow(brain, config=PlanExecuteConfig(planner_prompt_template=TemplateConfig(name="plans/none")))


def test_separate_planner_and_executor() -> None:
    planner, executor = Brain([[step("a")]]), Brain([])
    agent = Agent(executor.model(), settings=AgentSettings())
    wf = PlanExecuteWorkflow(agent, planner=Agent(planner.model(), settings=AgentSettings()))
    assert wf.run_sync("t").success
    assert len(planner.planner_prompts) == 1 and executor.executed == ["a"] and executor.planner_prompts == []


def test_registered_by_name() -> None:
    from mamba_agents.plugins import get_plugin_manager

    assert get_plugin_manager().get("workflows", "plan_execute") is PlanExecuteWorkflow
