"""Showing a conversation's stats, timeline and tools: presets and renderers (rich, plain text, HTML)."""

from __future__ import annotations

import html
import io
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mamba_agents.agent.messages import MessageStats, ToolCallInfo, Turn

RenderFormat = Literal["rich", "plain", "html"]


@dataclass(frozen=True)
class DisplayPreset:
    """How much to show. ``max_content_length=None`` shows whole messages; ``limit`` caps rows."""

    show_tokens: bool = True
    max_content_length: int | None = 300
    expand: bool = False
    show_tool_details: bool = False
    max_tool_arg_length: int = 200
    limit: int | None = None


COMPACT = DisplayPreset(show_tokens=False, max_content_length=100, max_tool_arg_length=50)
DETAILED = DisplayPreset()
VERBOSE = DisplayPreset(max_content_length=None, expand=True, show_tool_details=True, max_tool_arg_length=500)
PRESETS = {"compact": COMPACT, "detailed": DETAILED, "verbose": VERBOSE}


def get_preset(name: str = "detailed", **overrides: Any) -> DisplayPreset:
    """A named preset with fields overridden; an unknown name or field is an error naming the allowed ones."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; allowed: {', '.join(PRESETS)}")
    allowed = {f.name for f in fields(DisplayPreset)}
    unknown = sorted(set(overrides) - allowed)
    if unknown:
        raise ValueError(
            f"unknown display option(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    return replace(PRESETS[name], **overrides)


def _clip(text: Any, limit: int | None) -> str:
    text = "" if text is None else str(text)
    return text if limit is None or len(text) <= limit else text[:limit] + "..."


def _rows_stats(stats: MessageStats, preset: DisplayPreset) -> tuple[list[str], list[list[str]]]:
    header = ["role", "messages"] + (["tokens"] if preset.show_tokens else [])
    rows = []
    for role, count in stats.messages_by_role.items():
        rows.append(
            [role, str(count)] + ([str(stats.tokens_by_role.get(role, 0))] if preset.show_tokens else [])
        )
    rows.append(
        ["total", str(stats.total_messages)] + ([str(stats.total_tokens)] if preset.show_tokens else [])
    )
    return header, rows


def _rows_timeline(turns: list[Turn], preset: DisplayPreset) -> tuple[list[str], list[list[str]]]:
    header = ["turn", "time", "user", "assistant", "tools"]
    if preset.show_tokens:
        header += ["tokens in/out", "cost"]
    rows = []
    for turn in turns[: preset.limit] if preset.limit else turns:
        if preset.show_tool_details:
            tools = "; ".join(
                f"{t['tool_name']}({_clip(t['arguments'], preset.max_tool_arg_length)}) -> {t['outcome']}"
                for t in turn.tool_interactions
            )
        else:
            tools = ", ".join(t["tool_name"] for t in turn.tool_interactions)
        row = [
            str(turn.index),
            turn.started_at.strftime("%H:%M:%S") if turn.started_at else "",
            _clip(turn.user_content, preset.max_content_length),
            _clip(turn.assistant_content, preset.max_content_length),
            tools,
        ]
        if preset.show_tokens:
            cost = "" if turn.cost is None else f"{turn.cost:.4f}" + ("" if turn.cost.priced else " unpriced")
            row += [f"{turn.input_tokens}/{turn.output_tokens}", cost]
        rows.append(row)
    return header, rows


def _rows_tools(tools: list[ToolCallInfo], preset: DisplayPreset) -> tuple[list[str], list[list[str]]]:
    header = ["tool", "calls", "failures", "seconds"] + (["arguments"] if preset.show_tool_details else [])
    rows = []
    for tool in tools[: preset.limit] if preset.limit else tools:
        row = [tool.tool_name, str(tool.call_count), str(tool.failure_count), f"{tool.total_seconds:.3f}"]
        if preset.show_tool_details:
            row.append("; ".join(_clip(a, preset.max_tool_arg_length) for a in tool.arguments))
        rows.append(row)
    return header, rows


class MessageRenderer(ABC):
    """Turns a table (title, header, rows) into text."""

    @abstractmethod
    def render(self, title: str, header: list[str], rows: list[list[str]]) -> str: ...

    def render_stats(self, stats: MessageStats, preset: DisplayPreset = DETAILED) -> str:
        return self.render("Message statistics", *_rows_stats(stats, preset))

    def render_timeline(self, turns: list[Turn], preset: DisplayPreset = DETAILED) -> str:
        return self.render("Conversation timeline", *_rows_timeline(turns, preset))

    def render_tools(self, tools: list[ToolCallInfo], preset: DisplayPreset = DETAILED) -> str:
        return self.render("Tool calls", *_rows_tools(tools, preset))


class PlainTextRenderer(MessageRenderer):
    def render(self, title: str, header: list[str], rows: list[list[str]]) -> str:
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
        line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
        out = [title, line(header), line(["-" * w for w in widths])]
        out += [line(r) for r in rows] if rows else ["(none)"]
        return "\n".join(out) + "\n"


class HtmlRenderer(MessageRenderer):
    def render(self, title: str, header: list[str], rows: list[list[str]]) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
        return (
            f"<table><caption>{html.escape(title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>\n"
        )


class RichRenderer(MessageRenderer):
    def __init__(self, console: Any = None) -> None:
        self.console = console

    def render(self, title: str, header: list[str], rows: list[list[str]]) -> str:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for name in header:
            table.add_column(name, overflow="fold")
        for row in rows:
            table.add_row(*row)
        buffer = io.StringIO()
        Console(file=buffer, width=120, no_color=True).print(table)
        if self.console is not None:
            self.console.print(table)
        return buffer.getvalue()


def _renderer(format: RenderFormat, console: Any) -> MessageRenderer:
    if format == "rich":
        return RichRenderer(console)
    if format == "plain":
        return PlainTextRenderer()
    if format == "html":
        return HtmlRenderer()
    raise ValueError(f"unknown format {format!r}; allowed: rich, plain, html")


def _show(
    method: str, data: Any, preset: str, format: RenderFormat, console: Any, overrides: dict[str, Any]
) -> str:
    renderer = _renderer(format, console)
    text = getattr(renderer, method)(data, get_preset(preset, **overrides))
    if console is None:
        sys.stdout.write(text)
    elif not isinstance(renderer, RichRenderer):
        console.print(text, end="")
    return text


def print_stats(
    stats: MessageStats,
    *,
    preset: str = "detailed",
    format: RenderFormat = "rich",
    console: Any = None,
    **o: Any,
) -> str:
    """Print message statistics (to ``console``, a rich Console, or stdout) and return the text."""
    return _show("render_stats", stats, preset, format, console, o)


def print_timeline(
    turns: list[Turn],
    *,
    preset: str = "detailed",
    format: RenderFormat = "rich",
    console: Any = None,
    **o: Any,
) -> str:
    return _show("render_timeline", turns, preset, format, console, o)


def print_tools(
    tools: list[ToolCallInfo],
    *,
    preset: str = "detailed",
    format: RenderFormat = "rich",
    console: Any = None,
    **o: Any,
) -> str:
    return _show("render_tools", tools, preset, format, console, o)
