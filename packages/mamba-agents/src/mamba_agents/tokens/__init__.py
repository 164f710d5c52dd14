"""Tokens, usage and cost: ``TokenCounter``, ``UsageTracker``, ``CostEstimator`` and their records.

Names load on first use, so importing this package pulls in neither tiktoken nor genai-prices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_LAZY: dict[str, str] = {
    "CacheInfo": "mamba_agents.tokens.counter",
    "TokenCounter": "mamba_agents.tokens.counter",
    "EncodingLoadError": "mamba_agents.tokens.encodings",
    "encoding_for_model": "mamba_agents.tokens.encodings",
    "FileTokenRule": "mamba_agents.tokens.files",
    "Cost": "mamba_agents.tokens.cost",
    "CostBreakdown": "mamba_agents.tokens.cost",
    "CostEstimator": "mamba_agents.tokens.cost",
    "format_cost": "mamba_agents.tokens.cost",
    "TokenUsage": "mamba_agents.tokens.usage",
    "UsageRecord": "mamba_agents.tokens.usage",
    "UsageTracker": "mamba_agents.tokens.tracker",
    "ModelPrice": "mamba_agents.config.sections",
    "TokenizerConfig": "mamba_agents.config.sections",
}

__all__ = [
    "CacheInfo",
    "Cost",
    "CostBreakdown",
    "CostEstimator",
    "EncodingLoadError",
    "FileTokenRule",
    "ModelPrice",
    "TokenCounter",
    "TokenUsage",
    "TokenizerConfig",
    "UsageRecord",
    "UsageTracker",
    "encoding_for_model",
    "format_cost",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


if TYPE_CHECKING:
    from mamba_agents.config.sections import ModelPrice, TokenizerConfig
    from mamba_agents.tokens.cost import Cost, CostBreakdown, CostEstimator, format_cost
    from mamba_agents.tokens.counter import CacheInfo, TokenCounter
    from mamba_agents.tokens.encodings import EncodingLoadError, encoding_for_model
    from mamba_agents.tokens.files import FileTokenRule
    from mamba_agents.tokens.tracker import UsageTracker
    from mamba_agents.tokens.usage import TokenUsage, UsageRecord
