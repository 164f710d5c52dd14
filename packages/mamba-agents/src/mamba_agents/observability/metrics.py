"""Per-agent figures (requests, tokens, cost, request latency, retries, compactions, denials per model), kept
by each Agent for ``agent.get_metrics()`` and sent as OpenTelemetry metrics to the global meter provider
(counters and a latency histogram; no-ops until an SDK meter provider is set).

Latency percentiles come from the last ``LATENCY_WINDOW`` requests, so memory stays bounded however long an
agent lives; counts and totals cover everything since the agent was built (or ``reset_tracking()``).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Any

LATENCY_WINDOW = 1_000

_current: ContextVar[MetricsRecorder | None] = ContextVar("mamba_metrics", default=None)


@dataclass(frozen=True)
class LatencyStats:
    """Model request latency in seconds; percentiles over the last ``LATENCY_WINDOW`` requests."""

    count: int = 0
    total_s: float = 0.0
    min_s: float | None = None
    max_s: float | None = None
    p50_s: float | None = None
    p95_s: float | None = None

    @property
    def mean_s(self) -> float | None:
        return self.total_s / self.count if self.count else None


@dataclass(frozen=True)
class ModelMetrics:
    """The figures of one model."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_requests: int = 0
    retries: int = 0
    compactions: int = 0
    tokens_compacted: int = 0
    latency: LatencyStats = field(default_factory=LatencyStats)


@dataclass(frozen=True)
class AgentMetrics:
    """What ``agent.get_metrics()`` returns: totals, and the same figures per model.

    ``cost_usd`` sums the priced requests; ``unpriced_requests`` says how many could not be priced (their
    cost is unknown, not zero). ``tokens_compacted`` is how many tokens compactions removed.
    """

    runs: int = 0
    failed_runs: int = 0
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_requests: int = 0
    retries: int = 0
    compactions: int = 0
    tokens_compacted: int = 0
    tool_denials: int = 0
    latency: LatencyStats = field(default_factory=LatencyStats)
    per_model: dict[str, ModelMetrics] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["latency"]["mean_s"] = self.latency.mean_s
        for name, model in self.per_model.items():
            data["per_model"][name]["latency"]["mean_s"] = model.latency.mean_s
        return data


class _Series:
    def __init__(self) -> None:
        self.requests = self.input_tokens = self.output_tokens = self.unpriced = 0
        self.retries = self.compactions = self.tokens_compacted = 0
        self.cost = 0.0
        self.count, self.total = 0, 0.0
        self.min: float | None = None
        self.max: float | None = None
        self.window: deque[float] = deque(maxlen=LATENCY_WINDOW)

    def latency(self, seconds: float) -> None:
        self.count += 1
        self.total += seconds
        self.min = seconds if self.min is None else min(self.min, seconds)
        self.max = seconds if self.max is None else max(self.max, seconds)
        self.window.append(seconds)

    def latency_stats(self) -> LatencyStats:
        ordered = sorted(self.window)
        return LatencyStats(
            self.count, self.total, self.min, self.max, _percentile(ordered, 0.5), _percentile(ordered, 0.95)
        )

    def snapshot(self) -> ModelMetrics:
        return ModelMetrics(
            self.requests,
            self.input_tokens,
            self.output_tokens,
            self.cost,
            self.unpriced,
            self.retries,
            self.compactions,
            self.tokens_compacted,
            self.latency_stats(),
        )


def _percentile(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class MetricsRecorder:
    """One agent's figures; safe across threads. Each record also goes to the OpenTelemetry instruments."""

    def __init__(self, default_model: str | None = None) -> None:
        self.default_model = default_model or "unknown"
        self._lock = threading.Lock()
        self._started: float | None = None
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._total = _Series()
            self._models: dict[str, _Series] = {}
            self._runs = self._failed = self._denials = 0

    def _series(self, model: str | None) -> tuple[_Series, _Series]:
        name = model or self.default_model
        if name not in self._models:
            self._models[name] = _Series()
        return self._total, self._models[name]

    # -- what the facade and our call points report ---------------------------------------------------

    @contextmanager
    def run(self) -> Iterator[None]:
        """Around one run: counted, failed when it raises; retries and denials inside are this agent's."""
        token = _current.set(self)
        ok = False
        try:
            yield
            ok = True
        finally:
            with self._lock:
                self._runs += 1
                self._failed += 0 if ok else 1
            _instruments().runs.add(1, {"mamba.outcome": "ok" if ok else "error"})
            with suppress(ValueError):  # ended in another context
                _current.reset(token)

    def request_started(self) -> None:
        self._started = time.perf_counter()

    def request_done(self, record: Any) -> None:
        """A model response arrived; ``record`` is its ``UsageRecord``."""
        latency = time.perf_counter() - self._started if self._started is not None else None
        self._started = None
        model = getattr(record, "model", None) or self.default_model
        cost = getattr(record, "cost", None)
        inp, out = int(getattr(record, "input_tokens", 0)), int(getattr(record, "output_tokens", 0))
        with self._lock:
            for series in self._series(model):
                series.requests += 1
                series.input_tokens += inp
                series.output_tokens += out
                if cost is None:
                    series.unpriced += 1
                else:
                    series.cost += float(cost)
                if latency is not None:
                    series.latency(latency)
        attrs = {"gen_ai.request.model": model}
        instruments = _instruments()
        instruments.requests.add(1, attrs)
        instruments.tokens.add(inp, {**attrs, "gen_ai.token.type": "input"})
        instruments.tokens.add(out, {**attrs, "gen_ai.token.type": "output"})
        if cost is not None:
            instruments.cost.add(float(cost), attrs)
        if latency is not None:
            instruments.duration.record(latency, attrs)

    def retry(self, model: str | None) -> None:
        with self._lock:
            for series in self._series(model):
                series.retries += 1
        _instruments().retries.add(1, {"gen_ai.request.model": model or self.default_model})

    def compaction(self, model: str | None, tokens_before: int, tokens_after: int, strategy: str) -> None:
        with self._lock:
            for series in self._series(model):
                series.compactions += 1
                series.tokens_compacted += max(0, tokens_before - tokens_after)
        _instruments().compactions.add(
            1, {"gen_ai.request.model": model or self.default_model, "mamba.compaction.strategy": strategy}
        )

    def tool_denied(self, tool: str) -> None:
        with self._lock:
            self._denials += 1
        _instruments().denials.add(1, {"gen_ai.tool.name": tool})

    # -- reading --------------------------------------------------------------------------------------

    def snapshot(self) -> AgentMetrics:
        with self._lock:
            total = self._total.snapshot()
            return AgentMetrics(
                runs=self._runs,
                failed_runs=self._failed,
                requests=total.requests,
                input_tokens=total.input_tokens,
                output_tokens=total.output_tokens,
                cost_usd=total.cost_usd,
                unpriced_requests=total.unpriced_requests,
                retries=total.retries,
                compactions=total.compactions,
                tokens_compacted=total.tokens_compacted,
                tool_denials=self._denials,
                latency=total.latency,
                per_model={name: series.snapshot() for name, series in self._models.items()},
            )


def current_recorder() -> MetricsRecorder | None:
    """The recorder of the agent whose run is in progress in this context."""
    return _current.get()


@dataclass
class _Instruments:
    runs: Any
    requests: Any
    tokens: Any
    cost: Any
    duration: Any
    retries: Any
    compactions: Any
    denials: Any


_made: _Instruments | None = None
_made_lock = threading.Lock()


def _instruments() -> _Instruments:
    global _made
    if _made is None:
        with _made_lock:
            if _made is None:
                from opentelemetry import metrics

                meter = metrics.get_meter("mamba_agents")
                _made = _Instruments(
                    runs=meter.create_counter("mamba.agent.runs", description="Agent runs"),
                    requests=meter.create_counter("mamba.agent.requests", description="model requests"),
                    tokens=meter.create_counter("mamba.agent.tokens", unit="{token}", description="tokens"),
                    cost=meter.create_counter("mamba.agent.cost", unit="USD", description="priced cost"),
                    duration=meter.create_histogram(
                        "mamba.agent.request.duration", unit="s", description="model request latency"
                    ),
                    retries=meter.create_counter("mamba.agent.retries", description="model request retries"),
                    compactions=meter.create_counter("mamba.agent.compactions", description="compactions"),
                    denials=meter.create_counter("mamba.agent.tool_denials", description="tool denials"),
                )
    return _made
