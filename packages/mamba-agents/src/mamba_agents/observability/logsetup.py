"""``setup_logging``: the ``mamba_agents`` loggers configured from ``[logging]``, with redaction.

One handler of ours sits on the ``mamba_agents`` logger (on the root logger only with ``root = true``). It
redacts every record that reaches it *in place*, before any handler further up (the application's own root
handlers, pytest's ``caplog``) sees it, adds the correlation ids, and writes the line to stderr or
``file``. Records still propagate, so an application's own logging keeps receiving them.

An ``Agent`` and the ``mamba`` command apply ``[logging]`` once per process. Where the application has
configured logging itself (the root logger has handlers) that automatic handler only redacts and lets the
application's handlers write; an explicit :func:`setup_logging` call always writes.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TYPE_CHECKING, Any

from mamba_agents.observability.correlation import correlation_ids
from mamba_agents.observability.formatters import JsonFormatter, TextFormatter
from mamba_agents.observability.redaction import Redactor, register_settings_secrets, set_current_redactor
from mamba_agents.observability.runlog import set_body_policy

if TYPE_CHECKING:
    from mamba_agents.config.sections import LoggingConfig

LOGGER_NAME = "mamba_agents"
_lock = threading.Lock()
_applied = False


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (test capture, a redirected CLI)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


class MambaLogHandler(logging.Handler):
    """Redacts each record in place and adds its correlation ids; writes it when ``target`` is set.

    Its own level stays NOTSET so that a record a child logger lets through below ``threshold`` (a test's
    ``caplog.at_level(DEBUG)``) is still redacted before it propagates; it is just not written here.
    """

    def __init__(
        self,
        target: logging.Handler | None,
        *,
        redactor: Redactor,
        threshold: int,
        correlation: bool,
    ) -> None:
        super().__init__()
        self.target = target
        self.redactor = redactor
        self.threshold = threshold
        self.correlation = correlation

    def handle(self, record: logging.LogRecord) -> bool:
        if self.correlation and getattr(record, "run_id", None) is None:
            run_id, conversation_id = correlation_ids()
            if run_id is not None:
                record.run_id, record.conversation_id = run_id, conversation_id
        self.redactor.redact_record(record)
        if self.target is not None and record.levelno >= self.threshold:
            self.target.handle(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:  # handle() does the work
        pass

    def close(self) -> None:
        if self.target is not None:
            self.target.close()
        super().close()


def _target(config: LoggingConfig) -> logging.Handler:
    if config.file is None:
        return _Stderr()
    from mamba_agents.config.errors import ConfigError

    path = config.file.expanduser()
    try:
        return logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"logging.file = {str(path)!r}: cannot be opened for writing ({exc.strerror or exc})"
        ) from None


def _install(config: LoggingConfig, *, write: bool) -> MambaLogHandler:
    target = _target(config) if write else None
    if target is not None:
        fmt = JsonFormatter if config.format == "json" or config.structured else TextFormatter
        target.setFormatter(fmt(correlation=config.correlation_id))
    redactor = Redactor.from_config(config)
    level = logging.getLevelName(config.level)
    handler = MambaLogHandler(target, redactor=redactor, threshold=level, correlation=config.correlation_id)
    ours = logging.getLogger(LOGGER_NAME)
    root = logging.getLogger()
    for logger in (ours, root):
        for old in [h for h in logger.handlers if isinstance(h, MambaLogHandler)]:
            logger.removeHandler(old)
            old.close()
    set_current_redactor(redactor)
    set_body_policy(config)
    ours.setLevel(level)
    if config.root:
        root.setLevel(level)
        # first, so the application's own root handlers get the record already redacted
        root.handlers.insert(0, handler)
    else:
        ours.addHandler(handler)
    return handler


def setup_logging(config: LoggingConfig | None = None) -> logging.Logger:
    """Configure the ``mamba_agents`` loggers from ``config`` and return the ``mamba_agents`` logger.

    Replaces the handler a previous call (or an Agent) installed; other handlers are left alone. With
    ``config.root`` the handler goes on the root logger, so every library's lines are formatted and
    redacted alike. Later Agents do not apply ``[logging]`` over this.
    """
    global _applied
    if config is None:
        from mamba_agents.config.sections import LoggingConfig

        config = LoggingConfig()
    with _lock:
        _install(config, write=True)
        _applied = True
    return logging.getLogger(LOGGER_NAME)


def apply_logging_settings(settings: Any) -> None:
    """What an ``Agent`` and the CLI do: learn the settings' secrets, and apply ``[logging]`` once a process.

    When the application already configured logging (handlers on the root or the ``mamba_agents`` logger)
    and ``[logging]`` names no file, the handler only redacts and adds ids; their handlers write.
    """
    global _applied
    register_settings_secrets(settings)
    if _applied:
        return
    with _lock:
        if _applied:
            return
        config = settings.logging
        ours = logging.getLogger(LOGGER_NAME)
        configured_elsewhere = bool(logging.getLogger().handlers) or any(
            not isinstance(h, MambaLogHandler) for h in ours.handlers
        )
        _install(config, write=config.file is not None or config.root or not configured_elsewhere)
        _applied = True


def reset_logging() -> None:
    """Remove our handlers and forget that ``[logging]`` was applied (for tests and long-lived hosts)."""
    global _applied
    with _lock:
        for logger in (logging.getLogger(LOGGER_NAME), logging.getLogger()):
            for old in [h for h in logger.handlers if isinstance(h, MambaLogHandler)]:
                logger.removeHandler(old)
                old.close()
        logging.getLogger(LOGGER_NAME).setLevel(logging.NOTSET)
        set_current_redactor(Redactor())
        from mamba_agents.config.sections import LoggingConfig

        set_body_policy(LoggingConfig())
        _applied = False
