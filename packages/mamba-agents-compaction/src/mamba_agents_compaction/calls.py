"""One model call for a strategy (a summary, a batch of scores), with its usage accounted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic_ai.direct import model_request
from pydantic_ai.messages import ModelRequest, SystemPromptPart, UserPromptPart
from pydantic_ai.usage import RunUsage

if TYPE_CHECKING:
    from pydantic_ai.models import Model
    from pydantic_ai.settings import ModelSettings


class StrategyModelError(RuntimeError):
    """The model answered, but not with something a strategy can use (no text, say)."""


def describe_error(exc: BaseException, limit: int = 300) -> str:
    """A short, single-line account of a failure for ``CompactionResult.error`` (never for the history)."""
    text = " ".join(str(exc).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def ask(
    model: Model,
    instructions: str,
    prompt: str,
    *,
    usage: RunUsage,
    max_tokens: int | None = None,
    settings: dict[str, Any] | None = None,
) -> str:
    """Send ``prompt`` under ``instructions``; return the reply's text. Usage goes into ``usage``.

    The call is a plain request (no tools, no output schema) so that small local models can serve it.
    """
    model_settings: dict[str, Any] = dict(settings or {})
    if max_tokens is not None:
        model_settings.setdefault("max_tokens", max_tokens)
    request = ModelRequest(parts=[SystemPromptPart(content=instructions), UserPromptPart(content=prompt)])
    settings_arg: ModelSettings | None = model_settings or None  # type: ignore[assignment]
    response = await model_request(model, [request], model_settings=settings_arg)
    usage.incr(response.usage)
    usage.requests += 1
    text = (response.text or "").strip()
    if not text:
        raise StrategyModelError("the model returned no text")
    return text
