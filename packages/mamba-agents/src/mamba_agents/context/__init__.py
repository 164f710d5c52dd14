"""Context management: tracking, measuring and compacting a conversation.

Strategies provided by plugins (``mamba-agents-compaction``) are importable here too; they load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from mamba_agents.context.config import CompactionConfig
from mamba_agents.context.result import CompactionResult, ContextState
from mamba_agents.context.strategy import CompactionContext, CompactionStrategy
from mamba_agents.context.turns import invariant_violations, partition, split_turns

_LAZY: dict[str, str] = {
    "ContextManager": "mamba_agents.context.manager",
    "CompactionCapability": "mamba_agents.context.capability",
    "SlidingWindowStrategy": "mamba_agents.context.sliding_window",
}
_PLUGIN: dict[str, tuple[str, str]] = {
    name: ("mamba_agents_compaction", "mamba-agents-compaction")
    for name in (
        "SummarizeOlderStrategy",
        "SelectivePruningStrategy",
        "ImportanceScoringStrategy",
        "HybridStrategy",
    )
}

__all__ = [
    "CompactionConfig",
    "CompactionContext",
    "CompactionResult",
    "CompactionStrategy",
    "ContextState",
    "invariant_violations",
    "partition",
    "split_turns",
    *_LAZY,
    *_PLUGIN,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _PLUGIN:
        module, dist = _PLUGIN[name]
        try:
            return getattr(importlib.import_module(module), name)
        except ImportError as exc:
            raise ImportError(f"{name} is provided by the {dist!r} package: pip install {dist}") from exc
    raise AttributeError(f"module 'mamba_agents.context' has no attribute {name!r}")
