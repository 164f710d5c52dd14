"""Context management: tracking, measuring and compacting a conversation.

Every name loads on first use; strategies provided by plugins (``mamba-agents-compaction``) are importable
here too and say which package to install when it is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_LAZY: dict[str, str] = {
    "CompactionConfig": "mamba_agents.context.config",
    "CompactionResult": "mamba_agents.context.result",
    "ContextState": "mamba_agents.context.result",
    "CompactionContext": "mamba_agents.context.strategy",
    "CompactionStrategy": "mamba_agents.context.strategy",
    "invariant_violations": "mamba_agents.context.turns",
    "partition": "mamba_agents.context.turns",
    "split_turns": "mamba_agents.context.turns",
    "ContextManager": "mamba_agents.context.manager",
    "CompactionCapability": "mamba_agents.context.capability",
    "SlidingWindowStrategy": "mamba_agents.context.sliding_window",
}
_PLUGIN: dict[str, str] = dict.fromkeys(
    ("SummarizeOlderStrategy", "SelectivePruningStrategy", "ImportanceScoringStrategy", "HybridStrategy"),
    "mamba_agents_compaction",
)

__all__ = sorted([*_LAZY, *_PLUGIN])


__getattr__, __dir__ = lazy_exports(__name__, {**_LAZY, **_PLUGIN})


if TYPE_CHECKING:
    from mamba_agents.context.capability import CompactionCapability
    from mamba_agents.context.config import CompactionConfig
    from mamba_agents.context.manager import ContextManager
    from mamba_agents.context.result import CompactionResult, ContextState
    from mamba_agents.context.sliding_window import SlidingWindowStrategy
    from mamba_agents.context.strategy import CompactionContext, CompactionStrategy
    from mamba_agents.context.turns import invariant_violations, partition, split_turns
