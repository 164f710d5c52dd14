"""Showing a turn as it streams: the model's text on stdout, tool calls and the spinner on stderr.

Piped or redirected stdout gets the model's text byte for byte (no wrapping, no styling, no markup); a
terminal gets the text rendered as Markdown while it arrives. The events come from pydantic-ai's
``event_stream_handler`` (which makes every model request streamed), called on the agent's event loop thread.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import AsyncIterable
from typing import Any

from rich.console import Console

# How many characters of a tool call's arguments the stderr line shows; the call itself is not shortened.
TOOL_ARGS_SHOWN = 200
# Rich redraws the live Markdown at most this often (each redraw re-renders the whole answer so far).
LIVE_REFRESH_PER_SECOND = 8


class TurnDisplay:
    """Writes one turn's text as it streams; ``finish(output)`` completes it with the final answer."""

    def __init__(self, *, live: bool | None = None, err: Console | None = None) -> None:
        self.live = sys.stdout.isatty() if live is None else live
        self.err = err or Console(stderr=True, soft_wrap=True)
        self.written = ""  # every text delta written this turn
        self._lock = threading.Lock()
        self._status: Any = None
        self._live: Any = None
        self._new_response = False
        self._live_base = ""  # text written before the live view (re)started, already on the screen

    # -- lifecycle --------------------------------------------------------------------------------------

    def start(self, message: str = "Thinking…") -> None:
        """The spinner until the first token (shown only when stderr is a terminal)."""
        if self.err.is_terminal:
            self._status = self.err.status(message, spinner="dots")
            self._status.start()

    def stop_spinner(self) -> None:
        with self._lock:
            status, self._status = self._status, None
        if status is not None:
            status.stop()

    def finish(self, output: Any) -> None:
        """End the turn: the text the stream did not carry is written, then one newline ends the answer."""
        self.stop_spinner()
        if isinstance(output, str) and not self.written.endswith(output):
            # the answer did not come through the text stream (an output tool, a non-streaming model)
            self._write(output if not self.written else "\n" + output)
        if self._live is not None:
            self._live.stop()
            self._live = None
        elif not self.written.endswith("\n"):
            self._raw("\n")

    def abort(self) -> None:
        """Stop the spinner and live view after an error or Ctrl-C; what was written stays."""
        self.stop_spinner()
        if self._live is not None:
            self._live.stop()
            self._live = None
        elif self.written and not self.written.endswith("\n"):
            self._raw("\n")

    # -- events -----------------------------------------------------------------------------------------

    async def handle(self, ctx: Any, events: AsyncIterable[Any]) -> None:
        """pydantic-ai's ``event_stream_handler``: called once per model request and per tool-call step."""
        from pydantic_ai.messages import (
            FunctionToolCallEvent,
            PartDeltaEvent,
            PartStartEvent,
            TextPart,
            TextPartDelta,
        )

        self._new_response = True
        async for event in events:
            if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
                self._text(event.part.content, starts_part=True)
            elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
                self._text(event.delta.content_delta, starts_part=False)
            elif isinstance(event, FunctionToolCallEvent):
                self._tool_call(event.part.tool_name, event.part.args_as_json_str())

    def _text(self, text: str, *, starts_part: bool) -> None:
        if starts_part and self._new_response and self.written and not self.written.endswith("\n"):
            # text of a later response (after tool calls) starts on its own line
            self._write("\n")
        self._new_response = False
        if text:
            self.stop_spinner()
            self._write(text)

    def _tool_call(self, name: str, args: str) -> None:
        from rich.markup import escape

        self.stop_spinner()
        if self._live is not None:  # the tool line goes below the answer so far, not into it
            self._live.stop()
            self._live = None
            self._live_base = self.written
        shown = args if len(args) <= TOOL_ARGS_SHOWN else args[:TOOL_ARGS_SHOWN] + "…"
        self.err.print(f"[dim]→ {escape(name)}({escape(shown)})[/dim]", highlight=False)

    # -- writing ----------------------------------------------------------------------------------------

    def _write(self, text: str) -> None:
        self.written += text
        if not self.live:
            self._raw(text)
            return
        from rich.live import Live
        from rich.markdown import Markdown

        shown = Markdown(self.written[len(self._live_base) :])
        if self._live is None:
            self._live = Live(
                shown,
                console=Console(),
                refresh_per_second=LIVE_REFRESH_PER_SECOND,
                vertical_overflow="visible",
            )
            self._live.start()
        else:
            self._live.update(shown)

    @staticmethod
    def _raw(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()
