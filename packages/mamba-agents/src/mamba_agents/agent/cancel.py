"""Stopping a run: ``agent.cancel()`` from any thread or task, and what a stopped turn leaves in history.

Cancellation is pydantic-ai's (``CancellationToken`` -> ``RunCancelled``): it closes the model stream, cancels
running tools and hands back what the run completed. The facade keeps that completed part only when a tool
already acted (its side effects happened, so the next run must know), drops a half-streamed answer, closes
calls that never got a result, and ends the turn with a note the model reads on the next run.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import CancellationToken
from pydantic_ai.exceptions import RunCancelled, RunTimedOut
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolReturnPart,
    UserPromptPart,
    repair_messages,
)

INCOMPLETE_KEY = "mamba_agents_incomplete"
"""``ModelRequest.metadata`` key of the note that ends a stopped turn: ``{"reason", "limit"}``."""

_SYNTHESIZED = "pydantic_ai_synthesized_tool_return"


@dataclass
class RunControl:
    """The token of the run in progress, so another thread or task can cancel it."""

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _token: CancellationToken | None = None
    _cancelled_by_us: bool = False

    def begin(self, token: CancellationToken) -> None:
        with self._lock:
            self._token = token
            self._cancelled_by_us = False

    @property
    def cancelled_by_us(self) -> bool:
        """:meth:`cancel` was called during the run in progress."""
        with self._lock:
            return self._cancelled_by_us

    def end(self) -> None:
        with self._lock:
            self._token = None
            self._cancelled_by_us = False

    def cancel(self) -> bool:
        """Cancel the run in progress; ``False`` when none is."""
        with self._lock:
            token = self._token
            if token is None:
                return False
            self._cancelled_by_us = True
        token.cancel()
        return True


def is_incomplete_note(message: ModelMessage) -> bool:
    return isinstance(message, ModelRequest) and INCOMPLETE_KEY in (message.metadata or {})


def note_text(why: str) -> str:
    return (
        f"[mamba-agents] The previous turn was stopped before it finished ({why}). The tool calls above "
        "with results ran; a call marked interrupted was stopped before it returned and may have partly run. "
        "Nothing else from that turn happened."
    )


def ran_tools(messages: Sequence[ModelMessage]) -> int:
    """Tool calls that really produced a result (not a synthesized 'interrupted' one)."""
    return sum(
        1
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, ToolReturnPart)
        and p.outcome != "interrupted"
        and not (p.metadata or {}).get(_SYNTHESIZED)
    )


def kept_history(
    error: RunCancelled, why: str, marker: dict[str, Any]
) -> tuple[list[ModelMessage], int] | None:
    """The history to keep after ``error`` and how many tool calls ran; ``None``: keep the history as it was.

    Kept: everything before the run, the run's complete messages, the results of tool calls that finished,
    synthesized 'interrupted' results for calls that did not, and a note saying ``why`` the turn stopped.
    Dropped: a response that was still streaming (half-written), and the whole turn when no tool acted
    (then nothing happened that the model must know about).
    """
    everything = error.all_messages()
    new = error.new_messages()
    before = everything[: len(everything) - len(new)]
    done = [m for m in new if not (isinstance(m, ModelResponse) and m.state != "complete")]
    count = ran_tools(done)
    if count == 0:
        return None
    repaired = repair_messages([*before, *done], repair_last_response=True)
    note = ModelRequest(parts=[UserPromptPart(note_text(why))], metadata={INCOMPLETE_KEY: marker})
    return [*repaired, note], count


def why_stopped(
    error: RunCancelled, *, by_cancel: bool, token_given: bool, limit: str | None
) -> tuple[str, str]:
    """``(reason, text)``: ``reason`` is ``"timeout"`` or ``"cancelled"``; ``text`` names the limit or who."""
    if isinstance(error, RunTimedOut):
        return "timeout", f"it timed out ({limit or 'the deadline of the run that started it'})"
    if by_cancel:
        return "cancelled", "it was cancelled by agent.cancel()"
    if token_given:
        return "cancelled", "it was cancelled through its cancellation_token"
    return "cancelled", "it was cancelled from inside the run (ctx.cancel())"


def describe_stop(why: str, tools: int, kept: bool) -> str:
    if kept:
        return (
            f"the run stopped before it finished: {why}; the {tools} tool call(s) that ran are kept in "
            "history, followed by a note that the turn is incomplete"
        )
    return f"the run stopped before it finished: {why}; no tool had run, so the history is as it was"


def with_details(mapped: Any, **details: Any) -> Any:
    """``mapped`` (a :class:`~mamba_agents.errors.AgentError`) with more details readable as attributes."""
    mapped.details.update(details)
    return mapped
