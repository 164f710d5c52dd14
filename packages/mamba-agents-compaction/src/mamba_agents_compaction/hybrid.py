"""``hybrid``: strategies in order, stopping as soon as the history fits.

The default order follows the field's evidence: clear old tool results first (cheap, no model call, little
loss), and summarise only when that was not enough. If the list still leaves the history over the target (a
summarizer failed, say), the :class:`~mamba_agents.context.ContextManager` falls back as it does for every
strategy: it drops the oldest old exchanges, summaries last, so the next model request does not overflow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mamba_agents.context.result import CompactionResult
from mamba_agents.context.strategy import CompactionContext, CompactionStrategy
from pydantic import Field, field_validator
from pydantic_ai.messages import ModelMessage
from pydantic_ai.usage import RunUsage

from mamba_agents_compaction.base import ConfiguredStrategy, StrategyOptions
from mamba_agents_compaction.calls import describe_error

DEFAULT_STEPS: tuple[str, ...] = ("selective_pruning", "summarize_older")


class HybridOptions(StrategyOptions):
    strategies: list[Any] = Field(
        default_factory=lambda: list(DEFAULT_STEPS),
        description="names, {'name': ..., **options} dicts, or CompactionStrategy instances, run in order",
    )

    @field_validator("strategies")
    @classmethod
    def _not_empty(cls, value: list[Any]) -> list[Any]:
        if not value:
            raise ValueError("needs at least one strategy")
        for spec in value:
            if not isinstance(spec, str | Mapping | CompactionStrategy):
                raise ValueError(
                    f"{spec!r} is not a strategy name, a {{'name': ..., **options}} dict "
                    "or a CompactionStrategy"
                )
        return value


def resolve_strategy(spec: str | Mapping[str, Any] | CompactionStrategy) -> CompactionStrategy:
    """A strategy instance for a registered name, a ``{"name": ..., **options}`` dict, or an instance."""
    if isinstance(spec, CompactionStrategy):
        return spec
    if isinstance(spec, str):
        name, options = spec, {}
    else:
        options = dict(spec)
        name = options.pop("name", None)
        if not isinstance(name, str):
            raise ValueError(f"a hybrid step given as a dict needs a 'name': {dict(spec)!r}")
    if name == HybridStrategy.name:
        raise ValueError("a hybrid step cannot be 'hybrid' itself; list the strategies it should run")
    from mamba_agents.plugins import get_plugin_manager

    cls = get_plugin_manager().get("compaction_strategies", name)
    return cls(**options)


class HybridStrategy(ConfiguredStrategy[HybridOptions]):
    """Runs ``strategies`` in order (default: selective pruning, then summarization), measuring after each."""

    name = "hybrid"
    Options = HybridOptions

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.steps: list[CompactionStrategy] = [resolve_strategy(s) for s in self.settings.strategies]

    async def compact(self, messages: Sequence[ModelMessage], context: CompactionContext) -> CompactionResult:
        original = list(messages)
        tokens_before = context.count(original)
        current = original
        usage = RunUsage()
        steps: list[dict[str, Any]] = []
        removed = 0
        summary: str | None = None
        for strategy in self.steps:
            before = context.count(current)
            if before <= context.target_tokens:
                break
            label = strategy.name or type(strategy).__name__
            try:
                result = await strategy.compact(current, context)
            except Exception as exc:  # one failing step must not cost the others' work
                steps.append({"strategy": label, "success": False, "error": describe_error(exc)})
                continue
            usage.incr(result.usage)
            if result.success:
                current = result.messages
                removed += result.removed_count
                summary = result.summary or summary
            steps.append(
                {
                    "strategy": result.strategy or label,
                    "success": result.success,
                    "tokens_before": before,
                    "tokens_after": context.count(current),
                    "error": result.error,
                    "details": result.details,
                }
            )

        changed = current is not original
        failures = [s["error"] for s in steps if not s["success"]]
        success = changed or not failures
        tokens_after = context.count(current)
        return CompactionResult(
            strategy=self.name,
            success=success,
            messages=current,
            removed_count=removed,
            summary=summary,
            usage=usage,
            error=None if success else "; ".join(str(e) for e in failures),
            tokens_before=tokens_before,
            tokens_after=tokens_after,
            details={
                "steps": steps,
                "reached_target": tokens_after <= context.target_tokens,
            },
        )
