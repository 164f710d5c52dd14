"""``RequestTracer``: nested spans with ids, parents, durations, attributes and errors; a tree and JSON;
an Agent run's pydantic-ai spans and ours recorded into it without an OpenTelemetry SDK; ``--trace``."""

from __future__ import annotations

import asyncio
import json
import os
import threading

import pytest
from click.testing import CliRunner
from mamba_agents import Agent, AgentSettings, CompactionConfig
from mamba_agents.agent import AgentConfig
from mamba_agents.cli import cli
from mamba_agents.observability import RequestTracer, get_current_trace
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.usage import RequestUsage


def tool_then_answer(messages, info):
    if any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
        return ModelResponse(parts=[TextPart("done")], usage=RequestUsage(input_tokens=100, output_tokens=20))
    return ModelResponse(
        parts=[ToolCallPart("current_time", {"timezone": "UTC"})],
        usage=RequestUsage(input_tokens=80, output_tokens=10),
    )


def settings_with_clock() -> AgentSettings:
    return AgentSettings(tools={"enabled": ["current_time"]})


async def test_seed_readme_request_tracing():
    agent = Agent(FunctionModel(tool_then_answer), settings=settings_with_clock())
    prompt = "What time is it?"
    tracer = RequestTracer()
    tracer.start_trace()
    with tracer.start_span("agent.run") as span:
        span.set_attribute("prompt_length", len(prompt))
        result = await agent.run(prompt)
    trace = tracer.end_trace()
    assert result.output == "done"
    (run,) = trace.spans
    assert run.name == "agent.run" and run.attributes == {"prompt_length": len(prompt)}
    assert run.duration_ms is not None and run.duration_ms >= 0 and run.status == "ok"
    assert get_current_trace() is None and tracer.end_trace() is None


def test_nested_spans_have_parents_durations_errors_and_print_as_a_tree():
    tracer = RequestTracer("svc")
    trace = tracer.start_trace({"request": "r1"})
    assert get_current_trace() is trace and tracer.trace_id == trace.trace_id and len(trace.trace_id) == 32
    with tracer.start_span("outer") as outer:
        assert tracer.current_span_id == outer.span_id
        with tracer.start_span("inner", {"n": 1}) as inner:
            inner.add_event("step", {"k": "v"})
        with pytest.raises(ValueError), tracer.start_span("failing"):
            raise ValueError("password=hunter22 went wrong")
    assert tracer.current_span_id is None
    done = tracer.end_trace()
    by_name = {s.name: s for s in done.spans}
    assert by_name["outer"].parent_id is None
    assert by_name["inner"].parent_id == by_name["failing"].parent_id == by_name["outer"].span_id
    assert by_name["inner"].events[0]["name"] == "step"
    assert by_name["failing"].status == "error" and "hunter22" not in by_name["failing"].error
    assert all(len(s.span_id) == 16 and s.end_time >= s.start_time for s in done.spans)
    tree = str(done)
    assert tree.splitlines()[1].startswith("└── outer")
    assert "    ├── inner" in tree and "    └── failing" in tree and "error: ValueError" in tree
    data = json.loads(done.to_json())
    assert data["attributes"] == {"service.name": "svc", "request": "r1"}
    assert [s["name"] for s in data["spans"]] == ["outer", "inner", "failing"]
    assert data["spans"][1]["parent_id"] == data["spans"][0]["span_id"]


def test_spans_in_concurrent_tasks_and_threads_keep_their_own_parents():
    tracer = RequestTracer()
    tracer.start_trace()

    async def branch(name):
        with tracer.start_span(name):
            await asyncio.sleep(0.01)
            with tracer.start_span(f"{name}.child"):
                await asyncio.sleep(0.01)

    async def main():
        with tracer.start_span("root"):
            await asyncio.gather(branch("a"), branch("b"))

    asyncio.run(main())
    with tracer.start_span("threaded") as parent:
        import contextvars

        ctx = contextvars.copy_context()
        worker = threading.Thread(target=ctx.run, args=(lambda: tracer.start_span("in thread").end(),))
        worker.start()
        worker.join()
    trace = tracer.end_trace()
    spans = {s.name: s for s in trace.spans}
    assert spans["a.child"].parent_id == spans["a"].span_id
    assert spans["b.child"].parent_id == spans["b"].span_id
    assert spans["a"].parent_id == spans["b"].parent_id == spans["root"].span_id
    assert spans["in thread"].parent_id == parent.span_id


def test_a_trace_keeps_at_most_max_spans_and_says_how_many_it_dropped():
    tracer = RequestTracer(max_spans=5, max_attribute_length=10)
    tracer.start_trace()
    for i in range(12):
        with tracer.start_span(f"s{i}") as span:
            span.set_attribute("long", "x" * 100)
    trace = tracer.end_trace()
    assert len(trace.spans) == 5 and trace.dropped_spans == 7
    assert trace.spans[0].attributes["long"] == "x" * 10
    assert "7 spans dropped" in str(trace)


def test_trace_header_round_trip():
    upstream = RequestTracer()
    upstream.start_trace()
    with upstream.start_span("call") as span:
        header = upstream.get_trace_header()
    assert header["traceparent"] == f"00-{upstream.trace_id}-{span.span_id}-01"
    downstream = RequestTracer.from_header(header["traceparent"])
    with downstream.start_span("handle"):
        pass
    trace = downstream.end_trace()
    assert trace.trace_id == upstream.trace_id and trace.spans[0].parent_id == span.span_id
    with pytest.raises(ValueError, match="traceparent"):
        RequestTracer.from_header("garbage")


def test_an_agent_run_records_pydantic_ai_spans_and_our_compaction_span_into_the_trace():
    tracer = RequestTracer()
    config = AgentConfig(
        context=CompactionConfig(trigger_threshold_tokens=120, target_tokens=80, preserve_recent_turns=1)
    )
    agent = Agent(
        FunctionModel(tool_then_answer, model_name="gpt-4o"),
        settings=settings_with_clock(),
        config=config,
        capabilities=[tracer.instrumentation()],
        name="helper",
    )
    for i in range(3):
        agent.run_sync(f"question {i} " + "words " * 40)
    trace = tracer.end_trace()
    runs = trace.find("invoke_agent")
    assert [s.name for s in runs] == ["invoke_agent helper"] * 3
    assert all(s.parent_id is None for s in runs)
    run_ids = {s.span_id for s in runs}
    chats, tools = trace.find("chat"), trace.find("execute_tool")
    assert len(chats) == 6 and len(tools) == 3
    assert all(s.parent_id in run_ids for s in chats + tools)
    assert chats[0].attributes["gen_ai.usage.input_tokens"] == 80
    assert runs[0].attributes["gen_ai.aggregated_usage.input_tokens"] == 180
    compactions = trace.find("mamba.compaction")
    assert compactions, str(trace)
    assert all(c.parent_id in {s.span_id for s in chats} | run_ids for c in compactions)
    assert (
        compactions[0].attributes["mamba.compaction.tokens_after"]
        < (compactions[0].attributes["mamba.compaction.tokens_before"])
    )
    # no prompt or completion text unless asked for
    assert "question" not in trace.to_json()
    assert "tokens 80 in / 10 out" in str(trace)


def test_mamba_run_trace_prints_the_span_tree_after_the_answer(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    runner = CliRunner()
    done = runner.invoke(cli, ["run", "-m", "test", "-T", "current_time", "--trace", "hi"])
    assert done.exit_code == 0, done.output
    out, err = done.stdout, done.stderr
    assert out.strip().startswith('{"current_time"')
    assert "invoke_agent agent" in err and "execute_tool current_time" in err
    assert err.index("request(s)") < err.index("invoke_agent")  # after the answer and its footer
    assert "tokens 51 in" in err and " ms" in err
    as_json = runner.invoke(cli, ["run", "-m", "test", "--trace", "--json", "hi"])
    assert as_json.exit_code == 0, as_json.output
    trace = json.loads(as_json.stdout)["trace"]
    assert [s["name"] for s in trace["spans"]][:2] == ["invoke_agent agent", "chat test"]
