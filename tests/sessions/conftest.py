"""Stores for the contract suite: in-memory, SQLite in a temp dir, and real Postgres and Redis servers."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.sessions import servers


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    try:
        with servers.postgres() as server:
            yield server.url
    except FileNotFoundError as exc:
        _unavailable(exc)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    try:
        with servers.redis() as server:
            yield server.url
    except FileNotFoundError as exc:
        _unavailable(exc)


def _unavailable(exc: FileNotFoundError) -> None:
    # In CI the server is installed by .ci/run, so a missing one is a broken setup, not a reason to skip.
    if os.environ.get("CI"):
        pytest.fail(f"{exc} (.ci/run installs it)")
    pytest.skip(f"{exc} (install the distribution's package to run these tests)")


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:12]}_"


@pytest.fixture(params=["memory", "sqlite", "postgres", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[object]:
    """A fresh store of each kind (its own tables or key prefix on the shared servers)."""
    kind = request.param
    if kind == "memory":
        from pydantic_ai.conversation_store import InMemoryConversationStore

        yield InMemoryConversationStore()
    elif kind == "sqlite":
        from mamba_agents_sessions import SQLiteConversationStore

        s = SQLiteConversationStore(tmp_path / "sessions.db")
        yield s
        s.close()
    elif kind == "postgres":
        from mamba_agents_sessions import PostgresConversationStore

        s = PostgresConversationStore(request.getfixturevalue("postgres_url"), prefix=_prefix())
        yield s
        await s.close()
    else:
        from mamba_agents_sessions import RedisConversationStore

        s = RedisConversationStore(request.getfixturevalue("redis_url"), prefix=_prefix())
        yield s
        await s.close()
