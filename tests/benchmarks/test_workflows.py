"""Workflow overhead, measured against plain runs in the same process: no test asserts a time.

- ReAct: the same N-iteration tool loop as a ReActWorkflow run and as one plain ``Agent.run`` (the model
  calls the tool N-1 times, then answers); the per-iteration difference and the ratio.
- Plan-Execute: three independent steps whose model takes 0.3 s each; the wall time against one step's.
"""

from __future__ import annotations

import asyncio
import time

from mamba_agents import Agent, AgentSettings
from mamba_agents.workflows import PlanExecuteWorkflow, ReActConfig, ReActWorkflow
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import FunctionModel

from tests.benchmarks.conftest import best_of
from tests.workflows.planner import Brain, step

ITERATIONS = 5


def _loop_model(finish_tool: str | None):
    def model(messages, info):
        done = sum(isinstance(p, ToolReturnPart) and p.tool_name == "add" for m in messages for p in m.parts)
        if done < ITERATIONS - 1:
            return ModelResponse(parts=[TextPart("Thought: add"), ToolCallPart("add", {"a": done, "b": 1})])
        if finish_tool:
            return ModelResponse(parts=[ToolCallPart(finish_tool, {"answer": str(done)})])
        return ModelResponse(parts=[TextPart(str(done))])

    return model


def add(a: int, b: int) -> int:
    """Add two ints."""
    return a + b


def test_react_per_iteration_overhead(benchmark, report, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    loop = asyncio.new_event_loop()
    plain = Agent(FunctionModel(_loop_model(None)), settings=AgentSettings(), tools=[add])
    react_agent = Agent(FunctionModel(_loop_model("final_answer")), settings=AgentSettings(), tools=[add])
    workflow = ReActWorkflow(react_agent, config=ReActConfig(max_iterations=ITERATIONS))

    def run_plain():
        loop.run_until_complete(plain.run("go"))
        plain.clear_context()

    def run_react():
        result = loop.run_until_complete(workflow.run("go"))
        assert result.success and result.total_iterations == ITERATIONS
        react_agent.clear_context()

    for fn in (run_plain, run_react):
        fn()
    # interleaved, so a load change on a shared machine hits both sides alike
    plain_s = react_s = float("inf")
    for _ in range(60):
        plain_s = min(plain_s, best_of(run_plain, repeat=1))
        react_s = min(react_s, best_of(run_react, repeat=1))
    report("iterations", ITERATIONS)
    report("plain_agent_run_us", round(plain_s * 1e6, 1))
    report("react_workflow_us", round(react_s * 1e6, 1))
    report("react_overhead_per_iteration_us", round((react_s - plain_s) / ITERATIONS * 1e6, 1))
    report("react_ratio", round(react_s / plain_s, 3))
    benchmark(run_react)
    loop.close()


def test_plan_execute_three_parallel_steps(benchmark, report, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    loop = asyncio.new_event_loop()
    brain = Brain(
        [[step("fetch"), step("parse"), step("store")]], slow={"fetch": 0.3, "parse": 0.3, "store": 0.3}
    )
    workflow = PlanExecuteWorkflow(Agent(brain.model(), settings=AgentSettings()))
    single = Agent(FunctionModel(_sleepy(0.3)), settings=AgentSettings())

    def run_plan():
        started = time.perf_counter()
        result = loop.run_until_complete(workflow.run("ingest"))
        assert result.success and brain.max_in_flight == 3
        return time.perf_counter() - started

    def run_one_step():
        started = time.perf_counter()
        loop.run_until_complete(single.run("one step"))
        single.clear_context()
        return time.perf_counter() - started

    plan_s = min(run_plan() for _ in range(3))
    one_s = min(run_one_step() for _ in range(3))
    report("one_step_s", round(one_s, 3))
    report("plan_execute_3_steps_s", round(plan_s, 3))
    report("ratio_to_one_step", round(plan_s / one_s, 2))
    benchmark.pedantic(run_plan, rounds=1, iterations=1)
    loop.close()


def _sleepy(seconds: float):
    async def model(messages, info):
        await asyncio.sleep(seconds)
        return ModelResponse(parts=[TextPart("done")])

    return model


def test_two_parallel_delegations(benchmark, report, tmp_path, monkeypatch):
    from mamba_agents.workflows import SubAgent

    from tests.workflows.test_subagents import child, parent_model

    monkeypatch.chdir(tmp_path)
    settings = AgentSettings()

    def parent_with(*names: str) -> Agent:
        subs = [SubAgent(Agent(child(delay=0.3), settings=settings), name=n) for n in ("a", "b")]
        return Agent(parent_model(*[(n, "t") for n in names]), settings=settings, subagents=subs)

    one, two = parent_with("a"), parent_with("a", "b")

    def timed(agent: Agent) -> float:
        started = time.perf_counter()
        assert "success:" in agent.run_sync("go").output
        agent.clear_context()
        return time.perf_counter() - started

    one_s = min(timed(one) for _ in range(3))
    two_s = min(timed(two) for _ in range(3))
    report("one_delegation_s", round(one_s, 3))
    report("two_parallel_delegations_s", round(two_s, 3))
    report("ratio", round(two_s / one_s, 2))
    benchmark.pedantic(lambda: timed(two), rounds=1, iterations=1)
