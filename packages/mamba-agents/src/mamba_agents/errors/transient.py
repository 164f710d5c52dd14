"""Which errors are worth retrying, and how long the server asked us to wait."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from mamba_agents.errors.base import AgentError, CircuitOpenError

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})
# SDK and transport classes recognised by name, so this module imports neither openai nor httpx.
_TRANSIENT_NAMES = frozenset(
    {
        "APIConnectionError",
        "APITimeoutError",
        "RateLimitError",
        "InternalServerError",
        "TransportError",
        "TimeoutException",
        "NetworkError",
        "RemoteProtocolError",
        "ReadError",
        "ConnectError",
    }
)


def is_transient(exc: BaseException) -> bool:
    """True for errors a later attempt may not hit: rate limits, connection failures, timeouts, 5xx.

    Rejections (bad request, authentication, not found, context overflow), quota exhaustion, an open
    circuit and anything that is not an ``Exception`` (cancellation) are not.
    """
    if not isinstance(exc, Exception) or isinstance(exc, CircuitOpenError):
        return False
    hint = _retry_hint(exc)
    if hint is not None:
        return hint
    if isinstance(exc, AgentError) and "retryable" in type(exc)._defaults:
        return bool(exc.retryable)
    from pydantic_ai import exceptions as pai

    if isinstance(exc, pai.ModelRequestRejectedError | pai.ModelQuotaExceededError):
        return False
    if isinstance(
        exc,
        pai.ModelRateLimitError
        | pai.ModelUnavailableError
        | pai.ModelServerError
        | pai.ModelConnectionError
        | pai.ModelRequestTimeout,
    ):
        return True
    status = _status(exc)
    if status is not None:
        return status in RETRYABLE_STATUS or status >= 500
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    return any(cls.__name__ in _TRANSIENT_NAMES for cls in type(exc).__mro__)


def _retry_hint(exc: BaseException) -> bool | None:
    hint = getattr(type(exc), "provider_retry_hint", None)
    if hint is None:
        return None
    try:
        value = exc.provider_retry_hint  # type: ignore[attr-defined]
    except Exception:
        return None
    return value if isinstance(value, bool) else None


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _headers(exc: BaseException) -> Mapping[str, str] | None:
    headers = getattr(exc, "headers", None)
    if headers is None:
        headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    try:
        return {str(k).lower(): str(v) for k, v in headers.items()}
    except Exception:
        return None


def parse_retry_after(value: str, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: whole or fractional seconds, or an HTTP date."""
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # asctime dates carry no zone; HTTP dates are UTC
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


def retry_after_seconds(exc: BaseException, *, now: float | None = None) -> float | None:
    """How long the server that raised ``exc`` asked to wait (``retry-after-ms``, ``Retry-After``)."""
    current = time.time() if now is None else now
    for error in _chain(exc):
        headers = _headers(error)
        if headers:
            raw_ms = headers.get("retry-after-ms")
            if raw_ms is not None:
                ms = parse_retry_after(raw_ms, now=current)
                if ms is not None:
                    return ms / 1000
            raw = headers.get("retry-after")
            if raw is not None:
                parsed = parse_retry_after(raw, now=current)
                if parsed is not None:
                    return parsed
        given = getattr(error, "retry_after", None)
        if isinstance(given, int | float) and math.isfinite(given) and given >= 0:
            return float(given)
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(out) < 6 and all(current is not seen for seen in out):
        out.append(current)
        current = current.__cause__
    return out


def backoff_delay(
    attempt: int,
    *,
    base: float,
    maximum: float,
    multiplier: float = 2.0,
    jitter: float = 0.25,
    rand: Any = None,
) -> float:
    """The wait before retry number ``attempt`` (1-based): ``base * multiplier**(attempt-1)``, at most
    ``maximum``, less up to ``jitter`` of it at random, so clients that failed together retry apart."""
    import random

    delay = min(maximum, base * multiplier ** max(0, attempt - 1))
    draw = (rand or random.random)()
    return max(0.0, delay * (1.0 - jitter * draw))
