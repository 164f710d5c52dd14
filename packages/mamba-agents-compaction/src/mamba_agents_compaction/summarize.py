"""``summarize_older``: replace everything older than the recent turns with a structured LLM summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mamba_agents.context.join import joined
from mamba_agents.context.result import CompactionResult
from mamba_agents.context.strategy import CompactionContext
from pydantic import Field
from pydantic_ai.messages import CompactionPart, ModelMessage, ModelRequest, UserPromptPart
from pydantic_ai.usage import RunUsage

from mamba_agents_compaction.base import ConfiguredStrategy, StrategyOptions
from mamba_agents_compaction.calls import ask, describe_error
from mamba_agents_compaction.layout import Layout, layout
from mamba_agents_compaction.text import clip, files_touched, render, user_text

SUMMARY_INSTRUCTIONS = """\
You keep the working memory of an AI assistant. The older part of its conversation is being removed to save \
space and your summary takes its place, so the assistant must be able to carry on from your summary alone.

Write Markdown with exactly these sections:
## Task
What the user wants, with every requirement, constraint and preference they stated.
## Decisions
What was decided or done so far, and why.
## Facts and values
Every concrete value the assistant may need again, copied exactly: names, numbers, IDs, paths, URLs, \
versions, settings, commands, error messages.
## Files touched
Each file that was read, created or changed, and what happened to it.
## Open items
What is still to do, open questions, and the next step.

Use only what the conversation says and never invent anything. Copy values exactly. Write "none" for an \
empty section. Write notes for the assistant, not a reply to the user."""

FIRST_PROMPT = """\
This user request stays in the conversation (do not copy it):
<first_request>
{first}
</first_request>

Summarize the conversation that followed.
<conversation>
{transcript}
</conversation>"""

UPDATE_PROMPT = """\
This user request stays in the conversation (do not copy it):
<first_request>
{first}
</first_request>

This is the summary of the conversation so far:
<summary>
{previous}
</summary>

Rewrite the summary so that it also covers the messages below. Keep every fact from the summary unless a \
newer message replaces it.
<new_messages>
{transcript}
</new_messages>"""

# About four characters per token: sizes transcript chunks when the model's context window is known.
_CHARS_PER_TOKEN = 4
_DEFAULT_CHUNK_CHARS = 24_000
# Below this many tokens of room a summary says too little to be worth a model call.
_MIN_SUMMARY_TOKENS = 24
_META = "mamba_agents"  # our key in CompactionPart.metadata


class SummarizeOptions(StrategyOptions):
    instructions: str | None = Field(default=None, description="replaces the summarizer's instructions")
    max_part_chars: int = Field(default=2_000, gt=50, description="longest part the summarizer reads in full")
    chunk_chars: int | None = Field(
        default=None,
        gt=500,
        description="transcript characters per summarizer call; default: half the model's context window, "
        "else 24,000",
    )
    record_files: bool = Field(default=True, description="list files from tool calls the summary missed")
    quote_user_messages: bool = Field(
        default=True,
        description="append the summarised user messages verbatim (clipped), as they carry the "
        "requirements a small summarizer tends to drop",
    )
    user_quote_chars: int = Field(default=2_400, ge=0, description="budget for the quoted user messages")
    summary_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="largest share of target_tokens the summary may take (quotes and files included)",
    )
    model_settings: dict[str, Any] | None = None


class SummarizeOlderStrategy(ConfiguredStrategy[SummarizeOptions]):
    """Summarises the messages between the first user request and the last ``preserve_recent_turns`` turns.

    The summary is a ``CompactionPart`` at the end of the first user request (where pydantic-ai's history
    repair would merge a separate summary request anyway). A later compaction extends that summary with the
    messages that came after it instead of summarising the summary. Any failure abandons the compaction:
    ``success`` is false, ``error`` says why, and the history is returned unchanged.
    """

    name = "summarize_older"
    Options = SummarizeOptions

    async def compact(self, messages: Sequence[ModelMessage], context: CompactionContext) -> CompactionResult:
        original = list(messages)
        parts = layout(original, context)
        tokens_before = context.count(original)
        usage = RunUsage()

        def abandon(error: str, **details: Any) -> CompactionResult:
            return CompactionResult(
                strategy=self.name,
                success=False,
                error=error,
                usage=usage,
                messages=original,
                tokens_before=tokens_before,
                tokens_after=tokens_before,
                details=details,
            )

        # Earlier summaries of this region sit at the end of the request that opens it (the first user
        # request, or the current turn's prompt when the manager opens an oversize turn) or in the body.
        previous = _memories([*parts.head[-1:], *parts.body])
        fresh = [m for m in parts.body if not _only_summary(m)]
        transcript = render(fresh, self.settings.max_part_chars, summaries=False)
        if not transcript:
            return CompactionResult(
                strategy=self.name,
                messages=original,
                tokens_before=tokens_before,
                tokens_after=tokens_before,
                details={"reason": "nothing older than the recent turns to summarize"},
            )
        if context.model is None:
            return abandon("summarize_older needs a model: set summarization_model or give the agent a model")

        first = _first_request_text(parts)
        # What the summary may cost: the room the kept messages leave (measured with an empty summary, so
        # the summary frame and the separator count), at most a share of the target and summary_max_tokens.
        room = context.target_tokens - context.count(_build("", parts, {}))
        budget = min(
            room, int(context.target_tokens * self.settings.summary_share), context.config.summary_max_tokens
        )
        if budget < _MIN_SUMMARY_TOKENS:
            return abandon(
                f"no room for a summary: the kept messages leave {max(room, 0)} of {context.target_tokens} "
                "target tokens",
                room=room,
            )
        max_tokens = budget
        summary = "\n\n".join(p.body for p in previous) if previous else None
        chunks = _chunks(transcript, self._chunk_chars(context))
        try:
            for chunk in chunks:
                prompt = (
                    UPDATE_PROMPT.format(first=first, previous=summary, transcript=chunk)
                    if summary
                    else FIRST_PROMPT.format(first=first, transcript=chunk)
                )
                summary = await ask(
                    context.model,
                    self.settings.instructions or SUMMARY_INSTRUCTIONS,
                    prompt,
                    usage=usage,
                    max_tokens=max_tokens,
                    settings=self.settings.model_settings,
                )
        except Exception as exc:  # any failure abandons the compaction; its text goes to the result only
            return abandon(f"summarizer failed: {describe_error(exc)}", model_calls=usage.requests)
        finally:
            context.usage.incr(usage)
        assert summary is not None

        memory = _Memory(body=summary)
        for earlier in previous:
            memory.absorb(earlier)
        files = files_touched(fresh)
        memory.absorb(_Memory(body="", files=files, quotes=_quotes(fresh)))
        memory.trim_quotes(self.settings.user_quote_chars if self.settings.quote_user_messages else 0)
        generation = 1 + max((p.generation for p in previous), default=0)
        new_messages, final_summary = self._fit(memory, parts, context, budget=budget, generation=generation)
        text = memory.render(files=self.settings.record_files)
        tokens_after = context.count(new_messages)
        if tokens_after >= tokens_before:
            return abandon(
                f"the summary would not shrink the conversation ({tokens_before} -> {tokens_after} tokens)",
                model_calls=usage.requests,
            )
        return CompactionResult(
            strategy=self.name,
            messages=new_messages,
            removed_count=len(parts.body),
            summary=final_summary,
            usage=usage,
            tokens_before=tokens_before,
            tokens_after=tokens_after,
            details={
                "summarized_messages": len(parts.body),
                "extended_previous_summary": bool(previous),
                "model_calls": usage.requests,
                "chunks": len(chunks),
                "files": list(files),
                "summary_clipped": final_summary != text,
                "user_messages_quoted": len(memory.quotes),
            },
        )

    def _chunk_chars(self, context: CompactionContext) -> int:
        if self.settings.chunk_chars:
            return self.settings.chunk_chars
        window = getattr(context.model, "context_window", None)
        if isinstance(window, int) and window > 0:
            # Half the window for the transcript leaves room for the instructions and the answer.
            answer = context.config.summary_max_tokens * _CHARS_PER_TOKEN
            return max(2_000, window * _CHARS_PER_TOKEN // 2 - answer)
        return _DEFAULT_CHUNK_CHARS

    def _fit(
        self, memory: _Memory, parts: Layout, context: CompactionContext, *, budget: int, generation: int
    ) -> tuple[list[ModelMessage], str]:
        """The new history and its summary, brought within ``budget`` tokens.

        Quoted user messages go first (the middle ones before the first and the latest), then the model's
        text is clipped; what is stored in the metadata is what was kept, so the next summary starts from it.
        """
        empty = context.count(_build("", parts, {}))

        def cost(text: str) -> int:
            return context.count(_build(text, parts, {})) - empty

        text = memory.render(files=self.settings.record_files)
        while memory.quotes and cost(text) > budget:
            del memory.quotes[len(memory.quotes) // 2]
            text = memory.render(files=self.settings.record_files)
        full, keep = text, len(text)
        for _ in range(8):  # the clip is sized from the token share; a few rounds converge
            over = cost(text) - budget
            if over <= 0:
                break
            keep = max(1, int(keep * budget / (budget + over)) - 16)
            text = clip(full, keep)
        metadata = {"strategy": self.name, "generation": generation, **memory.as_metadata()}
        return _build(text, parts, metadata), text


def _only_summary(message: ModelMessage) -> bool:
    return isinstance(message, ModelRequest) and all(isinstance(p, CompactionPart) for p in message.parts)


def _first_request_text(parts: Layout) -> str:
    texts = [user_text(p.content) for m in parts.head[-1:] for p in m.parts if isinstance(p, UserPromptPart)]
    return clip("\n".join(texts), 2_000) or "(none)"


def _without_summary(parts: Layout) -> Layout:
    head = list(parts.head)
    if head and isinstance(head[-1], ModelRequest):
        kept = [p for p in head[-1].parts if not isinstance(p, CompactionPart)]
        head[-1] = replace(head[-1], parts=kept)
    return Layout(head, [], parts.pinned, parts.tail)


def _build(summary: str, parts: Layout, metadata: dict[str, Any]) -> list[ModelMessage]:
    bare = _without_summary(parts)
    head = list(bare.head)
    part = CompactionPart(content=summary, metadata={_META: metadata})
    if head and isinstance(head[-1], ModelRequest):
        head[-1] = replace(head[-1], parts=[*head[-1].parts, part])
    else:
        head.append(ModelRequest(parts=[part]))
    return joined(head, parts.pinned, parts.tail)


def _chunks(lines: list[str], size: int) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    length = 0
    for line in lines:
        if current and length + len(line) > size:
            chunks.append("\n".join(current))
            current, length = [], 0
        current.append(line)
        length += len(line) + 1
    if current:
        chunks.append("\n".join(current))
    return chunks


@dataclass
class _Memory:
    """A summary as the model wrote it, plus what is kept beside it verbatim: files touched, user messages.

    The parts are stored in the ``CompactionPart``'s metadata (never sent to a model), so the next compaction
    hands the model only its own text to extend and carries the verbatim parts over itself.
    """

    body: str
    files: dict[str, list[str]] = field(default_factory=dict)
    quotes: list[str] = field(default_factory=list)
    generation: int = 1

    def absorb(self, other: _Memory) -> None:
        for path, tools in other.files.items():
            known = self.files.setdefault(path, [])
            known.extend(t for t in tools if t not in known)
        self.quotes.extend(other.quotes)

    def trim_quotes(self, budget: int) -> None:
        # The first and the latest messages say the most about the task; the middle goes first.
        while self.quotes and sum(len(q) for q in self.quotes) > budget:
            del self.quotes[len(self.quotes) // 2]

    def render(self, *, files: bool, limit: int = 50) -> str:
        text = self.body.rstrip()
        missing = (
            [(path, tools) for path, tools in self.files.items() if path not in self.body] if files else []
        )
        if missing:
            listed = "\n".join(f"- {path} ({', '.join(tools)})" for path, tools in missing[:limit])
            more = f"\n- ... and {len(missing) - limit} more" if len(missing) > limit else ""
            text += f"\n\nFiles named in tool calls:\n{listed}{more}"
        if self.quotes:
            text += "\n\nEarlier user messages (verbatim):\n" + "\n".join(f"- {q}" for q in self.quotes)
        return text

    def as_metadata(self) -> dict[str, Any]:
        return {"body": self.body, "files": self.files, "user_messages": self.quotes}


def _memories(messages: Sequence[ModelMessage]) -> list[_Memory]:
    """Earlier summaries; one written by another tool is taken whole as the model's text."""
    found: list[_Memory] = []
    for message in messages:
        if not isinstance(message, ModelRequest):
            continue
        for part in message.parts:
            if not isinstance(part, CompactionPart) or not part.content:
                continue
            ours = (part.metadata or {}).get(_META) if isinstance(part.metadata, dict) else None
            if isinstance(ours, dict) and isinstance(ours.get("body"), str):
                files = ours.get("files") if isinstance(ours.get("files"), dict) else {}
                quotes = ours.get("user_messages") if isinstance(ours.get("user_messages"), list) else []
                generation = ours.get("generation")
                found.append(
                    _Memory(
                        ours["body"],
                        {str(k): list(v) for k, v in files.items()},
                        [str(q) for q in quotes],
                        generation if isinstance(generation, int) else 1,
                    )
                )
            else:
                found.append(_Memory(part.content))
    return found


def _quotes(messages: Sequence[ModelMessage], limit: int = 400) -> list[str]:
    return [
        " ".join(clip(user_text(p.content), limit).split())
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, UserPromptPart) and user_text(p.content).strip()
    ]
