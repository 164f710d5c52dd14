"""``UsageRecord`` (one model request) and ``TokenUsage`` (an aggregate)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class UsageRecord:
    """Tokens and cost of one model request (or, for ``record_usage`` with ``requests=N``, of N requests).

    ``input_tokens`` includes the cache reads and writes (pydantic-ai's convention). ``cost`` is the USD
    amount, ``None`` when the model could not be priced (then ``priced`` is False); ``price_source`` says
    where it came from: ``"provider"`` (pydantic-ai / genai-prices at response time), ``"user-table"``,
    ``"genai-prices"`` or ``"given"``.
    """

    model: str | None
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost: Decimal | None = None
    prompt_cost: Decimal | None = None
    completion_cost: Decimal | None = None
    cache_cost: Decimal | None = None
    requests: int = 1
    timestamp: datetime = field(default_factory=_now)
    provider: str | None = None
    tool_name: str | None = None
    run_id: str | None = None
    price_source: str | None = None

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def priced(self) -> bool:
        return self.cost is not None

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens

    @property
    def completion_tokens(self) -> int:
        return self.output_tokens

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: the timestamp in ISO 8601, costs as strings (exact decimals)."""
        data = asdict(self)
        data["timestamp"] = self.timestamp.isoformat()
        for key in ("cost", "prompt_cost", "completion_cost", "cache_cost"):
            data[key] = None if data[key] is None else str(data[key])
        data["total_tokens"] = self.total_tokens
        data["priced"] = self.priced
        return data


@dataclass(frozen=True)
class TokenUsage:
    """Totals over many requests. ``request_count`` counts model requests (a run with a tool call makes
    two), not runs. ``prompt_tokens`` / ``completion_tokens`` are aliases of input / output."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    request_count: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens

    @property
    def completion_tokens(self) -> int:
        return self.output_tokens

    def __add__(self, other: TokenUsage) -> TokenUsage:
        if not isinstance(other, TokenUsage):
            return NotImplemented
        return TokenUsage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.request_count + other.request_count,
        )

    def to_dict(self) -> dict[str, int]:
        return {**asdict(self), "total_tokens": self.total_tokens}
