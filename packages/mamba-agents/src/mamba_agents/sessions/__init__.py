"""Sessions: an agent's conversation in a pydantic-ai ``ConversationStore``, saved after every turn.

The stores (SQLite, Postgres, Redis) come from plugins through ``mamba_register_session_stores``; the
first-party ones are in ``mamba-agents-sessions``.
"""

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_EXPORTS = {
    "SessionBinding": "mamba_agents.sessions.binding",
    "SessionConflict": "mamba_agents.sessions.errors",
    "SessionInfo": "mamba_agents.sessions.binding",
    "SessionNotFound": "mamba_agents.sessions.errors",
    "logged_messages": "mamba_agents.sessions.binding",
    "open_store": "mamba_agents.sessions.store",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from mamba_agents.sessions.binding import SessionBinding, SessionInfo, logged_messages
    from mamba_agents.sessions.errors import SessionConflict, SessionNotFound
    from mamba_agents.sessions.store import open_store
