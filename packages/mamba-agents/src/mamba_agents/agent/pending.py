"""Runs that ended waiting on tool calls (approval or external execution), and what the next run must pass."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_ai import DeferredToolRequests
from pydantic_ai.messages import ModelMessage, ModelResponse


class PendingToolCallsError(RuntimeError):
    """The conversation waits for decisions on tool calls; a new prompt cannot be sent before they are given.

    ``requests`` is the :class:`~pydantic_ai.DeferredToolRequests` the last run returned.
    """

    def __init__(self, requests: DeferredToolRequests) -> None:
        self.requests = requests
        super().__init__(describe(requests))


def describe(requests: DeferredToolRequests) -> str:
    waiting: list[str] = []
    arguments: list[str] = []
    for kind, label, value, calls in (
        ("approvals", "approval of", "True", requests.approvals),
        ("calls", "results of", "<result>", requests.calls),
    ):
        if calls:
            waiting.append(f"{label} " + ", ".join(f"{c.tool_name} ({c.tool_call_id})" for c in calls))
            arguments.append(f"{kind}={{" + ", ".join(f"{c.tool_call_id!r}: {value}" for c in calls) + "}")
    hint = " (ToolDenied('why') instead of True refuses a call)" if requests.approvals else ""
    return (
        f"the last run is waiting for {' and '.join(waiting)}: run again with "
        f"deferred_tool_results=DeferredToolResults({', '.join(arguments)}){hint}; a new prompt may go "
        "along. Or call clear_context() to drop the conversation."
    )


def still_pending(requests: DeferredToolRequests | None, history: Sequence[ModelMessage]) -> bool:
    """True while the history still ends with the response whose tool calls are waiting."""
    if requests is None or not history or not isinstance(history[-1], ModelResponse):
        return False
    waiting = {c.tool_call_id for c in (*requests.approvals, *requests.calls)}
    called = {getattr(p, "tool_call_id", None) for p in history[-1].parts}
    return bool(waiting) and waiting <= called


def deferred_output(output: Any) -> DeferredToolRequests | None:
    return output if isinstance(output, DeferredToolRequests) else None
