"""Log line formats: readable text, or one JSON object per line (``format = "json"`` / ``structured``).

Both show the correlation ids and the extra fields a record carries; values that JSON cannot hold are
written as their text.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from mamba_agents.observability.redaction import RECORD_ATTRIBUTES


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a caller added with ``extra=``."""
    return {k: v for k, v in record.__dict__.items() if k not in RECORD_ATTRIBUTES and not k.startswith("_")}


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """``{"timestamp", "level", "logger", "message", "run_id", "conversation_id", ..., "exception"}``."""

    def __init__(self, *, correlation: bool = True) -> None:
        super().__init__()
        self.correlation = correlation

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.correlation:
            for key in ("run_id", "conversation_id"):
                value = getattr(record, key, None)
                if value is not None:
                    line[key] = value
        for key, value in extra_fields(record).items():
            line[key if key not in line else f"extra.{key}"] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``2026-01-01 12:00:00,000 INFO mamba_agents.context [run 0192…]: message key=value``."""

    def __init__(self, *, correlation: bool = True) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(_mamba_ids)s: %(message)s")
        self.correlation = correlation

    def format(self, record: logging.LogRecord) -> str:
        ids = []
        if self.correlation:
            run_id, conversation_id = (
                getattr(record, "run_id", None),
                getattr(record, "conversation_id", None),
            )
            if run_id:
                ids.append(f"run {run_id}")
            if conversation_id:
                ids.append(f"conversation {conversation_id}")
        record._mamba_ids = f" [{', '.join(ids)}]" if ids else ""
        text = super().format(record)
        extras = extra_fields(record)
        if extras:
            head, sep, tail = text.partition("\n")
            text = head + "".join(f" {k}={_short(v)}" for k, v in extras.items()) + sep + tail
        return text


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return json.dumps(text) if any(c.isspace() for c in text) else text
