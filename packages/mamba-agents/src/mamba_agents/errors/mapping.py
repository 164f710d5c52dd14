"""pydantic-ai's errors as Mamba Agents errors that are still the pydantic-ai class they came from.

A mapped error is an instance of a class that derives from both, so ``except RateLimitError`` and
``except pydantic_ai.ModelRateLimitError`` (or ``ModelHTTPError``) catch the same exception, and its
``__cause__`` is the pydantic-ai error (whose own ``__cause__`` is the SDK's).
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

from pydantic_ai import exceptions as pai

from mamba_agents.errors.base import (
    AgentError,
    AuthenticationError,
    BackendConnectionError,
    BackendTimeoutError,
    ContextOverflowError,
    ModelBackendError,
    RateLimitError,
    RunCancelledError,
    RunTimeoutError,
    ServerError,
    redact,
)
from mamba_agents.errors.transient import retry_after_seconds

CHECK_HINT = "run `mamba backends --check` to see which backends answer"


@functools.cache
def _mixed(ours: type[AgentError], theirs: type[BaseException]) -> type[AgentError]:
    if issubclass(theirs, ours):
        return theirs  # type: ignore[return-value]
    namespace = {
        "__module__": ours.__module__,
        "__reduce__": _reduce,
        "_mamba_pair": (ours, theirs),
    }
    mixed = type(ours.__name__, (ours, theirs), namespace)
    category = getattr(theirs, "category", None)
    if category is not None:  # pydantic-ai's categorised HTTP errors derive their category from the bases
        mixed.category = category  # type: ignore[attr-defined]
    mixed.__name__, mixed.__qualname__ = ours.__name__, ours.__qualname__
    return mixed


def _reduce(self: Any) -> tuple[Any, ...]:
    ours, theirs = type(self)._mamba_pair
    category = getattr(theirs, "category", None)
    return _rebuild, (ours, category, None if category is not None else theirs), dict(self.__dict__)


def _rebuild(ours: type[AgentError], category: type | None, theirs: type | None) -> BaseException:
    if category is not None:
        theirs = pai._HTTP_CATEGORY_CLASSES[category]  # type: ignore[attr-defined]
    cls = _mixed(ours, theirs)  # type: ignore[arg-type]
    return cls.__new__(cls)


def describe_model(model: Any) -> dict[str, str | None]:
    """``backend``, ``model`` and ``url`` (no credentials) of a model, looking through wrappers."""
    seen = 0
    while hasattr(model, "wrapped") and seen < 8:  # WrapperModel chains (breakers, instrumentation)
        model = model.wrapped
        seen += 1
    backend = getattr(model, "server", None) or getattr(model, "system", None)
    url: str | None
    try:
        url = model.base_url
    except Exception:  # a model without an HTTP endpoint (FunctionModel, TestModel)
        url = None
    return {
        "backend": str(backend) if backend else None,
        "model": getattr(model, "model_name", None),
        "url": safe_url(url) if url else None,
    }


def safe_url(url: str) -> str:
    """``url`` without user, password or query string."""
    parts = urlsplit(url)
    if not parts.scheme:
        return redact(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path.rstrip('/')}"


def _where(info: dict[str, Any]) -> str:
    bits = []
    if info.get("backend"):
        bits.append(f"backend {info['backend']!r}")
    if info.get("model"):
        bits.append(f"model {info['model']!r}")
    if info.get("url"):
        bits.append(f"at {info['url']}")
    return ", ".join(bits)


def _host(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname


def _category(exc: BaseException) -> type[AgentError]:
    if isinstance(exc, pai.ModelContextWindowExceededError):
        return ContextOverflowError
    if isinstance(exc, pai.ModelRateLimitError):
        return RateLimitError
    if isinstance(exc, pai.ModelAuthenticationError):
        return AuthenticationError
    if isinstance(exc, pai.ModelTimeoutError | pai.ModelRequestTimeout):
        return BackendTimeoutError
    if isinstance(exc, pai.ModelConnectionError):
        return BackendConnectionError
    if isinstance(exc, pai.ModelUnavailableError | pai.ModelServerError):
        return ServerError
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 500:
        return ServerError
    return ModelBackendError


def _message(cls: type[AgentError], exc: pai.ModelAPIError, info: dict[str, Any]) -> str:
    where = _where(info)
    status = getattr(exc, "status_code", None)
    original = redact(exc.message)
    if cls is BackendConnectionError or cls is BackendTimeoutError:
        host = _host(info.get("url"))
        what = "timed out" if cls is BackendTimeoutError else "Connection error"
        target = f"cannot reach {host}" if host else "cannot reach the model server"
        return f"{what}: {target} ({where}): {original}; is the server running? {CHECK_HINT}"
    if cls is RateLimitError:
        asked = info.get("retry_after")
        wait = f"; it asked to wait {asked:g} s" if asked is not None else ""
        return f"rate limited (HTTP {status or 429}) by {where}{wait}: {original}"
    if cls is AuthenticationError:
        return f"{where} rejected the credentials (HTTP {status}): check the API key for this backend"
    if cls is ContextOverflowError:
        return f"the request is longer than the context window of {where}: {original}"
    if status is not None:
        return f"{where} failed with HTTP {status}: {original}"
    return f"{where}: {original}" if where else original


def to_agent_error(exc: BaseException, info: dict[str, Any] | None = None) -> BaseException:
    """The Mamba Agents error for ``exc`` (a pydantic-ai model or run error); anything else unchanged.

    ``info``: ``backend``/``model``/``url`` as :func:`describe_model` gives them.
    """
    if isinstance(exc, AgentError):
        return exc
    if isinstance(exc, pai.RunCancelled):
        ours: type[AgentError] = RunTimeoutError if isinstance(exc, pai.RunTimedOut) else RunCancelledError
        return _build(_mixed(ours, type(exc)), exc, redact(exc.message), {})
    if not isinstance(exc, pai.ModelAPIError):
        return exc
    details: dict[str, Any] = {"model": exc.model_name, **{k: v for k, v in (info or {}).items() if v}}
    if details.get("url"):
        details["url"] = safe_url(str(details["url"]))
    cls = _category(exc)
    details["status_code"] = getattr(exc, "status_code", None)
    details["retry_after"] = retry_after_seconds(exc)
    if cls is BackendTimeoutError and isinstance(exc, pai.ModelRequestTimeout):
        details["timeout"] = exc.timeout
    return _build(_mixed(cls, type(exc)), exc, _message(cls, exc, details), details)


def _build(cls: type[AgentError], exc: BaseException, message: str, details: dict[str, Any]) -> AgentError:
    # A class that is both an OSError (TimeoutError) and a RuntimeError (pydantic-ai's RunTimedOut) must be
    # created by OSError's constructor: it owns the instance layout, and RuntimeError's refuses the class.
    mapped = OSError.__new__(cls) if issubclass(cls, OSError) else cls.__new__(cls)
    mapped.__dict__.update(exc.__dict__)
    AgentError.__init__(mapped, message, cause=exc, **details)
    for key in details.keys() & exc.__dict__.keys():  # ours is better informed (fractional Retry-After)
        setattr(mapped, key, mapped.details[key])
    mapped.__traceback__ = exc.__traceback__
    return mapped


def build_error(
    ours: type[AgentError], theirs: BaseException, message: str, details: dict[str, Any]
) -> AgentError:
    """An error that is both ``ours`` and the class of ``theirs`` (its ``__cause__``)."""
    return _build(_mixed(ours, type(theirs)), theirs, message, details)
