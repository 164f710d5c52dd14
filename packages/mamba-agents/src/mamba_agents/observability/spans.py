"""Our own spans (compaction, sandbox denials, MCP connects, retries, breaker changes), made with the tracer
pydantic-ai's instrumentation uses for the run in progress, so they land in the same trace as its
``invoke_agent`` / ``chat`` / ``execute_tool`` spans; outside a run, or when the run is not instrumented, the
global OpenTelemetry tracer (a no-op until an SDK is configured)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace as otel_trace

_active: ContextVar[otel_trace.Tracer | None] = ContextVar("mamba_active_tracer", default=None)


def tracer() -> otel_trace.Tracer:
    """The tracer for a span of ours started now."""
    return _active.get() or otel_trace.get_tracer("mamba_agents")


@contextmanager
def run_tracer(run_tracer: Any) -> Iterator[None]:
    """Inside, our spans use ``run_tracer`` (a run's ``ctx.tracer``) unless it is pydantic-ai's no-op."""
    if run_tracer is None or isinstance(run_tracer, otel_trace.NoOpTracer):
        yield
        return
    token = _active.set(run_tracer)
    try:
        yield
    finally:
        with suppress(ValueError):  # ended in another context
            _active.reset(token)


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[otel_trace.Span]:
    """A span of ours, current inside; ``attributes`` with ``None`` values are left out."""
    attrs = {k: v for k, v in attributes.items() if v is not None}
    with tracer().start_as_current_span(name, attributes=attrs) as current:
        yield current


def event(name: str, **attributes: Any) -> None:
    """Something that happened at one moment (a retry, a breaker change, a denial): a span of no length,
    child of the current span."""
    attrs = {k: v for k, v in attributes.items() if v is not None}
    with tracer().start_as_current_span(name, attributes=attrs):
        pass
