"""What ``Agent`` does for sessions, kept here so ``agent.py`` holds only the calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mamba_agents.sessions.binding import SessionBinding, SessionInfo, check_name
from mamba_agents.sessions.errors import SessionNotFound

if TYPE_CHECKING:
    from pydantic_ai.conversation_store import ConversationStore

    from mamba_agents.agent.agent import Agent


def store_for(agent: Agent[Any, Any]) -> ConversationStore:
    from mamba_agents.sessions.store import open_store

    return open_store(agent.settings.sessions, agent._plugins)


def bind(agent: Agent[Any, Any], name: str | None) -> SessionBinding | None:
    """The binding for ``Agent(session=name)`` (or ``[sessions] default``); ``None`` without either."""
    name = name if name is not None else agent.settings.sessions.default
    if name is None:
        return None
    check_name(name)
    if agent.context_manager is None:
        raise ValueError("session= keeps the conversation, so it needs AgentConfig(track_context=True)")
    return SessionBinding(store_for(agent), name, agent.context_manager, agent.usage_tracker)


async def resume(agent: Agent[Any, Any], name: str) -> SessionBinding:
    """Forget the agent's conversation and usage, and load the stored session ``name`` instead."""
    store = store_for(agent)
    if await store.read_record(check_name(name)) is None:
        raise SessionNotFound(f"no stored session {name!r}; list them with agent.list_sessions()")
    binding = bind(agent, name)
    assert binding is not None
    agent.reset_all()
    await binding.load()
    return binding


async def list_sessions(agent: Agent[Any, Any], limit: int | None = None) -> list[SessionInfo]:
    records = await store_for(agent).list_conversations(limit=limit)
    return [SessionInfo.from_record(record) for record in records]


async def delete_session(agent: Agent[Any, Any], name: str) -> None:
    store = store_for(agent)
    if await store.read_record(check_name(name)) is None:
        raise SessionNotFound(f"no stored session {name!r}")
    await store.delete(name)
    if agent.session == name:
        # Its own session: start it over, so the next turn creates it instead of conflicting.
        agent.reset_all()
        agent._session = bind(agent, name)
