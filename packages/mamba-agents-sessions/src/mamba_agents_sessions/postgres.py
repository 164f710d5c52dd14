"""``PostgresConversationStore``: pydantic-ai's conversation log in Postgres, through asyncpg."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic_ai.conversation_store import (
    ConversationConflict,
    ConversationEntry,
    ConversationRecord,
    ConversationStore,
)

from mamba_agents_sessions.codec import (
    dump_message,
    dump_record,
    history_from_rows,
    load_entry,
    load_record,
    tips,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {p}conversations (
    id TEXT PRIMARY KEY,
    scope TEXT,
    revision TEXT NOT NULL,
    tips TEXT[] NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS {p}conversations_updated ON {p}conversations (updated_at);
CREATE INDEX IF NOT EXISTS {p}conversations_scope ON {p}conversations (scope, updated_at);
CREATE TABLE IF NOT EXISTS {p}entries (
    id TEXT PRIMARY KEY,
    parent_id TEXT,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
"""

_HISTORY = """
WITH RECURSIVE h(id, parent_id, kind, message, depth) AS (
    SELECT id, parent_id, kind, message, 0 FROM {p}entries WHERE id = $1
    UNION ALL
    SELECT e.id, e.parent_id, e.kind, e.message, h.depth + 1
    FROM {p}entries e JOIN h ON e.id = h.parent_id
    WHERE $2 < 0 OR h.depth + 1 < $2
)
SELECT id, parent_id, kind, message FROM h ORDER BY depth DESC
"""

_RELEASE = """
WITH RECURSIVE reach(id) AS (
    SELECT unnest(tips) FROM {p}conversations
    UNION
    SELECT e.parent_id FROM {p}entries e JOIN reach r ON e.id = r.id WHERE e.parent_id IS NOT NULL
)
DELETE FROM {p}entries WHERE id NOT IN (SELECT id FROM reach WHERE id IS NOT NULL)
"""

# Saves hold this advisory lock shared and deletes hold it exclusively, so a delete never releases an
# entry a concurrent fork or save is about to point at.
_LOCK_KEY = 0x6D616D6261


class PostgresConversationStore(ConversationStore):
    """A pydantic-ai ``ConversationStore`` in Postgres; any number of processes and machines can share it.

    A save is one transaction: an ``UPDATE … WHERE revision = $expected`` (or an insert that must not find
    a row) is the optimistic check, and the entries and the record commit together. One connection pool
    per event loop, created on first use; the tables are created if missing. ``delete`` removes the
    entries no remaining conversation reaches.
    """

    def __init__(self, dsn: str, *, prefix: str = "mamba_", min_size: int = 1, max_size: int = 4) -> None:
        if not prefix.replace("_", "").isalnum():
            raise ValueError(f"prefix must be letters, digits and underscores, got {prefix!r}")
        self._dsn = dsn
        self._p = prefix
        self._sizes = (min_size, max_size)
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        self._history = _HISTORY.format(p=prefix)

    async def _pool(self) -> Any:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            import asyncpg

            pool = await asyncpg.create_pool(self._dsn, min_size=self._sizes[0], max_size=self._sizes[1])
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
                await conn.execute(_SCHEMA.format(p=self._p))
            self._pools[loop] = pool
        return pool

    async def close(self) -> None:
        """Close this loop's pool."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()

    async def read_record(self, conversation_id: str) -> ConversationRecord | None:
        pool = await self._pool()
        text = await pool.fetchval(
            f"SELECT record FROM {self._p}conversations WHERE id = $1", conversation_id
        )
        return None if text is None else load_record(text)

    async def read_records(
        self, *, scope: str | None = None, limit: int | None = None
    ) -> Sequence[ConversationRecord]:
        pool = await self._pool()
        rows = await pool.fetch(
            f"SELECT record FROM {self._p}conversations WHERE $1::text IS NULL OR scope = $1 "
            "ORDER BY updated_at DESC LIMIT $2",
            scope,
            limit,
        )
        return [load_record(row[0]) for row in rows]

    async def write_record(
        self,
        record: ConversationRecord,
        *,
        new_entries: Sequence[ConversationEntry] = (),
        expected_revision: str | None,
    ) -> None:
        p = self._p
        values = (
            record.conversation_id,
            record.scope,
            record.revision,
            tips(record),
            _utc(record.updated_at),
            dump_record(record),
        )
        pool = await self._pool()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", _LOCK_KEY)
            if expected_revision is None:
                written = await conn.fetchval(
                    f"INSERT INTO {p}conversations (id, scope, revision, tips, updated_at, record) "
                    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING 1",
                    *values,
                )
            else:
                written = await conn.fetchval(
                    f"UPDATE {p}conversations SET scope = $2, revision = $3, tips = $4, updated_at = $5, "
                    "record = $6 WHERE id = $1 AND revision = $7 RETURNING 1",
                    *values,
                    expected_revision,
                )
            if written is None:
                raise ConversationConflict(record.conversation_id)
            head = record.head_id
            if (
                head is not None
                and head not in {e.id for e in new_entries}
                and await conn.fetchval(f"SELECT 1 FROM {p}entries WHERE id = $1", head) is None
            ):
                raise ConversationConflict(record.conversation_id)
            if new_entries:
                await conn.execute(
                    f"INSERT INTO {p}entries (id, parent_id, kind, message) "
                    "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])",
                    [e.id for e in new_entries],
                    [e.parent_id for e in new_entries],
                    [e.kind for e in new_entries],
                    [dump_message(e) for e in new_entries],
                )

    async def delete_record(self, conversation_id: str, *, expected_revision: str) -> None:
        pool = await self._pool()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            gone = await conn.fetchval(
                f"DELETE FROM {self._p}conversations WHERE id = $1 AND revision = $2 RETURNING 1",
                conversation_id,
                expected_revision,
            )
            if gone is None:
                raise ConversationConflict(conversation_id)
            await conn.execute(_RELEASE.format(p=self._p))

    async def read_entry(self, entry_id: str) -> ConversationEntry:
        pool = await self._pool()
        row = await pool.fetchrow(
            f"SELECT id, parent_id, kind, message FROM {self._p}entries WHERE id = $1", entry_id
        )
        if row is None:
            raise KeyError(entry_id)
        return load_entry(*row)

    async def read_history(self, head_id: str | None, *, limit: int | None = None) -> list[ConversationEntry]:
        if head_id is None or limit == 0:
            return []
        pool = await self._pool()
        rows = await pool.fetch(self._history, head_id, -1 if limit is None else limit)
        return history_from_rows(rows, head_id, limit)

    def __repr__(self) -> str:
        # The DSN may carry a password: show only where it points.
        return f"PostgresConversationStore(prefix={self._p!r})"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
