"""Sub-agents from the outside: delegation through one tool, isolated history and tools, limits and
failures that come back as tool failures, parallel delegations, usage and cost rolled up."""

from __future__ import annotations

import asyncio

import pytest
from mamba_agents import Agent
from mamba_agents.config import AgentSettings
from mamba_agents.workflows import SubAgent
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

USAGE = RequestUsage(input_tokens=10, output_tokens=5)
PRICES = {
    "parent": {"input_per_mtok": 1.0, "output_per_mtok": 2.0},
    "child": {"input_per_mtok": 10.0, "output_per_mtok": 20.0},
}


def returns(messages: list[ModelMessage]) -> list[ToolReturnPart]:
    return [p for p in messages[-1].parts if isinstance(p, ToolReturnPart)] if messages else []


def parent_model(*delegations: tuple[str, str]):
    """Delegates every (agent_name, task) in one response, then answers with what came back."""
    seen: list[list[ToolReturnPart]] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        back = returns(messages)
        if back:
            seen.append(back)
            text = " | ".join(f"{p.outcome}:{p.model_response_str()}" for p in back)
            return ModelResponse(parts=[TextPart(text)], usage=USAGE)
        calls = [
            ToolCallPart("delegate_task", {"agent_name": n, "task": t}, tool_call_id=f"d{i}")
            for i, (n, t) in enumerate(delegations)
        ]
        return ModelResponse(parts=calls, usage=USAGE)

    model.seen = seen  # type: ignore[attr-defined]
    return FunctionModel(model, model_name="parent")


def child(
    answer: str = "child answer", *, delay: float = 0.0, log: list | None = None, flight: dict | None = None
):
    async def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if log is not None:
            log.append((list(messages), info))
        if flight is not None:
            flight["now"] = flight.get("now", 0) + 1
            flight["max"] = max(flight.get("max", 0), flight["now"])
        try:
            await asyncio.sleep(delay)
        finally:
            if flight is not None:
                flight["now"] -= 1
        return ModelResponse(parts=[TextPart(answer)], usage=USAGE)

    return FunctionModel(model, model_name="child")


def test_two_delegations_run_in_parallel_and_the_parent_reads_both() -> None:
    flight: dict = {}
    settings = AgentSettings()
    research = SubAgent(Agent(child("facts", delay=0.3, flight=flight), settings=settings), name="research",
                        description="finds facts")  # fmt: skip
    writer = SubAgent(Agent(child("prose", delay=0.3, flight=flight), settings=settings), name="writer")
    parent = Agent(parent_model(("research", "find"), ("writer", "write")), settings=settings,
                   subagents=[research, writer])  # fmt: skip
    output = parent.run_sync("go").output
    assert flight["max"] == 2
    assert output.startswith("success:facts") and "success:prose" in output
    assert "[sub-agent research: 1 request(s), 10 in / 5 out tokens]" in output


def test_the_tool_lists_the_subagents() -> None:
    seen: list[AgentInfo] = []

    def model(messages, info):
        seen.append(info)
        return ModelResponse(parts=[TextPart("ok")])

    sub = SubAgent(Agent(child(), settings=AgentSettings()), name="research", description="finds facts")
    Agent(FunctionModel(model), settings=AgentSettings(), subagents=[sub]).run_sync("x")
    tool = next(t for t in seen[0].function_tools if t.name == "delegate_task")
    assert "- research: finds facts" in tool.description
    assert set(tool.parameters_json_schema["properties"]) == {"agent_name", "task"}


def test_each_delegation_has_its_own_fresh_history() -> None:
    log: list = []
    sub = SubAgent(Agent(child(log=log), settings=AgentSettings(), system_prompt="I research."), name="r")
    parent = Agent(parent_model(("r", "first task")), settings=AgentSettings(), subagents=[sub])
    parent.run_sync("one")
    parent.run_sync("two")
    assert len(log) == 2
    for messages, info in log:
        assert len(messages) == 1 and isinstance(messages[0], ModelRequest)
        assert messages[0].parts[-1].content == "first task"  # only the task, nothing of the parent
        assert info.instructions == "I research."  # the sub-agent's own system prompt
    parent_text = str(parent.get_messages())
    assert "I research." not in parent_text and "child answer" in parent_text  # only the answer came back


def test_a_tool_outside_the_allow_list_is_refused() -> None:
    called: list[str] = []
    offered: list[list[str]] = []

    def sub_model(messages, info):
        offered.append([t.name for t in info.function_tools])
        if returns(messages):
            return ModelResponse(parts=[TextPart("gave up")])
        return ModelResponse(parts=[ToolCallPart("read_secret", {})])

    sub_agent = Agent(FunctionModel(sub_model), settings=AgentSettings())

    @sub_agent.tool_plain
    def read_secret() -> str:
        called.append("read_secret")
        return "s3cret"

    @sub_agent.tool_plain
    def add(a: int, b: int) -> int:
        return a + b

    sub = SubAgent(sub_agent, name="limited", tools=["add"])
    output = (
        Agent(parent_model(("limited", "read it")), settings=AgentSettings(), subagents=[sub])
        .run_sync("x")
        .output
    )
    assert called == [] and "s3cret" not in output
    assert offered[0] == ["add"]
    assert output.startswith("success:gave up")


def test_a_subagent_over_max_requests_is_a_failure_the_parent_reads() -> None:
    def looping(messages, info):
        return ModelResponse(parts=[ToolCallPart("add", {"a": 1, "b": 1})], usage=USAGE)

    sub_agent = Agent(FunctionModel(looping), settings=AgentSettings())

    @sub_agent.tool_plain
    def add(a: int, b: int) -> int:
        return a + b

    sub = SubAgent(sub_agent, name="loop", max_requests=2)
    parent = Agent(parent_model(("loop", "spin")), settings=AgentSettings(), subagents=[sub])
    output = parent.run_sync("x").output
    assert output.startswith("failed:") and "sub-agent 'loop' failed: it ran over a limit" in output
    assert "request_limit of 2" in output
    assert parent.subagents.usage_by_subagent()["loop"].failures == 1


def test_a_subagent_that_raises_or_times_out_is_a_failure_not_a_crash() -> None:
    def broken(messages, info):
        raise RuntimeError("model exploded")

    settings = AgentSettings()
    subs = [
        SubAgent(Agent(FunctionModel(broken), settings=settings), name="broken"),
        SubAgent(Agent(child(delay=5.0), settings=settings), name="slow", timeout=0.2),
    ]
    parent = Agent(parent_model(("broken", "a"), ("slow", "b")), settings=settings, subagents=subs)
    output = parent.run_sync("x").output
    assert "failed:" in output and "RuntimeError: model exploded" in output
    assert "sub-agent 'slow' failed: it ran past its timeout of 0.2 s" in output


def test_an_unknown_subagent_is_a_failure_naming_the_real_ones() -> None:
    sub = SubAgent(Agent(child(), settings=AgentSettings()), name="real")
    output = (
        Agent(parent_model(("ghost", "x")), settings=AgentSettings(), subagents=[sub]).run_sync("x").output
    )
    assert "failed:" in output and "no sub-agent 'ghost'; sub-agents: real" in output


def test_usage_and_cost_roll_up_exactly() -> None:
    settings = AgentSettings(tokens={"prices": PRICES})
    subs = [SubAgent(Agent(child(), settings=settings), name=n) for n in ("a", "b")]
    parent = Agent(parent_model(("a", "x"), ("b", "y")), settings=settings, subagents=subs)
    parent.run_sync("go")
    usage = parent.get_usage()
    assert usage.request_count == 4 and usage.input_tokens == 40 and usage.output_tokens == 20
    parent_cost = 2 * (10 * 1 + 5 * 2) / 1e6
    child_cost = 2 * (10 * 10 + 5 * 20) / 1e6
    assert parent.get_cost() == pytest.approx(parent_cost + child_cost) and parent.get_cost().priced
    by_sub = parent.subagents.usage_by_subagent()
    assert {n: (u.delegations, u.usage.requests) for n, u in by_sub.items()} == {"a": (1, 1), "b": (1, 1)}
    assert by_sub["a"].cost.total_cost == pytest.approx(child_cost / 2)


def test_bad_subagents_fail_when_built() -> None:
    agent = Agent(child(), settings=AgentSettings())
    with pytest.raises(ValueError, match="name must be"):
        SubAgent(agent, name="has space")
    with pytest.raises(ValueError, match="max_requests must be positive"):
        SubAgent(agent, name="x", max_requests=0)
    with pytest.raises(ValueError, match="unique"):
        Agent(
            child(),
            settings=AgentSettings(),
            subagents=[SubAgent(agent, name="x"), SubAgent(agent, name="x")],
        )


@pytest.fixture
def project(tmp_path, monkeypatch):
    import os

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    return tmp_path


def test_subagents_from_config(project) -> None:
    (project / "config.toml").write_text(
        '[subagents.clock]\ndescription = "tells the time"\nmodel = "test"\ntools = ["current_time"]\n'
        'system_prompt = "You tell the time."\nmax_requests = 5\ntimeout = 30\n'
    )
    parent = Agent(parent_model(("clock", "what time is it?")), settings=AgentSettings())
    sub = parent.subagents.subagents["clock"]
    assert (sub.max_requests, sub.timeout, sub.description) == (5, 30, "tells the time")
    assert sub.agent.model_name == "test" and sub.agent.get_system_prompt() == "You tell the time."
    output = parent.run_sync("go").output
    assert output.startswith("success:") and "[sub-agent clock: 2 request(s)" in output  # tool, then answer
    assert parent.get_usage().request_count == 4


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[subagents.clock]\ntools = ["curent_time"]\n',
            "subagents.clock.tools[0] = 'curent_time': unknown tool",
        ),
        ("[subagents.clock]\nmax_request = 5\n", "subagents.clock.max_request"),
        ("[subagents.clock]\ntimeout = 0\n", "subagents.clock.timeout"),
        ('[subagents."bad name"]\n', "SubAgent name must be"),
    ],
)
def test_bad_subagent_config_fails_when_the_agent_is_built(project, toml: str, message: str) -> None:
    from mamba_agents.config import ConfigError

    (project / "config.toml").write_text(toml)
    with pytest.raises(ConfigError) as caught:
        Agent(child(), settings=AgentSettings())
    assert message in str(caught.value) and "config.toml" in str(caught.value)


def test_path_locks_serialise_writes_across_parallel_subagents(project, monkeypatch) -> None:
    import threading
    import time
    from contextlib import contextmanager

    from mamba_agents_tools.locks import PATH_LOCKS

    holders: dict[str, int] = {}
    overlap: list[int] = []
    guard = threading.Lock()
    original = PATH_LOCKS.hold

    contended: list[bool] = []

    @contextmanager
    def slow_hold(*paths):
        key = ",".join(sorted(map(str, paths)))
        with guard:
            contended.append(holders.get(key, 0) > 0)  # the other sub-agent is writing right now
        with original(*paths):
            with guard:
                holders[key] = holders.get(key, 0) + 1
                overlap.append(holders[key])
            time.sleep(0.1)  # long enough for the other sub-agent's write to arrive meanwhile
            with guard:
                holders[key] -= 1
            yield

    monkeypatch.setattr(PATH_LOCKS, "hold", slow_hold)

    def writer(line: str):
        def model(messages, info):
            if returns(messages):
                return ModelResponse(parts=[TextPart("written")])
            return ModelResponse(parts=[ToolCallPart("append_file", {"path": "log.txt", "content": line})])

        return FunctionModel(model)

    settings = AgentSettings(tools={"enabled": ["append_file"], "base_directory": str(project)})
    subs = [SubAgent(Agent(writer(f"{n}\n"), settings=settings), name=n) for n in ("one", "two")]
    parent = Agent(parent_model(("one", "a"), ("two", "b")), settings=AgentSettings(), subagents=subs)
    assert parent.run_sync("x").output.count("success:written") == 2
    assert sorted((project / "log.txt").read_text().splitlines()) == ["one", "two"]
    assert overlap and max(overlap) == 1  # never two writers on log.txt at once
    assert any(contended)  # the two delegations did run at the same time and one waited


def test_keep_history_carries_the_subagents_conversation_across_delegations() -> None:
    log: list = []
    sub = SubAgent(Agent(child(log=log), settings=AgentSettings()), name="notes", keep_history=True)
    parent = Agent(parent_model(("notes", "remember this")), settings=AgentSettings(), subagents=[sub])
    parent.run_sync("one")
    parent.run_sync("two")
    assert [len(messages) for messages, _ in log] == [1, 3]  # the second delegation sees the first
    with pytest.raises(ValueError, match="keep_history needs a Mamba Agent"):
        from pydantic_ai import Agent as RawAgent

        SubAgent(RawAgent(child()), name="raw", keep_history=True)


def test_a_configured_session_survives_a_restart(project) -> None:
    from mamba_agents.sessions.store import forget_stores

    forget_stores()
    (project / "config.toml").write_text(
        f'[sessions]\nurl = "sqlite:///{project}/s.db"\n\n'
        '[subagents.notes]\nmodel = "test"\nsession = "notes-memory"\n'
    )
    first = Agent(parent_model(("notes", "remember the word cobalt")), settings=AgentSettings())
    assert first.subagents.subagents["notes"].keep_history
    first.run_sync("one")
    forget_stores()
    again = Agent("test", settings=AgentSettings()).resume("notes-memory")
    stored = " ".join(str(getattr(p, "content", "")) for m in again.get_messages() for p in m.parts)
    assert "remember the word cobalt" in stored


def test_an_agent_cannot_be_its_own_subagent() -> None:
    agent = Agent(child(), settings=AgentSettings())
    with pytest.raises(ValueError, match="its own sub-agent"):
        Agent.__init__(agent, child(), settings=AgentSettings(), subagents=[SubAgent(agent, name="me")])


def test_each_delegation_is_a_span(monkeypatch) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    monkeypatch.setattr(trace, "get_tracer", lambda *args, **kwargs: tracer)
    subs = [SubAgent(Agent(child(), settings=AgentSettings()), name=n) for n in ("a", "b")]
    Agent(parent_model(("a", "x"), ("b", "y")), settings=AgentSettings(), subagents=subs).run_sync("go")
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert {"delegate a", "delegate b"} <= set(spans)
    assert spans["delegate a"].attributes["mamba.subagent.requests"] == 1


def test_the_subagents_own_retries_apply_inside_a_delegation() -> None:
    from pydantic_ai import ModelHTTPError, ModelRateLimitError

    calls = {"n": 0}

    def flaky(messages, info):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ModelHTTPError.for_category(ModelRateLimitError, status_code=429, model_name="child")
        return ModelResponse(parts=[TextPart("after a retry")], usage=USAGE)

    settings = AgentSettings(retry={"initial_backoff_seconds": 0, "max_retries": 2})
    sub = SubAgent(Agent(FunctionModel(flaky, model_name="child"), settings=settings), name="flaky")
    output = (
        Agent(parent_model(("flaky", "x")), settings=AgentSettings(), subagents=[sub]).run_sync("go").output
    )
    assert output.startswith("success:after a retry") and calls["n"] == 2


def test_delegations_are_bounded_and_work_from_several_event_loops() -> None:
    from mamba_agents.workflows import SubAgentToolset
    from pydantic_ai import Agent as RawAgent

    flight: dict = {}
    subs = [
        SubAgent(Agent(child(delay=0.05, flight=flight), settings=AgentSettings()), name=n) for n in "abc"
    ]
    toolset = SubAgentToolset(subs, max_parallel=2)
    parent = RawAgent(parent_model(("a", "x"), ("b", "y"), ("c", "z")), toolsets=[toolset])
    for _ in range(2):  # a new event loop each time: the bound must hold in each
        output = asyncio.run(parent.run("go")).output
        assert output.count("success:") == 3
    assert flight["max"] == 2
    assert toolset.usage_by_subagent()["a"].delegations == 2
