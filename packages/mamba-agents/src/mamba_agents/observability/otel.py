"""``get_otel_integration()``: the process's OpenTelemetry set-up from ``[observability]``, and span helpers.

The GenAI spans of a run (``invoke_agent``, ``chat``, ``execute_tool``) are pydantic-ai's ``Instrumentation``
capability; this module only sets up providers when asked (``initialize``) and gives the seed README's
context managers for code around a run. It needs the OpenTelemetry SDK only for ``initialize``: without it,
``initialize`` returns ``False`` and the spans go to the API's no-op provider.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import trace as otel_trace

from mamba_agents.observability.redaction import current_redactor

if TYPE_CHECKING:
    from mamba_agents.config.sections import ObservabilityConfig

_OTLP_PACKAGE = "opentelemetry-exporter-otlp-proto-http"


class OTelIntegration:
    """OpenTelemetry for Mamba Agents: provider set-up from ``[observability]`` and span helpers."""

    def __init__(self, service_name: str = "mamba-agents") -> None:
        self.service_name = service_name
        self.include_content = False
        self._initialized = False
        self._provider: Any = None
        self._lock = threading.Lock()

    @property
    def is_initialized(self) -> bool:
        return self._initialized

    @property
    def tracer(self) -> otel_trace.Tracer:
        from mamba_agents.observability.spans import tracer

        return tracer()

    def initialize(self, config: ObservabilityConfig | None = None) -> bool:
        """Set up the global tracer provider from ``config`` (default: ``AgentSettings().observability``);
        ``True`` when an OpenTelemetry SDK is available.

        A tracer provider the application already set is kept (no second exporter is added to it). The
        exporter is built here, so a missing exporter package fails now, naming it.
        """
        try:
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
        except ImportError:
            return False
        if config is None:
            from mamba_agents.config.settings import AgentSettings

            config = AgentSettings().observability
        with self._lock:
            self.service_name = config.service_name
            self.include_content = config.include_content
            if self._initialized:
                return True
            current = otel_trace.get_tracer_provider()
            if isinstance(current, TracerProvider):
                self._provider = current
            elif config.exporter != "none":
                provider = TracerProvider(resource=Resource.create({"service.name": config.service_name}))
                provider.add_span_processor(_processor(config))
                otel_trace.set_tracer_provider(provider)
                self._provider = provider
            self._initialized = True
            return True

    def force_flush(self, timeout_millis: int = 5_000) -> bool:
        """Send what the exporter still holds (before a short-lived process exits)."""
        provider = self._provider
        return bool(provider.force_flush(timeout_millis)) if provider is not None else True

    def shutdown(self) -> None:
        if self._provider is not None:
            self._provider.shutdown()

    # -- the seed README's span helpers -------------------------------------------------------------

    @contextmanager
    def trace_agent_run(self, prompt: str, model: str | None = None) -> Iterator[otel_trace.Span]:
        """A ``mamba.agent_run`` span around code that runs an agent; the prompt only with include_content."""
        attrs: dict[str, Any] = {"mamba.prompt_length": len(prompt)}
        if model:
            attrs["gen_ai.request.model"] = model
        if self.include_content:
            attrs["mamba.prompt"] = current_redactor().redact(prompt)
        with self.tracer.start_as_current_span("mamba.agent_run", attributes=attrs) as span:
            yield span

    @contextmanager
    def trace_tool_call(
        self, tool_name: str, args: Mapping[str, Any] | None = None
    ) -> Iterator[otel_trace.Span]:
        attrs: dict[str, Any] = {"gen_ai.tool.name": tool_name}
        if args is not None and self.include_content:
            import json

            attrs["gen_ai.tool.call.arguments"] = current_redactor().redact(json.dumps(args, default=str))
        with self.tracer.start_as_current_span(f"mamba.tool {tool_name}", attributes=attrs) as span:
            yield span

    @contextmanager
    def trace_model_request(self, model: str, token_count: int | None = None) -> Iterator[otel_trace.Span]:
        attrs: dict[str, Any] = {"gen_ai.request.model": model}
        if token_count is not None:
            attrs["gen_ai.usage.input_tokens"] = token_count
        with self.tracer.start_as_current_span(f"mamba.model_request {model}", attributes=attrs) as span:
            yield span


def _processor(config: ObservabilityConfig) -> Any:
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    if config.exporter == "console":
        return SimpleSpanProcessor(ConsoleSpanExporter())
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        from mamba_agents.config.errors import ConfigError

        raise ConfigError(
            f"observability.exporter = 'otlp' needs the {_OTLP_PACKAGE} package (pip install {_OTLP_PACKAGE})"
        ) from None
    exporter = OTLPSpanExporter(endpoint=config.endpoint) if config.endpoint else OTLPSpanExporter()
    return BatchSpanProcessor(exporter)


_integration: OTelIntegration | None = None
_integration_lock = threading.Lock()


def get_otel_integration() -> OTelIntegration:
    """The process's :class:`OTelIntegration`."""
    global _integration
    with _integration_lock:
        if _integration is None:
            _integration = OTelIntegration()
        return _integration


def agent_instrumentation(config: ObservabilityConfig) -> Any:
    """What an Agent adds with ``[observability] otel = true``: pydantic-ai's ``Instrumentation`` on the
    global providers, after :meth:`OTelIntegration.initialize` set them up when an exporter is configured."""
    from pydantic_ai import InstrumentationSettings
    from pydantic_ai.capabilities import Instrumentation

    if config.exporter != "none" and not get_otel_integration().initialize(config):
        from mamba_agents.config.errors import ConfigError

        raise ConfigError(
            f"observability.exporter = {config.exporter!r} needs the OpenTelemetry SDK "
            "(pip install opentelemetry-sdk)"
        )
    return Instrumentation(settings=InstrumentationSettings(include_content=config.include_content))
