"""What the facade composes onto its pydantic-ai agent: usage tracking, graceful tool errors, run logs."""

from __future__ import annotations

import contextlib
import functools
import inspect
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.exceptions import ToolFailed
from pydantic_ai.messages import ModelResponse, tool_return_ta
from pydantic_ai.models import ModelRequestContext
from pydantic_ai.toolsets import ToolsetTool, WrapperToolset

from mamba_agents.observability.runlog import RunLog
from mamba_agents.observability.spans import tool_denied
from mamba_agents.resilience.truncated import check_complete
from mamba_agents.surrogates import escape_deep, escape_surrogates
from mamba_agents.tokens import UsageRecord, UsageTracker


@dataclass
class UsageTracking(AbstractCapability[Any]):
    """One usage record per model request, taken from the response pydantic-ai got."""

    tracker: UsageTracker
    last: UsageRecord | None = field(default=None, init=False, repr=False)

    async def after_model_request(
        self, ctx: RunContext[Any], *, request_context: ModelRequestContext, response: ModelResponse
    ) -> ModelResponse:
        self.last = self.tracker.record_response(response)
        return response


def _as_tool_failure(exc: Exception, tool: str = "?") -> Exception:
    if isinstance(exc, PermissionError) or isinstance(exc.__cause__, PermissionError):
        tool_denied(tool, exc)
    if type(exc).__module__.startswith("pydantic_ai"):
        return exc
    return ToolFailed(escape_surrogates(f"{type(exc).__name__}: {exc}"))


_PLAIN = (str, int, float, bool, type(None))
# A tool's str() can be anything the model made it produce; the failed result carries at most this much.
MAX_UNSERIALISABLE_TEXT = 20_000


def sendable(value: Any) -> Any:
    """``value`` if pydantic-ai can serialise it for the model, else ``ToolFailed`` carrying its ``str()``.

    Otherwise the error surfaces later, outside the tool (counting tokens, building the next request), and
    crashes the run instead of reaching the model.
    """
    if isinstance(value, str):
        return escape_surrogates(value)
    if isinstance(value, _PLAIN):
        return value
    try:
        tool_return_ta.dump_json(value, by_alias=True)
    except Exception:
        escaped = escape_deep(value)
        with contextlib.suppress(Exception):
            tool_return_ta.dump_json(escaped, by_alias=True)
            return escaped
        try:
            text = str(value)
        except Exception:
            text = f"<{type(value).__name__} object>"
        if len(text) > MAX_UNSERIALISABLE_TEXT:
            text = text[:MAX_UNSERIALISABLE_TEXT] + f"... [{len(text) - MAX_UNSERIALISABLE_TEXT} chars cut]"
        raise ToolFailed(
            f"the tool returned a {type(value).__name__} that cannot be serialised; its text: {text}"
        ) from None
    return value


def graceful_tool(tool: Any) -> Any:
    """``tool`` (a plain function) with unexpected exceptions and unserialisable results turned into
    ``ToolFailed``; anything that is not a function is returned as is.

    ``functools.wraps`` keeps the name, docstring and signature pydantic-ai builds the schema from.
    """
    if not inspect.isfunction(tool) and not inspect.ismethod(tool):
        return tool
    if inspect.iscoroutinefunction(tool):

        @functools.wraps(tool)
        async def call_async(*args: Any, **kwargs: Any) -> Any:
            try:
                result = await tool(*args, **kwargs)
            except Exception as exc:
                raise _as_tool_failure(exc, tool.__name__) from exc
            return sendable(result)

        return call_async

    @functools.wraps(tool)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            result = tool(*args, **kwargs)
        except Exception as exc:
            raise _as_tool_failure(exc, tool.__name__) from exc
        return sendable(result)

    return call


@dataclass
class GracefulToolErrors(WrapperToolset[Any]):
    """An unexpected exception in a tool becomes a failed tool result the model reads, not a crashed run.

    pydantic-ai's own control flow (``ModelRetry``, ``ToolFailed``, approvals, deferrals, limits) passes.
    A toolset wrapper rather than a capability: it costs only when a tool runs, not on every request.
    """

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> Any:
        try:
            result = await super().call_tool(name, tool_args, ctx, tool)
        except Exception as exc:
            raise _as_tool_failure(exc, name) from exc
        return sendable(result)


@dataclass
class FacadeRuntime(AbstractCapability[Any]):
    """The facade's per-request work presented to pydantic-ai as one capability.

    Each capability costs about 0.1 ms per run in pydantic-ai's hook dispatch, so the facade hands its
    parts (usage tracking, compaction) over as one; the parts stay separate classes, usable on their own.
    """

    usage: UsageTracking
    compaction: AbstractCapability[Any] | None = None
    log: RunLog | None = None

    async def wrap_run(self, ctx: RunContext[Any], *, handler: Any) -> Any:
        if self.log is None:
            return await handler()
        return await self.log.around_run(ctx, handler)

    async def before_model_request(
        self, ctx: RunContext[Any], request_context: ModelRequestContext
    ) -> ModelRequestContext:
        if self.compaction is None:
            return request_context
        return await self.compaction.before_model_request(ctx, request_context)

    async def prepare_model_request(
        self, ctx: RunContext[Any], request_context: ModelRequestContext
    ) -> ModelRequestContext:
        if self.compaction is not None:
            request_context = await self.compaction.prepare_model_request(ctx, request_context)
        if self.log is not None:
            self.log.request(request_context.messages)
        return request_context

    async def on_model_request_error(
        self, ctx: RunContext[Any], *, request_context: ModelRequestContext, error: Exception
    ) -> ModelResponse:
        if self.compaction is None:
            raise error
        return await self.compaction.on_model_request_error(ctx, request_context=request_context, error=error)

    async def after_model_request(
        self, ctx: RunContext[Any], *, request_context: ModelRequestContext, response: ModelResponse
    ) -> ModelResponse:
        if self.log is not None:
            self.log.response(response)
        response = await self.usage.after_model_request(
            ctx, request_context=request_context, response=response
        )
        if self.log is not None:
            self.log.recorded(self.usage.last)
        check_complete(request_context.model, response)  # the request is counted, its cut-off answer not kept
        return response
