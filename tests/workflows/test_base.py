"""The Workflow base from the outside: the seed custom workflow, every limit, timeout, hook, usage, cost."""

from __future__ import annotations

import asyncio
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mamba_agents import Agent, WorkflowConfig, WorkflowHooks, WorkflowResult
from mamba_agents.config import AgentSettings
from mamba_agents.workflows import WorkflowHookWarning, WorkflowState
from pydantic import ValidationError
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.tools.test_bash import _pids_running, _wait_gone
from tests.workflows.helpers import LoopWorkflow, MyWorkflow, RecordingHooks, facade, text_model

PRICED = AgentSettings(tokens={"prices": {"scripted": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}})


class UntilDone(MyWorkflow):
    def _is_complete(self, result) -> bool:
        return "DONE" in result.output


async def test_seed_custom_workflow_runs_as_written() -> None:
    model, calls = text_model("Three papers, summarised.")
    agent = facade(model)
    workflow = MyWorkflow(agent, config=WorkflowConfig(max_iterations=5))

    result = await workflow.run("Research and summarize recent AI papers")

    assert result.success and result.output == "Three papers, summarised."
    assert result.state.iteration_count == 1 and calls["n"] == 1
    # every agent.run inside _execute is a step with its usage
    assert result.total_steps == 1 and [s.step_type for s in result.state.steps] == ["agent_run"]
    assert result.usage.requests == 1 and result.usage.input_tokens > 0
    assert result.state.steps[0].description == "Research and summarize recent AI papers"
    assert result.state.context["prompt"] == "Research and summarize recent AI papers"


async def test_the_seed_loop_goes_on_until_is_complete() -> None:
    model, calls = text_model(lambda n: "working" if n < 3 else "DONE")
    result = await UntilDone(facade(model), config=WorkflowConfig(max_iterations=5)).run("x")
    assert result.output == "DONE" and result.state.iteration_count == 3 == calls["n"] == result.total_steps


def test_is_complete_default() -> None:
    from types import SimpleNamespace as NS

    from pydantic_ai import DeferredToolRequests

    workflow = MyWorkflow(facade(text_model()[0]))
    assert workflow._is_complete(NS(output="an answer")) and workflow._is_complete(NS(output=0))
    for output in (None, "", "  \n", DeferredToolRequests()):
        assert not workflow._is_complete(NS(output=output))


def test_seed_custom_workflow_run_sync() -> None:
    model, _ = text_model("ok")
    result = MyWorkflow(facade(model)).run_sync("x")
    assert result.success and result.output == "ok" and result.total_steps == 1


async def test_a_hand_written_loop_cannot_pass_max_iterations() -> None:
    class Greedy(MyWorkflow):
        async def _execute(self, prompt, state, deps=None):
            for _ in range(100):
                state.iteration_count += 1
                await self.agent.run(prompt)
            return "never"

    model, calls = text_model("working")
    result = await Greedy(facade(model), config=WorkflowConfig(max_iterations=4)).run("x")
    assert not result.success and result.termination_reason == "max_iterations"
    assert result.limit == "max_iterations" and "max_iterations=4" in result.error
    assert calls["n"] == 4 and result.total_iterations == 4


async def test_max_iterations_stops_the_loop_and_says_so() -> None:
    model, calls = text_model("again")
    result = await LoopWorkflow(facade(model), config=WorkflowConfig(max_iterations=3)).run("go")
    assert (result.success, result.termination_reason, result.limit) == (
        False,
        "max_iterations",
        "max_iterations",
    )
    assert calls["n"] == 3 and result.total_steps == 3 and result.state.context["outputs"] == ["again"] * 3
    assert result.output is None


async def test_max_steps_stops_before_the_step_runs() -> None:
    model, calls = text_model("again")
    config = WorkflowConfig(max_steps=2, max_iterations=10)
    result = await LoopWorkflow(facade(model), config=config).run("go")
    assert (result.termination_reason, result.limit) == ("max_steps", "max_steps")
    assert calls["n"] == 2 and result.total_steps == 2 and "max_steps=2" in result.error


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(max_steps=st.integers(1, 8), max_iterations=st.integers(1, 8))
def test_the_first_bound_reached_is_the_one_reported(max_steps: int, max_iterations: int) -> None:
    model, calls = text_model("x")
    config = WorkflowConfig(max_steps=max_steps, max_iterations=max_iterations)
    result = LoopWorkflow(facade(model), config=config).run_sync("go")
    assert not result.success
    assert calls["n"] == min(max_steps, max_iterations) == result.total_steps
    expected = "max_steps" if max_steps < max_iterations else "max_iterations"
    assert result.limit == expected == result.termination_reason


def _slow_tool_agent(finished: list[str], seconds: float) -> Agent:
    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
            return ModelResponse(parts=[TextPart("done")])
        return ModelResponse(parts=[ToolCallPart("slow", {})])

    agent = facade(FunctionModel(model))

    @agent.tool_plain
    async def slow() -> str:
        await asyncio.sleep(seconds)
        finished.append("slow")
        return "slept"

    return agent


async def test_workflow_timeout_cancels_the_running_step() -> None:
    finished: list[str] = []
    agent = _slow_tool_agent(finished, 5.0)
    recorder = RecordingHooks()
    config = WorkflowConfig(timeout_seconds=0.3, step_timeout_seconds=None)
    result = await LoopWorkflow(agent, config=config, hooks=recorder.hooks()).run("go")
    assert (result.termination_reason, result.limit) == ("timeout", "timeout_seconds")
    assert "timeout_seconds=0.3" in result.error and finished == []
    assert result.state.steps[0].error is not None  # the cancelled step is on record
    assert recorder.names()[-2:] == ["on_workflow_error", "on_workflow_complete"]
    await asyncio.sleep(0)
    assert not agent.get_messages()  # a cancelled turn leaves history as it was


async def test_step_timeout_cancels_the_step_and_names_it() -> None:
    finished: list[str] = []
    recorder = RecordingHooks()
    config = WorkflowConfig(step_timeout_seconds=0.2, timeout_seconds=None)
    result = await LoopWorkflow(_slow_tool_agent(finished, 5.0), config=config, hooks=recorder.hooks()).run(
        "go"
    )
    assert (result.termination_reason, result.limit) == ("step_timeout", "step_timeout_seconds")
    assert "step 1 (turn)" in result.error and finished == []
    step = result.state.steps[0]
    assert not step.success and "step_timeout_seconds=0.2" in step.error
    assert "on_step_error" in recorder.names() and "on_step_complete" not in recorder.names()


async def test_step_timeout_kills_the_tool_subprocess(tmp_path) -> None:
    marker = f"3{abs(hash(str(tmp_path))) % 10_000}.5"

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
            return ModelResponse(parts=[TextPart("done")])
        return ModelResponse(parts=[ToolCallPart("run_bash", {"command": f"sleep {marker}", "timeout": 60})])

    settings_ = AgentSettings(tools={"enabled": ["run_bash"], "base_directory": str(tmp_path)})
    agent = Agent(FunctionModel(model), settings=settings_)
    seen: list[bool] = []

    async def watch() -> None:
        for _ in range(300):
            if _pids_running(marker):
                seen.append(True)
                return
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    config = WorkflowConfig(step_timeout_seconds=1.0, timeout_seconds=None)
    result = await LoopWorkflow(agent, config=config).run("go")
    await watcher
    assert result.termination_reason == "step_timeout"
    assert seen == [True], "the command never started"
    assert await _wait_gone(marker), "the tool's process outlived the step timeout"


async def test_every_hook_is_called_at_its_moment_with_its_arguments() -> None:
    model, _ = text_model("ok")
    recorder = RecordingHooks()
    result = await LoopWorkflow(
        facade(model), config=WorkflowConfig(max_iterations=2), hooks=recorder.hooks()
    ).run("go")
    assert recorder.names() == [
        "on_workflow_start",
        "on_iteration_start",
        "on_step_start",
        "on_step_complete",
        "on_iteration_complete",
        "on_iteration_start",
        "on_step_start",
        "on_step_complete",
        "on_iteration_complete",
        "on_workflow_error",  # max_iterations is how this loop ends
        "on_workflow_complete",
    ]
    args = dict(recorder.calls[:4])
    assert isinstance(args["on_workflow_start"][0], WorkflowState)
    assert args["on_iteration_start"][1] == 1
    assert args["on_step_start"][1:] == (1, "turn")
    assert args["on_step_complete"][1].step_number == 1 and args["on_step_complete"][1].output_data == "ok"
    assert recorder.calls[-1][1] == (result,)
    assert "max_iterations" in str(recorder.calls[-2][1][1])


async def test_hooks_may_be_async_and_are_off_with_enable_hooks_false() -> None:
    seen: list[str] = []

    async def started(state) -> None:
        await asyncio.sleep(0)
        seen.append("start")

    hooks = WorkflowHooks(on_workflow_start=started, on_workflow_complete=lambda r: seen.append("complete"))
    for enabled in (True, False):
        workflow = MyWorkflow(facade(text_model("ok")[0]), config=WorkflowConfig(enable_hooks=enabled))
        workflow._hooks = hooks
        assert (await workflow.run("x")).success
    assert seen == ["start", "complete"]


async def test_a_hook_that_raises_is_reported_not_fatal() -> None:
    model, _ = text_model("fine")

    def broken(state, number, step_type) -> None:
        raise ValueError("hook bug")

    workflow = MyWorkflow(facade(model))
    workflow._hooks = WorkflowHooks(on_step_start=broken)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = await workflow.run("x")
    assert result.success and result.output == "fine"
    assert [(e.hook, e.error) for e in result.hook_errors] == [("on_step_start", "ValueError: hook bug")]
    assert any(issubclass(w.category, WorkflowHookWarning) for w in caught)


async def test_track_state_off_keeps_counts_not_steps() -> None:
    model, _ = text_model("working")
    result = await UntilDone(facade(model), config=WorkflowConfig(max_iterations=3, track_state=False)).run(
        "x"
    )
    assert result.output == "Max iterations reached" and result.total_steps == 3
    assert result.state.steps == [] and result.usage.requests == 3


async def test_usage_and_cost_add_up_over_the_steps() -> None:
    model, _ = text_model(lambda n: "working" if n < 3 else "DONE")
    agent = Agent(model, settings=PRICED)
    workflow = UntilDone(agent)
    result = await workflow.run("x")
    # 3 requests of 10 input + 5 output tokens at $1 / $2 per million
    assert result.usage.requests == 3 and result.usage.input_tokens == 30 and result.usage.output_tokens == 15
    assert result.cost == pytest.approx(3 * (10 * 1 + 5 * 2) / 1e6) and result.cost.priced
    assert workflow.get_cost() == result.cost == pytest.approx(agent.get_cost())
    assert sum(s.cost.total_cost for s in result.state.steps) == pytest.approx(result.cost)


async def test_unpriced_model_is_reported_unpriced_not_free() -> None:
    model, _ = text_model("ok", name="nobody-prices-this")
    result = await MyWorkflow(facade(model)).run("x")
    assert not result.cost.priced and result.cost.unpriced_requests == 1


async def test_an_error_in_execute_is_a_failed_result() -> None:
    class Broken(MyWorkflow):
        async def _execute(self, prompt, state, deps=None):
            raise RuntimeError("planner exploded")

    recorder = RecordingHooks()
    workflow = Broken(facade(text_model()[0]))
    workflow._hooks = recorder.hooks()
    result = await workflow.run("x")
    assert (result.success, result.termination_reason, result.limit) == (False, "error", None)
    assert result.error == "planner exploded" and isinstance(result.exception, RuntimeError)
    assert recorder.names() == ["on_workflow_start", "on_workflow_error", "on_workflow_complete"]


async def test_a_timeout_error_inside_the_workflow_is_not_the_workflow_timeout() -> None:
    class Raises(MyWorkflow):
        async def _execute(self, prompt, state, deps=None):
            raise TimeoutError("the database timed out")

    result = await Raises(facade(text_model()[0])).run("x")
    assert result.termination_reason == "error" and result.error == "the database timed out"


def test_config_is_validated() -> None:
    with pytest.raises(ValidationError, match="max_steps"):
        WorkflowConfig(max_steps=0)
    with pytest.raises(ValidationError, match="step_timeout"):
        WorkflowConfig(step_timeouts=3)
    assert WorkflowConfig(timeout_seconds=None).timeout_seconds is None
    seed = WorkflowConfig(
        max_steps=50,
        max_iterations=10,
        timeout_seconds=300.0,
        step_timeout_seconds=30.0,
        enable_hooks=True,
        track_state=True,
    )
    assert seed == WorkflowConfig()


def test_result_type_is_exported() -> None:
    import mamba_agents

    assert mamba_agents.WorkflowResult is WorkflowResult
