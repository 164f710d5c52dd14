"""Answers that ended early: a response the server never finished is an error, not a complete turn.

pydantic-ai fills in ``finish_reason='stop'`` when an OpenAI-compatible server ends a response without one
(some never send it), so a stream that a server or proxy cut off cleanly looks finished. The raw reason the
server sent stays in ``provider_details['finish_reason']``: when it is missing, or the server counted the
answer as 0 input and 0 output tokens, the answer is not trusted. Only OpenAI Chat Completions responses are
checked; other providers report their stop reasons their own way.
"""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import ModelResponse

from mamba_agents.errors.base import IncompleteResponseError
from mamba_agents.errors.mapping import build_error, describe_model, safe_url

# How much of a cut-off answer the error carries (its ``partial`` detail).
PARTIAL_CHARS = 2_000


def _unwrapped(model: Any) -> Any:
    for _ in range(8):  # WrapperModel chains (breakers, instrumentation, fallback picks)
        inner = getattr(model, "wrapped", None)
        if inner is None:
            break
        model = inner
    return model


def _is_openai_chat(model: Any) -> bool:
    from pydantic_ai.models.openai import OpenAIChatModel

    return isinstance(_unwrapped(model), OpenAIChatModel)


def incomplete_reason(model: Any, response: ModelResponse) -> str | None:
    """Why ``response`` (from ``model``) cannot be a finished answer, or ``None`` when it can."""
    if response.state != "complete" or not _is_openai_chat(model):
        return None
    details = response.provider_details or {}
    if "finish_reason" not in details and "refusal" not in details:
        return "the server ended the response without a finish reason"
    usage = response.usage
    if usage.input_tokens == 0 and usage.output_tokens == 0 and not usage.unmeasured_requests:
        return "the server reported 0 input and 0 output tokens for it"
    return None


def check_complete(model: Any, response: ModelResponse) -> None:
    """Raise :class:`~mamba_agents.errors.IncompleteResponseError` for an answer that ended early."""
    why = incomplete_reason(model, response)
    if why is None:
        return
    from pydantic_ai.exceptions import ModelAPIError

    info = describe_model(model)
    name = info["model"] or response.model_name or "?"
    url = info["url"] or (safe_url(response.provider_url) if response.provider_url else None)
    text = response.text or ""
    where = f"backend {info['backend']!r}, model {name!r}" if info["backend"] else f"model {name!r}"
    message = (
        f"the answer from {where}{f' at {url}' if url else ''} is incomplete: {why} (after {len(text)} "
        "characters); it was not stored. A proxy or the server may have cut the stream; try again"
    )
    # Also pydantic-ai's ModelAPIError, so `except ModelAPIError` still sees every failed model request.
    raise build_error(
        IncompleteResponseError,
        ModelAPIError(name, message),
        message,
        {"backend": info["backend"], "model": name, "url": url, "partial": text[:PARTIAL_CHARS]},
    )


def mid_stream_error(error: BaseException, model: Any) -> BaseException:
    """The Mamba Agents error for a model error raised while an answer was streaming.

    Errors of the request itself are mapped by the retry capability; one raised once the stream was
    flowing reaches the caller without passing there (pydantic-ai does not retry a stream already read).
    """
    from mamba_agents.errors.base import AgentError, BackendConnectionError
    from mamba_agents.errors.mapping import to_agent_error

    if isinstance(error, AgentError):
        return error
    mapped = to_agent_error(error, describe_model(model))
    if isinstance(mapped, BackendConnectionError):
        where = mapped.url or "the server"
        mapped.message = (  # type: ignore[attr-defined]
            f"the connection to {where} broke while the answer was streaming (backend {mapped.backend!r}, "
            f"model {mapped.model!r}); the partial answer was not stored"
        )
        mapped.args = (mapped.message,)  # type: ignore[attr-defined]
    return mapped
