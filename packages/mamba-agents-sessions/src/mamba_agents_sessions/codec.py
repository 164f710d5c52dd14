"""How records and entries become text: pydantic-ai's own types, with raw bytes kept as base64."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ConfigDict, TypeAdapter
from pydantic_ai.conversation_store import ConversationEntry, ConversationRecord
from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter

RECORD: TypeAdapter[ConversationRecord] = TypeAdapter(ConversationRecord)
# Not TypeAdapter(ConversationEntry): a dataclass takes no config, and without base64 a tool's raw bytes
# return comes back as a different value. The message alone goes through the settings
# ModelMessagesTypeAdapter uses; the entry's other fields are columns.
MESSAGE: TypeAdapter[Any] = TypeAdapter(
    ModelMessage, config=ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")
)


def dump_record(record: ConversationRecord) -> str:
    return RECORD.dump_json(record).decode()


def load_record(text: str | bytes) -> ConversationRecord:
    return RECORD.validate_json(text)


def dump_message(entry: ConversationEntry) -> str:
    return MESSAGE.dump_json(entry.message).decode()


def load_entry(entry_id: str, parent_id: str | None, kind: str, message: str | bytes) -> ConversationEntry:
    return ConversationEntry(
        id=entry_id, parent_id=parent_id or None, message=MESSAGE.validate_json(message), kind=kind
    )  # type: ignore[arg-type]


def tips(record: ConversationRecord) -> list[str]:
    """The entries a record keeps alive: its head and the last entry of every branch it left."""
    return [tip for tip in [record.head_id, *record.branches] if tip is not None]


def history_from_rows(
    rows: Sequence[Sequence[Any]], head_id: str, limit: int | None
) -> list[ConversationEntry]:
    """The entries of ``rows`` (oldest first); ``LookupError`` if a missing entry cuts the chain short."""
    if not rows:
        raise KeyError(head_id)
    first_parent = rows[0][1]
    if first_parent and (limit is None or len(rows) < limit):
        raise KeyError(first_parent)
    # One validation call for the whole history: about a quarter faster than one per message.
    messages = ModelMessagesTypeAdapter.validate_json("[" + ",".join(row[3] for row in rows) + "]")
    return [
        ConversationEntry(id=row[0], parent_id=row[1] or None, message=message, kind=row[2])
        for row, message in zip(rows, messages, strict=True)
    ]
