"""``SessionBinding``: an agent's conversation loaded from a ``ConversationStore`` and saved after each turn.

The stored format is pydantic-ai's own (``Conversation`` in a ``ConversationStore``): the head of the stored
history is the history the agent continues from, so a compaction (which rewrites the history) is saved as a
branch whose old messages stay stored and readable. The per-request usage records are rebuilt from the
stored model responses, so totals and cost survive a restart without a second format.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic_ai.conversation import Conversation
from pydantic_ai.conversation_store import ConversationConflict, ConversationRecord, ConversationStore
from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter, ModelResponse
from pydantic_ai.usage import RunUsage

from mamba_agents.context.join import is_separator
from mamba_agents.sessions.errors import SessionConflict

if TYPE_CHECKING:
    from mamba_agents.context.manager import ContextManager
    from mamba_agents.tokens.tracker import UsageTracker
    from mamba_agents.tokens.usage import UsageRecord


@dataclass(frozen=True)
class SessionInfo:
    """One stored session as ``list_sessions`` reports it."""

    name: str
    updated_at: datetime
    requests: int
    input_tokens: int
    output_tokens: int
    branches: int

    @classmethod
    def from_record(cls, record: ConversationRecord) -> SessionInfo:
        return cls(
            name=record.conversation_id,
            updated_at=record.updated_at,
            requests=record.usage.requests,
            input_tokens=record.usage.input_tokens,
            output_tokens=record.usage.output_tokens,
            branches=len(record.branches),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "updated_at": self.updated_at.isoformat(),
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "branches": self.branches,
        }


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or any(ord(c) < 32 for c in name):
        raise ValueError(f"a session name is 1-200 printable characters, got {name!r}")
    return name


async def logged_messages(store: ConversationStore, name: str) -> list[ModelMessage] | None:
    """Every message the session ever stored, oldest first: its history and the branches compaction left.

    Branch histories share entries with each other and copy the messages a compaction kept, so an entry
    or an equal message is listed once.
    """
    record = await store.read_record(name)
    if record is None:
        return None
    seen_ids: set[str] = set()
    seen: set[bytes] = set()
    out: list[ModelMessage] = []
    for tip in [*record.branches, record.head_id]:
        if tip is None:
            continue
        for entry in await store.read_history(tip):
            if entry.id in seen_ids:
                continue
            seen_ids.add(entry.id)
            key = ModelMessagesTypeAdapter.dump_json([entry.message])
            if key in seen:
                continue
            seen.add(key)
            out.append(entry.message)
    return out


def model_responses(messages: list[ModelMessage]) -> list[ModelResponse]:
    """The responses a model really sent, each once: what the usage records are rebuilt from.

    Compaction leaves notes shaped as responses (no model made them) and rewrites responses it clips, so a
    response is known by when and by whom it was made and what it cost, not by its (possibly clipped) text.
    """
    seen: set[tuple[Any, ...]] = set()
    out: list[ModelResponse] = []
    for message in messages:
        if not isinstance(message, ModelResponse) or is_separator(message):
            continue
        key = (message.timestamp, message.model_name, message.provider_response_id, repr(message.usage))
        if key in seen:
            continue
        seen.add(key)
        out.append(message)
    return out


class SessionBinding:
    """The session an agent is bound to: loads on first use, saves after every completed turn.

    A save is one atomic store write checked against the revision this agent loaded, so a second writer
    gets :class:`SessionConflict` and never overwrites a turn; a process killed mid-turn leaves the last
    completed turn stored.
    """

    def __init__(
        self, store: ConversationStore, name: str, context: ContextManager, tracker: UsageTracker
    ) -> None:
        self.store = store
        self.name = check_name(name)
        self._context = context
        self._tracker = tracker
        self._conversation: Conversation | None = None
        self._recorded = 0

    @property
    def loaded(self) -> bool:
        return self._conversation is not None

    async def load(self) -> None:
        """Load the stored session into the agent (once; later calls do nothing)."""
        if self._conversation is not None:
            return
        conversation = await self.store.load(self.name)
        if conversation is None:
            conversation = Conversation(conversation_id=self.name)
        else:
            self._context.set_messages(conversation.messages)
            record = await self.store.read_record(self.name)
            logged = (
                await logged_messages(self.store, self.name)
                if record is not None and record.branches
                else conversation.messages
            )
            rebuilt = self._tracker.record_messages(model_responses(logged or []))
            self._record_unlogged(conversation.usage, rebuilt)
        self._recorded = len(self._tracker)
        self._conversation = conversation

    def _record_unlogged(self, stored: RunUsage, rebuilt: list[UsageRecord]) -> None:
        # Compaction's own model calls (summaries, scores) leave no response in the history, but the stored
        # totals counted them; they come back as one record so totals survive a restart.
        requests = stored.requests - sum(r.requests for r in rebuilt)
        input_tokens = stored.input_tokens - sum(r.input_tokens for r in rebuilt)
        output_tokens = stored.output_tokens - sum(r.output_tokens for r in rebuilt)
        if requests > 0 and input_tokens >= 0 and output_tokens >= 0:
            self._tracker.record_usage(
                input_tokens, output_tokens, None, requests=requests, tool_name="compaction"
            )

    async def save(self) -> None:
        """Store the turn the agent just completed, with the usage it added."""
        conversation = self._conversation
        if conversation is None:
            raise RuntimeError("save() before load()")
        conversation.messages = self._context.get_messages()
        new = self._tracker.get_usage_history()[self._recorded :]
        before = conversation.usage
        usage = copy.copy(before)
        for record in new:
            usage.incr(
                RunUsage(
                    requests=record.requests,
                    input_tokens=record.input_tokens,
                    output_tokens=record.output_tokens,
                    cache_read_tokens=record.cache_read_tokens,
                    cache_write_tokens=record.cache_write_tokens,
                )
            )
        conversation.usage = usage
        try:
            await self.store.save(conversation)
        except ConversationConflict:
            conversation.usage = before
            raise SessionConflict(self.name) from None
        self._recorded += len(new)
