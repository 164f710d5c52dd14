"""One contract for every ConversationStore: pydantic-ai's in-memory store, and SQLite, Postgres, Redis.

Each test drives the public ``ConversationStore`` API (load, save, branch, fork, list, delete) the way an
app does, and checks what a later load returns.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from pydantic_ai import Agent
from pydantic_ai.conversation import Conversation
from pydantic_ai.conversation_store import ConversationConflict, ConversationStore, InMemoryConversationStore
from pydantic_ai.messages import (
    BinaryContent,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

pytestmark = pytest.mark.slow

TRICKY = [
    "plain",
    "ünïcødé ✓ 🐍",
    'quotes " and \\ backslash',
    "nul \x00 byte",
    "",
    "x" * 5000,
    "'; DROP TABLE x; --",
]


AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def turn(i: int, text: str = "") -> list:
    """One question and answer; the same arguments always give equal messages."""
    return [
        ModelRequest(parts=[UserPromptPart(content=f"q{i} {text}", timestamp=AT)], timestamp=AT),
        ModelResponse(
            parts=[TextPart(content=f"a{i} {text}")],
            usage=RequestUsage(input_tokens=i, output_tokens=1),
            timestamp=AT,
        ),
    ]


def rich_turn() -> list:
    return [
        ModelRequest(
            parts=[
                UserPromptPart(content=["look", BinaryContent(data=b"\x00\xff\x10", media_type="image/png")])
            ]
        ),
        ModelResponse(
            parts=[ToolCallPart(tool_name="read", args={"path": "a\x00b", "n": 3}, tool_call_id="c1")]
        ),
        ModelRequest(
            parts=[ToolReturnPart(tool_name="read", content=b"\x00raw bytes\xff", tool_call_id="c1")]
        ),
        ModelResponse(parts=[TextPart(content="done")], model_name="m1"),
    ]


async def save_new(
    store: ConversationStore, cid: str, messages: list, scope: str | None = None
) -> Conversation:
    conversation = Conversation(conversation_id=cid, messages=messages)
    await store.save(conversation, scope=scope)
    return conversation


async def test_round_trip_keeps_every_message_field(store: ConversationStore) -> None:
    assert await store.load("nope") is None
    built = [*rich_turn(), *(m for i, t in enumerate(TRICKY) for m in turn(i, t))]
    # What pydantic-ai's own JSON round trip gives (an image BinaryContent comes back as BinaryImage).
    messages = ModelMessagesTypeAdapter.validate_json(ModelMessagesTypeAdapter.dump_json(built))
    saved = await save_new(store, "c1", messages)
    loaded = await store.load("c1")
    assert loaded is not None
    assert loaded.messages == messages
    assert loaded.revision == saved.revision
    tool_return = loaded.messages[2].parts[0]
    assert tool_return.content == messages[2].parts[0].content  # raw bytes survive
    assert loaded.messages[0].parts[0].content[1].data == b"\x00\xff\x10"


async def test_agent_runs_append_turns_and_carry_usage(store: ConversationStore) -> None:
    def model(messages: list, info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[TextPart(content=f"answer {len(messages)}")])

    agent = Agent(FunctionModel(model))
    conversation = await store.load("chat") or Conversation(conversation_id="chat")
    ids: list[str] = []
    for n in range(3):
        result = await agent.run(f"prompt {n}", conversation=conversation)
        await store.save(result)
        conversation = await store.load("chat")
        assert conversation is not None
        assert len(conversation.messages) == 2 * (n + 1)
        assert conversation.usage.requests == n + 1
        entries = await store.load_entries("chat")
        assert [e.id for e in entries][: len(ids)] == ids  # earlier entries are never rewritten
        ids = [e.id for e in entries]
    assert [p.content for m in conversation.messages for p in m.parts][-2:] == ["prompt 2", "answer 5"]


async def test_second_writer_gets_a_conflict_and_the_first_turn_stays(store: ConversationStore) -> None:
    await save_new(store, "c", turn(0))
    a, b = await store.load("c"), await store.load("c")
    a.messages += turn(1, "from a")
    b.messages += turn(1, "from b")
    await store.save(a)
    with pytest.raises(ConversationConflict):
        await store.save(b)
    loaded = await store.load("c")
    assert loaded.messages == [*turn(0), *turn(1, "from a")]


async def test_concurrent_saves_of_one_copy_exactly_one_wins(store: ConversationStore) -> None:
    await save_new(store, "c", turn(0))
    copies = [await store.load("c") for _ in range(6)]
    for i, copy in enumerate(copies):
        copy.messages += turn(1, f"w{i}")
    results = await asyncio.gather(*(store.save(c) for c in copies), return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, ConversationConflict) for r in results if isinstance(r, BaseException))
    assert len((await store.load("c")).messages) == 4


async def test_creating_an_existing_conversation_conflicts(store: ConversationStore) -> None:
    await save_new(store, "c", turn(0))
    with pytest.raises(ConversationConflict):
        await save_new(store, "c", turn(9))
    assert (await store.load("c")).messages == turn(0)


async def test_scope_hides_and_protects(store: ConversationStore) -> None:
    await save_new(store, "mine", turn(0), scope="alice")
    await save_new(store, "theirs", turn(1), scope="bob")
    assert await store.load("mine", scope="bob") is None
    assert (await store.load("mine", scope="alice")).messages == turn(0)
    assert [r.conversation_id for r in await store.list_conversations(scope="alice")] == ["mine"]
    stolen = await store.load("mine")
    stolen.messages += turn(2)
    with pytest.raises(ConversationConflict):
        await store.save(stolen, scope="bob")
    await store.delete("mine", scope="bob")  # another scope: left alone
    assert await store.load("mine") is not None


async def test_limit_loads_the_last_messages(store: ConversationStore) -> None:
    await save_new(store, "c", [m for i in range(5) for m in turn(i)])
    assert (await store.load("c", limit=3)).messages == [*turn(3)[1:], *turn(4)]
    assert (await store.load("c", limit=0)).messages == []
    assert len((await store.load("c", limit=100)).messages) == 10


async def test_rewritten_history_branches_and_old_branch_stays_readable(store: ConversationStore) -> None:
    await save_new(store, "c", [*turn(0), *turn(1)])
    loaded = await store.load("c")
    old_tip = (await store.load_entries("c"))[-1].id
    # A compaction rewrote the history: keep turn 1 behind a summary, then continue.
    rewritten = Conversation(
        conversation_id="c",
        messages=[
            ModelRequest(parts=[UserPromptPart(content="summary of turn 0", timestamp=AT)], timestamp=AT),
            *turn(1),
            *turn(2),
        ],
        revision=loaded.revision,
    )
    await store.save(rewritten)
    record = await store.read_record("c")
    assert record.branches == [old_tip]
    assert (await store.load("c")).messages == rewritten.messages
    assert [e.message for e in await store.read_history(old_tip)] == [*turn(0), *turn(1)]


async def test_branch_back_and_fork_share_entries(store: ConversationStore) -> None:
    await save_new(store, "c", [m for i in range(3) for m in turn(i)])
    loaded = await store.load("c")
    branched = await store.branch("c", at=2, expected_revision=loaded.revision)
    assert branched.messages == turn(0)
    fork = await store.fork("c", new_conversation_id="f")
    assert fork.messages == turn(0)
    with pytest.raises(ConversationConflict):
        await store.fork("c", new_conversation_id="f")


async def test_delete_keeps_what_a_fork_still_uses_and_releases_the_rest(store: ConversationStore) -> None:
    await save_new(store, "src", [*turn(0), *turn(1)])
    await store.fork("src", at=2, new_conversation_id="fork")
    src_entries = await store.load_entries("src")
    await store.delete("src")
    assert await store.load("src") is None
    assert (await store.load("fork")).messages == turn(0)  # shared entries survive their source
    with pytest.raises(LookupError):
        await store.read_entry(src_entries[-1].id)  # only "src" reached it
    await store.delete("fork")
    with pytest.raises(LookupError):
        await store.read_entry(src_entries[0].id)
    assert await store.list_conversations() == []


async def test_list_is_most_recent_first_with_limit(store: ConversationStore) -> None:
    for cid in ("a", "b", "c"):
        await save_new(store, cid, turn(0))
        await asyncio.sleep(0.002)
    a = await store.load("a")
    a.messages += turn(1)
    await store.save(a)
    assert [r.conversation_id for r in await store.list_conversations()] == ["a", "c", "b"]
    assert [r.conversation_id for r in await store.list_conversations(limit=2)] == ["a", "c"]
    with pytest.raises(Exception, match="negative"):
        await store.list_conversations(limit=-1)


async def test_primitives_refuse_stale_revisions_and_missing_entries(store: ConversationStore) -> None:
    await save_new(store, "c", turn(0))
    with pytest.raises(ConversationConflict):
        await store.delete_record("c", expected_revision="stale")
    with pytest.raises(LookupError):
        await store.read_history("no-such-entry")
    with pytest.raises(LookupError):
        await store.read_entry("no-such-entry")
    record = await store.read_record("c")
    record.head_id = "no-such-entry"  # a head nothing stores: a concurrent delete released it
    with pytest.raises(ConversationConflict):
        await store.write_record(record, expected_revision=record.revision)


async def test_history_is_read_without_walking_entries(store: ConversationStore, monkeypatch) -> None:
    if isinstance(store, InMemoryConversationStore):
        pytest.skip("pydantic-ai's in-memory store walks entries by design")
    assert type(store).read_history is not ConversationStore.read_history
    await save_new(store, "c", [m for i in range(50) for m in turn(i)])

    async def no_walking(entry_id: str):
        raise AssertionError("read_history fell back to one read per entry")

    monkeypatch.setattr(store, "read_entry", no_walking)
    assert len((await store.load("c")).messages) == 100
    assert len((await store.load("c", limit=7)).messages) == 7
