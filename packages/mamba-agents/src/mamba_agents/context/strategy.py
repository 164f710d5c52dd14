"""The base class every compaction strategy subclasses, and what it is given to work with."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic_ai.messages import ModelMessage
from pydantic_ai.usage import RunUsage

from mamba_agents.context.config import CompactionConfig
from mamba_agents.context.result import CompactionResult
from mamba_agents.context.turns import Partition, partition, partition_current_turn

if TYPE_CHECKING:
    from pydantic_ai.models import Model


class MessageCounter(Protocol):
    def count_messages(self, messages: Sequence[ModelMessage]) -> int: ...


@dataclass
class CompactionContext:
    """Everything a strategy may use: the config, the token target, a counter and a model for LLM work.

    ``model`` is the summarization / scoring model (``config.summarization_model``, else the agent's own),
    or ``None`` when none is available; strategies that need one must then say what they did instead.
    Model calls a strategy makes are added to ``usage``. ``current_turn`` is set when the last turn alone
    is over the target (a long tool loop): :meth:`partition` then offers its older tool exchanges.
    """

    config: CompactionConfig
    target_tokens: int
    counter: MessageCounter
    model: Model | None = None
    usage: RunUsage = field(default_factory=RunUsage)
    current_turn: bool = False

    def count(self, messages: Sequence[ModelMessage]) -> int:
        return self.counter.count_messages(messages)

    def partition(self, messages: Sequence[ModelMessage]) -> Partition:
        """What may be compacted: older turns, or (``current_turn``) the inside of an oversize last turn."""
        if self.current_turn:
            return partition_current_turn(messages)
        return partition(messages, self.config.preserve_recent_turns)


class CompactionStrategy(ABC):
    """Subclass, set ``name``, implement :meth:`compact`; register it through a plugin hook.

    A strategy returns a :class:`CompactionResult` whose ``messages`` is the new history. It must not mutate
    the messages it is given. The :class:`~mamba_agents.context.ContextManager` measures tokens, repairs tool
    pairs and refuses a result that breaks the history, so a strategy can stay small.
    """

    name: ClassVar[str] = ""

    def __init__(self, **options: Any) -> None:
        self.options = options

    @abstractmethod
    async def compact(self, messages: Sequence[ModelMessage], context: CompactionContext) -> CompactionResult:
        """Return a shorter history that keeps the head and recent turns of ``messages``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.options.items())})"
