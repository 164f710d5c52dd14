"""``BreakerModel``: a pydantic-ai model behind a :class:`~mamba_agents.errors.CircuitBreaker`.

A model rather than a capability because the breaker must refuse an attempt before anything is sent and
let the refusal reach ``on_model_request_error`` (so ``ModelFallback`` moves on to the next backend);
errors raised from request-preparation hooks do not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pydantic_ai import exceptions as pai
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models import ModelRequestParameters, StreamedResponse
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings

from mamba_agents.errors.base import CircuitOpenError
from mamba_agents.errors.circuit import CircuitBreaker
from mamba_agents.errors.mapping import _mixed, describe_model


class BreakerModel(WrapperModel):
    """``wrapped`` with calls refused while ``breaker`` is open; failures that count open it."""

    def __init__(self, wrapped: Any, breaker: CircuitBreaker) -> None:
        super().__init__(wrapped)
        self.breaker = breaker

    def _acquire(self) -> Any:
        try:
            return self.breaker.acquire()
        except CircuitOpenError as exc:
            raise _as_unavailable(exc, self.wrapped) from None

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        ticket = self._acquire()
        try:
            response = await self.wrapped.request(messages, model_settings, model_request_parameters)
        except BaseException as exc:
            self.breaker.release(ticket, exc)
            raise
        self.breaker.release(ticket)
        return response

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: Any = None,
    ) -> AsyncIterator[StreamedResponse]:
        ticket = self._acquire()
        try:
            async with self.wrapped.request_stream(
                messages, model_settings, model_request_parameters, run_context
            ) as stream:
                yield stream
        except BaseException as exc:
            self.breaker.release(ticket, exc)
            raise
        self.breaker.release(ticket)

    def __repr__(self) -> str:
        return f"BreakerModel({self.wrapped!r}, breaker={self.breaker!r})"


def _as_unavailable(exc: CircuitOpenError, model: Any) -> CircuitOpenError:
    """The refusal as a ``CircuitOpenError`` that is also pydantic-ai's ``ModelUnavailableError``."""
    cls = _mixed(CircuitOpenError, pai.ModelUnavailableError)
    info = describe_model(model)
    error = cls.__new__(cls)
    error.model_name = info["model"] or "unknown"
    error.body = None
    error.provider_error_code = None
    error.provider_error_type = None
    error.retry_after = exc.time_until_retry
    error.in_stream = False
    CircuitOpenError.__init__(error, exc.message, **{**exc.details, **{k: v for k, v in info.items() if v}})
    return error
