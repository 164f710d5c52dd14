"""``ReActHooks``: the base hooks plus one per thought, action, observation and compaction."""

from __future__ import annotations

from dataclasses import dataclass

from mamba_agents.workflows import WorkflowHooks
from mamba_agents.workflows.hooks import Hook


@dataclass
class ReActHooks(WorkflowHooks):
    """``on_thought(state, thought)``, ``on_action(state, tool_name, args)``,
    ``on_observation(state, observation, is_error)``, ``on_compaction(result)`` (a ``CompactionResult``),
    plus every :class:`~mamba_agents.workflows.WorkflowHooks` callback. ``state`` is the run's
    ``WorkflowState``; its ``context`` is the :class:`ReActState`."""

    on_thought: Hook = None
    on_action: Hook = None
    on_observation: Hook = None
    on_compaction: Hook = None
