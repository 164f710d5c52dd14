"""Built-in plugin: ``current_time``, a tool every agent can use to know what time it is."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mamba_agents.plugins import hookimpl


def current_time(timezone: str = "UTC") -> str:
    """The current date and time in an IANA time zone such as 'UTC' or 'Europe/Paris' (ISO 8601)."""
    from pydantic_ai.exceptions import ModelRetry  # pydantic_ai loads only when the tool runs

    try:
        zone = UTC if timezone.upper() == "UTC" else ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ModelRetry(
            f"unknown time zone {timezone!r}; use an IANA name such as 'UTC' or 'Europe/Paris'"
        ) from None
    return datetime.now(zone).isoformat(timespec="seconds")


@hookimpl
def mamba_register_tools(register) -> None:
    register("current_time", current_time, group="clock")
