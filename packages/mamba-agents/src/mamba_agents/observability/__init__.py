"""Observability: structured, redacted logs; a request tracer; OpenTelemetry spans and metrics.

Names load on first use: ``import mamba_agents`` imports neither logging setup nor OpenTelemetry.
"""

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_EXPORTS = {
    "AgentMetrics": "mamba_agents.observability.metrics",
    "LatencyStats": "mamba_agents.observability.metrics",
    "ModelMetrics": "mamba_agents.observability.metrics",
    "JsonFormatter": "mamba_agents.observability.formatters",
    "MambaLogHandler": "mamba_agents.observability.logsetup",
    "OTelIntegration": "mamba_agents.observability.otel",
    "REDACTED": "mamba_agents.observability.redaction",
    "RequestTracer": "mamba_agents.observability.tracer",
    "Span": "mamba_agents.observability.tracer",
    "SpanData": "mamba_agents.observability.tracer",
    "TraceContext": "mamba_agents.observability.tracer",
    "get_current_trace": "mamba_agents.observability.tracer",
    "Redactor": "mamba_agents.observability.redaction",
    "TextFormatter": "mamba_agents.observability.formatters",
    "correlated": "mamba_agents.observability.correlation",
    "get_otel_integration": "mamba_agents.observability.otel",
    "correlation_ids": "mamba_agents.observability.correlation",
    "register_secret": "mamba_agents.observability.redaction",
    "reset_logging": "mamba_agents.observability.logsetup",
    "setup_logging": "mamba_agents.observability.logsetup",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from mamba_agents.observability.correlation import correlated, correlation_ids
    from mamba_agents.observability.formatters import JsonFormatter, TextFormatter
    from mamba_agents.observability.logsetup import MambaLogHandler, reset_logging, setup_logging
    from mamba_agents.observability.metrics import AgentMetrics, LatencyStats, ModelMetrics
    from mamba_agents.observability.otel import OTelIntegration, get_otel_integration
    from mamba_agents.observability.redaction import REDACTED, Redactor, register_secret
    from mamba_agents.observability.tracer import (
        RequestTracer,
        Span,
        SpanData,
        TraceContext,
        get_current_trace,
    )
