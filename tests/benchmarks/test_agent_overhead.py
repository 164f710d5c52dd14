"""Facade overhead per run against raw ``pydantic_ai.Agent.run`` with the same FunctionModel, same run."""

from __future__ import annotations

import asyncio

from mamba_agents import Agent, AgentConfig, AgentSettings
from pydantic_ai import Agent as RawAgent
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import FunctionModel

from tests.benchmarks.conftest import best_of


def _plain(messages, info):
    return ModelResponse(parts=[TextPart("ok")])


def _one_tool(messages, info):
    if any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
        return ModelResponse(parts=[TextPart("ok")])
    return ModelResponse(parts=[ToolCallPart("add", {"a": 1, "b": 2}, tool_call_id="t")])


def add(a: int, b: int) -> int:
    """Add two ints."""
    return a + b


def _measure(function, tools, report, label):
    loop = asyncio.new_event_loop()
    raw = RawAgent(FunctionModel(function), tools=tools)
    # a fresh conversation each run, so both sides do the same work (no growing history)
    facade = Agent(
        FunctionModel(function), settings=AgentSettings(), tools=tools, config=AgentConfig(track_context=True)
    )

    def run_raw():
        loop.run_until_complete(raw.run("hello"))

    def run_facade():
        loop.run_until_complete(facade.run("hello"))
        facade.clear_context()

    for fn in (run_raw, run_facade):
        fn()  # warm up
    raw_s = best_of(run_raw, repeat=200)
    facade_s = best_of(run_facade, repeat=200)
    report(f"{label}_raw_pydantic_ai_us", round(raw_s * 1e6, 1))
    report(f"{label}_mamba_facade_us", round(facade_s * 1e6, 1))
    report(f"{label}_ratio", round(facade_s / raw_s, 3))
    return run_facade, loop


def test_overhead_no_tool(benchmark, report, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run, loop = _measure(_plain, [], report, "no_tool")
    benchmark(run)
    loop.close()


def test_overhead_one_tool_call(benchmark, report, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run, loop = _measure(_one_tool, [add], report, "one_tool")
    benchmark(run)
    loop.close()
