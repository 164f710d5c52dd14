"""``ContextManager``: holds a conversation, measures it, and compacts it with a registered strategy."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic_ai.messages import ModelMessage, UserPromptPart, repair_messages

from mamba_agents.context.config import CompactionConfig
from mamba_agents.context.convert import to_model_messages
from mamba_agents.context.fallback import fit
from mamba_agents.context.result import CompactionResult, ContextState
from mamba_agents.context.strategy import CompactionContext, CompactionStrategy
from mamba_agents.context.turns import invariant_violations, split_turns

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from mamba_agents.plugins import PluginManager
    from mamba_agents.tokens import TokenCounter

logger = logging.getLogger("mamba_agents.context")

CompactionListener = Callable[[CompactionResult], Any]


class ContextManager:
    """A conversation's messages (pydantic-ai objects) with token measurement and compaction.

    ``strategy`` may be a :class:`CompactionStrategy` instance, a registered name, or ``None`` for
    ``config.strategy``. ``model`` is what LLM-based strategies summarise or score with
    (``config.summarization_model`` wins when set). ``context_window`` lets a ratio trigger apply.
    """

    def __init__(
        self,
        config: CompactionConfig | None = None,
        *,
        token_counter: TokenCounter | None = None,
        strategy: CompactionStrategy | str | None = None,
        model: Model | None = None,
        context_window: int | None = None,
        plugin_manager: PluginManager | None = None,
        resolve_model: Callable[[str], Model] | None = None,
    ) -> None:
        self.config = config or CompactionConfig()
        if not isinstance(
            strategy, CompactionStrategy
        ):  # a misspelt name or option fails now, not at compaction
            from mamba_agents.config.checks import build_strategy

            strategy = build_strategy(self.config, plugin_manager, strategy)
        self._counter = token_counter
        self._strategy = strategy
        self.model = model
        self.context_window = context_window
        self._plugins = plugin_manager
        self._resolve_model = resolve_model
        self._messages: list[ModelMessage] = []
        self.compaction_count = 0
        self.last_result: CompactionResult | None = None
        self.listeners: list[CompactionListener] = []
        # The owning Agent's system prompt (sent as instructions, not held among the messages).
        self.system_prompt: str | None = None
        # After a compaction that could not get under the trigger, the next one waits until the context has
        # grown by half the trigger-target gap: otherwise every model request would redo the same pass.
        # (where it was left, where to try again); a context smaller than where it was left was cut by
        # someone else, and is judged afresh.
        self._stuck: tuple[int, int] | None = None

    # -- messages -------------------------------------------------------------------------------------

    def add_messages(self, messages: Iterable[ModelMessage | Mapping[str, Any]]) -> None:
        self._messages.extend(to_model_messages(messages))

    def set_messages(self, messages: Sequence[ModelMessage]) -> None:
        self._messages = list(messages)

    def get_messages(self) -> list[ModelMessage]:
        return list(self._messages)

    def clear(self) -> None:
        self._messages = []

    def get_system_prompt(self) -> str | None:
        """The system prompt of the Agent this conversation belongs to; ``None`` for a standalone manager."""
        return self.system_prompt

    # -- measuring ------------------------------------------------------------------------------------

    @property
    def token_counter(self) -> TokenCounter:
        if self._counter is None:
            from mamba_agents.tokens import TokenCounter

            self._counter = TokenCounter()
        return self._counter

    def token_count(self, messages: Sequence[ModelMessage] | None = None) -> int:
        return self.token_counter.count_messages(self._messages if messages is None else messages)

    def thresholds(self) -> tuple[int, int]:
        return self.config.thresholds(self.context_window)

    def should_compact(self, messages: Sequence[ModelMessage] | None = None) -> bool:
        """Whether the context is at the trigger (and not just where a failed pass left it)."""
        trigger, _ = self.thresholds()
        tokens = self.token_count(messages)
        if self._stuck is not None and not self._stuck[0] <= tokens < self._stuck[1]:
            self._stuck = None
        return tokens >= trigger and self._stuck is None

    def get_context_state(self, system_prompt: str | None = None) -> ContextState:
        trigger, target = self.thresholds()
        return ContextState(
            message_count=len(self._messages),
            token_count=self.token_count(),
            trigger_threshold_tokens=trigger,
            target_tokens=target,
            context_window=self.context_window,
            compaction_count=self.compaction_count,
            system_prompt=system_prompt,
        )

    # -- compacting -----------------------------------------------------------------------------------

    @property
    def strategy(self) -> CompactionStrategy:
        if not isinstance(self._strategy, CompactionStrategy):
            name = self._strategy or self.config.strategy
            plugins = self._plugins
            if plugins is None:
                from mamba_agents.plugins import get_plugin_manager

                plugins = get_plugin_manager()
            cls = plugins.get("compaction_strategies", name)
            self._strategy = cls(**self.config.strategy_options)
        return self._strategy

    async def compact(self) -> CompactionResult:
        """Compact the held conversation now (whatever its size) and keep the result if it is sound."""
        result = await self.compact_messages(self._messages)
        if result.success:
            self._messages = result.messages
        return result

    async def compact_messages(
        self,
        messages: Sequence[ModelMessage],
        *,
        target: int | None = None,
        within_current_turn: bool = False,
    ) -> CompactionResult:
        """Run the strategy on ``messages`` without touching the held conversation.

        A result that raised, broke a tool pair, dropped the first user message or a recent turn's prompt is
        refused: ``success`` is false, ``messages`` is the input unchanged and ``error`` says why. With
        ``within_current_turn`` (used before a model request), a history still over the target after the older
        turns were compacted gets a second pass over the older tool exchanges of the last turn, keeping its
        prompt and latest exchange: otherwise a long tool loop inside one run could overflow.
        """
        original = list(messages)
        _, default_target = self.thresholds()
        context = CompactionContext(
            config=self.config,
            target_tokens=default_target if target is None else target,
            counter=self.token_counter,
            model=self._summary_model(),
        )
        tokens_before = context.count(original)
        started = time.perf_counter()
        strategy = self.strategy
        name = strategy.name or type(strategy).__name__
        span = _span(name, tokens_before, len(original))
        with span as current:
            try:
                result = await self._pass(strategy, original, context)
                over = context.count(result.messages) > context.target_tokens
                if within_current_turn and result.success and over:
                    context.current_turn = True
                    inner = await self._pass(strategy, result.messages, context)
                    inner.removed_count += result.removed_count
                    inner.summary = inner.summary or result.summary
                    inner.details = {**result.details, **inner.details, "current_turn": True}
                    result = inner
            except Exception as exc:  # a failed compaction must never cost the conversation
                result = CompactionResult(strategy=name, success=False, error=f"{type(exc).__name__}: {exc}")
                result.messages = original
            # Before a model request the target must hold even when the strategy failed; on request, a
            # failed strategy leaves the conversation as it was.
            if (result.success or within_current_turn) and context.count(
                result.messages
            ) > context.target_tokens:
                result = self._fall_back(result, original, context, current_turn=within_current_turn)
            result.strategy = result.strategy or name
            result.usage = result.usage if result.usage.requests else context.usage
            result.tokens_before = tokens_before
            result.tokens_after = context.count(result.messages) if result.success else tokens_before
            result.messages_before = len(original)
            result.messages_after = len(result.messages)
            if result.success and not result.removed_count:
                result.removed_count = max(0, len(original) - len(result.messages))
            result.details.setdefault("seconds", round(time.perf_counter() - started, 4))
            _finish_span(current, result)
        self._back_off(result)
        self._report(result)
        return result

    async def _pass(
        self, strategy: CompactionStrategy, messages: list[ModelMessage], context: CompactionContext
    ) -> CompactionResult:
        result = await strategy.compact(messages, context)
        result.messages = repair_messages(result.messages, repair_last_response=False)
        problem = self._check(messages, result.messages)
        if problem:
            raise ValueError(problem)
        return result

    def _fall_back(
        self,
        result: CompactionResult,
        original: list[ModelMessage],
        context: CompactionContext,
        *,
        current_turn: bool,
    ) -> CompactionResult:
        """Bring what the strategy left to the target; ``details["fallback"]`` says what that took."""
        try:
            messages, report, clipped = fit(result.messages, context, current_turn=current_turn)
            messages = repair_messages(messages, repair_last_response=False)
            problem = self._check(original, messages, clipped)
            if problem:
                raise ValueError(problem)
        except Exception as exc:  # the strategy's result stands; the fallback's failure is reported
            result.details["fallback"] = {"error": f"{type(exc).__name__}: {exc}"}
            return result
        if messages == result.messages:
            result.details["fallback"] = report
            return result
        if not result.success:
            result.details["strategy_error"] = result.error
            result.success, result.error = True, None
        result.messages = messages
        result.details["fallback"] = report
        return result

    def summary_model_name(self) -> str | None:
        """The name of the model compaction asks (for usage records), or None when none is configured."""
        if self.config.summarization_model:
            return self.config.summarization_model
        return getattr(self.model, "model_name", None)

    def _summary_model(self) -> Model | None:
        if self.config.summarization_model and self._resolve_model is not None:
            return self._resolve_model(self.config.summarization_model)
        if self.config.summarization_model:
            from pydantic_ai.models import infer_model

            from mamba_agents.backends.resolve import qualify_model_name

            return infer_model(qualify_model_name(self.config.summarization_model))
        return self.model

    def _check(
        self, before: list[ModelMessage], after: list[ModelMessage], clipped: Mapping[int, Any] | None = None
    ) -> str | None:
        """Why ``after`` is not an acceptable compaction of ``before`` (``None`` when it is).

        ``clipped`` maps a clipped part's id to the part it was clipped from: a clipped prompt is kept.
        """
        clipped = clipped or {}
        problems = invariant_violations(after)
        if problems:
            return "compaction broke the history: " + "; ".join(problems[:3])
        _, turns_before = split_turns(before)
        _, turns_after = split_turns(after)

        # Compared by prompt part, not by message: history repair merges adjacent requests (the first request
        # with a summary, or with the next turn's prompt), which rebuilds the message but keeps its parts.
        def prompts(turns: list[list[ModelMessage]]) -> list[int]:
            return [
                id(clipped.get(id(p), p)) for t in turns for p in t[0].parts if isinstance(p, UserPromptPart)
            ]

        if not set(prompts(turns_before[:1])) <= set(prompts(turns_after[:1])):
            return "compaction dropped the first user message"
        keep = min(self.config.preserve_recent_turns, len(turns_before))
        kept = {id(clipped.get(id(p), p)) for m in after for p in m.parts}
        if not set(prompts(turns_before[len(turns_before) - keep :])) <= kept:
            return f"compaction dropped one of the last {keep} turns"
        return None

    def _back_off(self, result: CompactionResult) -> None:
        trigger, target = self.thresholds()
        if result.tokens_after >= trigger:
            retry_at = result.tokens_after + max(1, (trigger - target) // 2)
            self._stuck = (result.tokens_after, retry_at)
            result.details["retry_at_tokens"] = retry_at
        else:
            self._stuck = None

    def _report(self, result: CompactionResult) -> None:
        self.last_result = result
        if result.success:
            self.compaction_count += 1
            logger.info(
                "compacted with %s: %d -> %d tokens, %d -> %d messages",
                result.strategy,
                result.tokens_before,
                result.tokens_after,
                result.messages_before,
                result.messages_after,
            )
        else:
            logger.warning("compaction with %s abandoned: %s", result.strategy, result.error)
        for listener in list(self.listeners):
            try:
                listener(result)
            except Exception:  # a listener's bug must not break the run it observes
                logger.exception("compaction listener %r failed", listener)


class _NoSpan:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _span(strategy: str, tokens_before: int, messages_before: int) -> Any:
    try:
        from mamba_agents.observability.spans import tracer
    except ImportError:  # opentelemetry-api is a dependency; guard anyway for stripped installs
        return _NoSpan()
    return tracer().start_as_current_span(
        "mamba.compaction",
        attributes={
            "mamba.compaction.strategy": strategy,
            "mamba.compaction.tokens_before": tokens_before,
            "mamba.compaction.messages_before": messages_before,
        },
    )


def _finish_span(span: Any, result: CompactionResult) -> None:
    if span is None:
        return
    span.set_attribute("mamba.compaction.tokens_after", result.tokens_after)
    span.set_attribute("mamba.compaction.messages_after", result.messages_after)
    span.set_attribute("mamba.compaction.success", result.success)
    if result.error:
        span.set_attribute("mamba.compaction.error", result.error)
