"""One agent, one history: runs from any thread or loop take turns, nothing is lost, memory stays
bounded, a run waiting for tool approval does not wedge the agent, an unserialisable tool result fails.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref

import mamba_agents.agent.agent as agent_module
import pytest
from mamba_agents import Agent, AgentConfig, CompactionConfig
from mamba_agents.agent import PendingToolCallsError
from pydantic_ai import DeferredToolRequests, DeferredToolResults, FunctionToolset, Tool, ToolDenied
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from tests.agent.conftest import call, last_tool_returns, user_prompts


class SlowEcho:
    """An async model that yields to the loop mid-request, so overlapping runs would interleave."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self._guard = threading.Lock()
        self.active = 0
        self.max_active = 0

    async def __call__(self, messages, info: AgentInfo) -> ModelResponse:
        with self._guard:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            prompts = user_prompts(messages)
            self.seen.append(len(prompts))
            await asyncio.sleep(0.002)
            return ModelResponse(parts=[TextPart(f"echo: {prompts[-1]}")])
        finally:
            with self._guard:
                self.active -= 1


def test_threads_and_loops_hammering_one_agent_lose_no_turn(settings):
    model = SlowEcho()
    agent = Agent(FunctionModel(model), settings=settings)
    errors: list[BaseException] = []

    def sync_worker(n: int) -> None:
        try:
            for i in range(8):
                agent.run_sync(f"sync{n}-{i}")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    def loop_worker(n: int) -> None:
        async def go() -> None:
            await asyncio.gather(*(agent.run(f"loop{n}-{i}") for i in range(8)))

        try:
            asyncio.run(go())  # a loop of its own in this thread
        except BaseException as exc:
            errors.append(exc)

    async def main_loop() -> None:
        threads = [threading.Thread(target=sync_worker, args=(n,)) for n in range(2)]
        threads += [threading.Thread(target=loop_worker, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        await asyncio.gather(*(agent.run(f"main-{i}") for i in range(8)))
        for thread in threads:
            await asyncio.to_thread(thread.join)

    asyncio.run(main_loop())
    assert not errors
    expected = {f"{kind}{n}-{i}" for kind in ("sync", "loop") for n in range(2) for i in range(8)}
    expected |= {f"main-{i}" for i in range(8)}
    messages = agent.get_messages()
    assert len(messages) == 2 * 40
    assert sorted(user_prompts(messages)) == sorted(expected)
    # each request saw every earlier turn: 1, 2, ..., 40 prompts; never two runs at once
    assert model.seen == list(range(1, 41))
    assert model.max_active == 1


async def test_a_cancelled_waiter_or_run_does_not_wedge_the_agent(settings):
    gate = asyncio.Event()

    async def model(messages, info):
        if user_prompts(messages)[-1] == "slow":
            await gate.wait()
        return ModelResponse(parts=[TextPart("ok")])

    agent = Agent(FunctionModel(model), settings=settings)
    slow = asyncio.create_task(agent.run("slow"))
    await asyncio.sleep(0.01)
    waiting = asyncio.create_task(agent.run("waiting"))
    await asyncio.sleep(0.01)
    waiting.cancel()  # cancelled while waiting for its turn
    with pytest.raises(asyncio.CancelledError):
        await waiting
    slow.cancel()  # cancelled while holding the turn
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert (await agent.run("after")).output == "ok"
    assert user_prompts(agent.get_messages()) == ["after"]


def test_a_tool_that_runs_its_own_agent_gets_an_error_instead_of_a_deadlock(settings):
    holder: dict[str, Agent] = {}

    def ask_myself(question: str) -> str:
        """Ask the same agent (a mistake)."""
        return holder["agent"].run_sync(question).output

    def model(messages, info):
        returns = last_tool_returns(messages)
        if returns:
            return ModelResponse(parts=[TextPart(f"{returns[0].outcome}: {returns[0].model_response_str()}")])
        return call("ask_myself", {"question": "inner"}, "c1")

    agent = holder["agent"] = Agent(FunctionModel(model), settings=settings, tools=[ask_myself])
    output = agent.run_sync("outer").output
    assert output.startswith("failed:") and "inside one of its own runs" in output
    assert user_prompts(agent.get_messages()) == ["outer"]


def test_compaction_records_are_bounded_and_hold_no_messages(settings, monkeypatch):
    monkeypatch.setattr(agent_module, "COMPACTION_HISTORY_LIMIT", 5)

    def model(messages, info):
        usage = RequestUsage(input_tokens=10, output_tokens=5)
        return ModelResponse(parts=[TextPart("reply " + "word " * 20)], usage=usage)

    config = CompactionConfig(
        strategy="sliding_window", trigger_threshold_tokens=200, target_tokens=120, preserve_recent_turns=1
    )
    agent = Agent(FunctionModel(model), settings=settings, config=AgentConfig(context=config))
    agent.run_sync("turn 0 " + "lorem " * 20)
    second = agent.run_sync("turn 1 " + "lorem " * 20)
    turn_1 = weakref.ref(second.new_messages()[0])
    del second
    per_run = []
    for turn in range(2, 40):
        result = agent.run_sync(f"turn {turn} " + "lorem " * 20)
        per_run.append(len(result.compactions))
        assert all(not c.messages and c.success for c in result.compactions)
    del result
    history = agent.get_compaction_history()
    total = agent.context_manager.compaction_count
    assert total >= 10 and sum(per_run) == total  # every run reports its own compactions
    assert len(history) == 5 and all(not c.messages for c in history)
    gc.collect()
    assert turn_1() is None  # a turn compacted away is not kept alive by any record


def _writer_model(messages, info):
    returns = last_tool_returns(messages)
    if returns:
        part = returns[0]
        return ModelResponse(parts=[TextPart(f"{part.outcome}: {part.model_response_str()}")])
    if user_prompts(messages)[-1] == "write it":
        return call("write", {"path": "a.txt"}, "w1")
    return ModelResponse(parts=[TextPart("chat: " + user_prompts(messages)[-1])])


def write(path: str) -> str:
    """Write a file (needs approval)."""
    return f"wrote {path}"


def test_a_run_waiting_for_approval_says_what_to_pass_and_resumes(settings):
    agent = Agent(
        FunctionModel(_writer_model),
        settings=settings,
        tools=[Tool(write, requires_approval=True)],
        output_type=[str, DeferredToolRequests],
    )
    first = agent.run_sync("write it")
    assert isinstance(first.output, DeferredToolRequests)
    assert agent.pending_tool_calls is first.output
    before = agent.get_messages()

    with pytest.raises(PendingToolCallsError) as caught:
        agent.run_sync("did you write it?")
    text = str(caught.value)
    assert "write (w1)" in text
    assert "deferred_tool_results=DeferredToolResults(approvals={'w1': True})" in text
    assert caught.value.requests is first.output
    assert agent.get_messages() == before  # refused before anything ran

    resumed = agent.run_sync(deferred_tool_results=DeferredToolResults(approvals={"w1": True}))
    assert resumed.output == "success: wrote a.txt"
    assert agent.pending_tool_calls is None
    assert agent.run_sync("thanks").output == "chat: thanks"
    assert user_prompts(agent.get_messages()) == ["write it", "thanks"]


def test_a_denied_call_with_a_new_prompt_goes_on(settings):
    agent = Agent(
        FunctionModel(_writer_model),
        settings=settings,
        tools=[Tool(write, requires_approval=True)],
        output_type=[str, DeferredToolRequests],
    )
    agent.run_sync("write it")
    denied = DeferredToolResults(approvals={"w1": ToolDenied("not that file")})
    result = agent.run_sync("never mind", deferred_tool_results=denied)
    assert "not that file" in str(result.all_messages())
    assert agent.pending_tool_calls is None
    agent.clear_context()
    assert agent.run_sync("fresh").output == "chat: fresh"


class Opaque:
    def __str__(self) -> str:
        return "<opaque 42>"


def opaque_tool() -> object:
    """Returns something pydantic cannot serialise."""
    return Opaque()


async def opaque_async() -> object:
    """The same, async."""
    return Opaque()


@pytest.mark.parametrize("where", ["function", "async", "toolset"])
def test_an_unserialisable_tool_result_is_a_failed_result_not_a_crash(settings, where):
    name = "opaque_async" if where == "async" else "opaque_tool"

    def model(messages, info):
        returns = last_tool_returns(messages)
        if returns:
            return ModelResponse(parts=[TextPart(f"{returns[0].outcome}: {returns[0].model_response_str()}")])
        if user_prompts(messages)[-1] == "go":
            return call(name, {}, "c1")
        return ModelResponse(parts=[TextPart("next turn fine")])

    tool = opaque_async if where == "async" else opaque_tool
    kwargs = {"toolsets": [FunctionToolset([tool])]} if where == "toolset" else {"tools": [tool]}
    agent = Agent(FunctionModel(model), settings=settings, **kwargs)
    output = agent.run_sync("go").output
    assert output.startswith("failed:") and "<opaque 42>" in output and "Opaque" in output
    assert agent.run_sync("again").output == "next turn fine"
    assert isinstance(agent.get_messages()[2], ModelRequest)
    assert any(isinstance(p, ToolReturnPart) and p.outcome == "failed" for p in agent.get_messages()[2].parts)


def test_agent_test_model_string_works(settings):
    agent = Agent("test", settings=settings)
    result = agent.run_sync("hello")
    assert isinstance(result.output, str) and result.output
    assert agent.get_usage().request_count == 1
    # TestModel is not priced: the cost is a number, the breakdown says unpriced
    assert f"{agent.get_cost():.4f}" == "0.0000"
    assert str(agent.get_cost_breakdown()) == "unpriced"
    assert not agent.get_cost().priced and "unpriced" in repr(agent.get_cost())


def test_tool_call_part_stays_in_history_after_resume(settings):
    # the approved call and its result are both kept, paired
    agent = Agent(
        FunctionModel(_writer_model),
        settings=settings,
        tools=[Tool(write, requires_approval=True)],
        output_type=[str, DeferredToolRequests],
    )
    agent.run_sync("write it")
    agent.run_sync(deferred_tool_results=DeferredToolResults(approvals={"w1": True}))
    calls = [p for m in agent.get_messages() for p in m.parts if isinstance(p, ToolCallPart)]
    returns = [p for m in agent.get_messages() for p in m.parts if isinstance(p, ToolReturnPart)]
    assert [c.tool_call_id for c in calls] == [r.tool_call_id for r in returns] == ["w1"]
