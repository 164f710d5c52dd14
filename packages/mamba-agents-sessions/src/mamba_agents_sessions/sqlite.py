"""``SQLiteConversationStore``: pydantic-ai's conversation log in one SQLite file (stdlib, WAL)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

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
    tips TEXT NOT NULL,
    updated_at REAL NOT NULL,
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

# One query for a whole history: walk the parent links from the head, newest first, at most `limit` deep.
_HISTORY = """
WITH RECURSIVE h(id, parent_id, kind, message, depth) AS (
    SELECT id, parent_id, kind, message, 0 FROM {p}entries WHERE id = :head
    UNION ALL
    SELECT e.id, e.parent_id, e.kind, e.message, h.depth + 1
    FROM {p}entries e JOIN h ON e.id = h.parent_id
    WHERE :limit < 0 OR h.depth + 1 < :limit
)
SELECT id, parent_id, kind, message FROM h ORDER BY depth DESC
"""

# Entries no remaining conversation's head or branch reaches (forks share their source's entries).
_RELEASE = """
WITH RECURSIVE reach(id) AS (
    SELECT t.value FROM {p}conversations c, json_each(c.tips) t
    UNION
    SELECT e.parent_id FROM {p}entries e JOIN reach r ON e.id = r.id WHERE e.parent_id IS NOT NULL
)
DELETE FROM {p}entries WHERE id NOT IN (SELECT id FROM reach)
"""


class SQLiteConversationStore(ConversationStore):
    """A pydantic-ai ``ConversationStore`` in a SQLite file, safe for several processes on one machine.

    Every save is one ``BEGIN IMMEDIATE`` transaction: the revision check, the new entries and the record
    commit together or not at all, so a process killed mid-save leaves the previous turn intact. The WAL
    journal lets readers go on while one process writes. ``delete`` also removes the entries no remaining
    conversation reaches. ``prefix`` names the tables (``{prefix}conversations``, ``{prefix}entries``).
    """

    def __init__(self, path: str | Path, *, prefix: str = "mamba_", timeout: float = 10.0) -> None:
        if not prefix.replace("_", "").isalnum():
            raise ValueError(f"prefix must be letters, digits and underscores, got {prefix!r}")
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self._p = prefix
        self._lock = threading.Lock()
        # Autocommit mode: transactions are explicit, so a failed check never leaves one open.
        self._db = sqlite3.connect(
            Path(self.path).expanduser() if self.path != ":memory:" else self.path,
            timeout=timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            self._db.executescript(_SCHEMA.format(p=prefix))
        self._history = _HISTORY.format(p=prefix)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    async def read_record(self, conversation_id: str) -> ConversationRecord | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT record FROM {self._p}conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
        return None if row is None else load_record(row[0])

    async def read_records(
        self, *, scope: str | None = None, limit: int | None = None
    ) -> Sequence[ConversationRecord]:
        where, args = ("WHERE scope = ?", [scope]) if scope is not None else ("", [])
        with self._lock:
            rows = self._db.execute(
                f"SELECT record FROM {self._p}conversations {where} ORDER BY updated_at DESC LIMIT ?",
                [*args, -1 if limit is None else limit],
            ).fetchall()
        return [load_record(row[0]) for row in rows]

    async def write_record(
        self,
        record: ConversationRecord,
        *,
        new_entries: Sequence[ConversationEntry] = (),
        expected_revision: str | None,
    ) -> None:
        p = self._p
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    f"SELECT revision FROM {p}conversations WHERE id = ?", (record.conversation_id,)
                ).fetchone()
                if (row[0] if row else None) != expected_revision:
                    raise ConversationConflict(record.conversation_id)
                head = record.head_id
                if head is not None and head not in {e.id for e in new_entries}:
                    found = self._db.execute(f"SELECT 1 FROM {p}entries WHERE id = ?", (head,)).fetchone()
                    if found is None:
                        raise ConversationConflict(record.conversation_id)
                self._db.executemany(
                    f"INSERT INTO {p}entries (id, parent_id, kind, message) VALUES (?, ?, ?, ?)",
                    [(e.id, e.parent_id, e.kind, dump_message(e)) for e in new_entries],
                )
                self._db.execute(
                    f"INSERT OR REPLACE INTO {p}conversations "
                    "(id, scope, revision, tips, updated_at, record) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        record.conversation_id,
                        record.scope,
                        record.revision,
                        json.dumps(tips(record)),
                        record.updated_at.timestamp(),
                        dump_record(record),
                    ),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    async def delete_record(self, conversation_id: str, *, expected_revision: str) -> None:
        p = self._p
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                gone = self._db.execute(
                    f"DELETE FROM {p}conversations WHERE id = ? AND revision = ?",
                    (conversation_id, expected_revision),
                ).rowcount
                if gone != 1:
                    raise ConversationConflict(conversation_id)
                self._db.execute(_RELEASE.format(p=p))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    async def read_entry(self, entry_id: str) -> ConversationEntry:
        with self._lock:
            row = self._db.execute(
                f"SELECT id, parent_id, kind, message FROM {self._p}entries WHERE id = ?", (entry_id,)
            ).fetchone()
        if row is None:
            raise KeyError(entry_id)
        return load_entry(*row)

    async def read_history(self, head_id: str | None, *, limit: int | None = None) -> list[ConversationEntry]:
        if head_id is None or limit == 0:
            return []
        with self._lock:
            rows = self._db.execute(
                self._history, {"head": head_id, "limit": -1 if limit is None else limit}
            ).fetchall()
        return history_from_rows(rows, head_id, limit)

    def __repr__(self) -> str:
        return f"SQLiteConversationStore({self.path!r})"
