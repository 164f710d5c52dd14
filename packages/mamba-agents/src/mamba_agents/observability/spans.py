"""Our own spans (compaction, sandbox denials, MCP connects, retries, breaker changes), made with the tracer
pydantic-ai's instrumentation uses for the run in progress, so they land in the same trace as its
``invoke_agent`` / ``chat`` / ``execute_tool`` spans; outside a run, or when the run is not instrumented, the
global OpenTelemetry tracer (a no-op until an SDK is configured)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace as otel_trace

from mamba_agents.observability.metrics import current_recorder
from mamba_agents.observability.redaction import current_redactor

logger = logging.getLogger("mamba_agents.tools")

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


def tool_denied(tool: str, error: BaseException) -> None:
    """A tool refused what the model asked (outside the sandbox, a denied command, a protected path)."""
    reason = current_redactor().redact(str(error))[:500]
    logger.info("tool %s denied: %s", tool, reason)
    recorder = current_recorder()
    if recorder is not None:
        recorder.tool_denied(tool)
    event(
        "mamba.tool.denied",
        **{
            "gen_ai.tool.name": tool,
            "mamba.denial.type": type(error).__name__,
            "mamba.denial.reason": reason,
        },
    )


def retry_scheduled(model: str, attempt: int, wait: float, error: BaseException) -> None:
    """A failed model request is tried again after ``wait`` seconds."""
    recorder = current_recorder()
    if recorder is not None:
        recorder.retry(model)
    event(
        "mamba.retry",
        **{
            "gen_ai.request.model": model,
            "mamba.retry.attempt": attempt,
            "mamba.retry.wait_seconds": round(wait, 3),
            "error.type": type(error).__name__,
        },
    )


def breaker_changed(name: str, previous: str, state: str) -> None:
    """A circuit breaker moved between closed, open and half-open."""
    logging.getLogger("mamba_agents.errors").info("circuit %s: %s -> %s", name, previous, state)
    event(
        "mamba.circuit_breaker",
        **{"mamba.breaker.name": name, "mamba.breaker.previous": previous, "mamba.breaker.state": state},
    )


def connect_span(server: str, *, reconnect: bool) -> Any:
    """Around connecting to an MCP server (every attempt inside); an error marks it failed."""
    return span("mamba.mcp.reconnect" if reconnect else "mamba.mcp.connect", **{"mamba.mcp.server": server})


def workflow_step_span(workflow: str, step_number: int, step_type: str) -> Any:
    """Around one workflow step."""
    return span(
        f"mamba.workflow.step {step_type}",
        **{
            "mamba.workflow.name": workflow,
            "mamba.workflow.step": step_number,
            "mamba.workflow.step_type": step_type,
        },
    )
