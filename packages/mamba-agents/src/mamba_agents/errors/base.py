"""The error classes. Pure Python on purpose: ``mamba_agents.config`` builds on them and must stay cheap."""

from __future__ import annotations

import builtins
import re
from typing import Any

_SECRET_KEY = re.compile(r"(api_?key|secret|token|password|passwd|authorization|auth|credential)s?$", re.I)
_NOT_SECRET = re.compile(r"^(max|total|input|output|prompt|completion)_?tokens?$|_tokens$|token_count", re.I)
# What a key looks like inside free text: provider keys, bearer tokens, "api_key=..." pairs, URL passwords.
_SECRET_TEXT = (
    (re.compile(r"\b(sk-[A-Za-z0-9_-]{2})[A-Za-z0-9_-]{6,}"), r"\1**********"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{6,}"), r"\1**********"),
    (
        re.compile(
            r"(?i)\b((?:api[_-]?key|secret|token|password|authorization)[\"']?\s*[:=]\s*[\"']?)[^\s\"',&}]{4,}"
        ),
        r"\1**********",
    ),
    (re.compile(r"(://[^/\s:@]+:)[^/\s@]+@"), r"\1**********@"),
)
MASK = "**********"


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``**********``."""
    for pattern, replacement in _SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text


def redact_argv(argv: list[str]) -> list[str]:
    """A command line fit to show: credential-looking words masked, and the value after a flag such as
    ``--api-key`` or ``--token`` too (``--token=...`` is masked by :func:`redact`)."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        out.append(MASK if hide_next else redact(arg))
        flag = arg.lstrip("-").replace("-", "_")
        hide_next = arg.startswith("-") and "=" not in arg and _is_secret_key(flag)
    return out


def _is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key)) and not _NOT_SECRET.search(key)


def _redact_value(key: str, value: Any) -> Any:
    if _is_secret_key(key):
        return MASK if value not in (None, "") else value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    return value


class AgentError(Exception):
    """The base of every Mamba Agents error.

    ``cause`` becomes ``__cause__``; keyword details are kept in ``details`` and readable as attributes
    (``err.backend``). Details whose key names a credential are masked, and text is scrubbed of anything
    that looks like a key, so an error can be logged as it is.
    """

    _defaults: dict[str, Any] = {}

    def __init__(self, message: str, *, cause: BaseException | None = None, **details: Any) -> None:
        message = redact(str(message))
        # Not super(): a mapped error also derives from a pydantic-ai class with another __init__.
        Exception.__init__(self, message)
        self.message = message
        self.details = {**self._defaults, **{k: _redact_value(k, v) for k, v in details.items()}}
        if cause is not None:
            self.__cause__ = cause

    def __getattr__(self, name: str) -> Any:
        details = self.__dict__.get("details")
        if details is not None and name in details:
            return details[name]
        defaults = type(self)._defaults
        if name in defaults:
            return defaults[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __str__(self) -> str:
        return self.message


class ConfigurationError(AgentError, ValueError):
    """Invalid configuration. :class:`mamba_agents.config.ConfigError` is one."""


class ModelBackendError(AgentError):
    """A model request failed. Details: ``backend``, ``model``, ``url``, ``status_code``, ``retry_after``,
    ``retryable``. Mapped from pydantic-ai, the instance is also of the pydantic-ai class it came from."""

    _defaults = {
        "backend": None,
        "model": None,
        "url": None,
        "status_code": None,
        "retry_after": None,
        "retryable": False,
        "attempts": None,
    }


class RateLimitError(ModelBackendError):
    """The server refused the request for now (HTTP 429); ``retry_after`` says how long it asked to wait."""

    _defaults = {**ModelBackendError._defaults, "retryable": True}


class ServerError(ModelBackendError):
    """The server failed or is unavailable (HTTP 5xx)."""

    _defaults = {**ModelBackendError._defaults, "retryable": True}


class BackendConnectionError(ModelBackendError):
    """The server could not be reached, or the connection broke before the answer was read."""

    _defaults = {**ModelBackendError._defaults, "retryable": True}


class BackendTimeoutError(BackendConnectionError, builtins.TimeoutError):
    """The server did not answer in time (a transport timeout or the request deadline)."""


class AuthenticationError(ModelBackendError):
    """The server rejected the credentials (HTTP 401/403)."""


class ContextOverflowError(ModelBackendError):
    """The request is longer than the model's context window."""

    _defaults = {**ModelBackendError._defaults, "compaction_attempted": False}


class CircuitOpenError(ModelBackendError):
    """A circuit breaker is open: the call was not made. ``time_until_retry``: seconds until a trial call."""

    _defaults = {**ModelBackendError._defaults, "circuit": None, "time_until_retry": 0.0}


CircuitBreakerOpenError = CircuitOpenError
"""The original project's name."""


class ToolExecutionError(AgentError):
    """A tool failed. ``tool_name`` and ``tool_args`` (credential-looking values masked)."""

    _defaults = {"tool_name": None, "tool_args": None}


class MCPError(AgentError):
    """An MCP server failed or could not be reached."""


class RunTimeoutError(AgentError, builtins.TimeoutError):
    """The run did not finish within its ``timeout``. Mapped from pydantic-ai it is also a ``RunTimedOut``,
    whose ``all_messages()`` holds what the run completed."""

    _defaults = {"timeout": None}


class RunCancelledError(AgentError):
    """The run was cancelled (``agent.cancel()`` or a ``CancellationToken``). Mapped from pydantic-ai it is
    also a ``RunCancelled``, whose ``all_messages()`` holds what the run completed."""


class IncompleteResponseError(ModelBackendError):
    """The answer ended early (no finish reason, or a stream cut off); it was not stored as complete."""

    _defaults = {**ModelBackendError._defaults, "retryable": True, "partial": None}
