"""``ModelRequestRetries``: retry a failed model request on the same model, on pydantic-ai's own hook.

pydantic-ai's ``on_model_request_error`` + ``RetryModelRequest`` re-attempts the request step without a
retry prompt and records each failed attempt on the response; this capability only decides whether and
when. It sets the provider SDK's own retries to 0 so the two do not multiply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.capabilities import AbstractCapability, CapabilityOrdering, ModelFallback
from pydantic_ai.exceptions import RetryModelRequest
from pydantic_ai.messages import ModelResponse
from pydantic_ai.models import ModelRequestContext

from mamba_agents.errors.mapping import describe_model, to_agent_error
from mamba_agents.errors.transient import backoff_delay, is_transient, retry_after_seconds
from mamba_agents.observability.spans import retry_scheduled
from mamba_agents.resilience.policy import RetryPolicy

Sleep = Callable[[float], Awaitable[Any]]


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


@dataclass
class ModelRequestRetries(AbstractCapability[Any]):
    """Retry transient model errors (rate limits, connection errors, timeouts, 5xx) with backoff.

    Waits what the server asked (``Retry-After``) or ``base_wait * multiplier**n`` with jitter, at most
    ``max_wait``; gives up at once when the server asks for longer than ``max_wait`` or when the wait would
    pass the run's deadline. Errors leave as :mod:`mamba_agents.errors` classes (still the pydantic-ai
    class they came from) that say how many attempts were made and which limit stopped them.
    """

    policy: RetryPolicy
    sleep: Sleep | None = None
    """How to wait; unset: ``asyncio.sleep`` (looked up at call time, so tests can replace ``_sleep``)."""
    _tries: dict[tuple[int, int], int] = field(default_factory=dict, repr=False)

    def get_ordering(self) -> CapabilityOrdering:
        # Innermost, inside ModelFallback: on_model_request_error runs innermost first, so a model is
        # retried before the request falls over to the next one.
        return CapabilityOrdering(position="innermost", wrapped_by=[ModelFallback])

    def get_model_settings(self) -> dict[str, Any]:
        return {"max_retries": 0}

    async def for_run(self, ctx: RunContext[Any]) -> ModelRequestRetries:
        return replace(self, _tries={})

    async def on_model_request_error(
        self, ctx: RunContext[Any], *, request_context: ModelRequestContext, error: Exception
    ) -> ModelResponse:
        model = request_context.model
        if not is_transient(error):
            raise to_agent_error(error, describe_model(model))
        key = (ctx.run_step, id(model))
        tries = self._tries[key] = self._tries.get(key, 0) + 1
        limit = self.policy.model_retries
        if tries > limit:
            raise self._give_up(error, model, tries, f"retry.max_retries = {limit} reached")
        asked = retry_after_seconds(error)
        if asked is not None and asked > self.policy.max_wait:
            raise self._give_up(
                error,
                model,
                tries,
                f"the server asked to wait {asked:g} s, more than retry.max_backoff_seconds = "
                f"{self.policy.max_wait:g}",
            )
        wait = (
            asked
            if asked is not None
            else backoff_delay(
                tries,
                base=self.policy.base_wait,
                maximum=self.policy.max_wait,
                multiplier=self.policy.multiplier,
                jitter=self.policy.jitter,
            )
        )
        remaining = ctx.remaining_time()
        if remaining is not None and wait >= remaining:
            raise self._give_up(error, model, tries, f"waiting {wait:.2f} s would pass the run's deadline")
        retry_scheduled(str(describe_model(model).get("model")), tries, wait, error)
        await (self.sleep or _sleep)(wait)
        raise RetryModelRequest()

    @staticmethod
    def _give_up(error: Exception, model: Any, attempts: int, why: str) -> BaseException:
        mapped = to_agent_error(error, describe_model(model))
        if hasattr(mapped, "details"):
            mapped.details["attempts"] = attempts  # type: ignore[attr-defined]
            mapped.message = f"{mapped.message} (gave up after {attempts} attempt(s): {why})"  # type: ignore[attr-defined]
            mapped.args = (mapped.message,)  # type: ignore[attr-defined]
        return mapped
