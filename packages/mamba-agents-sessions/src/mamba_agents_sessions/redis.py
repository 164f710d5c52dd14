"""``RedisConversationStore``: pydantic-ai's conversation log in Redis (redis-py asyncio, Lua scripts)."""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Sequence
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

# Keys: {p}:c:{id} hash (rev, scope, tips, body); {p}:e:{id} hash (parent, kind, msg); {p}:all and
# {p}:scope:{scope} sorted sets by updated_at; {p}:entries set of every entry id (for delete).
# A Lua script runs atomically, so each write is all-or-nothing and its revision check cannot race.

_WRITE = """
local p, cid, expected, head, rev, scope, body, tipsj, updated = unpack(ARGV, 1, 9)
local n = tonumber(ARGV[10])
local ck = p .. ':c:' .. cid
local current = redis.call('HGET', ck, 'rev')
if expected == '' then
  if current then return 0 end
elseif current ~= expected then
  return 0
end
if head ~= '' and redis.call('EXISTS', p .. ':e:' .. head) == 0 then
  local found = false
  for i = 0, n - 1 do
    if ARGV[11 + i * 4] == head then found = true end
  end
  if not found then return 0 end
end
for i = 0, n - 1 do
  local id = ARGV[11 + i * 4]
  redis.call('HSET', p .. ':e:' .. id,
    'parent', ARGV[12 + i * 4], 'kind', ARGV[13 + i * 4], 'msg', ARGV[14 + i * 4])
  redis.call('SADD', p .. ':entries', id)
end
local old_scope = redis.call('HGET', ck, 'scope')
if old_scope and old_scope ~= '' and old_scope ~= scope then
  redis.call('ZREM', p .. ':scope:' .. old_scope, cid)
end
redis.call('HSET', ck, 'rev', rev, 'scope', scope, 'tips', tipsj, 'body', body)
redis.call('ZADD', p .. ':all', updated, cid)
if scope ~= '' then redis.call('ZADD', p .. ':scope:' .. scope, updated, cid) end
return 1
"""

_HISTORY = """
local p, id, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local out = {}
local count = 0
while id ~= '' and (limit < 0 or count < limit) do
  local v = redis.call('HMGET', p .. ':e:' .. id, 'parent', 'kind', 'msg')
  if not v[3] then return redis.error_reply('MISSING ' .. id) end
  out[#out + 1] = id
  out[#out + 1] = v[1]
  out[#out + 1] = v[2]
  out[#out + 1] = v[3]
  count = count + 1
  id = v[1]
end
return out
"""

_DELETE = """
local p, cid, expected = ARGV[1], ARGV[2], ARGV[3]
local ck = p .. ':c:' .. cid
if redis.call('HGET', ck, 'rev') ~= expected then return 0 end
local scope = redis.call('HGET', ck, 'scope')
redis.call('DEL', ck)
redis.call('ZREM', p .. ':all', cid)
if scope and scope ~= '' then redis.call('ZREM', p .. ':scope:' .. scope, cid) end
local reach = {}
for _, other in ipairs(redis.call('ZRANGE', p .. ':all', 0, -1)) do
  local t = redis.call('HGET', p .. ':c:' .. other, 'tips')
  for _, id in ipairs(cjson.decode(t)) do
    while id and id ~= '' and not reach[id] do
      reach[id] = true
      id = redis.call('HGET', p .. ':e:' .. id, 'parent')
    end
  end
end
for _, id in ipairs(redis.call('SMEMBERS', p .. ':entries')) do
  if not reach[id] then
    redis.call('DEL', p .. ':e:' .. id)
    redis.call('SREM', p .. ':entries', id)
  end
end
return 1
"""


class RedisConversationStore(ConversationStore):
    """A pydantic-ai ``ConversationStore`` in Redis; each save, history read and delete is one Lua script.

    Keys live under ``prefix`` (default ``mamba:sessions``) on one Redis server (not Redis Cluster: the
    scripts touch keys they compute). ``delete`` removes the entries no remaining conversation reaches; it
    walks every stored conversation, so it costs time in proportion to the whole store.
    """

    def __init__(self, url: str, *, prefix: str = "mamba:sessions") -> None:
        if not prefix or any(c.isspace() for c in prefix):
            raise ValueError(f"prefix must be a non-empty key prefix without spaces, got {prefix!r}")
        self._url = url
        self._p = prefix
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()

    async def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            import redis.asyncio as aioredis

            client = aioredis.from_url(self._url, decode_responses=True)
            client.mamba_scripts = {
                name: client.register_script(source)
                for name, source in (("write", _WRITE), ("history", _HISTORY), ("delete", _DELETE))
            }
            self._clients[loop] = client
        return client

    async def close(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    async def read_record(self, conversation_id: str) -> ConversationRecord | None:
        client = await self._client()
        body = await client.hget(f"{self._p}:c:{conversation_id}", "body")
        return None if body is None else load_record(body)

    async def read_records(
        self, *, scope: str | None = None, limit: int | None = None
    ) -> Sequence[ConversationRecord]:
        if limit == 0:
            return []
        client = await self._client()
        index = f"{self._p}:all" if scope is None else f"{self._p}:scope:{scope}"
        ids = await client.zrevrange(index, 0, -1 if limit is None else limit - 1)
        if not ids:
            return []
        async with client.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.hget(f"{self._p}:c:{cid}", "body")
            bodies = await pipe.execute()
        return [load_record(body) for body in bodies if body is not None]

    async def write_record(
        self,
        record: ConversationRecord,
        *,
        new_entries: Sequence[ConversationEntry] = (),
        expected_revision: str | None,
    ) -> None:
        client = await self._client()
        args: list[Any] = [
            self._p,
            record.conversation_id,
            expected_revision or "",
            record.head_id or "",
            record.revision,
            record.scope or "",
            dump_record(record),
            json.dumps(tips(record)),
            record.updated_at.timestamp(),
            len(new_entries),
        ]
        for entry in new_entries:
            args += [entry.id, entry.parent_id or "", entry.kind, dump_message(entry)]
        if not await client.mamba_scripts["write"](args=args):
            raise ConversationConflict(record.conversation_id)

    async def delete_record(self, conversation_id: str, *, expected_revision: str) -> None:
        client = await self._client()
        if not await client.mamba_scripts["delete"](args=[self._p, conversation_id, expected_revision]):
            raise ConversationConflict(conversation_id)

    async def read_entry(self, entry_id: str) -> ConversationEntry:
        client = await self._client()
        parent, kind, message = await client.hmget(f"{self._p}:e:{entry_id}", "parent", "kind", "msg")
        if message is None:
            raise KeyError(entry_id)
        return load_entry(entry_id, parent, kind, message)

    async def read_history(self, head_id: str | None, *, limit: int | None = None) -> list[ConversationEntry]:
        if head_id is None or limit == 0:
            return []
        from redis.exceptions import ResponseError

        client = await self._client()
        try:
            flat = await client.mamba_scripts["history"](
                args=[self._p, head_id, -1 if limit is None else limit]
            )
        except ResponseError as exc:
            if "MISSING" in str(exc):
                raise KeyError(str(exc).rpartition(" ")[2]) from None
            raise
        rows = [flat[i : i + 4] for i in range(0, len(flat), 4)][::-1]
        return history_from_rows(rows, head_id, limit)

    def __repr__(self) -> str:
        return f"RedisConversationStore(prefix={self._p!r})"
