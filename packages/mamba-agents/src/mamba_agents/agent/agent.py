"""The ``Agent`` facade: pydantic-ai plus multi-turn context, usage and cost, compaction and prompts."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic_ai import Agent as PydanticAgent
from pydantic_ai import CancellationToken, DeferredToolRequests, RunContext, UsageLimits
from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.exceptions import ModelAPIError, RunCancelled
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models import Model

from mamba_agents.agent import cancel as _cancel
from mamba_agents.agent import lifecycle as _lifecycle
from mamba_agents.agent.capabilities import FacadeRuntime, GracefulToolErrors, UsageTracking, graceful_tool
from mamba_agents.agent.config import AgentConfig
from mamba_agents.agent.loop import run_sync as _run_sync
from mamba_agents.agent.message_utils import model_messages_to_dicts
from mamba_agents.agent.messages import MessageQuery
from mamba_agents.agent.pending import PendingToolCallsError, deferred_output, still_pending
from mamba_agents.agent.result import AgentResult
from mamba_agents.agent.runlock import RunLock
from mamba_agents.agent.timeouts import RunDeadline, ToolTimeouts
from mamba_agents.agent.tools import build_toolsets, protecting_own_files, tool_decorator
from mamba_agents.agent.turn import Turn
from mamba_agents.backends.resolve import resolve_model
from mamba_agents.config.checks import check_settings
from mamba_agents.context.capability import CompactionCapability
from mamba_agents.context.manager import ContextManager
from mamba_agents.context.result import CompactionResult, ContextState
from mamba_agents.mcp.configured import configured_toolsets
from mamba_agents.observability.logsetup import apply_logging_settings
from mamba_agents.observability.metrics import AgentMetrics, MetricsRecorder
from mamba_agents.observability.runlog import RunLog
from mamba_agents.prompts import PromptManager, TemplateConfig
from mamba_agents.resilience.failover import resolve_fallbacks
from mamba_agents.resilience.setup import build as build_resilience
from mamba_agents.resilience.truncated import mid_stream_error
from mamba_agents.sessions import agent as _sessions
from mamba_agents.sessions.binding import SessionInfo
from mamba_agents.tokens import (
    CostBreakdown,
    CostEstimator,
    TokenCounter,
    TokenUsage,
    UsageRecord,
    UsageTracker,
)
from mamba_agents.tokens.cost import Cost
from mamba_agents.workflows.tracking import active_run as active_workflow_run

if TYPE_CHECKING:
    from mamba_agents.config import AgentSettings
    from mamba_agents.plugins import PluginManager

DepsT = TypeVar("DepsT")
OutputT = TypeVar("OutputT")

_NO_DEPS: Any = type(None)
_DISABLED = "Context tracking is disabled. Enable it with AgentConfig(track_context=True)"
# How many compactions get_compaction_history() remembers (message-free records, oldest dropped first).
COMPACTION_HISTORY_LIMIT = 100


class Agent(Generic[DepsT, OutputT]):
    """A pydantic-ai agent that keeps the conversation, tracks tokens and cost, and keeps context in bounds.

    ``model`` is a model string (bare names such as ``"gpt-4o"`` work), a pydantic-ai ``Model``, a backend
    object, or ``None`` to take it from ``settings.model_backend``. Everything else pydantic-ai's ``Agent``
    accepts can be passed through ``**agent_kwargs``.
    """

    def __init__(
        self,
        model: str | Model | Any | None = None,
        *,
        settings: AgentSettings | None = None,
        config: AgentConfig | None = None,
        tools: Sequence[Any] = (),
        toolsets: Sequence[Any] = (),
        system_prompt: str | TemplateConfig | None = None,
        output_type: Any = str,
        deps_type: type[DepsT] | Any = _NO_DEPS,
        prompt_manager: PromptManager | None = None,
        capabilities: Sequence[AbstractCapability[Any]] = (),
        plugin_manager: PluginManager | None = None,
        name: str | None = None,
        session: str | None = None,
        subagents: Sequence[Any] = (),
        **agent_kwargs: Any,
    ) -> None:
        if settings is None:
            from mamba_agents.config.settings import AgentSettings  # pydantic-settings loads on first use

            settings = AgentSettings()
        self._settings = settings
        self._config = config or AgentConfig()
        apply_logging_settings(settings)  # [logging], once per process; its secrets are redacted from logs
        if plugin_manager is None:
            from mamba_agents.plugins.manager import get_plugin_manager

            plugin_manager = get_plugin_manager(self._settings.plugins)
        self._plugins = plugin_manager
        check_settings(self._settings, self._plugins)  # misspelt registry names fail here, not turns later
        self._prompt_manager = prompt_manager
        self._model = resolve_model(model, self._settings.model_backend, self._plugins)
        self.model_name: str = getattr(self._model, "model_name", str(model))

        prompt = system_prompt if system_prompt is not None else self._config.system_prompt
        self._system_prompt = self._render_prompt(prompt) if prompt is not None else ""

        self._token_counter = TokenCounter(model=self.model_name, config=self._settings.tokens)
        self._usage_tracker = UsageTracker(prices=self._settings.tokens.prices)
        self._metrics = MetricsRecorder(self.model_name)
        self._context: ContextManager | None = None
        self._compactions: deque[CompactionResult] = deque(maxlen=COMPACTION_HISTORY_LIMIT)
        self._run_compactions: list[CompactionResult] | None = None
        self._pending: DeferredToolRequests | None = None
        self._run_lock = RunLock(name=f"Agent({self.model_name!r})")
        self._control = _cancel.RunControl()
        self._entered = 0  # open `async with agent` blocks
        if self._config.track_context:
            self._context = ContextManager(
                self._config.context or self._settings.context,
                token_counter=self._token_counter,
                model=self._model,
                context_window=self._settings.model_backend.context_window or _context_window(self._model),
                plugin_manager=self._plugins,
                resolve_model=lambda name: resolve_model(name, self._settings.model_backend, self._plugins),
            )
            self._context.listeners.append(self._record_compaction)
            self._context.system_prompt = self._system_prompt or None

        plain, built = build_toolsets(
            list(tools), self._settings.tools.enabled, protecting_own_files(self._settings), self._plugins
        )
        all_toolsets = [*built, *configured_toolsets(self._settings.mcp, self._plugins), *toolsets]
        self._subagents: Any = None
        subagents = [*self._configured_subagents(), *subagents]
        if any(getattr(sub, "agent", None) is self for sub in subagents):
            raise ValueError("an Agent cannot be its own sub-agent (its run would wait for itself)")
        if subagents:
            # the delegate_task tool; the sub-agents' usage and cost roll up into this agent's tracker
            from mamba_agents.workflows import SubAgentToolset

            self._subagents = SubAgentToolset(subagents, tracker=self._usage_tracker)
            all_toolsets.append(self._subagents)
        if self._config.graceful_tool_errors:
            # Plain tools go to pydantic-ai's own function toolset (tools=); an extra toolset costs every run.
            plain = [graceful_tool(tool) for tool in plain]
            all_toolsets = [GracefulToolErrors(toolset) for toolset in all_toolsets]
        compaction = (
            CompactionCapability(self._context)
            if self._context is not None and self._config.auto_compact
            else None
        )
        caps: list[AbstractCapability[Any]] = [
            FacadeRuntime(UsageTracking(self._usage_tracker), compaction, RunLog(self._metrics))
        ]
        if self._config.tool_timeout is not None:
            caps.append(ToolTimeouts(self._config.tool_timeout))
        caps.extend(self._configured_capabilities())
        if self._settings.observability.otel:
            from mamba_agents.observability.otel import agent_instrumentation

            caps.append(agent_instrumentation(self._settings.observability))
        caps.extend(capabilities)
        self._resilience = build_resilience(
            self._model, self._settings.retry, resolve_fallbacks(self._settings.model_backend, self._plugins)
        )
        caps.extend(self._resilience.capabilities)
        agent_kwargs = {**self._resilience.agent_kwargs, **agent_kwargs}

        self._agent: PydanticAgent[Any, Any] = PydanticAgent(
            self._resilience.model,
            output_type=output_type,
            deps_type=deps_type,
            instructions=self._instructions,
            tools=plain,
            toolsets=all_toolsets,
            capabilities=caps,
            name=name,
            **agent_kwargs,
        )
        self._session = _sessions.bind(self, session)

    @classmethod
    def from_settings(cls, settings: AgentSettings, **kwargs: Any) -> Agent[Any, Any]:
        """An agent whose model comes from ``settings.model_backend``; ``kwargs`` as for the constructor."""
        return cls(kwargs.pop("model", None), settings=settings, **kwargs)

    # -- properties -----------------------------------------------------------------------------------

    @property
    def settings(self) -> AgentSettings:
        return self._settings

    @property
    def config(self) -> AgentConfig:
        return self._config

    @property
    def model(self) -> Model:
        return self._model

    @property
    def pydantic_agent(self) -> PydanticAgent[Any, Any]:
        """The pydantic-ai agent underneath, for anything the facade does not wrap."""
        return self._agent

    @property
    def subagents(self) -> Any:
        """The ``delegate_task`` toolset over ``subagents=`` (``usage_by_subagent()``), or ``None``."""
        return self._subagents

    @property
    def token_counter(self) -> TokenCounter:
        return self._token_counter

    @property
    def usage_tracker(self) -> UsageTracker:
        return self._usage_tracker

    @property
    def cost_estimator(self) -> CostEstimator:
        """What prices each request: the ``[tokens.prices]`` table, then genai-prices."""
        return self._usage_tracker.estimator

    @property
    def context_manager(self) -> ContextManager | None:
        return self._context

    @property
    def messages(self) -> MessageQuery:
        """The conversation to filter, summarise and export (empty when context tracking is off)."""
        messages = self._context.get_messages() if self._context is not None else []
        return MessageQuery(messages, token_counter=self._token_counter, cost_estimator=self.cost_estimator)

    @property
    def prompt_manager(self) -> PromptManager:
        if self._prompt_manager is None:
            self._prompt_manager = PromptManager(self._settings.prompts)
        return self._prompt_manager

    # -- running --------------------------------------------------------------------------------------

    async def run(
        self,
        prompt: str | Sequence[Any] | None = None,
        *,
        message_history: Sequence[ModelMessage] | None = None,
        usage_limits: UsageLimits | None = None,
        timeout: float | None = None,
        cancellation_token: CancellationToken | None = None,
        **kwargs: Any,
    ) -> AgentResult[OutputT]:
        """Run one turn. The conversation so far is sent along and the new messages are kept.

        Runs of one agent take turns, from any thread or event loop. When the last run ended waiting on tool
        calls (``DeferredToolRequests``), pass ``deferred_tool_results=`` to resume it. Inside a workflow's
        run the turn is one of its steps (timed, bounded, its usage and cost recorded).

        ``timeout`` (seconds, default ``AgentConfig.run_timeout``) bounds the whole call, waiting for another
        run of this agent included: past it the run stops with :class:`~mamba_agents.errors.RunTimeoutError`
        (also pydantic-ai's ``RunTimedOut``). ``agent.cancel()`` or ``cancellation_token.cancel()``, from any
        thread, stops it with :class:`~mamba_agents.errors.RunCancelledError` (also ``RunCancelled``). A
        stopped turn in which tools ran is kept, their results included, followed by a note that the turn is
        incomplete; otherwise the history stays as it was.
        """
        workflow_run = active_workflow_run()
        if workflow_run is not None:
            return await workflow_run.agent_step(
                self,
                prompt,
                lambda: self.run(
                    prompt,
                    message_history=message_history,
                    usage_limits=usage_limits,
                    timeout=timeout,
                    cancellation_token=cancellation_token,
                    **kwargs,
                ),
            )
        async with self._turn(timeout, cancellation_token) as turn:
            history = self._history(message_history, prompt, kwargs)
            try:
                result = await self._agent.run(
                    prompt,
                    message_history=history,
                    usage_limits=self._limits(usage_limits),
                    **turn.run_kwargs(),
                    **kwargs,
                )
            except RunCancelled as exc:
                raise self._stopped(exc, turn) from None
            self._remember(result.all_messages(), result.output)
            return AgentResult(result, compactions=turn.compactions)

    def run_sync(
        self,
        prompt: str | Sequence[Any] | None = None,
        *,
        timeout: float | None = None,
        cancellation_token: CancellationToken | None = None,
        **kwargs: Any,
    ) -> AgentResult[OutputT]:
        """``run`` from synchronous code; works inside a running event loop (Jupyter).

        Ctrl-C (``KeyboardInterrupt``) cancels the run as :meth:`cancel` does: the model stream is closed
        (so a local server stops generating), what the run completed is kept, and the interrupt is re-raised.
        """
        self._run_lock.check_not_held()  # a tool of this agent's own run would wait for that run forever
        token = cancellation_token or CancellationToken()
        return _run_sync(
            self.run(prompt, timeout=timeout, cancellation_token=token, **kwargs), on_interrupt=token.cancel
        )

    def cancel(self) -> bool:
        """Stop the run in progress, from any thread or task; ``False`` when no run is in progress.

        The run raises :class:`~mamba_agents.errors.RunCancelledError`; its model stream and tools are
        cancelled; what it completed is kept as :meth:`run` describes. Runs waiting for it start afterwards.
        """
        return self._control.cancel()

    @asynccontextmanager
    async def run_stream(
        self,
        prompt: str | Sequence[Any] | None = None,
        *,
        message_history: Sequence[ModelMessage] | None = None,
        usage_limits: UsageLimits | None = None,
        timeout: float | None = None,
        cancellation_token: CancellationToken | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        """Stream one turn (``async with agent.run_stream(...) as stream``); kept once it completes.

        ``timeout`` and ``cancellation_token`` as for :meth:`run`; a stream stopped part-way is not stored.
        """
        async with self._turn(timeout, cancellation_token) as turn:
            history = self._history(message_history, prompt, kwargs)
            try:
                async with self._agent.run_stream(
                    prompt,
                    message_history=history,
                    usage_limits=self._limits(usage_limits),
                    **turn.run_kwargs(),
                    **kwargs,
                ) as stream:
                    yield stream
                    if not stream.is_complete:
                        # Drain what the caller did not read, so the stored history holds the whole answer.
                        await stream.get_output()
                output = await stream.get_output()
            except RunCancelled as exc:
                raise self._stopped(exc, turn) from None
            except ModelAPIError as exc:
                raise mid_stream_error(exc, self._model) from exc.__cause__
            self._remember(stream.all_messages(), output)

    @asynccontextmanager
    async def iter(
        self,
        prompt: str | Sequence[Any] | None = None,
        *,
        message_history: Sequence[ModelMessage] | None = None,
        usage_limits: UsageLimits | None = None,
        timeout: float | None = None,
        cancellation_token: CancellationToken | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        """Node-by-node control (``async with agent.iter(...) as run``); kept when the run finishes.

        ``timeout`` and ``cancellation_token`` as for :meth:`run`.
        """
        async with self._turn(timeout, cancellation_token) as turn:
            history = self._history(message_history, prompt, kwargs)
            try:
                async with self._agent.iter(
                    prompt,
                    message_history=history,
                    usage_limits=self._limits(usage_limits),
                    **turn.run_kwargs(),
                    **kwargs,
                ) as run:
                    yield run
            except RunCancelled as exc:
                raise self._stopped(exc, turn) from None
            except ModelAPIError as exc:
                raise mid_stream_error(exc, self._model) from exc.__cause__
            if run.result is not None:
                self._remember(run.result.all_messages(), run.result.output)

    # -- tools --------------------------------------------------------------------------------------

    def tool(
        self,
        func: Callable[..., Any] | None = None,
        /,
        *,
        graceful_errors: bool | None = None,
        **options: Any,
    ) -> Any:
        """pydantic-ai's ``@agent.tool`` (the function takes ``RunContext`` first), with or without arguments.

        ``options`` are pydantic-ai's (``name``, ``description``, ``retries``, ``requires_approval``,
        ``timeout``, ...). ``graceful_errors`` overrides ``AgentConfig.graceful_tool_errors`` for this tool.
        A tool added after construction is offered from the next run on.
        """
        return tool_decorator(self._agent.tool, func, self._graceful(graceful_errors), options)

    def tool_plain(
        self,
        func: Callable[..., Any] | None = None,
        /,
        *,
        graceful_errors: bool | None = None,
        **options: Any,
    ) -> Any:
        """pydantic-ai's ``@agent.tool_plain`` (no ``RunContext``); the same options as :meth:`tool`."""
        return tool_decorator(self._agent.tool_plain, func, self._graceful(graceful_errors), options)

    def _graceful(self, override: bool | None) -> bool:
        return self._config.graceful_tool_errors if override is None else override

    @contextmanager
    def override(self, **kwargs: Any) -> Any:
        """pydantic-ai's ``override`` (model, deps, toolsets, ...) for tests."""
        with self._agent.override(**kwargs):
            yield self

    async def __aenter__(self) -> Agent[DepsT, OutputT]:
        """Connect models and toolsets once for many runs; leaving the last ``async with`` closes them."""
        await self._agent.__aenter__()
        self._entered += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._entered > 1:  # an inner block: the outer one still uses the connections
            self._entered -= 1
            await self._agent.__aexit__(*exc)
            return
        await self.aclose()

    async def aclose(self) -> None:
        """Close what the agent keeps open: MCP server connections (a stdio server's process stops) and
        whatever ``async with agent`` entered. Safe to call twice; a later run connects again.

        A run in progress is cancelled first (and given ``lifecycle.CLOSE_WAIT_SECONDS`` to end). MCP
        toolsets from one ``MCPClientManager`` shared with other agents are closed for them too; their next
        run reconnects.
        """
        self._run_lock.check_not_held()  # a tool closing its own agent would wait for its own run
        self.cancel()
        lock = await _lifecycle.wait_for_lock(self._run_lock)
        try:
            while self._entered > 0:
                self._entered -= 1
                await self._agent.__aexit__(None, None, None)
            await _lifecycle.close_toolsets(_lifecycle.closable_toolsets(self._agent.toolsets))
        finally:
            if lock is not None:
                self._run_lock.release(lock)

    def close(self) -> None:
        """:meth:`aclose` from synchronous code."""
        self._run_lock.check_not_held()
        _run_sync(self.aclose())

    # -- system prompt --------------------------------------------------------------------------------

    def get_system_prompt(self) -> str:
        return self._system_prompt

    def set_system_prompt(self, prompt: str | TemplateConfig, **variables: Any) -> None:
        """Change the system prompt; the next model request sends the new one."""
        if isinstance(prompt, TemplateConfig) and variables:
            prompt = prompt.model_copy(update={"variables": {**prompt.variables, **variables}})
        elif isinstance(prompt, str) and variables:
            prompt = self.prompt_manager.render_string(prompt, **variables)
        self._system_prompt = self._render_prompt(prompt)
        if self._context is not None:
            self._context.system_prompt = self._system_prompt or None

    async def _instructions(self, ctx: RunContext[Any]) -> str | None:
        # async on purpose: pydantic-ai runs a sync instruction function in a worker thread on every request
        return self._system_prompt or None

    def _render_prompt(self, prompt: str | TemplateConfig) -> str:
        if isinstance(prompt, TemplateConfig):
            return self.prompt_manager.render_config(prompt)
        return prompt

    # -- context --------------------------------------------------------------------------------------

    def get_messages(self) -> list[ModelMessage]:
        """The conversation as pydantic-ai messages (the system prompt is ``get_system_prompt()``)."""
        return self._require_context().get_messages()

    def messages_to_dicts(self) -> list[dict[str, Any]]:
        """The conversation as OpenAI chat dicts, the form ``ContextManager.add_messages`` accepts."""
        return model_messages_to_dicts(self.get_messages())

    def get_context_state(self) -> ContextState:
        return self._require_context().get_context_state(system_prompt=self._system_prompt or None)

    def should_compact(self) -> bool:
        return self._require_context().should_compact()

    async def compact(self) -> CompactionResult:
        return await self._require_context().compact()

    def clear_context(self) -> None:
        self._require_context().clear()
        self._pending = None

    def get_compaction_history(self) -> list[CompactionResult]:
        """The latest compactions (at most ``COMPACTION_HISTORY_LIMIT``), without the messages they kept."""
        return list(self._compactions)

    @property
    def pending_tool_calls(self) -> DeferredToolRequests | None:
        """The tool calls the conversation waits on (approval or external results), or ``None``."""
        if self._context is None or not still_pending(self._pending, self._context.get_messages()):
            return None
        return self._pending

    # -- tokens and cost ------------------------------------------------------------------------------

    def get_usage(self) -> TokenUsage:
        return self._usage_tracker.get_summary()

    def get_usage_history(self) -> list[UsageRecord]:
        return self._usage_tracker.get_usage_history()

    def get_cost(self) -> Cost:
        return self._usage_tracker.get_cost_breakdown().cost

    def get_cost_breakdown(self) -> CostBreakdown:
        return self._usage_tracker.get_cost_breakdown()

    def get_metrics(self) -> AgentMetrics:
        """Runs, requests, tokens, cost, request latency, retries, compactions and tool denials, in total
        and per model, since the agent was built or ``reset_tracking()``."""
        return self._metrics.snapshot()

    def reset_tracking(self) -> None:
        """Forget usage, cost and metrics (the conversation stays)."""
        self._usage_tracker.reset()
        self._metrics.reset()

    def reset_all(self) -> None:
        self.reset_tracking()
        if self._context is not None:
            self.clear_context()

    def get_token_count(self, text: str | None = None) -> int:
        """Tokens in ``text``, or in the tracked conversation (plus the system prompt) without it."""
        if text is not None:
            return self._token_counter.count(text)
        context = self._require_context()
        prompt = self._token_counter.count(self._system_prompt) if self._system_prompt else 0
        return context.token_count() + prompt

    # -- sessions -------------------------------------------------------------------------------------

    @property
    def session(self) -> str | None:
        """The stored session this agent loads and saves after every turn (``None``: memory only)."""
        return self._session.name if self._session is not None else None

    def resume(self, session: str) -> Agent[DepsT, OutputT]:
        """Continue the stored session ``session``: its history, usage and cost replace the current ones."""
        self._session = _run_sync(_sessions.resume(self, session))
        return self

    def list_sessions(self, limit: int | None = None) -> list[SessionInfo]:
        """The stored sessions, most recently saved first."""
        return _run_sync(_sessions.list_sessions(self, limit))

    def delete_session(self, session: str) -> None:
        """Delete a stored session (this agent keeps its in-memory conversation)."""
        _run_sync(_sessions.delete_session(self, session))

    # -- internals ------------------------------------------------------------------------------------

    @asynccontextmanager
    async def _turn(
        self, timeout: float | None, cancellation_token: CancellationToken | None
    ) -> AsyncIterator[Turn]:
        # Concurrent runs on one agent would each snapshot the history and then overwrite each other's turn,
        # so runs take turns on one lock shared by every thread and event loop.
        turn = Turn(
            deadline=RunDeadline.resolve(timeout, self._config.run_timeout),
            token=cancellation_token or CancellationToken(),
            token_given=cancellation_token is not None,
        )
        lock = await turn.acquire(self._run_lock)
        self._run_compactions = turn.compactions
        self._control.begin(turn.token)
        try:
            if self._session is not None:
                await self._session.load()
            try:
                yield turn
            except RunCancelled:
                if turn.kept and self._session is not None:
                    await self._session.save()  # the tools that ran are part of the stored session too
                raise
            if self._session is not None:
                await self._session.save()
        finally:
            self._control.end()
            self._run_compactions = None
            self._run_lock.release(lock)

    def _stopped(self, error: RunCancelled, turn: Turn) -> BaseException:
        """The error a timed-out or cancelled run raises, after keeping what it completed."""
        from mamba_agents.errors.mapping import to_agent_error

        reason, why = _cancel.why_stopped(
            error,
            by_cancel=self._control.cancelled_by_us,
            token_given=turn.token_given,
            limit=turn.deadline.limit if turn.deadline is not None else None,
        )
        kept = _cancel.kept_history(error, why, {"reason": reason, "why": why})
        if kept is not None:
            self._remember(kept[0])
            turn.kept = True
        tools = kept[1] if kept is not None else 0
        mapped = to_agent_error(error)
        message = _cancel.describe_stop(why, tools, kept is not None)
        mapped.message = message  # type: ignore[attr-defined]
        mapped.args = (message,)
        return _cancel.with_details(
            mapped,
            reason=reason,
            timeout=turn.deadline.seconds if turn.deadline is not None else None,
            limit=turn.deadline.limit if reason == "timeout" and turn.deadline is not None else None,
            tool_calls_kept=tools,
            incomplete=True,
        )

    def _record_compaction(self, result: CompactionResult) -> None:
        # The record drops the messages: a long conversation would otherwise keep every old history alive.
        record = dataclasses.replace(result, messages=[])
        if result.success:
            self._metrics.compaction(None, result.tokens_before, result.tokens_after, result.strategy)
        if result.usage.requests:  # a summarizer or scorer call is a model request the user pays for
            model = self._context.summary_model_name() if self._context is not None else None
            self._usage_tracker.record_usage(
                result.usage.input_tokens,
                result.usage.output_tokens,
                model,
                result.usage.cache_read_tokens,
                result.usage.cache_write_tokens,
                requests=result.usage.requests,
                tool_name=f"compaction:{result.strategy}",
            )
        self._compactions.append(record)
        if self._run_compactions is not None:
            self._run_compactions.append(record)

    def _history(
        self, explicit: Sequence[ModelMessage] | None, prompt: Any, kwargs: dict[str, Any]
    ) -> list[ModelMessage] | None:
        if explicit is not None:
            return list(explicit)
        if self._context is None:
            return None
        history = self._context.get_messages()
        pending = self._pending
        resuming = prompt is None or kwargs.get("deferred_tool_results") is not None
        if pending is not None and not resuming and still_pending(pending, history):
            raise PendingToolCallsError(pending)
        return history

    def _remember(self, messages: list[ModelMessage], output: Any = None) -> None:
        if self._context is not None:
            self._context.set_messages(messages)
            self._pending = deferred_output(output)

    def _limits(self, limits: UsageLimits | None) -> UsageLimits | None:
        if limits is None and self._config.max_iterations:
            return UsageLimits(request_limit=self._config.max_iterations)
        return limits

    def _require_context(self) -> ContextManager:
        if self._context is None:
            raise RuntimeError(_DISABLED)
        return self._context

    def _configured_subagents(self) -> list[Any]:
        """The ``[subagents.NAME]`` tables as sub-agents, each an Agent of its own (built now, so a wrong
        tool name or model fails here, naming the table)."""
        if not self._settings.subagents:
            return []
        from mamba_agents.config.errors import ConfigError
        from mamba_agents.config.sections import MCPConfig
        from mamba_agents.workflows import SubAgent

        out = []
        for name, cfg in self._settings.subagents.items():
            own = self._settings.model_copy(
                update={
                    "tools": self._settings.tools.model_copy(update={"enabled": list(cfg.tools)}),
                    "mcp": MCPConfig(),
                    "sessions": self._settings.sessions.model_copy(update={"default": None}),
                    "subagents": {},
                }
            )
            try:
                agent = Agent(
                    cfg.model or self._model,
                    settings=own,
                    system_prompt=cfg.system_prompt,
                    session=cfg.session,
                )
                limits = cfg.model_dump(include={"max_requests", "max_tokens", "max_cost", "timeout"})
                keep = cfg.session is not None
                out.append(
                    SubAgent(agent, name=name, description=cfg.description, keep_history=keep, **limits)
                )
            except (ConfigError, ValueError) as exc:
                where = self._settings.source_of(f"subagents.{name}")
                text = str(exc).removeprefix("default: ")  # the copied settings never set tools.enabled
                if text.startswith("tools.enabled["):
                    text = f"subagents.{name}.tools[" + text.removeprefix("tools.enabled[")
                else:
                    text = f"subagents.{name}: {text}"
                raise ConfigError(f"{where}: {text}") from None
        return out

    def _configured_capabilities(self) -> list[AbstractCapability[Any]]:
        config = self._settings.capabilities
        if not config.enabled:
            return []
        registry = self._plugins.registry("capabilities")
        out: list[AbstractCapability[Any]] = []
        for name in config.enabled:
            factory: Callable[..., AbstractCapability[Any]] = registry.get(name)
            out.append(factory(**config.options.get(name, {})))
        return out

    def __repr__(self) -> str:
        return f"Agent(model={self.model_name!r}, track_context={self._config.track_context})"


def _context_window(model: Model) -> int | None:
    try:
        return model.context_window
    except Exception:  # a model without a profile
        return None
