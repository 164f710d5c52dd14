"""``UsageTracker``: one record per model request, with totals and cost kept up to date as records arrive."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mamba_agents.tokens.cost import Cost, CostBreakdown, CostEstimator, PricedAmount, _check_tokens
from mamba_agents.tokens.usage import TokenUsage, UsageRecord

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage, ModelResponse

    from mamba_agents.config.sections import ModelPrice


class UsageTracker:
    """Records usage per model request and prices it.

    Feed it pydantic-ai responses with :meth:`record_response` (or every response of a run's new messages
    with :meth:`record_messages`), or raw counts with :meth:`record_usage`. Totals are kept incrementally,
    so :meth:`get_summary` and :meth:`get_cost_breakdown` cost the same after a million requests as after
    one. Safe to use from several threads.

    Pricing of a response: the user price table (exact model name) first; else the cost pydantic-ai computed
    with genai-prices at response time (``response.usage.cost``); else unpriced (counted in
    ``unpriced_requests``, never $0).
    """

    def __init__(
        self,
        estimator: CostEstimator | None = None,
        *,
        prices: Mapping[str, ModelPrice | Mapping[str, Any]] | None = None,
    ) -> None:
        if estimator is not None and prices is not None:
            raise ValueError("give either estimator= or prices=, not both")
        self.estimator = estimator or CostEstimator(prices)
        self._lock = threading.Lock()
        self._records: list[UsageRecord] = []
        self._reset_totals()

    def _reset_totals(self) -> None:
        self._input = self._output = self._cache_read = self._cache_write = self._requests = 0
        self._prompt_cost = self._completion_cost = self._cache_cost = self._total_cost = Decimal(0)
        self._unpriced_requests = 0
        self._unpriced_models: dict[str, None] = {}

    # -- recording ------------------------------------------------------------------------------------------

    def record_usage(
        self,
        input_tokens: int,
        output_tokens: int,
        model: str | None = None,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        cost: Decimal | float | None = None,
        *,
        requests: int = 1,
        provider: str | None = None,
        tool_name: str | None = None,
        run_id: str | None = None,
    ) -> UsageRecord:
        """Record raw counts. ``cost`` (USD) overrides pricing; otherwise the estimator prices the model."""
        _check_tokens(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
        if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
            raise ValueError(f"requests must be a positive int, got {requests!r}")
        if cost is not None:
            given = Decimal(str(cost)) if not isinstance(cost, Decimal) else cost
            if given < 0:
                raise ValueError(f"cost must not be negative, got {cost}")
            amount: PricedAmount | None = _split_given(
                self.estimator,
                given,
                model,
                input_tokens,
                output_tokens,
                cache_read_tokens,
                cache_write_tokens,
                provider=provider,
                source="given",
            )
        else:
            amount = self.estimator.price(
                model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_read_tokens=cache_read_tokens,
                cache_write_tokens=cache_write_tokens,
                provider=provider,
            )
        record = _make_record(
            model,
            input_tokens,
            output_tokens,
            cache_read_tokens,
            cache_write_tokens,
            amount,
            requests=requests,
            provider=provider,
            tool_name=tool_name,
            run_id=run_id,
        )
        self._add(record)
        return record

    def record_response(
        self, response: ModelResponse, *, run_id: str | None = None, tool_name: str | None = None
    ) -> UsageRecord:
        """Record one pydantic-ai ``ModelResponse`` (one model request)."""
        usage = response.usage
        input_tokens = int(usage.input_tokens or 0)
        output_tokens = int(usage.output_tokens or 0)
        cache_read = int(usage.cache_read_tokens or 0)
        cache_write = int(usage.cache_write_tokens or 0)  # includes cache_write_1h_tokens
        # Providers occasionally report cache counts outside input; keep the record consistent.
        input_tokens = max(input_tokens, cache_read + cache_write)
        model = response.model_name
        provider = response.provider_name
        amount: PricedAmount | None
        user_price = self.estimator.user_price(model)
        if user_price is not None:
            amount = self.estimator.price(
                model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_read_tokens=cache_read,
                cache_write_tokens=cache_write,
            )
        elif usage.cost is not None:
            amount = _split_given(
                self.estimator,
                Decimal(usage.cost),
                model,
                input_tokens,
                output_tokens,
                cache_read,
                cache_write,
                provider=provider,
                provider_url=response.provider_url,
            )
        else:
            amount = None
        record = _make_record(
            model,
            input_tokens,
            output_tokens,
            cache_read,
            cache_write,
            amount,
            requests=1,
            provider=provider,
            tool_name=tool_name,
            run_id=run_id or getattr(response, "run_id", None),
            timestamp=response.timestamp,
        )
        self._add(record)
        return record

    def record_messages(
        self, messages: Iterable[ModelMessage], *, run_id: str | None = None
    ) -> list[UsageRecord]:
        """Record every ``ModelResponse`` in ``messages`` (e.g. a run's ``new_messages()``)."""
        return [
            self.record_response(message, run_id=run_id)
            for message in messages
            if getattr(message, "kind", None) == "response"
        ]

    def _add(self, record: UsageRecord) -> None:
        with self._lock:
            self._records.append(record)
            self._input += record.input_tokens
            self._output += record.output_tokens
            self._cache_read += record.cache_read_tokens
            self._cache_write += record.cache_write_tokens
            self._requests += record.requests
            if record.cost is None:
                self._unpriced_requests += record.requests
                self._unpriced_models[record.model or "<unknown model>"] = None
            else:
                self._total_cost += record.cost
                self._prompt_cost += record.prompt_cost or 0
                self._completion_cost += record.completion_cost or 0
                self._cache_cost += record.cache_cost or 0

    # -- reading --------------------------------------------------------------------------------------------

    def get_summary(self) -> TokenUsage:
        """Totals so far (a snapshot; later records do not change it)."""
        with self._lock:
            return TokenUsage(self._input, self._output, self._cache_read, self._cache_write, self._requests)

    def get_usage_history(self) -> list[UsageRecord]:
        """Every record, oldest first (a new list of immutable records)."""
        with self._lock:
            return list(self._records)

    def get_cost_breakdown(self) -> CostBreakdown:
        with self._lock:
            return CostBreakdown(
                prompt_cost=float(self._prompt_cost),
                completion_cost=float(self._completion_cost),
                cache_cost=float(self._cache_cost),
                total_cost=float(self._total_cost),
                priced=self._unpriced_requests == 0,
                unpriced_models=list(self._unpriced_models),
                unpriced_requests=self._unpriced_requests,
            )

    def get_cost(self) -> Cost:
        """Total USD as a :class:`Cost` (formats as ``"unpriced"`` when nothing could be priced)."""
        return self.get_cost_breakdown().cost

    def get_total_cost(self) -> Decimal:
        """The exact total of the priced requests."""
        with self._lock:
            return self._total_cost

    def get_usage_by_model(self) -> dict[str, TokenUsage]:
        by_model: dict[str, TokenUsage] = {}
        for record in self.get_usage_history():
            key = record.model or "<unknown model>"
            by_model[key] = by_model.get(key, TokenUsage()) + TokenUsage(
                record.input_tokens,
                record.output_tokens,
                record.cache_read_tokens,
                record.cache_write_tokens,
                record.requests,
            )
        return by_model

    def reset(self) -> None:
        with self._lock:
            self._records = []
            self._reset_totals()

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        summary = self.get_summary()
        return f"UsageTracker(requests={summary.request_count}, total_tokens={summary.total_tokens})"


def _split_given(
    estimator: CostEstimator,
    total: Decimal,
    model: str | None,
    input_tokens: int,
    output_tokens: int,
    cache_read: int,
    cache_write: int,
    *,
    provider: str | None = None,
    provider_url: str | None = None,
    source: str = "provider",
) -> PricedAmount:
    return estimator.split_total(
        total,
        model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        provider=provider,
        provider_url=provider_url,
        source=source,
    )


def _make_record(
    model: str | None,
    input_tokens: int,
    output_tokens: int,
    cache_read: int,
    cache_write: int,
    amount: PricedAmount | None,
    *,
    requests: int,
    provider: str | None,
    tool_name: str | None,
    run_id: str | None,
    timestamp: Any = None,
) -> UsageRecord:
    extra: dict[str, Any] = {} if timestamp is None else {"timestamp": timestamp}
    return UsageRecord(
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        cost=None if amount is None else amount.total,
        prompt_cost=None if amount is None else amount.prompt,
        completion_cost=None if amount is None else amount.completion,
        cache_cost=None if amount is None else amount.cache,
        requests=requests,
        provider=provider,
        tool_name=tool_name,
        run_id=run_id,
        price_source=None if amount is None else amount.source,
        **extra,
    )
