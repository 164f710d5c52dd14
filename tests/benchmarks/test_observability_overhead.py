"""What observability costs per run, measured in one process against the same agent with it off.

One run = one tool call and two model requests (FunctionModel). Configurations, interleaved so that machine
load hits them alike: raw pydantic-ai; the facade with logging at INFO (our handler installed, writing to
/dev/null); at DEBUG with request and response bodies; with OpenTelemetry on (pydantic-ai's Instrumentation
into an SDK provider with an in-memory exporter, plus our spans); and raw pydantic-ai with that same
instrumentation, to tell pydantic-ai's own cost from ours. Off = the facade as every Agent is built (the
handler redacts only, as under pytest); and the facade without its run logging (correlation ids, metrics),
to see what being always on costs. Best of N per configuration; ratios are against off.
"""

from __future__ import annotations

import asyncio
import os

from mamba_agents import Agent, AgentConfig, AgentSettings
from mamba_agents.agent.capabilities import FacadeRuntime
from mamba_agents.config import LoggingConfig
from mamba_agents.observability import reset_logging, setup_logging
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_ai import Agent as RawAgent
from pydantic_ai import InstrumentationSettings
from pydantic_ai.capabilities import Instrumentation
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import FunctionModel

from tests.benchmarks.conftest import best_of

ROUNDS, PER_ROUND = 8, 25


def _one_tool(messages, info):
    if any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
        return ModelResponse(parts=[TextPart("ok")])
    return ModelResponse(parts=[ToolCallPart("add", {"a": 1, "b": 2}, tool_call_id="t")])


def add(a: int, b: int) -> int:
    """Add two ints."""
    return a + b


def test_observability_overhead_per_run(benchmark, report, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    loop = asyncio.new_event_loop()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    def instrumentation():
        return Instrumentation(
            settings=InstrumentationSettings(tracer_provider=provider, include_content=False)
        )

    def facade(*capabilities):
        return Agent(
            FunctionModel(_one_tool),
            settings=AgentSettings(),
            tools=[add],
            config=AgentConfig(track_context=True),
            capabilities=list(capabilities),
        )

    raw = RawAgent(FunctionModel(_one_tool), tools=[add])
    raw_otel = RawAgent(FunctionModel(_one_tool), tools=[add], capabilities=[instrumentation()])
    off, otel, bare = facade(), facade(instrumentation()), facade()
    # the facade without its run logging (correlation ids, metrics, body logs): what being always on costs
    for capability in bare.pydantic_agent._root_capability.capabilities:
        if isinstance(capability, FacadeRuntime):
            capability.log = None

    def runner(agent, before=None):
        def run():
            if before is not None:
                before()
            loop.run_until_complete(agent.run("hello"))
            if isinstance(agent, Agent):
                agent.clear_context()  # a fresh conversation each run: the same work every time
            exporter.clear()

        return run

    info = LoggingConfig(level="INFO", file=os.devnull)
    debug = LoggingConfig(
        level="DEBUG", file=os.devnull, include_request_body=True, include_response_body=True
    )
    cases = {
        "raw_pydantic_ai": (runner(raw), None),
        "raw_pydantic_ai_otel": (runner(raw_otel), None),
        "facade_without_run_log": (runner(bare), reset_logging),
        "off": (runner(off), reset_logging),
        "logging_info": (runner(off), lambda: setup_logging(info)),
        "logging_debug_bodies": (runner(off), lambda: setup_logging(debug)),
        "otel_in_memory": (runner(otel), reset_logging),
    }
    best = dict.fromkeys(cases, float("inf"))
    try:
        for run, prepare in cases.values():
            if prepare:
                prepare()
            run()  # warm up
        for _ in range(ROUNDS):
            for name, (run, prepare) in cases.items():
                if prepare:
                    prepare()
                best[name] = min(best[name], best_of(run, repeat=PER_ROUND))
    finally:
        reset_logging()
    for name, seconds in best.items():
        report(f"{name}_us", round(seconds * 1e6, 1))
    for name in ("logging_info", "logging_debug_bodies", "otel_in_memory"):
        report(f"{name}_vs_off_ratio", round(best[name] / best["off"], 3))
    report("off_vs_raw_ratio", round(best["off"] / best["raw_pydantic_ai"], 3))
    report("off_vs_facade_without_run_log_ratio", round(best["off"] / best["facade_without_run_log"], 3))
    report("pydantic_ai_otel_vs_raw_ratio", round(best["raw_pydantic_ai_otel"] / best["raw_pydantic_ai"], 3))
    assert len(exporter.get_finished_spans()) == 0  # cleared after every run: nothing piles up
    benchmark(cases["otel_in_memory"][0])
    loop.close()
