"""``agent.get_metrics()`` and the OpenTelemetry metrics: tokens, cost, latency, retries, compactions and
denials per model, for runs with a tool call, a compaction and a retry; ``mamba run --json`` carries them."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from mamba_agents import Agent, AgentSettings
from mamba_agents.agent import AgentConfig
from mamba_agents.cli import cli
from mamba_agents.context import CompactionConfig
from mamba_agents.errors import ServerError
from mamba_agents.observability.metrics import LATENCY_WINDOW, MetricsRecorder
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.usage import RequestUsage

_reader = InMemoryMetricReader()


@pytest.fixture(scope="module")
def reader():
    """The global SDK meter provider with an in-memory reader (set once a process)."""
    provider = metrics.get_meter_provider()
    if not isinstance(provider, MeterProvider):
        metrics.set_meter_provider(MeterProvider(metric_readers=[_reader]))
    if not isinstance(metrics.get_meter_provider(), MeterProvider):
        pytest.skip("another global meter provider is set")
    return _reader


def points(reader, name):
    """``{(model, token type or None): value}`` of metric ``name`` collected now."""
    out = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != name:
                    continue
                for point in metric.data.data_points:
                    key = (
                        point.attributes.get("gen_ai.request.model"),
                        point.attributes.get("gen_ai.token.type"),
                    )
                    out[key] = getattr(point, "value", None) if hasattr(point, "value") else point.count
    return out


def flaky_tool_model():
    calls = {"n": 0}

    def model(messages, info):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ModelHTTPError(503, "m-1", body="busy")
        if any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
            return ModelResponse(
                parts=[TextPart("done")], usage=RequestUsage(input_tokens=90, output_tokens=5)
            )
        return ModelResponse(
            parts=[ToolCallPart("current_time", {"timezone": "UTC"})],
            usage=RequestUsage(input_tokens=80, output_tokens=10),
        )

    return FunctionModel(model, model_name="m-1")


def test_get_metrics_counts_requests_tokens_latency_retries_and_compactions(reader):
    before = points(reader, "mamba.agent.tokens")
    settings = AgentSettings(
        tools={"enabled": ["current_time"]}, retry={"initial_backoff_seconds": 0, "max_backoff_seconds": 0}
    )
    config = AgentConfig(
        context=CompactionConfig(trigger_threshold_tokens=120, target_tokens=80, preserve_recent_turns=1)
    )
    agent = Agent(flaky_tool_model(), settings=settings, config=config)
    agent.run_sync("one " + "words " * 40)
    agent.run_sync("two " + "words " * 40)
    m = agent.get_metrics()
    assert (m.runs, m.failed_runs, m.requests, m.retries) == (2, 0, 4, 1)
    assert (m.input_tokens, m.output_tokens) == (2 * 80 + 2 * 90, 2 * 10 + 2 * 5)
    assert m.input_tokens == agent.get_usage().input_tokens
    assert m.compactions == len(agent.get_compaction_history()) >= 1 and m.tokens_compacted > 0
    assert m.unpriced_requests == 4 and m.cost_usd == 0.0  # m-1 has no price: unknown, not free
    assert m.latency.count == 4 and 0 <= m.latency.min_s <= m.latency.p50_s <= m.latency.max_s
    assert set(m.per_model) == {"m-1"} and m.per_model["m-1"].retries == 1
    json.dumps(m.to_dict())
    after = points(reader, "mamba.agent.tokens")
    assert after[("m-1", "input")] - before.get(("m-1", "input"), 0) == 340
    assert after[("m-1", "output")] - before.get(("m-1", "output"), 0) == 30
    assert points(reader, "mamba.agent.retries")[("m-1", None)] >= 1
    assert points(reader, "mamba.agent.request.duration")[("m-1", None)] >= 4
    assert sum(points(reader, "mamba.agent.compactions").values()) >= 1
    agent.reset_tracking()
    assert agent.get_metrics().requests == 0 and agent.get_metrics().per_model == {}


def test_priced_models_add_up_cost_and_failed_runs_and_denials_count(reader, tmp_path):
    settings = AgentSettings(
        tokens={"prices": {"priced": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}},
        tools={"enabled": ["read_file"], "base_directory": str(tmp_path)},
        retry={"max_retries": 0},
    )

    def model(messages, info):
        if any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
            return ModelResponse(
                parts=[TextPart("no")], usage=RequestUsage(input_tokens=1000, output_tokens=500)
            )
        return ModelResponse(
            parts=[ToolCallPart("read_file", {"path": "../outside.txt"})],
            usage=RequestUsage(input_tokens=1000, output_tokens=500),
        )

    agent = Agent(FunctionModel(model, model_name="priced"), settings=settings)
    agent.run_sync("read")
    m = agent.get_metrics()
    assert m.tool_denials == 1 and m.unpriced_requests == 0
    assert m.cost_usd == pytest.approx(2 * (1000 * 1.0 + 500 * 2.0) / 1e6)
    assert m.cost_usd == pytest.approx(float(agent.get_cost()))

    def down(messages, info):
        raise ModelHTTPError(503, "priced", body="down")

    with agent.override(model=FunctionModel(down, model_name="priced")), pytest.raises(ServerError):
        agent.run_sync("again")
    assert agent.get_metrics().runs == 2 and agent.get_metrics().failed_runs == 1


def test_latency_memory_is_bounded():
    recorder = MetricsRecorder("m")
    for _ in range(LATENCY_WINDOW * 3):
        recorder.request_started()
        recorder.request_done(
            type("R", (), {"model": "m", "input_tokens": 1, "output_tokens": 1, "cost": None})()
        )
    m = recorder.snapshot()
    assert m.requests == m.latency.count == LATENCY_WINDOW * 3
    assert len(recorder._total.window) == LATENCY_WINDOW


def test_mamba_run_json_has_the_metrics(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    done = CliRunner().invoke(cli, ["run", "-m", "test", "-T", "current_time", "--json", "hi"])
    assert done.exit_code == 0, done.output
    figures = json.loads(done.stdout)["metrics"]
    assert figures["requests"] == 2 and figures["runs"] == 1
    assert figures["latency"]["count"] == 2 and figures["per_model"]["test"]["input_tokens"] > 0
