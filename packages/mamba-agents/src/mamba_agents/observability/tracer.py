"""``RequestTracer``: spans of one request kept in memory, printed as a tree, serialised to JSON.

It needs no OpenTelemetry SDK. Its spans are OpenTelemetry API spans, so they nest with whatever runs
inside them, and :attr:`RequestTracer.tracer_provider` hands it to pydantic-ai's ``Instrumentation``: an
Agent run then records its ``invoke_agent`` / ``chat`` / ``execute_tool`` spans (and ours) into the trace.
String attributes are redacted and cut to ``max_attribute_length``; a trace keeps at most ``max_spans``
spans and counts the ones it dropped.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from mamba_agents.observability.redaction import current_redactor

MAX_SPANS = 10_000
MAX_ATTRIBUTE_LENGTH = 2_048
MAX_EVENTS_PER_SPAN = 128
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")

_current_trace: ContextVar[TraceContext | None] = ContextVar("mamba_current_trace", default=None)


def get_current_trace() -> TraceContext | None:
    """The trace a :class:`RequestTracer` started in this context, until it ends."""
    return _current_trace.get()


@dataclass
class SpanData:
    """One finished (or still open) span: ids, parent, times in ns since the epoch, attributes, events."""

    name: str
    span_id: str
    parent_id: str | None
    start_time: int
    end_time: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    status: str = "ok"
    error: str | None = None

    @property
    def duration_ms(self) -> float | None:
        return None if self.end_time is None else (self.end_time - self.start_time) / 1e6

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "duration_ms": self.duration_ms,
            "attributes": dict(self.attributes),
            "events": list(self.events),
            "status": self.status,
            "error": self.error,
        }


@dataclass
class TraceContext:
    """A trace: its id (32 hex digits), its spans in start order, and what was dropped past the limit."""

    trace_id: str
    spans: list[SpanData] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    start_time: int = field(default_factory=time.time_ns)
    end_time: int | None = None
    dropped_spans: int = 0

    @property
    def duration_ms(self) -> float | None:
        return None if self.end_time is None else (self.end_time - self.start_time) / 1e6

    def roots(self) -> list[SpanData]:
        ids = {s.span_id for s in self.spans}
        return [s for s in self.spans if s.parent_id is None or s.parent_id not in ids]

    def children(self, span: SpanData) -> list[SpanData]:
        return [s for s in self.spans if s.parent_id == span.span_id]

    def find(self, name: str) -> list[SpanData]:
        """Spans whose name is ``name`` or starts with ``name + " "`` (``"chat"`` finds ``chat gpt-4o``)."""
        return [s for s in self.spans if s.name == name or s.name.startswith(name + " ")]

    def to_dict(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "duration_ms": self.duration_ms,
            "attributes": dict(self.attributes),
            "dropped_spans": self.dropped_spans,
            "spans": [s.to_dict() for s in self.spans],
        }

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def format_tree(self) -> str:
        """The spans as an indented tree: name, duration, tokens, error."""
        lines = [f"trace {self.trace_id}" + (f" {self.duration_ms:.1f} ms" if self.duration_ms else "")]

        def walk(span: SpanData, prefix: str, last: bool) -> None:
            lines.append(f"{prefix}{'└── ' if last else '├── '}{span_label(span)}")
            kids = self.children(span)
            for i, kid in enumerate(kids):
                walk(kid, prefix + ("    " if last else "│   "), i == len(kids) - 1)

        roots = self.roots()
        for i, root in enumerate(roots):
            walk(root, "", i == len(roots) - 1)
        if self.dropped_spans:
            lines.append(f"({self.dropped_spans} spans dropped: more than the trace's limit)")
        return "\n".join(lines)

    def rich_tree(self) -> Any:
        """The tree for ``rich`` (``Console().print(trace.rich_tree())``)."""
        from rich.markup import escape
        from rich.tree import Tree

        tree = Tree(f"[bold]trace[/bold] {self.trace_id}" + _ms(self.duration_ms))

        def walk(node: Any, span: SpanData) -> None:
            label = escape(span_label(span))
            child = node.add(f"[red]{label}[/red]" if span.status == "error" else label)
            for kid in self.children(span):
                walk(child, kid)

        for root in self.roots():
            walk(tree, root)
        if self.dropped_spans:
            tree.add(f"[dim]{self.dropped_spans} spans dropped (trace limit)[/dim]")
        return tree

    def __str__(self) -> str:
        return self.format_tree()


def _ms(value: float | None) -> str:
    return "" if value is None else f"  {value:.1f} ms"


def span_label(span: SpanData) -> str:
    """``name  12.3 ms  tokens 80 in / 10 out  error: ...`` for one span."""
    attrs = span.attributes
    inp = attrs.get("gen_ai.usage.input_tokens", attrs.get("gen_ai.aggregated_usage.input_tokens"))
    out = attrs.get("gen_ai.usage.output_tokens", attrs.get("gen_ai.aggregated_usage.output_tokens"))
    text = span.name + _ms(span.duration_ms)
    if inp is not None or out is not None:
        text += f"  tokens {inp or 0} in / {out or 0} out"
    before, after = attrs.get("mamba.compaction.tokens_before"), attrs.get("mamba.compaction.tokens_after")
    if before is not None and after is not None:
        text += f"  {before} -> {after} tokens"
    if span.error:
        text += f"  error: {span.error}"
    return text


class Span(otel_trace.Span):
    """A span of a :class:`RequestTracer`; an OpenTelemetry API span, and a context manager that makes it
    the current span (an exception inside marks it as an error)."""

    def __init__(self, tracer: RequestTracer, trace: TraceContext, data: SpanData | None) -> None:
        self._tracer = tracer
        self._trace = trace
        self.data = data  # None: dropped past the trace's span limit
        self._token: object | None = None

    # -- what the seed README uses --------------------------------------------------------------------

    @property
    def span_id(self) -> str | None:
        return self.data.span_id if self.data is not None else None

    def set_attribute(self, key: str, value: Any) -> None:
        if self.data is not None and self.data.end_time is None:
            self.data.attributes[key] = self._tracer._value(value)

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def add_event(
        self, name: str, attributes: Mapping[str, Any] | None = None, timestamp: int | None = None
    ) -> None:
        if self.data is None or len(self.data.events) >= MAX_EVENTS_PER_SPAN:
            return
        self.data.events.append(
            {
                "name": name,
                "time": timestamp or time.time_ns(),
                "attributes": {k: self._tracer._value(v) for k, v in (attributes or {}).items()},
            }
        )

    def set_error(self, message: str) -> None:
        if self.data is not None:
            self.data.status = "error"
            self.data.error = current_redactor().redact(str(message))[:MAX_ATTRIBUTE_LENGTH]

    def end(self, end_time: int | None = None) -> None:
        if self.data is not None and self.data.end_time is None:
            self.data.end_time = end_time or time.time_ns()

    def __enter__(self) -> Span:
        self._token = otel_context.attach(otel_trace.set_span_in_context(self))
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is not None:
            self.set_error(f"{type(exc).__name__}: {exc}")
        self.end()
        if self._token is not None:
            otel_context.detach(self._token)  # type: ignore[arg-type]
            self._token = None

    # -- the rest of the OpenTelemetry Span API --------------------------------------------------------

    def get_span_context(self) -> SpanContext:
        span_id = int(self.data.span_id, 16) if self.data is not None else 0
        return SpanContext(
            trace_id=int(self._trace.trace_id, 16),
            span_id=span_id,
            is_remote=False,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )

    def is_recording(self) -> bool:
        return self.data is not None and self.data.end_time is None

    def update_name(self, name: str) -> None:
        if self.data is not None:
            self.data.name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        code = status.status_code if isinstance(status, Status) else status
        text = description or (status.description if isinstance(status, Status) else None)
        if code is StatusCode.ERROR:
            self.set_error(text or "error")
        elif code is StatusCode.OK and self.data is not None:
            self.data.status, self.data.error = "ok", None

    def record_exception(
        self,
        exception: BaseException,
        attributes: Mapping[str, Any] | None = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        self.add_event(
            "exception",
            {
                "exception.type": type(exception).__name__,
                "exception.message": str(exception),
                **(attributes or {}),
            },
            timestamp,
        )


class RequestTracer:
    """Traces of requests, kept in memory; the current span follows OpenTelemetry's context.

    ``start_span`` starts a trace when none is open. Spans started while one of this tracer's spans is
    current become its children, across ``await`` and threads that copy the context.
    """

    def __init__(
        self,
        service_name: str = "mamba-agents",
        *,
        max_spans: int = MAX_SPANS,
        max_attribute_length: int = MAX_ATTRIBUTE_LENGTH,
    ) -> None:
        self.service_name = service_name
        self.max_spans = max_spans
        self.max_attribute_length = max_attribute_length
        self._trace: TraceContext | None = None
        self._trace_token: Any = None
        self._parent_id: str | None = None  # a remote parent (from_header)
        self._lock = threading.Lock()
        self._provider: Any = None

    @property
    def trace_id(self) -> str | None:
        return self._trace.trace_id if self._trace is not None else None

    @property
    def current_span_id(self) -> str | None:
        span = otel_trace.get_current_span()
        if isinstance(span, Span) and span._tracer is self and span.data is not None:
            return span.data.span_id
        return None

    def start_trace(
        self, attributes: Mapping[str, Any] | None = None, *, trace_id: str | None = None
    ) -> TraceContext:
        """Open a new trace (the previous one, if still open, is replaced)."""
        trace = TraceContext(
            trace_id=trace_id or os.urandom(16).hex(),
            attributes={
                "service.name": self.service_name,
                **{k: self._value(v) for k, v in (attributes or {}).items()},
            },
        )
        self._trace = trace
        self._trace_token = _current_trace.set(trace)
        return trace

    def end_trace(self) -> TraceContext | None:
        """Close the open trace and return it (spans still open are closed now); ``None`` if none is open."""
        trace = self._trace
        if trace is None:
            return None
        now = time.time_ns()
        for span in trace.spans:
            if span.end_time is None:
                span.end_time = now
        trace.end_time = now
        self._trace = None
        if _current_trace.get() is trace:
            try:
                _current_trace.reset(self._trace_token)
            except ValueError:  # ended in another context
                _current_trace.set(None)
        return trace

    def start_span(self, name: str, attributes: Mapping[str, Any] | None = None) -> Span:
        """A span, child of the current span of this tracer (use it with ``with``)."""
        return self._open(name, otel_context.get_current(), attributes, None)

    def get_trace_context(self) -> TraceContext | None:
        return self._trace

    def get_trace_header(self) -> dict[str, str]:
        """``{"traceparent": "00-<trace id>-<span id>-01"}`` (W3C) for the current span, to pass on."""
        trace = self._trace or self.start_trace()
        span_id = self.current_span_id or self._parent_id or "0" * 15 + "1"
        return {"traceparent": f"00-{trace.trace_id}-{span_id}-01"}

    @classmethod
    def from_header(cls, traceparent: str, service_name: str = "mamba-agents") -> RequestTracer:
        """A tracer continuing the trace of a W3C ``traceparent`` header; its root spans get that parent."""
        found = _TRACEPARENT.match(traceparent.strip().lower())
        if found is None:
            raise ValueError(f"not a W3C traceparent header: {traceparent[:80]!r}")
        tracer = cls(service_name)
        tracer.start_trace(trace_id=found.group(1))
        tracer._parent_id = found.group(2)
        return tracer

    @property
    def tracer_provider(self) -> otel_trace.TracerProvider:
        """An OpenTelemetry ``TracerProvider`` recording into this tracer, for
        ``InstrumentationSettings(tracer_provider=...)``."""
        if self._provider is None:
            self._provider = _Provider(self)
        return self._provider

    def instrumentation(self, *, include_content: bool = False) -> Any:
        """pydantic-ai's ``Instrumentation`` capability recording into this tracer: pass it to an Agent
        (``capabilities=[tracer.instrumentation()]``) and each run's spans land in the open trace."""
        from pydantic_ai import InstrumentationSettings
        from pydantic_ai.capabilities import Instrumentation

        return Instrumentation(
            settings=InstrumentationSettings(
                tracer_provider=self.tracer_provider, include_content=include_content
            )
        )

    # -- internals ------------------------------------------------------------------------------------

    def _open(
        self, name: str, ctx: Any, attributes: Mapping[str, Any] | None, start_time: int | None
    ) -> Span:
        with self._lock:
            trace = self._trace or self.start_trace()
            parent = otel_trace.get_current_span(ctx)
            if isinstance(parent, Span) and parent._tracer is self and parent.data is not None:
                parent_id: str | None = parent.data.span_id
            else:
                parent_id = self._parent_id
            if len(trace.spans) >= self.max_spans:
                trace.dropped_spans += 1
                return Span(self, trace, None)
            data = SpanData(
                name=name,
                span_id=os.urandom(8).hex(),
                parent_id=parent_id,
                start_time=start_time or time.time_ns(),
                attributes={k: self._value(v) for k, v in (attributes or {}).items()},
            )
            trace.spans.append(data)
        return Span(self, trace, data)

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return current_redactor().redact(value)[: self.max_attribute_length]
        if isinstance(value, bool | int | float) or value is None:
            return value
        if isinstance(value, Sequence) and not isinstance(value, bytes):
            return [self._value(v) for v in list(value)[:128]]
        return current_redactor().redact(str(value))[: self.max_attribute_length]


class _Tracer(otel_trace.Tracer):
    def __init__(self, owner: RequestTracer) -> None:
        self._owner = owner

    def start_span(
        self,
        name: str,
        context: Any = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Mapping[str, Any] | None = None,
        links: Any = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> Span:
        return self._owner._open(name, context, attributes, start_time)

    @contextmanager
    def start_as_current_span(
        self,
        name: str,
        context: Any = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Mapping[str, Any] | None = None,
        links: Any = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Iterator[Span]:
        span = self.start_span(name, context, kind, attributes, links, start_time)
        with otel_trace.use_span(
            span,
            end_on_exit=end_on_exit,
            record_exception=record_exception,
            set_status_on_exception=set_status_on_exception,
        ) as current:
            yield current  # type: ignore[misc]


class _Provider(otel_trace.TracerProvider):
    def __init__(self, owner: RequestTracer) -> None:
        self._tracer = _Tracer(owner)

    def get_tracer(self, *args: Any, **kwargs: Any) -> otel_trace.Tracer:
        return self._tracer
