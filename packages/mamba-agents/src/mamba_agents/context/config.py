"""Compaction configuration: when to compact, down to what, and with which strategy."""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CompactionConfig(BaseModel):
    """When and how a conversation is compacted.

    The trigger is ``trigger_threshold_tokens``, or ``trigger_threshold_ratio`` of the model's context window
    when that is known (the smaller wins when both apply). ``preserve_recent_turns`` counts turns: a turn is a
    user prompt and everything the model and tools did in answer to it.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    strategy: str = "sliding_window"
    trigger_threshold_tokens: int = Field(default=100_000, gt=0)
    target_tokens: int = Field(default=80_000, gt=0)
    trigger_threshold_ratio: float | None = Field(default=None, gt=0, le=1)
    target_ratio: float = Field(
        default=0.8,
        gt=0,
        lt=1,
        description="target as a fraction of the trigger, used with trigger_threshold_ratio",
    )
    preserve_recent_turns: int = Field(default=2, ge=0)
    summarization_model: str | None = None
    summary_max_tokens: int = Field(default=1_024, gt=0)
    strategy_options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _default_target(cls, data: Any) -> Any:
        # A trigger given without a target gets a target below it instead of failing on the default.
        if isinstance(data, dict) and "trigger_threshold_tokens" in data and "target_tokens" not in data:
            with contextlib.suppress(TypeError, ValueError):  # the field validators report bad values
                data = {**data, "target_tokens": max(1, int(int(data["trigger_threshold_tokens"]) * 0.8))}
        return data

    @model_validator(mode="after")
    def _target_below_trigger(self) -> CompactionConfig:
        if self.target_tokens >= self.trigger_threshold_tokens:
            raise ValueError(
                f"target_tokens ({self.target_tokens}) must be below trigger_threshold_tokens "
                f"({self.trigger_threshold_tokens})"
            )
        return self

    def thresholds(self, context_window: int | None) -> tuple[int, int]:
        """``(trigger, target)`` in tokens for a model with ``context_window`` (``None`` when unknown)."""
        trigger, target = self.trigger_threshold_tokens, self.target_tokens
        if self.trigger_threshold_ratio is not None and context_window:
            ratio_trigger = int(context_window * self.trigger_threshold_ratio)
            if ratio_trigger < trigger:
                trigger, target = ratio_trigger, int(ratio_trigger * self.target_ratio)
        return trigger, target
