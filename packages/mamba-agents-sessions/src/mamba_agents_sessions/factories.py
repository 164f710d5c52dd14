"""One factory per URL scheme: ``factory(url, **options) -> ConversationStore``, registered by the plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic_ai.conversation_store import ConversationStore, InMemoryConversationStore

DEFAULT_FILE = "sessions.db"


def default_sqlite_path() -> Path:
    """``sessions.db`` in the user's data directory (``~/.local/share/mamba-agents`` on Linux)."""
    from platformdirs import user_data_path

    return user_data_path("mamba-agents", appauthor=False) / DEFAULT_FILE


def sqlite_path(url: str) -> Path | str:
    """The file a ``sqlite:///path`` URL names (``sqlite`` alone: the default file; ``:memory:`` kept)."""
    rest = url.partition("://")[2] if "://" in url else ""
    if rest.startswith("/~"):
        rest = rest[1:]
    if rest in ("", "/"):
        return default_sqlite_path()
    if rest == "/:memory:":
        return ":memory:"
    return Path(rest).expanduser()


def sqlite_store(url: str, **options: Any) -> ConversationStore:
    from mamba_agents_sessions.sqlite import SQLiteConversationStore

    return SQLiteConversationStore(sqlite_path(url), **options)


def postgres_store(url: str, **options: Any) -> ConversationStore:
    _require("asyncpg", "postgres")
    from mamba_agents_sessions.postgres import PostgresConversationStore

    return PostgresConversationStore(url, **options)


def redis_store(url: str, **options: Any) -> ConversationStore:
    _require("redis", "redis")
    from mamba_agents_sessions.redis import RedisConversationStore

    return RedisConversationStore(url, **options)


def memory_store(url: str, **options: Any) -> ConversationStore:
    """Process-local and gone at exit: for tests and examples, never for a session that must survive."""
    if options:
        raise TypeError(f"the memory store takes no options, got {sorted(options)}")
    return InMemoryConversationStore()


def _require(module: str, extra: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ImportError(
            f'this session store needs the {module!r} package: pip install "mamba-agents-sessions[{extra}]"'
        )
