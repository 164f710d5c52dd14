"""``RetryPolicy``: the numbers ``[retry]`` resolves to, with ``retry_level`` as a preset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mamba_agents.config.sections import RetryConfig

# retry_level -> (tool retries, model retries, backoff multiplier), the original project's presets
LEVELS: dict[int, tuple[int, int, float]] = {1: (1, 2, 2.0), 2: (2, 3, 1.5), 3: (3, 5, 1.2)}


@dataclass(frozen=True)
class RetryPolicy:
    model_retries: int
    """Retries of one model request after a transient error (attempts = 1 + this)."""
    tool_retries: int
    """pydantic-ai's tool retry budget (a tool raising ``ModelRetry``)."""
    multiplier: float
    base_wait: float
    max_wait: float
    breaker_threshold: int
    breaker_timeout: float
    jitter: float = 0.25

    @classmethod
    def from_config(cls, config: RetryConfig) -> RetryPolicy:
        tools, model, multiplier = LEVELS[config.retry_level]
        given = config.model_fields_set
        return cls(
            model_retries=config.max_retries if "max_retries" in given else model,
            tool_retries=config.tool_retries if "tool_retries" in given else tools,
            multiplier=multiplier,
            base_wait=config.initial_backoff_seconds,
            max_wait=config.max_backoff_seconds,
            breaker_threshold=config.circuit_breaker_threshold,
            breaker_timeout=config.circuit_breaker_timeout,
        )
