"""What a session reports when its turn cannot be saved or it cannot be found."""

from __future__ import annotations

from pydantic_ai.conversation_store import ConversationConflict
from pydantic_ai.exceptions import UserError


class SessionConflict(ConversationConflict):
    """Another writer saved the session since this agent loaded it; this agent's turn was not stored.

    Nothing was overwritten: the other writer's turn is in the store and this one is still in the agent's
    memory. ``agent.resume(name)`` reloads the stored session (dropping the unsaved turn) to go on.
    """

    def __init__(self, session: str) -> None:
        self.conversation_id = session
        UserError.__init__(
            self,
            f"session {session!r} was changed by another writer since this agent loaded it, so this turn "
            f"was not saved (nothing was overwritten); call agent.resume({session!r}) to continue from "
            "the stored session",
        )


class SessionNotFound(LookupError):
    """``resume`` or ``delete_session`` named a session the store does not have."""
