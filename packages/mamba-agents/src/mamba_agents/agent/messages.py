"""``MessageQuery``: filter, summarise and export a conversation (pydantic-ai messages or chat dicts).

Each entry is one chat-format message (see :mod:`mamba_agents.agent.message_utils`) together with what the
pydantic-ai message knew: its timestamp, the tool outcome, the token usage the provider reported.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolReturnPart

from mamba_agents.agent.message_utils import dicts_to_model_messages, message_to_dicts

if TYPE_CHECKING:
    from mamba_agents.tokens import Cost, CostEstimator, TokenCounter

ExportFormat = Literal["json", "markdown", "csv", "dict"]
_FAILED = ("failed", "retried")


@dataclass(frozen=True)
class MessageStats:
    """Messages and tokens, in total and per role."""

    total_messages: int
    messages_by_role: dict[str, int]
    total_tokens: int
    tokens_by_role: dict[str, int]

    @property
    def avg_tokens_per_message(self) -> float:
        return self.total_tokens / self.total_messages if self.total_messages else 0.0


@dataclass(frozen=True)
class ToolCallInfo:
    """One tool's calls: how many, how many failed or were retried, their arguments, results and time."""

    tool_name: str
    call_count: int
    failure_count: int
    arguments: list[dict[str, Any]]
    results: list[str]
    tool_call_ids: list[str]
    total_seconds: float


@dataclass(frozen=True)
class Turn:
    """A user prompt and everything up to the next one: answers, tool calls, tokens and cost."""

    index: int
    user_content: str | None
    assistant_content: str
    tool_interactions: list[dict[str, Any]]
    system_context: str | None
    started_at: datetime | None
    ended_at: datetime | None
    input_tokens: int
    output_tokens: int
    cost: Cost | None


@dataclass(frozen=True)
class _Entry:
    index: int
    data: dict[str, Any]
    timestamp: datetime | None
    outcome: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    model_name: str | None = None
    tokens: int = 0
    meta: dict[str, Any] = field(default_factory=dict)


class MessageQuery:
    """Look into a conversation: ``agent.messages.filter(role="tool", tool_name="read_file")``.

    ``messages`` may be pydantic-ai messages, chat dicts, or both. Filtering and slicing return chat dicts;
    ``stats``, ``tool_summary`` and ``timeline`` summarise; ``export`` writes JSON, Markdown, CSV or dicts.
    Without ``token_counter`` a default :class:`~mamba_agents.tokens.TokenCounter` counts; without
    ``cost_estimator`` turns carry no cost.
    """

    def __init__(
        self,
        messages: Iterable[ModelMessage | Mapping[str, Any]] = (),
        *,
        token_counter: TokenCounter | None = None,
        cost_estimator: CostEstimator | None = None,
    ) -> None:
        self._counter = token_counter
        self._estimator = cost_estimator
        self._entries = self._build(dicts_to_model_messages(list(messages)))

    # -- selecting ------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Any:
        return iter(self.all())

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            return [e.data for e in self._entries[key]]
        return self._entries[key].data

    def all(self) -> list[dict[str, Any]]:
        return [e.data for e in self._entries]

    def first(self, n: int = 1) -> list[dict[str, Any]]:
        return self.all()[: max(0, n)]

    def last(self, n: int = 1) -> list[dict[str, Any]]:
        return self.all()[-n:] if n > 0 else []

    def slice(self, start: int = 0, end: int | None = None) -> list[dict[str, Any]]:
        return self.all()[start:end]

    def filter(
        self,
        *,
        role: str | None = None,
        tool_name: str | None = None,
        content: str | None = None,
        regex: bool = False,
    ) -> list[dict[str, Any]]:
        """Messages matching every given condition. ``content`` is a substring (case-insensitive) or, with
        ``regex=True``, a regular expression searched in the text; ``tool_name`` matches tool results and the
        assistant messages that call it."""
        pattern = re.compile(content if regex else re.escape(content), re.IGNORECASE) if content else None
        out = []
        for entry in self._entries:
            data = entry.data
            if role is not None and data["role"] != role:
                continue
            if tool_name is not None and tool_name not in _tool_names(data):
                continue
            if pattern is not None and not pattern.search(_text(data)):
                continue
            out.append(data)
        return out

    # -- summaries ------------------------------------------------------------------------------------

    def stats(self) -> MessageStats:
        by_role: dict[str, int] = {}
        tokens_by_role: dict[str, int] = {}
        for entry in self._entries:
            role = entry.data["role"]
            by_role[role] = by_role.get(role, 0) + 1
            tokens_by_role[role] = tokens_by_role.get(role, 0) + entry.tokens
        return MessageStats(len(self._entries), by_role, sum(tokens_by_role.values()), tokens_by_role)

    def tool_summary(self) -> list[ToolCallInfo]:
        """Per tool, in order of first call."""
        calls: dict[str, tuple[str, dict[str, Any], datetime | None]] = {}
        order: dict[str, dict[str, Any]] = {}
        for entry in self._entries:
            for call in entry.data.get("tool_calls") or ():
                name = call["function"]["name"]
                calls[call["id"]] = (name, _loads(call["function"]["arguments"]), entry.timestamp)
                info = order.setdefault(
                    name, {"count": 0, "fail": 0, "args": [], "results": [], "ids": [], "secs": 0.0}
                )
                info["count"] += 1
                info["args"].append(calls[call["id"]][1])
                info["ids"].append(call["id"])
            if entry.data["role"] == "tool":
                name = entry.data.get("name") or "tool"
                info = order.setdefault(
                    name, {"count": 0, "fail": 0, "args": [], "results": [], "ids": [], "secs": 0.0}
                )
                info["results"].append(entry.data["content"])
                info["fail"] += entry.outcome in _FAILED
                started = calls.get(entry.data["tool_call_id"], (None, None, None))[2]
                if started is not None and entry.timestamp is not None:
                    info["secs"] += max(0.0, (entry.timestamp - started).total_seconds())
        return [
            ToolCallInfo(name, i["count"], i["fail"], i["args"], i["results"], i["ids"], round(i["secs"], 6))
            for name, i in order.items()
        ]

    def timeline(self) -> list[Turn]:
        """One :class:`Turn` per user prompt (messages before the first prompt make a turn of their own)."""
        groups: list[list[_Entry]] = []
        for entry in self._entries:
            if entry.data["role"] == "user" or not groups:
                groups.append([])
            groups[-1].append(entry)
        return [self._turn(i, group) for i, group in enumerate(groups)]

    def _turn(self, index: int, group: list[_Entry]) -> Turn:
        user = next((e.data["content"] for e in group if e.data["role"] == "user"), None)
        system = "\n".join(str(e.data["content"]) for e in group if e.data["role"] == "system") or None
        answers = [e.data["content"] for e in group if e.data["role"] == "assistant" and e.data["content"]]
        results = {e.data["tool_call_id"]: e for e in group if e.data["role"] == "tool"}
        tools = []
        for entry in group:
            for call in entry.data.get("tool_calls") or ():
                result = results.get(call["id"])
                tools.append(
                    {
                        "tool_name": call["function"]["name"],
                        "tool_call_id": call["id"],
                        "arguments": _loads(call["function"]["arguments"]),
                        "result": result.data["content"] if result else None,
                        "outcome": result.outcome if result else None,
                    }
                )
        stamps = [e.timestamp for e in group if e.timestamp is not None]
        return Turn(
            index=index,
            user_content=user if isinstance(user, str) or user is None else _text({"content": user}),
            assistant_content="\n".join(answers),
            tool_interactions=tools,
            system_context=system,
            started_at=min(stamps) if stamps else None,
            ended_at=max(stamps) if stamps else None,
            input_tokens=sum(e.input_tokens for e in group),
            output_tokens=sum(e.output_tokens for e in group),
            cost=self._cost(group),
        )

    def _cost(self, group: list[_Entry]) -> Cost | None:
        if self._estimator is None:
            return None
        from mamba_agents.tokens.cost import CostBreakdown

        parts = [
            self._estimator.estimate(e.input_tokens, e.output_tokens, e.model_name)
            for e in group
            if e.data["role"] == "assistant" and (e.input_tokens or e.output_tokens)
        ]
        return CostBreakdown.combine(parts).cost

    # -- export ---------------------------------------------------------------------------------------

    def export(
        self,
        format: ExportFormat = "json",
        messages: Sequence[Mapping[str, Any]] | None = None,
        *,
        include_metadata: bool = False,
        indent: int | None = 2,
        max_content_length: int | None = 500,
    ) -> str | list[dict[str, Any]]:
        """The messages (all, or ``messages`` from a filter) as ``json``, ``markdown`` or ``csv`` text, or
        as ``dict``: a list of dicts, each with a ``_metadata`` key (index, timestamp, tokens, outcome)."""
        entries = self._select(messages)
        if format == "json":
            rows = [self._with_meta(e) if include_metadata else e.data for e in entries]
            return json.dumps(rows, indent=indent, ensure_ascii=False, default=str)
        if format == "dict":
            return [self._with_meta(e) for e in entries]
        if format == "csv":
            return _csv(entries, max_content_length)
        if format == "markdown":
            return _markdown(entries)
        raise ValueError(f"unknown export format {format!r}; allowed: json, markdown, csv, dict")

    def print_stats(self, **options: Any) -> str:
        """Print :meth:`stats` (``preset="compact"|"detailed"|"verbose"``, ``format="rich"|"plain"|"html"``,
        ``console=``, preset fields as overrides) and return the text."""
        from mamba_agents.agent.display import print_stats

        return print_stats(self.stats(), **options)

    def print_timeline(self, **options: Any) -> str:
        from mamba_agents.agent.display import print_timeline

        return print_timeline(self.timeline(), **options)

    def print_tools(self, **options: Any) -> str:
        from mamba_agents.agent.display import print_tools

        return print_tools(self.tool_summary(), **options)

    # -- internals ------------------------------------------------------------------------------------

    def _select(self, messages: Sequence[Mapping[str, Any]] | None) -> list[_Entry]:
        if messages is None:
            return list(self._entries)
        wanted = {id(m) for m in messages}
        picked = [e for e in self._entries if id(e.data) in wanted]
        if len(picked) == len(messages):
            return picked
        return MessageQuery(messages, token_counter=self._counter)._entries  # dicts from elsewhere

    @staticmethod
    def _with_meta(entry: _Entry) -> dict[str, Any]:
        meta = {
            "index": entry.index,
            "timestamp": entry.timestamp.isoformat() if entry.timestamp else None,
            "token_count": entry.tokens,
        }
        if entry.outcome is not None:
            meta["outcome"] = entry.outcome
        if entry.input_tokens or entry.output_tokens:
            meta["usage"] = {"input_tokens": entry.input_tokens, "output_tokens": entry.output_tokens}
        return {**entry.data, "_metadata": meta}

    def _count(self, text: str) -> int:
        if not text:
            return 0
        if self._counter is None:
            from mamba_agents.tokens import TokenCounter

            self._counter = TokenCounter()
        return self._counter.count(text)

    def _build(self, messages: list[ModelMessage]) -> list[_Entry]:
        entries: list[_Entry] = []
        for message in messages:
            if isinstance(message, ModelRequest):
                for part, data in zip(_kept_parts(message), message_to_dicts(message), strict=True):
                    stamp = getattr(part, "timestamp", None) or getattr(message, "timestamp", None)
                    outcome = part.outcome if isinstance(part, ToolReturnPart) else None
                    if data["role"] == "tool" and outcome is None:
                        outcome = "retried"  # a legacy RetryPromptPart
                    entries.append(
                        _Entry(len(entries), data, stamp, outcome, tokens=self._count(_text(data)))
                    )
            elif isinstance(message, ModelResponse):
                (data,) = message_to_dicts(message)
                usage = message.usage
                entries.append(
                    _Entry(
                        len(entries),
                        data,
                        message.timestamp,
                        None,
                        usage.input_tokens,
                        usage.output_tokens,
                        message.model_name,
                        tokens=self._count(_text(data)),
                    )
                )
        return entries


def _kept_parts(message: ModelRequest) -> list[Any]:
    from mamba_agents.agent.message_utils import request_part_to_dict

    return [p for p in message.parts if request_part_to_dict(p) is not None]


def _tool_names(data: Mapping[str, Any]) -> set[str]:
    names = {c["function"]["name"] for c in data.get("tool_calls") or ()}
    if data.get("role") == "tool" and data.get("name"):
        names.add(data["name"])
    return names


def _text(data: Mapping[str, Any]) -> str:
    content = data.get("content")
    if content is None:
        text = ""
    elif isinstance(content, str):
        text = content
    else:
        text = " ".join(item if isinstance(item, str) else f"[{type(item).__name__}]" for item in content)
    calls = data.get("tool_calls") or ()
    if calls:
        text = " ".join([text, *(f"{c['function']['name']}({c['function']['arguments']})" for c in calls)])
    return text.strip()


def _loads(arguments: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments) if arguments else {}
    except ValueError:
        return {"_raw": arguments}
    return value if isinstance(value, dict) else {"_value": value}


CSV_COLUMNS = ("index", "role", "content", "tool_name", "tool_call_id", "token_count")


def _csv(entries: list[_Entry], limit: int | None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        data = entry.data
        text = _text(data)
        if limit is not None and len(text) > limit:
            text = text[:limit] + "..."
        names = sorted(_tool_names(data))
        call_ids = [c["id"] for c in data.get("tool_calls") or ()] or [data.get("tool_call_id") or ""]
        writer.writerow([entry.index, data["role"], text, ",".join(names), ",".join(call_ids), entry.tokens])
    return buffer.getvalue()


def _markdown(entries: list[_Entry]) -> str:
    blocks = []
    for entry in entries:
        data = entry.data
        title = f"### {entry.index}. {data['role']}"
        if data["role"] == "tool":
            title += f" `{data.get('name')}` ({data.get('tool_call_id')})"
        body = (
            data["content"] if isinstance(data.get("content"), str) else _text({"content": data["content"]})
        )
        lines = [title, "", body or ""]
        for call in data.get("tool_calls") or ():
            lines.append(
                f"- call `{call['function']['name']}` ({call['id']}): `{call['function']['arguments']}`"
            )
        blocks.append("\n".join(lines).rstrip())
    return "\n\n".join(blocks) + "\n"
