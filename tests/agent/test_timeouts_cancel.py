"""Timeouts and cancellation through a real ``Agent``: which limit stopped the run, and what history keeps.

The model is a ``FunctionModel`` whose requests wait on events the test controls, so nothing depends on
how fast the machine is; the time limits are short and the waits they cut are long.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from mamba_agents import Agent, AgentConfig, AgentSettings
from mamba_agents.agent.cancel import INCOMPLETE_KEY, is_incomplete_note, ran_tools
from mamba_agents.errors import RunCancelledError, RunTimeoutError
from mamba_agents.sessions.store import forget_stores
from pydantic_ai import CancellationToken, RunCancelled, RunTimedOut
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel

# How long a blocked model request or tool waits at most (a test that fails must still end).
LONG = 30.0
# A run limit that the steps before the blocked one (a first request, a quick tool) meet even on a loaded
# machine; what it cuts is a wait of LONG.
LIMIT = 1.5


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """One complete tool turn first: the first priced response and token count of a process load data
    (seconds on a busy machine), which would otherwise eat the short limits below."""
    script = Script(["write_note"])
    script.release.set()
    agent, _ = make_agent(script, AgentSettings())
    assert agent.run_sync("warm up", timeout=LONG).output == "final answer"


def prompts(messages: list[ModelMessage]) -> list[str]:
    return [
        p.content
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, UserPromptPart) and isinstance(p.content, str)
    ]


def tool_returns(messages: list[ModelMessage]) -> list[ToolReturnPart]:
    return [
        p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolReturnPart)
    ]


def every_call_answered(messages: list[ModelMessage]) -> bool:
    calls = [
        p.tool_call_id
        for m in messages
        if isinstance(m, ModelResponse)
        for p in m.parts
        if isinstance(p, ToolCallPart)
    ]
    answered = {p.tool_call_id for p in tool_returns(messages)}
    return set(calls) <= answered


class Script:
    """First request: call ``tools`` (in one response); after their results: block until released.

    ``requests`` holds what each request was sent; ``blocked`` is set once a request is blocked.
    """

    def __init__(self, tools: list[str], *, first_blocks: bool = False) -> None:
        self.tools = tools
        self.first_blocks = first_blocks
        self.requests: list[list[ModelMessage]] = []
        self.blocked = threading.Event()
        self.release = threading.Event()

    async def _block(self) -> None:
        self.blocked.set()
        for _ in range(int(LONG / 0.01)):
            if self.release.is_set():
                return
            await asyncio.sleep(0.01)

    async def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.requests.append(list(messages))
        last = messages[-1]
        answered = isinstance(last, ModelRequest) and any(isinstance(p, ToolReturnPart) for p in last.parts)
        if answered or not self.tools or (self.first_blocks and len(self.requests) == 1):
            await self._block()
            return ModelResponse(parts=[TextPart("final answer")])
        return ModelResponse(
            parts=[ToolCallPart(name, {}, tool_call_id=f"c{i}") for i, name in enumerate(self.tools)]
        )


def make_agent(script: Script, settings: AgentSettings, **config: Any) -> tuple[Agent, list[str]]:
    ran: list[str] = []
    agent = Agent(FunctionModel(script, model_name="script"), settings=settings, config=AgentConfig(**config))

    @agent.tool_plain
    def write_note(text: str = "x") -> str:
        """Side effect: records that it ran."""
        ran.append("write_note")
        return "note written"

    @agent.tool_plain
    async def slow_lookup() -> str:
        """Never finishes within a test's limits."""
        ran.append("slow_lookup started")
        script.blocked.set()
        await asyncio.sleep(LONG)
        return "late"

    @agent.tool_plain
    def blocking_sync() -> str:
        """A sync tool stuck in its thread (released at the end of the test)."""
        ran.append("blocking_sync started")
        script.blocked.set()
        script.release.wait(LONG)
        return "unblocked"

    return agent, ran


# -- timeouts ---------------------------------------------------------------------------------------


def test_timeout_before_any_tool_leaves_history_as_it_was(settings: AgentSettings) -> None:
    script = Script([], first_blocks=True)
    agent, _ = make_agent(script, settings)
    with pytest.raises(RunTimeoutError) as caught:
        agent.run_sync("hello", timeout=0.2)
    error = caught.value
    assert (
        isinstance(error, RunTimedOut) and isinstance(error, TimeoutError) and isinstance(error, RunCancelled)
    )
    assert "timeout=0.2 s" in str(error) and "history is as it was" in str(error)
    assert error.reason == "timeout" and error.timeout == 0.2 and error.tool_calls_kept == 0
    assert agent.get_messages() == []
    script.release.set()


def test_run_timeout_from_config_names_the_setting_and_keeps_the_tools_that_ran(
    settings: AgentSettings,
) -> None:
    script = Script(["write_note"])
    agent, ran = make_agent(script, settings, run_timeout=LIMIT)
    with pytest.raises(RunTimeoutError) as caught:
        agent.run_sync("take a note")
    assert f"AgentConfig.run_timeout = {LIMIT:g} s" in str(caught.value)
    assert caught.value.tool_calls_kept == 1 and "1 tool call(s) that ran are kept" in str(caught.value)
    history = agent.get_messages()
    assert prompts(history)[0] == "take a note"
    assert [p.content for p in tool_returns(history)] == ["note written"]
    assert is_incomplete_note(history[-1])
    assert history[-1].metadata[INCOMPLETE_KEY]["reason"] == "timeout"
    assert not any(isinstance(m, ModelResponse) and m.state != "complete" for m in history)

    # The next run sees what happened and the note; the tool is not run a second time by the framework.
    script.release.set()
    result = agent.run_sync("did it work?", timeout=LONG)
    assert result.output == "final answer"
    seen = script.requests[-1]
    assert [p.content for p in tool_returns(seen)] == ["note written"]
    assert any("stopped before it finished" in p for p in prompts(seen))
    assert prompts(seen)[-1] == "did it work?"
    assert ran == ["write_note"]


def test_a_timeout_mid_tool_keeps_the_finished_results_and_closes_the_rest(settings: AgentSettings) -> None:
    script = Script(["write_note", "slow_lookup"])
    agent, _ = make_agent(script, settings)
    with pytest.raises(RunTimeoutError):
        agent.run_sync("go", timeout=LIMIT)
    history = agent.get_messages()
    returns = {p.tool_name: p for p in tool_returns(history)}
    assert returns["write_note"].content == "note written" and returns["write_note"].outcome == "success"
    assert returns["slow_lookup"].outcome == "interrupted"
    assert every_call_answered(history) and is_incomplete_note(history[-1])
    script.release.set()


def test_the_wait_for_another_run_counts_against_the_timeout(settings: AgentSettings) -> None:
    script = Script([], first_blocks=True)
    agent, _ = make_agent(script, settings)

    async def main() -> None:
        first = asyncio.create_task(agent.run("first", timeout=LONG))
        while not script.blocked.is_set():
            await asyncio.sleep(0.01)
        with pytest.raises(RunTimeoutError) as caught:
            await agent.run("second", timeout=0.1)
        assert "waiting for another run of this agent" in str(caught.value)
        assert caught.value.incomplete is False
        script.release.set()
        assert (await first).output == "final answer"

    asyncio.run(main())
    assert prompts(agent.get_messages()) == ["first"]


def test_bad_timeout_is_refused() -> None:
    agent = Agent(FunctionModel(Script([])), settings=AgentSettings())
    with pytest.raises(ValueError, match="timeout must be > 0"):
        agent.run_sync("x", timeout=0)
    with pytest.raises(ValueError, match="run_timeout"):
        AgentConfig(run_timeout=-1)
    with pytest.raises(ValueError, match="tool_timeout"):
        AgentConfig(tool_timeout=0)


# -- tool timeout ------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", ["slow_lookup", "blocking_sync"])
def test_a_tool_past_tool_timeout_is_a_failure_the_model_reads(settings: AgentSettings, tool: str) -> None:
    answers: list[list[ToolReturnPart]] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returns = [p for p in messages[-1].parts if isinstance(p, ToolReturnPart)]
        if returns:
            answers.append(returns)
            return ModelResponse(parts=[TextPart("handled")])
        return ModelResponse(parts=[ToolCallPart(tool, {}, tool_call_id="t1")])

    script = Script([])
    agent, _ = make_agent(script, settings, tool_timeout=0.2)
    with agent.override(model=FunctionModel(model)):
        result = agent.run_sync("use the tool", timeout=LONG)
    # The run finished while the tool was still stuck: the tool was cancelled (a sync one abandoned).
    assert not script.release.is_set()
    assert result.output == "handled"
    [failure] = answers[0]
    assert failure.outcome == "failed"
    assert "AgentConfig.tool_timeout" in str(failure.content) and tool in str(failure.content)
    script.release.set()


# -- cancellation ------------------------------------------------------------------------------------


def test_cancel_when_idle_says_so(settings: AgentSettings) -> None:
    agent, _ = make_agent(Script([]), settings)
    assert agent.cancel() is False


def test_cancel_from_another_thread_stops_a_run_sync_and_keeps_what_ran(settings: AgentSettings) -> None:
    script = Script(["write_note"])
    agent, _ = make_agent(script, settings)
    outcome: list[BaseException] = []

    def worker() -> None:
        try:
            agent.run_sync("note it", timeout=LONG)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    assert script.blocked.wait(LONG)
    assert agent.cancel() is True
    thread.join(LONG)
    [error] = outcome
    assert isinstance(error, RunCancelledError) and isinstance(error, RunCancelled)
    assert not isinstance(error, RunTimedOut)
    assert "agent.cancel()" in str(error) and error.reason == "cancelled"
    history = agent.get_messages()
    assert [p.content for p in tool_returns(history)] == ["note written"]
    assert history[-1].metadata[INCOMPLETE_KEY]["reason"] == "cancelled"
    assert agent.cancel() is False
    script.release.set()


def test_cancel_from_another_task_and_a_token(settings: AgentSettings) -> None:
    script = Script([], first_blocks=True)
    agent, _ = make_agent(script, settings)

    async def main() -> None:
        task = asyncio.create_task(agent.run("one"))
        while not script.blocked.is_set():
            await asyncio.sleep(0.01)
        agent.cancel()
        with pytest.raises(RunCancelledError, match=r"agent\.cancel"):
            await task
        script.blocked.clear()
        token = CancellationToken()
        task = asyncio.create_task(agent.run("two", cancellation_token=token))
        while not script.blocked.is_set():
            await asyncio.sleep(0.01)
        token.cancel()
        with pytest.raises(RunCancelledError, match="cancellation_token"):
            await task

    asyncio.run(main())
    assert agent.get_messages() == []  # no tool ran in either: nothing to keep
    script.release.set()


async def test_a_stream_cancelled_part_way_is_not_stored(settings: AgentSettings) -> None:
    gate = asyncio.Event()

    async def stream(messages: list[ModelMessage], info: AgentInfo):
        yield "half an "
        await gate.wait()
        yield "answer"

    agent = Agent(FunctionModel(stream_function=stream, model_name="s"), settings=settings)
    with pytest.raises(RunCancelledError):
        async with agent.run_stream("stream please") as run:
            async for delta in run.stream_text(delta=True, debounce_by=None):
                assert delta == "half an "
                agent.cancel()
    assert agent.get_messages() == []
    gate.set()


async def test_a_stream_after_a_tool_keeps_the_tool_not_the_partial_text(settings: AgentSettings) -> None:
    gate = asyncio.Event()
    ran: list[str] = []

    async def stream(messages: list[ModelMessage], info: AgentInfo):
        if any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
            yield "partial"
            await gate.wait()
            yield " rest"
            return
        yield {0: DeltaToolCall("record", "{}", tool_call_id="r1")}

    agent = Agent(FunctionModel(stream_function=stream, model_name="s"), settings=settings)

    @agent.tool_plain
    def record() -> str:
        ran.append("record")
        return "recorded"

    with pytest.raises(RunTimeoutError):
        async with agent.run_stream("go", timeout=LIMIT) as run:
            async for _ in run.stream_text(delta=True, debounce_by=None):
                pass
    history = agent.get_messages()
    assert [p.content for p in tool_returns(history)] == ["recorded"]
    assert all(not (isinstance(m, ModelResponse) and "partial" in (m.text or "")) for m in history)
    assert is_incomplete_note(history[-1]) and ran == ["record"]
    gate.set()


# -- sessions ---------------------------------------------------------------------------------------


def test_a_bound_session_stores_the_kept_part_and_nothing_half_written(tmp_path: Path) -> None:
    forget_stores()
    settings = AgentSettings(sessions={"url": f"sqlite:///{tmp_path}/s.db"})
    script = Script(["write_note"])
    agent = Agent(FunctionModel(script, model_name="script"), settings=settings, session="s1")

    @agent.tool_plain
    def write_note() -> str:
        return "note written"

    with pytest.raises(RunTimeoutError):
        agent.run_sync("first", timeout=LIMIT)
    script.release.set()
    forget_stores()
    again = Agent(FunctionModel(script, model_name="script"), settings=settings, session="s1")
    again.resume("s1")
    stored = again.get_messages()
    assert stored == agent.get_messages()
    assert is_incomplete_note(stored[-1]) and every_call_answered(stored)


# -- invariant --------------------------------------------------------------------------------------


@hsettings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tools=st.lists(st.sampled_from(["write_note", "slow_lookup"]), min_size=0, max_size=3),
    stop=st.sampled_from(["timeout", "cancel"]),
    turns_before=st.integers(min_value=0, max_value=2),
)
def test_a_stopped_turn_never_leaves_an_unrunnable_history(
    settings: AgentSettings, tools: list[str], stop: str, turns_before: int
) -> None:
    """Whatever ran, after a stop: the earlier turns are intact, every tool call has a result, no partial
    response is stored, and the next run goes through."""
    script = Script([])
    agent, ran = make_agent(script, settings)
    script.release.set()
    for i in range(turns_before):
        agent.run_sync(f"earlier {i}", timeout=LONG)
    before = agent.get_messages()
    script.release.clear()
    script.blocked.clear()
    script.tools = tools
    script.requests.clear()
    ran.clear()
    if stop == "timeout":
        with pytest.raises(RunTimeoutError):
            agent.run_sync("stopped turn", timeout=LIMIT)
    else:
        timer = threading.Thread(target=lambda: script.blocked.wait(LONG) and agent.cancel())
        timer.start()
        with pytest.raises(RunCancelledError):
            agent.run_sync("stopped turn", timeout=LONG)
        timer.join()
    after = agent.get_messages()
    assert after[: len(before)] == before
    if ran_tools(after[len(before) :]):
        assert is_incomplete_note(after[-1]) and every_call_answered(after)
        assert not any(isinstance(m, ModelResponse) and m.state != "complete" for m in after)
    else:
        assert after == before
    if tools == ["write_note"] * len(tools) and tools and stop == "timeout":
        assert is_incomplete_note(after[-1])  # the tool surely finished within LIMIT: it must be kept
    script.release.set()
    script.tools = []
    assert agent.run_sync("next", timeout=LONG).output == "final answer"


async def test_iter_honours_the_timeout_and_keeps_the_tools_that_ran(settings: AgentSettings) -> None:
    script = Script(["write_note"])
    agent, ran = make_agent(script, settings)
    nodes: list[str] = []
    with pytest.raises(RunTimeoutError, match=r"timeout=1\.5 s"):
        async with agent.iter("step by step", timeout=LIMIT) as run:
            async for node in run:
                nodes.append(type(node).__name__)
    assert ran == ["write_note"] and "CallToolsNode" in nodes
    history = agent.get_messages()
    assert [p.content for p in tool_returns(history)] == ["note written"] and is_incomplete_note(history[-1])
    script.release.set()
