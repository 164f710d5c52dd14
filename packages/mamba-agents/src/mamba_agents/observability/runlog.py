"""What an Agent logs around a run: its ids for every line inside, start and end at DEBUG, and, when
``[logging] include_request_body`` / ``include_response_body`` ask, each model request (the messages new
since the last response) and response at DEBUG as pydantic-ai's JSON, redacted first and then cut to
``max_body_size`` (so a cut never leaves half a secret)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mamba_agents.observability.correlation import correlated
from mamba_agents.observability.metrics import MetricsRecorder
from mamba_agents.observability.redaction import current_redactor

logger = logging.getLogger("mamba_agents.run")


def cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more chars]"


@dataclass
class BodyPolicy:
    request: bool = False
    response: bool = False
    max_size: int = 1024


# What the logging configuration in effect asks for; setup_logging replaces it, Agents built before see it.
_bodies = BodyPolicy()


def set_body_policy(config: Any) -> None:
    global _bodies
    _bodies = BodyPolicy(config.include_request_body, config.include_response_body, config.max_body_size)


class RunLog:
    """The facade's run logging and metrics (one per Agent; the body settings are the process's logging
    config)."""

    def __init__(self, metrics: MetricsRecorder | None = None) -> None:
        self.metrics = metrics or MetricsRecorder()

    async def around_run(self, ctx: Any, handler: Callable[[], Awaitable[Any]]) -> Any:
        from mamba_agents.observability.spans import run_tracer  # OpenTelemetry loads with the first run

        with correlated(ctx.run_id, ctx.conversation_id), run_tracer(ctx.tracer), self.metrics.run():
            debug = logger.isEnabledFor(logging.DEBUG)
            if debug:
                logger.debug("run started", extra={"model": getattr(ctx.model, "model_name", None)})
            result = await handler()
            if debug:
                usage = ctx.usage
                logger.debug(
                    "run finished: %d request(s), %d input / %d output tokens",
                    usage.requests,
                    usage.input_tokens,
                    usage.output_tokens,
                )
            return result

    def request(self, messages: list[Any]) -> None:
        self.metrics.request_started()
        if _bodies.request and logger.isEnabledFor(logging.DEBUG):
            from pydantic_ai.messages import ModelMessagesTypeAdapter

            # What is new since the last response: the start of a long history says the same every time.
            start = next(
                (
                    i + 1
                    for i in range(len(messages) - 1, -1, -1)
                    if getattr(messages[i], "kind", "") == "response"
                ),
                0,
            )
            body = ModelMessagesTypeAdapter.dump_json(messages[start:]).decode("utf-8", "replace")
            earlier = f" (after {start} earlier messages)" if start else ""
            logger.debug("model request body%s: %s", earlier, self._body(body))

    def response(self, response: Any) -> None:
        if _bodies.response and logger.isEnabledFor(logging.DEBUG):
            from pydantic_ai.messages import ModelMessagesTypeAdapter

            body = ModelMessagesTypeAdapter.dump_json([response]).decode("utf-8", "replace")
            logger.debug("model response body: %s", self._body(body))

    def recorded(self, record: Any) -> None:
        """The usage record of the response that just arrived."""
        self.metrics.request_done(record)

    def _body(self, text: str) -> str:
        return cut(current_redactor().redact(text), _bodies.max_size)
