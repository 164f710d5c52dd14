"""Errors, retries and the circuit breaker (``from mamba_agents.errors import AgentError, CircuitBreaker``).

Loaded on first use: the classes are plain Python; the retry decorator brings in tenacity and the
pydantic-ai mapping brings in pydantic-ai.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_BASE = "mamba_agents.errors.base"
_EXPORTS = {
    "AgentError": _BASE,
    "AuthenticationError": _BASE,
    "BackendConnectionError": _BASE,
    "BackendTimeoutError": _BASE,
    "CircuitBreakerOpenError": _BASE,
    "CircuitOpenError": _BASE,
    "ConfigurationError": _BASE,
    "ContextOverflowError": _BASE,
    "IncompleteResponseError": _BASE,
    "MCPError": _BASE,
    "ModelBackendError": _BASE,
    "RateLimitError": _BASE,
    "RunCancelledError": _BASE,
    "RunTimeoutError": _BASE,
    "ServerError": _BASE,
    "ToolExecutionError": _BASE,
    "redact": _BASE,
    "redact_argv": _BASE,
    "CircuitBreaker": "mamba_agents.errors.circuit",
    "CircuitState": "mamba_agents.errors.circuit",
    "CircuitStats": "mamba_agents.errors.circuit",
    "create_retry_decorator": "mamba_agents.errors.retry",
    "backoff_delay": "mamba_agents.errors.transient",
    "is_transient": "mamba_agents.errors.transient",
    "parse_retry_after": "mamba_agents.errors.transient",
    "retry_after_seconds": "mamba_agents.errors.transient",
    "describe_model": "mamba_agents.errors.mapping",
    "to_agent_error": "mamba_agents.errors.mapping",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from mamba_agents.errors.base import (
        AgentError,
        AuthenticationError,
        BackendConnectionError,
        BackendTimeoutError,
        CircuitBreakerOpenError,
        CircuitOpenError,
        ConfigurationError,
        ContextOverflowError,
        IncompleteResponseError,
        MCPError,
        ModelBackendError,
        RateLimitError,
        RunCancelledError,
        RunTimeoutError,
        ServerError,
        ToolExecutionError,
        redact,
        redact_argv,
    )
    from mamba_agents.errors.circuit import CircuitBreaker, CircuitState, CircuitStats
    from mamba_agents.errors.mapping import describe_model, to_agent_error
    from mamba_agents.errors.retry import create_retry_decorator
    from mamba_agents.errors.transient import (
        backoff_delay,
        is_transient,
        parse_retry_after,
        retry_after_seconds,
    )
