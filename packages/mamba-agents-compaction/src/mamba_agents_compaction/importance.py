"""``importance_scoring``: score the old exchanges and drop the least important until the history fits.

An *exchange* is a model response with the requests after it (its tool results, the next user prompt), so
dropping one never separates a tool call from its result (see :mod:`mamba_agents_compaction.layout`).

Scores come from the summarization model (by default the agent's own; one call per batch of exchanges, never
one per message). The heuristic below is used when ``scorer="heuristic"``, when no model is available or the
call fails (both reported in ``details["model_error"]``), and for items the model left unrated; each term is
in ``[0, 1]``::

    score = 0.45 * kind + 0.25 * recency + 0.30 * signal

* ``kind``: the most valuable thing in the exchange: a summary 1.0, a user prompt 0.9, assistant text 0.6
  (0.3 when under 40 characters), a tool call and result 0.4, a tool result that failed or asked for a retry
  0.15, thinking alone 0.1;
* ``recency``: 0 for the oldest exchange, 1 for the newest;
* ``signal``: 0.5 for words that carry requirements or decisions (must, never, always, remember, important,
  critical, decided, prefer, require, don't, deadline, constraint, budget), plus 0.3 for concrete values
  (digits, paths, file names), plus 0.2 for a name in backticks or quotes; at most 1.

Ties go to age: of two equal scores the older exchange is dropped first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Literal

from mamba_agents.context.result import CompactionResult
from mamba_agents.context.strategy import CompactionContext
from pydantic import Field
from pydantic_ai.messages import (
    CompactionPart,
    ModelMessage,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.usage import RunUsage

from mamba_agents_compaction.base import ConfiguredStrategy, StrategyOptions
from mamba_agents_compaction.calls import ask, describe_error
from mamba_agents_compaction.layout import exchanges, layout
from mamba_agents_compaction.text import clip, render, user_text

SCORING_INSTRUCTIONS = """\
You decide which parts of an AI assistant's conversation it can forget to save space. Rate each numbered \
item from 0 to 10 for how much the assistant still needs it to finish the user's task:
10 = must keep: the user's requirements, decisions, facts and values needed later;
5 = useful background;
0 = safe to forget: superseded output, chit-chat, failed attempts that were later fixed.
Reply with one line per item, exactly in the form `<number>: <score>`, and nothing else."""

SCORING_PROMPT = """\
The user's task (first message): {task}

Items:
{items}"""

_WORDS = re.compile(
    r"\b(must|never|always|remember|important|critical|decid\w*|prefer\w*|requir\w*|don'?t|do not|"
    r"deadline|constraint|budget)\b",
    re.IGNORECASE,
)
_VALUES = re.compile(r"\d|/\w|\b\w+\.(py|js|ts|md|json|toml|yaml|yml|txt|csv|html|css|sql|sh|rs|go)\b")
_NAMES = re.compile(r"`[^`]+`|\"[^\"]{2,}\"|'[^']{2,}'")
_SCORE_LINE = re.compile(r"^\W*(\d+)\W+(\d+(?:\.\d+)?)", re.MULTILINE)


class ImportanceOptions(StrategyOptions):
    scorer: Literal["model", "heuristic"] = Field(
        default="model",
        description="model: the summarization model (default: the agent's), the heuristic only when that "
        "fails or none is available (reported in details); heuristic: never call a model",
    )
    batch_size: int = Field(default=40, gt=0, description="exchanges rated per model call")
    preview_chars: int = Field(default=300, gt=20, description="characters of each exchange the scorer reads")
    model_settings: dict[str, Any] | None = None


class ImportanceScoringStrategy(ConfiguredStrategy[ImportanceOptions]):
    """Drops the lowest-scored old exchanges until the history fits ``target_tokens``.

    ``details["scorer"]`` says what scored: ``"model"``, ``"heuristic"``, or ``"model+heuristic"`` when the
    model left some items unrated (those got the heuristic score). A failed model call falls back to the
    heuristic and is reported in ``details["model_error"]``; dropping never puts error text in the history.
    """

    name = "importance_scoring"
    Options = ImportanceOptions

    async def compact(self, messages: Sequence[ModelMessage], context: CompactionContext) -> CompactionResult:
        original = list(messages)
        parts = layout(original, context)
        tokens_before = context.count(original)
        groups = exchanges(parts.body)
        sizes = [context.count(g) for g in groups]
        total = context.count(parts.fixed()) + sum(sizes)
        if total <= context.target_tokens or not groups:
            return CompactionResult(
                strategy=self.name,
                messages=original,
                tokens_before=tokens_before,
                tokens_after=tokens_before,
                details={"reason": "already under target" if groups else "nothing to drop", "scorer": None},
            )

        usage = RunUsage()
        details: dict[str, Any] = {}
        scores = [heuristic_score(g, i, len(groups)) for i, g in enumerate(groups)]
        scorer = "heuristic"
        use_model = self.settings.scorer == "model" and context.model is not None
        if self.settings.scorer == "model" and context.model is None:
            details["model_error"] = "no model to score with (set summarization_model); used the heuristic"
        if use_model:
            try:
                rated = await self._model_scores(groups, parts.head, context, usage)
            except Exception as exc:  # the heuristic still gives a sound ranking
                details["model_error"] = describe_error(exc)
            else:
                for index, value in rated.items():
                    scores[index] = value
                protected = sum(1 for g in groups if _has_summary(g))
                unrated = len(groups) - len(rated) - protected
                scorer = "model" if unrated == 0 else ("model+heuristic" if rated else "heuristic")
                details["unrated"] = unrated
            finally:
                context.usage.incr(usage)

        order = sorted(range(len(groups)), key=lambda i: (scores[i], i))
        dropped: set[int] = set()
        for index in order:
            if total <= context.target_tokens:
                break
            dropped.add(index)
            total -= sizes[index]

        def keep() -> list[ModelMessage]:
            return parts.join([m for i, g in enumerate(groups) if i not in dropped for m in g])

        # The sizes add up only roughly (a separator where two requests would meet): check the real thing.
        new_messages = keep()
        for index in order:
            if index in dropped:
                continue
            if context.count(new_messages) <= context.target_tokens:
                break
            dropped.add(index)
            new_messages = keep()
        return CompactionResult(
            strategy=self.name,
            messages=new_messages,
            removed_count=sum(len(groups[i]) for i in dropped),
            usage=usage,
            tokens_before=tokens_before,
            tokens_after=context.count(new_messages),
            details={
                **details,
                "scorer": scorer,
                "model_calls": usage.requests,
                "exchanges": len(groups),
                "exchanges_dropped": len(dropped),
                "scores": [round(s, 3) for s in scores],
                "dropped": sorted(dropped),
            },
        )

    async def _model_scores(
        self,
        groups: list[list[ModelMessage]],
        head: list[ModelMessage],
        context: CompactionContext,
        usage: RunUsage,
    ) -> dict[int, float]:
        """``exchange index -> score in [0, 1]`` for every exchange the model rated."""
        assert context.model is not None
        task = clip(
            " ".join(user_text(p.content) for m in head for p in m.parts if isinstance(p, UserPromptPart)),
            1_000,
        )
        candidates = [i for i, g in enumerate(groups) if not _has_summary(g)]
        rated: dict[int, float] = {}
        size = self.settings.batch_size
        for start in range(0, len(candidates), size):
            batch = candidates[start : start + size]
            limit = self.settings.preview_chars
            items = "\n".join(
                f"[{n}] {clip(' / '.join(render(groups[i], limit)), limit)}" for n, i in enumerate(batch, 1)
            )
            reply = await ask(
                context.model,
                SCORING_INSTRUCTIONS,
                SCORING_PROMPT.format(task=task or "(none)", items=items),
                usage=usage,
                max_tokens=8 * len(batch) + 32,
                settings=self.settings.model_settings,
            )
            for number, value in parse_scores(reply).items():
                if 1 <= number <= len(batch):
                    rated[batch[number - 1]] = value
        return rated


def parse_scores(reply: str) -> dict[int, float]:
    """``item number -> score in [0, 1]`` from ``"3: 7"`` lines or a JSON object (unreadable items: none)."""
    text = reply.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    found: dict[int, float] = {}
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key, value in data.items():
            try:
                found[int(key)] = float(value)
            except (TypeError, ValueError):
                continue
    else:
        for number, value in _SCORE_LINE.findall(text):
            found.setdefault(int(number), float(value))
    return {n: min(10.0, max(0.0, v)) / 10 for n, v in found.items()}


def _has_summary(group: Sequence[ModelMessage]) -> bool:
    return any(isinstance(p, CompactionPart) for m in group for p in m.parts)


def heuristic_score(group: Sequence[ModelMessage], index: int, count: int) -> float:
    """The documented heuristic (see the module docstring)."""
    kinds: list[float] = []
    texts: list[str] = []
    for message in group:
        for part in message.parts:
            if isinstance(part, CompactionPart):
                kinds.append(1.0)
            elif isinstance(part, UserPromptPart):
                kinds.append(0.9)
                texts.append(user_text(part.content))
            elif isinstance(part, TextPart):
                kinds.append(0.6 if len(part.content.strip()) >= 40 else 0.3)
                texts.append(part.content)
            elif isinstance(part, ToolReturnPart):
                kinds.append(0.4 if part.outcome == "success" else 0.15)
            elif isinstance(part, ToolCallPart):
                texts.append(part.args_as_json_str() if part.args else "")
            elif isinstance(part, ThinkingPart):
                kinds.append(0.1)
    kind = max(kinds, default=0.2)
    recency = index / (count - 1) if count > 1 else 1.0
    text = "\n".join(texts)
    signal = 0.0
    if _WORDS.search(text):
        signal += 0.5
    if _VALUES.search(text):
        signal += 0.3
    if _NAMES.search(text):
        signal += 0.2
    return 0.45 * kind + 0.25 * recency + 0.30 * min(1.0, signal)
