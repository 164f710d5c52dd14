"""``Agent(session=...)`` from the outside: what a new agent (or a new process) sees after every turn."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from mamba_agents import Agent, AgentConfig, AgentSettings
from mamba_agents.config import ConfigError
from mamba_agents.context.config import CompactionConfig
from mamba_agents.sessions import SessionConflict, SessionNotFound, logged_messages
from mamba_agents.sessions.store import forget_stores, open_store
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage


def echo(messages, info: AgentInfo) -> ModelResponse:
    prompt = [
        p.content
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, UserPromptPart)
    ]
    return ModelResponse(
        parts=[TextPart(f"echo: {prompt[-1]}")], usage=RequestUsage(input_tokens=12, output_tokens=3)
    )


def prompts(messages) -> list[str]:
    return [
        p.content
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, UserPromptPart)
    ]


@pytest.fixture
def settings(tmp_path: Path) -> AgentSettings:
    forget_stores()
    return AgentSettings(sessions={"url": f"sqlite:///{tmp_path}/sessions.db"})


def fresh(settings: AgentSettings, name: str = "s", strategy: str = "sliding_window") -> Agent:
    config = AgentConfig(context=CompactionConfig(strategy=strategy))
    return Agent(FunctionModel(echo, model_name="echo"), settings=settings, session=name, config=config)


def same_state(a: Agent, b: Agent) -> None:
    assert b.get_messages() == a.get_messages()
    assert b.get_usage() == a.get_usage()
    assert [(r.model, r.input_tokens, r.output_tokens) for r in b.get_usage_history()] == [
        (r.model, r.input_tokens, r.output_tokens) for r in a.get_usage_history()
    ]


@hsettings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(turns=st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=4))
def test_a_new_agent_resumes_exactly_where_the_last_turn_ended(tmp_path_factory, turns: list[str]) -> None:
    forget_stores()
    settings = AgentSettings(sessions={"url": f"sqlite:///{tmp_path_factory.mktemp('s')}/s.db"})
    agent = fresh(settings)
    for n, text in enumerate(turns, 1):
        agent.run_sync(text)
        other = fresh(settings)
        other.resume("s")
        same_state(agent, other)
        assert prompts(other.get_messages()) == turns[:n]
        assert other.get_usage().request_count == n


def test_first_use_loads_and_the_next_turn_sees_the_stored_history(settings) -> None:
    fresh(settings).run_sync("my name is Ada")
    agent = fresh(settings)
    assert agent.run_sync("who am I?").output == "echo: who am I?"
    assert prompts(agent.get_messages()) == ["my name is Ada", "who am I?"]
    assert agent.get_usage().request_count == 2
    assert agent.get_cost_breakdown().unpriced_requests == 2  # records rebuilt, still honest about price


async def test_a_second_writer_gets_a_conflict_and_no_turn_is_lost(settings) -> None:
    a, b = fresh(settings), fresh(settings)
    await a.run("first")
    await b.run("b loads after a's first turn")
    with pytest.raises(SessionConflict, match="changed by another writer"):
        await a.run("a is now stale")
    stored = fresh(settings)
    stored.resume("s")
    assert prompts(stored.get_messages()) == ["first", "b loads after a's first turn"]
    a.resume("s")
    await a.run("a again")
    assert prompts(fresh(settings).resume("s").get_messages())[-1] == "a again"


@pytest.mark.parametrize(
    "strategy", ["sliding_window", "selective_pruning", "summarize_older", "importance_scoring", "hybrid"]
)
@pytest.mark.parametrize("target", [40, 8])  # 8: the fallback also clips the turns it keeps
async def test_compaction_state_is_what_resumes_and_the_log_keeps_everything(
    settings, strategy: str, target: int
) -> None:
    agent = fresh(settings, strategy=strategy)
    for n in range(4):
        await agent.run(f"turn {n} " + "words " * 30)
    agent.context_manager.config = CompactionConfig(
        strategy=strategy, trigger_threshold_tokens=target + 20, target_tokens=target
    )
    assert (await agent.compact()).strategy == strategy
    await agent.run("after compaction")
    compacted = agent.get_messages()
    resumed = fresh(settings, strategy=strategy).resume("s")
    assert resumed.get_messages() == compacted
    # Usage of the compacted-away turns is kept, and neither compaction's notes nor clipped copies count.
    assert resumed.get_usage() == agent.get_usage()
    if strategy in ("sliding_window", "selective_pruning"):  # the others also ask the model
        assert resumed.get_usage().request_count == 5
    log = await logged_messages(open_store(settings.sessions, agent._plugins), "s")
    assert prompts(log)[:4] == [f"turn {n} " + "words " * 30 for n in range(4)]
    assert prompts(log)[-1] == "after compaction"
    assert all(any(m == logged for logged in log) for m in compacted)


def test_list_resume_and_delete(settings) -> None:
    for name in ("alpha", "beta"):
        fresh(settings, name).run_sync(f"hello {name}")
    agent = fresh(settings, "gamma")
    assert [s.name for s in agent.list_sessions()] == ["beta", "alpha"]
    assert agent.list_sessions()[0].requests == 1
    agent.resume("alpha")
    assert agent.session == "alpha" and prompts(agent.get_messages()) == ["hello alpha"]
    agent.delete_session("beta")
    assert [s.name for s in agent.list_sessions()] == ["alpha"]
    with pytest.raises(SessionNotFound):
        agent.resume("beta")
    with pytest.raises(SessionNotFound):
        agent.delete_session("beta")
    agent.delete_session("alpha")  # the agent's own session: it starts over, no conflict on the next turn
    agent.run_sync("new start")
    assert prompts(fresh(settings, "alpha").resume("alpha").get_messages()) == ["new start"]


def test_default_session_from_config(tmp_path) -> None:
    forget_stores()
    settings = AgentSettings(sessions={"url": f"sqlite:///{tmp_path}/s.db", "default": "main"})
    Agent(FunctionModel(echo), settings=settings).run_sync("one")
    agent = Agent(FunctionModel(echo), settings=settings)
    assert agent.session == "main"
    agent.run_sync("two")
    assert prompts(agent.get_messages()) == ["one", "two"]


def test_bad_session_config_fails_when_the_agent_is_built(tmp_path) -> None:
    forget_stores()
    with pytest.raises(ConfigError, match=r"\[sessions\] url.*unknown session store 'mongodb'.*sqlite"):
        Agent(FunctionModel(echo), settings=AgentSettings(sessions={"url": "mongodb://h/db"}), session="s")
    with pytest.raises(ConfigError, match=r"\[sessions\].*'sqlite'.*unexpected keyword argument 'colour'"):
        Agent(
            FunctionModel(echo),
            settings=AgentSettings(sessions={"url": f"sqlite:///{tmp_path}/x.db", "options": {"colour": 1}}),
            session="s",
        )
    with pytest.raises(ValueError, match="session name"):
        Agent(FunctionModel(echo), settings=AgentSettings(sessions={"url": "memory"}), session="bad\nname")
    with pytest.raises(ValueError, match="track_context"):
        Agent(
            FunctionModel(echo),
            settings=AgentSettings(sessions={"url": "memory"}),
            config=AgentConfig(track_context=False),
            session="s",
        )


def test_a_password_in_the_url_stays_out_of_config_output() -> None:
    settings = AgentSettings(sessions={"url": "postgresql://u:hunter2@127.0.0.1:1/db"})
    assert "hunter2" not in repr(settings.sessions)
    assert "hunter2" not in str(settings.model_dump_safe())
    assert all("hunter2" not in str(v.value) for v in settings.explain())


@pytest.mark.slow
@pytest.mark.parametrize("server", ["postgres_url", "redis_url"])
async def test_agent_sessions_on_the_server_stores(request, server) -> None:
    forget_stores()
    url = request.getfixturevalue(server)
    import uuid

    prefix = f"a{uuid.uuid4().hex[:8]}_"
    settings = AgentSettings(sessions={"url": url, "options": {"prefix": prefix}})
    a, b = fresh(settings), fresh(settings)
    await a.run("one")
    await a.run("two")
    await b.run("three")
    assert prompts(b.get_messages()) == ["one", "two", "three"]
    with pytest.raises(SessionConflict):
        await a.run("stale")
    assert [s.name for s in await _list(a)] == ["s"]


async def _list(agent: Agent):
    from mamba_agents.sessions.agent import list_sessions

    return await list_sessions(agent)


CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from mamba_agents import Agent, AgentSettings
    from pydantic_ai.messages import ModelResponse, TextPart
    from pydantic_ai.models.function import FunctionModel
    from pydantic_ai.usage import RequestUsage

    marker = Path(sys.argv[2])

    def model(messages, info):
        if len(messages) > 1:  # the second turn: announce it, then hang until killed
            marker.write_text(str(os.getpid()))
            time.sleep(600)
        usage = RequestUsage(input_tokens=7, output_tokens=2)
        return ModelResponse(parts=[TextPart("first answer")], usage=usage)

    settings = AgentSettings(sessions={"url": "sqlite:///" + sys.argv[1]})
    agent = Agent(FunctionModel(model, model_name="child"), settings=settings, session="killed")
    agent.run_sync("first question")
    agent.run_sync("second question, never finished")
    """
)


@pytest.mark.slow
def test_sigkill_mid_turn_loses_only_that_turn(tmp_path: Path) -> None:
    db, marker = tmp_path / "s.db", tmp_path / "in-turn-2"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(marker)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "the child never reached its second turn"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    forget_stores()
    settings = AgentSettings(sessions={"url": f"sqlite:///{db}"})
    agent = Agent(FunctionModel(echo), settings=settings, session="killed")
    assert agent.run_sync("third").output == "echo: third"
    assert prompts(agent.get_messages()) == ["first question", "third"]
    assert agent.get_usage().request_count == 2
    assert agent.get_usage_history()[0].model == "child"


async def test_streamed_and_iterated_turns_are_saved_and_a_failed_turn_is_not(settings) -> None:
    async def stream(messages, info):
        yield "streamed answer"

    def flaky(messages, info):
        if "boom" in prompts(messages)[-1]:
            raise RuntimeError("model failed")
        return echo(messages, info)

    agent = Agent(FunctionModel(flaky, stream_function=stream), settings=settings, session="s")
    async with agent.run_stream("streamed") as run:
        assert await run.get_output() == "streamed answer"
    async with agent.iter("iterated") as run:
        async for _ in run:
            pass
    with pytest.raises(RuntimeError, match="model failed"):
        await agent.run("boom")
    stored = fresh(settings).resume("s")
    assert prompts(stored.get_messages()) == ["streamed", "iterated"]


def test_compaction_model_calls_survive_a_restart(settings) -> None:
    # The summarizer's calls leave no response in the history; the stored totals still count them.
    config = AgentConfig(
        context=CompactionConfig(
            strategy="summarize_older",
            trigger_threshold_tokens=600,
            target_tokens=400,
            preserve_recent_turns=1,
        )
    )
    agent = Agent(FunctionModel(echo, model_name="echo"), settings=settings, session="c", config=config)
    for n in range(25):
        agent.run_sync(f"Message {n}: " + "lorem ipsum dolor sit amet " * 4)
    assert any(r.usage.requests for r in agent.get_compaction_history())
    resumed = Agent(FunctionModel(echo, model_name="echo"), settings=settings, session="c", config=config)
    resumed.resume("c")
    assert resumed.get_usage() == agent.get_usage()
    assert agent.list_sessions()[0].requests == agent.get_usage().request_count
