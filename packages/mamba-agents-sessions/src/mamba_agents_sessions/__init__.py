"""Sessions for Mamba Agents: pydantic-ai ``ConversationStore`` backends on SQLite, Postgres and Redis.

Select one with ``[sessions] url`` (``sqlite:///path``, ``postgresql://…``, ``redis://…``); the SQLite file
under the user's data directory is the default. Each class loads its module (and driver) on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY: dict[str, str] = {
    "SQLiteConversationStore": "mamba_agents_sessions.sqlite",
    "PostgresConversationStore": "mamba_agents_sessions.postgres",
    "RedisConversationStore": "mamba_agents_sessions.redis",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mamba_agents_sessions' has no attribute {name!r}")


if TYPE_CHECKING:
    from mamba_agents_sessions.postgres import PostgresConversationStore
    from mamba_agents_sessions.redis import RedisConversationStore
    from mamba_agents_sessions.sqlite import SQLiteConversationStore
