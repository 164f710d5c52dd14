"""``[observability] otel = true``: pydantic-ai's GenAI spans for every Agent run, plus ours (compaction,
retries, circuit breaker, sandbox denials, MCP connects, workflow steps), read from an in-memory exporter on
the global provider; ``get_otel_integration()``; exporters from ``[observability]`` (in a fresh process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from mamba_agents import Agent, AgentSettings
from mamba_agents.agent import AgentConfig
from mamba_agents.config import ConfigError
from mamba_agents.context import CompactionConfig
from mamba_agents.errors import ServerError
from mamba_agents.observability import get_otel_integration
from mamba_agents.workflows import WorkflowState
from mamba_agents.workflows.base import Workflow
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.usage import RequestUsage

_exporter = InMemorySpanExporter()


@pytest.fixture
def spans():
    """Finished spans of the global SDK provider (set once a process; an earlier test's is reused)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    if not getattr(provider, "_mamba_test_exporter", False):
        provider.add_span_processor(SimpleSpanProcessor(_exporter))
        provider._mamba_test_exporter = True
    _exporter.clear()
    yield _exporter
    _exporter.clear()


def otel_settings(**sections) -> AgentSettings:
    return AgentSettings(observability={"otel": True}, **sections)


def by_id(finished):
    return {s.context.span_id: s for s in finished}


def ancestors(span, index):
    out = []
    while span.parent is not None and span.parent.span_id in index:
        span = index[span.parent.span_id]
        out.append(span.name)
    return out


def test_a_run_with_a_tool_a_compaction_and_a_retry_emits_genai_spans_and_ours(spans):
    calls = {"n": 0}

    def model(messages, info):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ModelHTTPError(503, "gpt-4o", body="overloaded")
        if any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
            return ModelResponse(
                parts=[TextPart("done")], usage=RequestUsage(input_tokens=90, output_tokens=5)
            )
        return ModelResponse(
            parts=[ToolCallPart("current_time", {"timezone": "UTC"})],
            usage=RequestUsage(input_tokens=80, output_tokens=10),
        )

    settings = otel_settings(
        tools={"enabled": ["current_time"]},
        retry={"initial_backoff_seconds": 0, "max_backoff_seconds": 0},
    )
    config = AgentConfig(
        context=CompactionConfig(trigger_threshold_tokens=120, target_tokens=80, preserve_recent_turns=1)
    )
    agent = Agent(FunctionModel(model, model_name="gpt-4o"), settings=settings, config=config, name="bot")
    agent.run_sync("hello " + "words " * 40)
    agent.run_sync("again " + "words " * 40)
    finished = spans.get_finished_spans()
    index = by_id(finished)
    names = [s.name for s in finished]
    assert names.count("invoke_agent bot") == 2
    assert "execute_tool current_time" in names and "chat gpt-4o" in names
    retry = next(s for s in finished if s.name == "mamba.retry")
    assert retry.attributes["mamba.retry.attempt"] == 1 and retry.attributes["error.type"]
    assert "invoke_agent bot" in ancestors(retry, index)
    compaction = next(s for s in finished if s.name == "mamba.compaction")
    assert (
        compaction.attributes["mamba.compaction.tokens_after"]
        < compaction.attributes["mamba.compaction.tokens_before"]
    )
    assert compaction.attributes["mamba.compaction.strategy"] == "sliding_window"
    assert "invoke_agent bot" in ancestors(compaction, index)
    run = next(s for s in finished if s.name == "invoke_agent bot")
    assert run.attributes["gen_ai.aggregated_usage.input_tokens"] >= 80
    assert "words" not in json.dumps([dict(s.attributes) for s in finished])  # content off by default


def test_include_content_puts_prompts_in_spans(spans):
    agent = Agent("test", settings=AgentSettings(observability={"otel": True, "include_content": True}))
    agent.run_sync("tell me about zebras")
    dumped = json.dumps([dict(s.attributes) for s in spans.get_finished_spans()])
    assert "zebras" in dumped


def test_without_otel_an_agent_emits_no_genai_spans(spans):
    Agent("test", settings=AgentSettings()).run_sync("hi")
    assert not [s for s in spans.get_finished_spans() if s.name.startswith("invoke_agent")]


def test_a_circuit_that_opens_is_a_span(spans):
    def down(messages, info):
        raise ModelHTTPError(503, "m", body="down")

    settings = otel_settings(
        retry={"max_retries": 0, "circuit_breaker_threshold": 1, "initial_backoff_seconds": 0}
    )
    agent = Agent(FunctionModel(down, model_name="m"), settings=settings)
    with pytest.raises(ServerError):
        agent.run_sync("hi")
    changes = [s for s in spans.get_finished_spans() if s.name == "mamba.circuit_breaker"]
    assert changes and changes[0].attributes["mamba.breaker.state"] == "open"
    assert changes[0].attributes["mamba.breaker.previous"] == "closed"


def test_a_sandbox_denial_is_a_span_and_a_log_line(spans, tmp_path, caplog):
    def model(messages, info):
        if any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
            return ModelResponse(parts=[TextPart("could not")])
        return ModelResponse(parts=[ToolCallPart("read_file", {"path": "/etc/passwd"})])

    settings = otel_settings(tools={"enabled": ["read_file"], "base_directory": str(tmp_path)})
    agent = Agent(FunctionModel(model), settings=settings)
    with caplog.at_level("INFO", logger="mamba_agents.tools"):
        agent.run_sync("read it")
    denied = [s for s in spans.get_finished_spans() if s.name == "mamba.tool.denied"]
    assert len(denied) == 1
    assert denied[0].attributes["gen_ai.tool.name"] == "read_file"
    assert denied[0].attributes["mamba.denial.type"] == "PathOutsideSandboxError"
    assert "execute_tool read_file" in ancestors(denied[0], by_id(spans.get_finished_spans()))
    assert "tool read_file denied" in caplog.text


def test_mcp_connect_attempts_are_a_span(spans):
    settings = otel_settings(
        mcp={
            "servers": {
                "gone": {"url": "http://127.0.0.1:9/mcp", "optional": True, "timeout": 1, "max_reconnects": 0}
            }
        }
    )
    Agent("test", settings=settings).run_sync("hi")
    connects = [s for s in spans.get_finished_spans() if s.name == "mamba.mcp.connect"]
    assert connects and connects[0].attributes["mamba.mcp.server"] == "gone"
    assert connects[0].status.status_code is trace.StatusCode.ERROR


class TwoSteps(Workflow[None, str, dict]):
    name = "two_steps"

    def __init__(self, agent):
        super().__init__()
        self.agent = agent

    def _create_initial_state(self, prompt):
        return WorkflowState(context={})

    async def _execute(self, prompt, state, deps=None):
        await self.run_agent(self.agent, prompt, step_type="draft")
        return (await self.run_agent(self.agent, "again", step_type="review")).output


def test_workflow_steps_are_spans_around_the_agent_runs(spans):
    workflow = TwoSteps(Agent("test", settings=otel_settings()))
    assert workflow.run_sync("go").success
    finished = spans.get_finished_spans()
    steps = [s for s in finished if s.name.startswith("mamba.workflow.step")]
    assert [s.name for s in steps] == ["mamba.workflow.step draft", "mamba.workflow.step review"]
    assert [s.attributes["mamba.workflow.step"] for s in steps] == [1, 2]
    runs = [s for s in finished if s.name.startswith("invoke_agent")]
    assert [r.parent.span_id for r in runs] == [s.context.span_id for s in steps]


async def test_seed_readme_otel_example(spans):
    agent = Agent("test", settings=otel_settings())
    prompt = "hello"
    otel = get_otel_integration()
    assert otel.initialize() is True and otel.is_initialized
    with otel.trace_agent_run(prompt, model="gpt-4o"):
        result = await agent.run(prompt)
    assert result.output
    finished = spans.get_finished_spans()
    outer = next(s for s in finished if s.name == "mamba.agent_run")
    assert outer.attributes["gen_ai.request.model"] == "gpt-4o" and "mamba.prompt" not in outer.attributes
    inner = next(s for s in finished if s.name.startswith("invoke_agent"))
    assert inner.parent.span_id == outer.context.span_id
    with otel.trace_tool_call("lookup", {"q": "x"}), otel.trace_model_request("gpt-4o", token_count=3):
        pass
    assert {"mamba.tool lookup", "mamba.model_request gpt-4o"} <= {s.name for s in spans.get_finished_spans()}


def fresh(code: str, config: str, tmp_path) -> subprocess.CompletedProcess:
    (tmp_path / "config.toml").write_text(textwrap.dedent(config))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )


def test_the_console_exporter_prints_every_runs_spans(tmp_path):
    done = fresh(
        """
        from mamba_agents import Agent
        Agent("test").run_sync("hi")
        from mamba_agents.observability import get_otel_integration
        get_otel_integration().force_flush()
        """,
        '[observability]\notel = true\nexporter = "console"\nservice_name = "svc-x"\n',
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert '"name": "invoke_agent agent"' in done.stdout and '"name": "chat test"' in done.stdout
    assert '"service.name": "svc-x"' in done.stdout


def test_an_exporter_without_its_package_fails_when_the_agent_is_built(tmp_path):
    no_sdk = fresh(
        """
        import sys
        sys.modules["opentelemetry.sdk"] = None  # as if opentelemetry-sdk were not installed
        from mamba_agents.observability import get_otel_integration
        print(get_otel_integration().initialize())
        from mamba_agents import Agent
        Agent("test")
        """,
        '[observability]\notel = true\nexporter = "console"\n',
        tmp_path,
    )
    assert no_sdk.stdout.strip() == "False"
    assert "observability.exporter = 'console' needs the OpenTelemetry SDK" in no_sdk.stderr
    otlp = fresh(
        'from mamba_agents import Agent\nAgent("test")\n',
        '[observability]\notel = true\nexporter = "otlp"\nendpoint = "http://127.0.0.1:4318/v1/traces"\n',
        tmp_path,
    )
    assert otlp.returncode != 0
    assert "opentelemetry-exporter-otlp-proto-http" in otlp.stderr


def test_observability_keys_are_checked():
    with pytest.raises(ConfigError) as err:
        AgentSettings(observability={"exporter": "jaeger"})
    assert "observability.exporter" in str(err.value) and "otlp" in str(err.value)
    with pytest.raises(ConfigError):
        AgentSettings(observability={"endpoint": "not a url"})


async def test_an_mcp_server_killed_between_runs_reconnects_under_a_reconnect_span(spans):
    import signal

    from mamba_agents.mcp import MCPClientManager

    from tests.mcp.conftest import ScriptedModel, stdio_config

    manager = MCPClientManager([stdio_config(tool_prefix="t")])
    scripted = ScriptedModel()
    agent = Agent(scripted.model, settings=otel_settings(), toolsets=manager.as_toolsets())
    try:
        scripted.calls(("t_pid", {}))
        await agent.run("pid?")
        os.kill(int(scripted.last().content), signal.SIGKILL)
        scripted.calls(("t_pid", {}))
        await agent.run("pid again?")
        assert scripted.last().outcome == "success"
    finally:
        await manager.aclose()
    finished = spans.get_finished_spans()
    names = [s.name for s in finished if s.name.startswith("mamba.mcp.")]
    assert names == ["mamba.mcp.connect", "mamba.mcp.reconnect"]
    reconnect = next(s for s in finished if s.name == "mamba.mcp.reconnect")
    assert reconnect.attributes["mamba.mcp.server"] == "t"
    assert reconnect.status.status_code is not trace.StatusCode.ERROR
    assert "invoke_agent agent" in ancestors(reconnect, by_id(finished))
