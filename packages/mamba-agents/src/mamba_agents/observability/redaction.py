"""Secrets out of logs: API keys, bearer tokens, passwords in URLs, ``SecretStr`` values, user patterns.

A :class:`Redactor` rewrites text; :meth:`Redactor.redact_record` rewrites a whole ``LogRecord`` in place
(message with its arguments, extra fields, exception and stack text), so every handler after ours, the
user's root handlers included, sees only the redacted record.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

REDACTED = "[REDACTED]"
# How deep extras are walked (dicts in lists in dicts ...); deeper values are replaced whole.
MAX_DEPTH = 8
# Secret values shorter than this are not searched for as plain text: "abc" would redact every "abc".
MIN_SECRET_LENGTH = 6

_KEY_NAMES = (
    r"api[ _-]?key|apikey|x-api-key|secret[ _-]?key|client[ _-]?secret|secret|password|passwd|pwd"
    r"|access[ _-]?token|refresh[ _-]?token|auth[ _-]?token|id[ _-]?token|session[ _-]?token|token"
    r"|private[ _-]?key|credentials?"
)
# `name = value`, `name: value`, `"name": "value"`, `name=value&`: the value goes, the name stays.
_KEY_VALUE = re.compile(
    rf"(?i)(?<![A-Za-z0-9])((?:{_KEY_NAMES}))(?![A-Za-z0-9])([\"']?\s*[:=]\s*[\"']?)"
    r"([^\s\"',;&}\]\)]+)"
)
# Well-known token shapes, wherever they appear.
_TOKEN_SHAPES = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"sk-(?:proj-|ant-(?:api\d+-)?|live-|test-|or-v1-)?[A-Za-z0-9_-]{16,}"  # OpenAI, Anthropic, OpenRouter
    r"|(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"  # GitHub
    r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack
    r"|AKIA[0-9A-Z]{16}"  # AWS access key id
    r"|AIza[0-9A-Za-z_-]{30,}"  # Google
    r"|hf_[A-Za-z0-9]{30,}"  # Hugging Face
    r"|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWT
    r")"
)
_AUTH_HEADER = re.compile(
    r"(?i)((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)((?:bearer|basic|token|digest|negotiate)\s+)?"
    r"([^\s\"',;}\]]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)([A-Za-z0-9._~+/=-]{6,})")
# scheme://user:password@host -> scheme://user:[REDACTED]@host
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*:)([^\s@/]+)(@)")

_SENSITIVE_KEY = re.compile(rf"(?i)(?:^|[_\-. ])(?:{_KEY_NAMES}|authorization)$")


def is_sensitive_key(name: str) -> bool:
    """Whether a field named ``name`` (``api_key``, ``OPENAI_API_KEY``, ``authorization``) holds a secret."""
    return bool(_SENSITIVE_KEY.search(str(name)))


# LogRecord's own attributes: everything else on a record is an extra field (``logger.info(..., extra=)``).
RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "run_id",
    "conversation_id",
}
_DONE = "_mamba_redacted"


_secrets_lock = threading.Lock()
_secret_values: set[str] = set()


def register_secret(value: str | SecretStr | None) -> None:
    """Redact ``value`` wherever it appears as plain text in a log (the settings' keys and passwords)."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    with _secrets_lock:
        if value not in _secret_values:
            _secret_values.add(value)
            global _secret_pattern
            _secret_pattern = None


_secret_pattern: re.Pattern[str] | None = None


def _secrets_regex() -> re.Pattern[str] | None:
    global _secret_pattern
    pattern = _secret_pattern
    if pattern is None and _secret_values:
        with _secrets_lock:
            # longest first: a secret that contains another is removed whole
            ordered = sorted(_secret_values, key=len, reverse=True)
            pattern = _secret_pattern = re.compile("|".join(re.escape(v) for v in ordered))
    return pattern


def register_settings_secrets(settings: Any) -> None:
    """Every ``SecretStr`` in ``settings`` (an ``AgentSettings``, any pydantic model), and the passwords of
    URLs in them, become known secrets."""
    for value in _walk_secrets(settings, 0):
        register_secret(value)


def _walk_secrets(node: Any, depth: int) -> Iterable[str]:
    from pydantic import BaseModel

    if depth > MAX_DEPTH:
        return
    if isinstance(node, SecretStr):
        text = node.get_secret_value()
        yield text
        for match in _URL_PASSWORD.finditer(text):
            yield match.group(2)
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _walk_secrets(getattr(node, name, None), depth + 1)
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and is_sensitive_key(key):
                yield value
            else:
                yield from _walk_secrets(value, depth + 1)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _walk_secrets(value, depth + 1)


@dataclass
class Redactor:
    """Removes secrets from text and log records.

    ``authorization``: bearer tokens, ``Authorization`` headers, passwords in URLs. ``api_keys``: known key
    shapes (``sk-…``, ``ghp_…``, JWTs, ...) and values of ``api_key=`` / ``password:`` / ``token=`` style
    fields. Registered secret values (every ``SecretStr`` of the settings) and ``patterns`` (regular
    expressions; a match is removed whole) always apply while ``enabled``.
    """

    enabled: bool = True
    authorization: bool = True
    api_keys: bool = True
    patterns: list[re.Pattern[str]] = field(default_factory=list)

    @classmethod
    def from_config(cls, config: Any) -> Redactor:
        """The redactor a ``LoggingConfig`` asks for."""
        return cls(
            enabled=config.redact_sensitive,
            authorization=config.redact_authorization,
            api_keys=config.redact_api_keys,
            patterns=[re.compile(p) for p in config.sensitive_patterns],
        )

    def redact(self, text: str) -> str:
        if not self.enabled or not text:
            return text
        secrets = _secrets_regex()
        if secrets is not None:
            text = secrets.sub(REDACTED, text)
        if self.authorization:
            text = _AUTH_HEADER.sub(_keep_scheme, text)
            text = _BEARER.sub(rf"\1{REDACTED}", text)
            text = _URL_PASSWORD.sub(rf"\1{REDACTED}\3", text)
        if self.api_keys:
            text = _TOKEN_SHAPES.sub(REDACTED, text)
            text = _KEY_VALUE.sub(_keep_name, text)
        for pattern in self.patterns:
            text = pattern.sub(REDACTED, text)
        return text

    def redact_value(self, value: Any, depth: int = 0) -> Any:
        """``value`` with secrets removed: strings redacted, containers walked, a field whose name says
        secret (``api_key``) replaced whole, ``SecretStr`` replaced, anything else by its redacted text."""
        if not self.enabled:
            return value
        if isinstance(value, SecretStr):
            return REDACTED
        if isinstance(value, str):
            return self.redact(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if depth >= MAX_DEPTH:
            return REDACTED
        if isinstance(value, dict):
            return {
                k: (REDACTED if is_sensitive_key(k) and v is not None else self.redact_value(v, depth + 1))
                for k, v in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            return [self.redact_value(v, depth + 1) for v in value]
        return self.redact(_safe_str(value))

    def redact_record(self, record: logging.LogRecord) -> None:
        """Rewrite ``record`` in place (once): its message, arguments, extras, exception and stack text."""
        if getattr(record, _DONE, False):
            return
        setattr(record, _DONE, True)
        if not self.enabled:
            return
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what the caller wrote, without its arguments
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(_safe_str(message)), None
        for key, value in list(record.__dict__.items()):
            if key in RECORD_ATTRIBUTES or key.startswith("_"):
                continue
            record.__dict__[key] = (
                REDACTED if is_sensitive_key(key) and value is not None else self.redact_value(value)
            )
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            # the exception object (and, for rich handlers, its frames' locals) would carry the secret on
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)


_ALREADY = REDACTED[:-1]  # a value pattern stops before "]": "[REDACTED" is a value already removed


def _keep_scheme(match: re.Match[str]) -> str:
    if match.group(3).startswith(_ALREADY):
        return match.group(0)
    return f"{match.group(1)}{match.group(2) or ''}{REDACTED}"


def _keep_name(match: re.Match[str]) -> str:
    if match.group(3).startswith(_ALREADY):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{REDACTED}"


def _safe_str(value: Any) -> str:
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__} object>"


_current = Redactor()


def current_redactor() -> Redactor:
    """The redactor ``setup_logging`` installed (the defaults before that)."""
    return _current


def set_current_redactor(redactor: Redactor) -> None:
    global _current
    _current = redactor
