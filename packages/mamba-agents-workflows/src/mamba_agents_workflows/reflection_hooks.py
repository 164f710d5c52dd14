"""``ReflectionHooks``: the base hooks plus one per draft and one per critique."""

from __future__ import annotations

from dataclasses import dataclass

from mamba_agents.workflows import WorkflowHooks
from mamba_agents.workflows.hooks import Hook


@dataclass
class ReflectionHooks(WorkflowHooks):
    """``on_draft(state, round_number, draft)`` and ``on_critique(state, round_number, critique)``, plus
    every :class:`~mamba_agents.workflows.WorkflowHooks` callback."""

    on_draft: Hook = None
    on_critique: Hook = None
