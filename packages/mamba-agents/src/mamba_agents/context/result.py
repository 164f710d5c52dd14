"""What a compaction did, and how full the context is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic_ai.messages import ModelMessage
from pydantic_ai.usage import RunUsage


@dataclass
class CompactionResult:
    """The outcome of one compaction; ``messages`` is the new history (unchanged unless ``success``)."""

    strategy: str
    success: bool = True
    tokens_before: int = 0
    tokens_after: int = 0
    messages_before: int = 0
    messages_after: int = 0
    removed_count: int = 0
    summary: str | None = None
    usage: RunUsage = field(default_factory=RunUsage)
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    messages: list[ModelMessage] = field(default_factory=list, repr=False)

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after

    @property
    def model_requests(self) -> int:
        """How many model calls the strategy made (summaries, scoring)."""
        return self.usage.requests


@dataclass(frozen=True)
class ContextState:
    """A snapshot of the tracked conversation."""

    message_count: int
    token_count: int
    trigger_threshold_tokens: int
    target_tokens: int
    context_window: int | None = None
    compaction_count: int = 0
    system_prompt: str | None = None

    @property
    def usage_ratio(self) -> float:
        """Tokens used as a fraction of the compaction trigger."""
        return self.token_count / self.trigger_threshold_tokens if self.trigger_threshold_tokens else 0.0
