"""Open the ``ConversationStore`` that ``[sessions]`` names, through the ``session_stores`` registry."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from mamba_agents.config.errors import ConfigError

if TYPE_CHECKING:
    from pydantic_ai.conversation_store import ConversationStore

    from mamba_agents.config.sections import SessionsConfig
    from mamba_agents.plugins import PluginManager

DEFAULT_URL = "sqlite"

_lock = threading.Lock()
_open: dict[tuple[str, str], ConversationStore] = {}


def scheme_of(url: str) -> str:
    """``sqlite:///x.db`` -> ``sqlite``; a bare name is its own scheme."""
    scheme = url.partition("://")[0] if "://" in url else url
    return scheme.split("+", 1)[0].lower()


def open_store(config: SessionsConfig, plugins: PluginManager) -> ConversationStore:
    """The store for ``config`` (one per URL and options in a process, so connections are shared)."""
    url = config.url.get_secret_value() if config.url is not None else DEFAULT_URL
    key = (url, repr(sorted(config.options.items())))  # the URL never leaves this module
    with _lock:
        store = _open.get(key)
        if store is None:
            store = _open[key] = _build(url, config.options, plugins)
        return store


def _build(url: str, options: dict[str, Any], plugins: PluginManager) -> ConversationStore:
    from mamba_agents.plugins.errors import PluginError

    scheme = scheme_of(url)
    try:
        factory = plugins.registry("session_stores").get(scheme)
    except PluginError as exc:
        raise ConfigError(f"[sessions] url: {exc}") from None
    try:
        return factory(url, **options)
    except (TypeError, ValueError, ImportError) as exc:
        raise ConfigError(f"[sessions] url/options for the {scheme!r} store: {exc}") from None


def forget_stores() -> None:
    """Drop the process's open stores (tests that change ``[sessions] url``)."""
    with _lock:
        _open.clear()
