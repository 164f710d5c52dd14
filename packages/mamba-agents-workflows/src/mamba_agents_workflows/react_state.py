"""``ReActState`` and its ``ScratchpadEntry`` list: the thought, action, observation trace of one run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

EntryType = Literal["thought", "action", "observation", "final_answer"]


@dataclass(frozen=True)
class ScratchpadEntry:
    """One line of the trace. ``metadata`` holds ``tool_name``, ``args``, ``tool_call_id``, ``is_error``."""

    entry_type: EntryType
    content: str
    iteration: int = 0
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReActState:
    """``WorkflowState.context`` of a ReAct run."""

    task: str
    scratchpad: list[ScratchpadEntry] = field(default_factory=list)
    final_answer: str | None = None
    termination_reason: str | None = None
    consecutive_thought_count: int = 0
    forced_actions: int = 0
    compaction_count: int = 0

    def entries(self, entry_type: EntryType) -> list[ScratchpadEntry]:
        return [e for e in self.scratchpad if e.entry_type == entry_type]

    def get_thoughts(self) -> list[ScratchpadEntry]:
        return self.entries("thought")

    def get_actions(self) -> list[ScratchpadEntry]:
        return self.entries("action")

    def get_observations(self) -> list[ScratchpadEntry]:
        return self.entries("observation")

    def get_scratchpad_text(
        self,
        reasoning_prefix: str = "Thought: ",
        action_prefix: str = "Action: ",
        observation_prefix: str = "Observation: ",
    ) -> str:
        prefixes = {
            "thought": reasoning_prefix,
            "action": action_prefix,
            "observation": observation_prefix,
            "final_answer": "Final Answer: ",
        }
        return "\n".join(f"{prefixes[e.entry_type]}{e.content}" for e in self.scratchpad)
