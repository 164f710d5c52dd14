"""Compaction strategies for Mamba Agents: summarize_older, selective_pruning, importance_scoring, hybrid.

Users select them by name (``CompactionConfig(strategy="hybrid")``) or import them from
``mamba_agents.context``. Each name loads its module on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY: dict[str, str] = {
    "SummarizeOlderStrategy": "mamba_agents_compaction.summarize",
    "SelectivePruningStrategy": "mamba_agents_compaction.pruning",
    "ImportanceScoringStrategy": "mamba_agents_compaction.importance",
    "HybridStrategy": "mamba_agents_compaction.hybrid",
}

__all__ = [
    "HybridStrategy",
    "ImportanceScoringStrategy",
    "SelectivePruningStrategy",
    "SummarizeOlderStrategy",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mamba_agents_compaction' has no attribute {name!r}")


if TYPE_CHECKING:
    from mamba_agents_compaction.hybrid import HybridStrategy
    from mamba_agents_compaction.importance import ImportanceScoringStrategy
    from mamba_agents_compaction.pruning import SelectivePruningStrategy
    from mamba_agents_compaction.summarize import SummarizeOlderStrategy
