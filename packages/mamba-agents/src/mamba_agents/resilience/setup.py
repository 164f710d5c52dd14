"""Build what the Agent needs from ``[retry]`` and ``[model_backend]``: one call, one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mamba_agents.errors.circuit import CircuitBreaker
from mamba_agents.errors.mapping import describe_model
from mamba_agents.errors.transient import is_transient
from mamba_agents.resilience.breaker import BreakerModel
from mamba_agents.resilience.capability import ModelRequestRetries
from mamba_agents.resilience.failover import fails_over
from mamba_agents.resilience.policy import RetryPolicy

if TYPE_CHECKING:
    from pydantic_ai.capabilities import AbstractCapability
    from pydantic_ai.models import Model

    from mamba_agents.config.sections import RetryConfig


def breaker_name(model: Any) -> str:
    info = describe_model(model)
    name = f"{info['backend'] or 'model'}:{info['model'] or '?'}"
    return f"{name}@{info['url']}" if info["url"] else name


@dataclass
class Resilience:
    """The wrapped model, the capabilities and the pydantic-ai ``Agent`` keywords ``[retry]`` asks for."""

    model: Model
    capabilities: list[AbstractCapability[Any]] = field(default_factory=list)
    agent_kwargs: dict[str, Any] = field(default_factory=dict)
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)
    retries: ModelRequestRetries | None = None
    fallbacks: list[Model] = field(default_factory=list)


def build(model: Model, config: RetryConfig, fallbacks: Sequence[Model] = ()) -> Resilience:
    """``model`` and each fallback behind its own circuit breaker, pydantic-ai's ``ModelFallback`` over
    them, one retry capability (each model is retried before the request moves on), the tool budget."""
    policy = RetryPolicy.from_config(config)
    breakers: dict[str, CircuitBreaker] = {}

    def guard(candidate: Model) -> Model:
        name = breaker_name(candidate)
        breaker = breakers.get(name)
        if breaker is None:
            breaker = breakers[name] = CircuitBreaker(
                name, policy.breaker_threshold, policy.breaker_timeout, failure_on=is_transient
            )
        return BreakerModel(candidate, breaker)

    retries = ModelRequestRetries(policy)
    primary = guard(model)
    chain = [guard(candidate) for candidate in fallbacks]
    capabilities: list[AbstractCapability[Any]] = []
    if chain:
        from pydantic_ai.capabilities import ModelFallback

        capabilities.append(ModelFallback(*chain, fallback_on=fails_over))
    capabilities.append(retries)
    return Resilience(
        model=primary,
        capabilities=capabilities,
        fallbacks=chain,
        agent_kwargs={"retries": {"tools": policy.tool_retries}},
        breakers=breakers,
        retries=retries,
    )
