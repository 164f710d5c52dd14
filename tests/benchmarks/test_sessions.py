"""Per-turn cost of a session at 200 messages: load, append a turn, save; each store against no store.

Store level: ``load -> append 2 messages -> save`` on a 200-message conversation (ms/turn). Agent level:
one ``Agent.run`` on a 200-message history with ``session=`` against the same agent without a session
(ratio). Postgres and Redis are real servers on 127.0.0.1 (the fixtures of ``tests/sessions``).
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

import pytest
from mamba_agents import Agent, AgentSettings
from mamba_agents.sessions.store import forget_stores
from pydantic_ai.conversation import Conversation
from pydantic_ai.conversation_store import InMemoryConversationStore
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, UserPromptPart
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.usage import RequestUsage

from tests.sessions.conftest import postgres_url, redis_url  # noqa: F401 - the server fixtures

pytestmark = pytest.mark.slow

TEXT = "lorem ipsum dolor sit amet, consectetur adipiscing elit " * 6  # ~340 chars, as measured in wave 2


def history(n: int) -> list:
    out = []
    for i in range(n // 2):
        out.append(ModelRequest(parts=[UserPromptPart(content=f"{i} {TEXT}")]))
        out.append(
            ModelResponse(
                parts=[TextPart(f"{i} {TEXT}")], usage=RequestUsage(input_tokens=9, output_tokens=9)
            )
        )
    return out


def make_store(kind: str, request, tmp_path):
    prefix = f"b{uuid.uuid4().hex[:8]}_"
    if kind == "memory":
        return InMemoryConversationStore()
    if kind == "sqlite":
        from mamba_agents_sessions import SQLiteConversationStore

        return SQLiteConversationStore(tmp_path / "bench.db")
    if kind == "postgres":
        from mamba_agents_sessions import PostgresConversationStore

        return PostgresConversationStore(request.getfixturevalue("postgres_url"), prefix=prefix)
    from mamba_agents_sessions import RedisConversationStore

    return RedisConversationStore(request.getfixturevalue("redis_url"), prefix=prefix)


def _turns(benchmark) -> int:
    return 3 if benchmark.disabled else 100


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgres", "redis"])
def test_store_turn_at_200_messages(benchmark, report, request, tmp_path, kind):
    loop = asyncio.new_event_loop()
    store = make_store(kind, request, tmp_path)
    loop.run_until_complete(store.save(Conversation(conversation_id="c", messages=history(200))))

    def one_turn():
        async def go():
            conversation = await store.load("c", limit=200)
            conversation.messages += history(2)
            await store.save(conversation)

        loop.run_until_complete(go())

    one_turn()
    samples = []
    for _ in range(_turns(benchmark)):
        started = time.perf_counter()
        one_turn()
        samples.append(time.perf_counter() - started)
    report(f"{kind}_ms_per_turn", round(statistics.median(samples) * 1e3, 3))
    benchmark(one_turn)
    loop.close()


def _echo(messages, info):
    return ModelResponse(parts=[TextPart("ok")], usage=RequestUsage(input_tokens=9, output_tokens=1))


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "redis"])
def test_agent_turn_with_a_session_vs_none(benchmark, report, request, tmp_path, kind):
    forget_stores()
    urls = {
        "sqlite": lambda: f"sqlite:///{tmp_path}/agent.db",
        "postgres": lambda: request.getfixturevalue("postgres_url"),
        "redis": lambda: request.getfixturevalue("redis_url"),
    }
    settings = AgentSettings(
        sessions={"url": urls[kind](), "options": {"prefix": f"g{uuid.uuid4().hex[:8]}_"}}
    )
    loop = asyncio.new_event_loop()
    plain = Agent(FunctionModel(_echo), settings=AgentSettings())
    stored = Agent(FunctionModel(_echo), settings=settings, session="bench")
    seed = history(200)
    plain.context_manager.set_messages(seed)
    loop.run_until_complete(stored.run("seed"))  # creates the session
    stored.context_manager.set_messages(seed)
    loop.run_until_complete(stored.run("seed again"))  # stores the 200 messages

    def turn(agent):
        # Both histories grow the same way (200 messages, then 2 more a turn).
        loop.run_until_complete(agent.run("hello"))

    def med(agent):
        samples = []
        for _ in range(_turns(benchmark)):
            started = time.perf_counter()
            turn(agent)
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    none_s, session_s = med(plain), med(stored)
    report(f"{kind}_no_session_ms", round(none_s * 1e3, 3))
    report(f"{kind}_session_ms", round(session_s * 1e3, 3))
    report(f"{kind}_ratio", round(session_s / none_s, 3))
    report(f"{kind}_session_overhead_ms_per_turn", round((session_s - none_s) * 1e3, 3))
    benchmark(lambda: turn(stored))
    loop.close()
