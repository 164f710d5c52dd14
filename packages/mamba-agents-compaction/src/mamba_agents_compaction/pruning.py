"""``selective_pruning``: clear what an agent no longer needs to see, keeping the shape of the conversation.

Old tool results are the bulk of an agent's context and the least needed once acted on (JetBrains, "The
Complexity Trap", 2025: masking old observations halves cost with no loss of solve rate). Edits run cheapest
loss first and stop as soon as the history fits the target:

1. a read of a file that was read again later is dropped (call and result), or its result is marked
   superseded when the call shares its message with something that must stay;
2. thinking parts of old responses are removed (providers drop them from earlier turns anyway);
3. tool results older than the last ``keep_tool_pairs`` are cleared: the call, the tool name and a short
   placeholder remain; when that is not enough, the older turns' results among the last ``keep_tool_pairs``
   are cleared too (the preserved recent turns never are);
4. parts longer than ``max_part_chars`` are clipped (beginning and end kept).

Nothing in the first user request or the recent turns is touched.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mamba_agents.context.result import CompactionResult
from mamba_agents.context.strategy import CompactionContext
from pydantic import Field, field_validator
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from mamba_agents_compaction.base import ConfiguredStrategy, StrategyOptions
from mamba_agents_compaction.layout import Layout, layout, return_index
from mamba_agents_compaction.text import PATH_KEYS, as_dict_args, clip, paths_in_args, tool_result_text

DEFAULT_PLACEHOLDER = (
    "[{tool_name} result cleared to save context ({chars} characters); call the tool again if you need it]"
)
SUPERSEDED = "[superseded: {path} was read again later in this conversation]"
_DONE = object()
_MARK = "mamba_agents"  # key of our bookkeeping in part metadata (never sent to the model)


class PruningOptions(StrategyOptions):
    keep_tool_pairs: int = Field(default=3, ge=0, description="the most recent tool results never cleared")
    max_part_chars: int = Field(default=4_000, gt=100, description="longer parts in old turns are clipped")
    read_tools: tuple[str, ...] = Field(
        default=("read_file", "read", "view", "view_file", "cat", "open_file", "get_file", "read_text_file"),
        description="tools whose repeated calls on one path supersede each other",
    )
    drop_repeated_reads: bool = True
    drop_thinking: bool = True
    until_target: bool = Field(default=True, description="stop once under target_tokens (else prune all)")
    placeholder: str = DEFAULT_PLACEHOLDER

    @field_validator("placeholder")
    @classmethod
    def _placeholder_fields(cls, value: str) -> str:
        try:
            value.format(tool_name="t", chars=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"may only use {{tool_name}} and {{chars}} ({exc})") from None
        return value


@dataclass
class _Work:
    """The body being edited, with per-message token sizes so each edit is measured once."""

    context: CompactionContext
    parts: Layout
    body: list[ModelMessage | None]
    sizes: list[int]
    fixed: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.fixed + sum(self.sizes)

    def replace_message(self, index: int, message: ModelMessage, kind: str) -> bool:
        """Apply an edit if it saves tokens."""
        size = self.context.count([message])
        if size >= self.sizes[index]:
            return False
        self.body[index], self.sizes[index] = message, size
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return True

    def drop(self, indices: Sequence[int], kind: str) -> None:
        for index in indices:
            self.body[index], self.sizes[index] = None, 0
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def neighbour(self, index: int, step: int) -> ModelMessage | None:
        """The nearest kept message before (``step=-1``) or after (``+1``) ``index``, across head and tail."""
        i = index + step
        while 0 <= i < len(self.body):
            if self.body[i] is not None:
                return self.body[i]
            i += step
        outside = self.parts.head if step < 0 else [*self.parts.pinned, *self.parts.tail]
        if not outside:
            return None
        return outside[-1] if step < 0 else outside[0]


class SelectivePruningStrategy(ConfiguredStrategy[PruningOptions]):
    """Clears old tool results, drops repeated file reads, removes old thinking and clips oversized parts."""

    name = "selective_pruning"
    Options = PruningOptions

    async def compact(self, messages: Sequence[ModelMessage], context: CompactionContext) -> CompactionResult:
        original = list(messages)
        parts = layout(original, context)
        tokens_before = context.count(original)
        work = _Work(
            context=context,
            parts=parts,
            body=list(parts.body),
            sizes=[context.count([m]) for m in parts.body],
            fixed=sum(context.count(chunk) for chunk in (parts.head, parts.pinned, parts.tail) if chunk),
        )
        edits = self._edits(work, original)
        while not (self.settings.until_target and work.total <= context.target_tokens):
            if next(edits, _DONE) is _DONE:
                break
        kept = [m for m in work.body if m is not None]
        changed = any(m is not o for m, o in zip(work.body, parts.body, strict=True))
        new_messages = parts.join(kept) if changed else original
        tokens_after = context.count(new_messages) if changed else tokens_before
        return CompactionResult(
            strategy=self.name,
            messages=new_messages,
            removed_count=len(parts.body) - len(kept),
            tokens_before=tokens_before,
            tokens_after=tokens_after,
            details={
                "cleared_tool_results": work.counts.get("cleared", 0) + work.counts.get("cleared_recent", 0),
                "cleared_within_keep": work.counts.get("cleared_recent", 0),
                "repeated_reads_dropped": work.counts.get("read_dropped", 0),
                "repeated_reads_marked": work.counts.get("read_marked", 0),
                "thinking_removed": work.counts.get("thinking", 0),
                "clipped_messages": work.counts.get("clipped", 0),
                "reached_target": tokens_after <= context.target_tokens,
            },
        )

    # -- the edits, cheapest loss first; each yields after one change so the caller can stop ---------------

    def _edits(self, work: _Work, everything: list[ModelMessage]) -> Iterator[None]:
        if self.settings.drop_repeated_reads:
            yield from self._repeated_reads(work, everything)
        if self.settings.drop_thinking:
            yield from self._thinking(work)
        yield from self._clear_results(work, everything)
        yield from self._clip(work)

    def _repeated_reads(self, work: _Work, everything: list[ModelMessage]) -> Iterator[None]:
        superseded = self._superseded_reads(everything)
        if not superseded:
            return
        for index, message in enumerate(work.body):
            if not isinstance(message, ModelResponse) or index + 1 >= len(work.body):
                continue
            calls = [p for p in message.parts if isinstance(p, ToolCallPart)]
            stale = {p.tool_call_id for p in calls if p.tool_call_id in superseded}
            answer = work.body[index + 1]
            if not stale or not isinstance(answer, ModelRequest):
                continue
            whole = (
                all(p.tool_call_id in stale for p in calls)
                and all(isinstance(p, ToolCallPart | ThinkingPart) for p in message.parts)
                and all(isinstance(p, ToolReturnPart) and p.tool_call_id in stale for p in answer.parts)
            )
            before, after = work.neighbour(index, -1), work.neighbour(index + 1, +1)
            if whole and not (isinstance(before, ModelResponse) and isinstance(after, ModelResponse)):
                work.drop([index, index + 1], "read_dropped")
                yield None
                continue
            new_parts = [
                _mark(replace(p, content=SUPERSEDED.format(path=superseded[p.tool_call_id])), "superseded")
                if isinstance(p, ToolReturnPart) and p.tool_call_id in stale
                else p
                for p in answer.parts
            ]
            if work.replace_message(index + 1, replace(answer, parts=new_parts), "read_marked"):
                yield None

    def _superseded_reads(self, everything: list[ModelMessage]) -> dict[str, str]:
        """``tool_call_id -> path`` of successful reads repeated by a later successful read of that file."""
        returns = return_index(everything)
        reads: list[tuple[str, str, str]] = []  # (call id, path, the other arguments)
        for message in everything:
            if not isinstance(message, ModelResponse):
                continue
            for part in message.parts:
                if not isinstance(part, ToolCallPart) or part.tool_name not in self.settings.read_tools:
                    continue
                result = returns.get(part.tool_call_id)
                paths = paths_in_args(part)
                if result is None or result.outcome != "success" or len(paths) != 1:
                    continue
                args = as_dict_args(part) or {}
                rest = repr(sorted((k, repr(v)) for k, v in args.items() if k not in PATH_KEYS))
                reads.append((part.tool_call_id, paths[0], rest))
        superseded: dict[str, str] = {}
        for i, (call_id, path, rest) in enumerate(reads):
            # A later read covers this one when it reads the same range, or the whole file.
            if any(p == path and (r == rest or r == "[]") for _, p, r in reads[i + 1 :]):
                superseded[call_id] = path
        return superseded

    def _thinking(self, work: _Work) -> Iterator[None]:
        for index, message in enumerate(work.body):
            if not isinstance(message, ModelResponse):
                continue
            kept = [p for p in message.parts if not isinstance(p, ThinkingPart)]
            if (
                kept
                and len(kept) < len(message.parts)
                and work.replace_message(index, replace(message, parts=kept), "thinking")
            ):
                yield None

    def _clear_results(self, work: _Work, everything: list[ModelMessage]) -> Iterator[None]:
        recent: set[str] = set()
        if self.settings.keep_tool_pairs:
            ids = [
                p.tool_call_id
                for m in everything
                if isinstance(m, ModelRequest)
                for p in m.parts
                if isinstance(p, ToolReturnPart)
            ]
            recent = set(ids[-self.settings.keep_tool_pairs :])
        # When keeping the last keep_tool_pairs results is not enough, the ones in old turns go too (the
        # preserved turns are never in the body).
        for protected, kind in ((recent, "cleared"), (set(), "cleared_recent")):
            if kind == "cleared_recent" and not (recent and self.settings.until_target):
                break
            yield from self._clear_pass(work, protected, kind)

    def _clear_pass(self, work: _Work, protected: set[str], kind: str) -> Iterator[None]:
        for index in range(len(work.body)):
            message = work.body[index]
            if not isinstance(message, ModelRequest):
                continue
            for position, part in enumerate(message.parts):
                if not isinstance(part, ToolReturnPart) or part.tool_call_id in protected or _marked(part):
                    continue
                text = tool_result_text(part)
                cleared = self.settings.placeholder.format(tool_name=part.tool_name, chars=len(text))
                if len(text) <= len(cleared):
                    continue
                current = work.body[index]
                assert isinstance(current, ModelRequest)
                new_parts = list(current.parts)
                new_parts[position] = _mark(replace(part, content=cleared), "cleared")
                if work.replace_message(index, replace(current, parts=new_parts), kind):
                    yield None

    def _clip(self, work: _Work) -> Iterator[None]:
        limit = self.settings.max_part_chars
        for index in range(len(work.body)):
            message = work.body[index]
            if message is None:
                continue
            new_parts = [_clip_part(p, limit) for p in message.parts]
            changed = any(a is not b for a, b in zip(new_parts, message.parts, strict=True))
            if changed and work.replace_message(index, replace(message, parts=new_parts), "clipped"):
                yield None


def _marked(part: ToolReturnPart) -> bool:
    return isinstance(part.metadata, dict) and isinstance(part.metadata.get(_MARK), dict)


def _mark(part: ToolReturnPart, what: str) -> ToolReturnPart:
    metadata = dict(part.metadata) if isinstance(part.metadata, dict) else {}
    metadata[_MARK] = {"pruned": what}
    return replace(part, metadata=metadata)


def _clip_part(part: Any, limit: int) -> Any:
    """``part`` with its long text clipped, or the same object when nothing is too long."""
    if isinstance(part, TextPart) and len(part.content) > limit:
        return replace(part, content=clip(part.content, limit))
    if isinstance(part, UserPromptPart):
        if isinstance(part.content, str):
            return replace(part, content=clip(part.content, limit)) if len(part.content) > limit else part
        items = [clip(i, limit) if isinstance(i, str) else i for i in part.content]
        changed = any(a is not b for a, b in zip(items, part.content, strict=True))
        return replace(part, content=items) if changed else part
    if isinstance(part, ToolReturnPart) and not _marked(part):
        text = tool_result_text(part)
        return _mark(replace(part, content=clip(text, limit)), "clipped") if len(text) > limit else part
    if isinstance(part, ToolCallPart):
        args = as_dict_args(part)
        if not args:
            return part
        clipped = {k: clip(v, limit) if isinstance(v, str) else v for k, v in args.items()}
        changed = any(clipped[k] is not args[k] for k in args)
        return replace(part, args=clipped) if changed else part
    return part
