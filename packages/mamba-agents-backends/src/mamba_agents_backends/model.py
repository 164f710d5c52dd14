"""``OpenAICompatibleBackend``: a pydantic-ai ``OpenAIChatModel`` for a server that speaks the OpenAI API.

Being a real pydantic-ai ``Model`` is the point: it can be handed straight to ``Agent(...)`` (the original's
standalone HTTP client could not), and message mapping, streaming, tool calls, usage and error mapping stay
pydantic-ai's. This class only adds a profile (context window, capabilities, server quirks) and server
discovery (``GET /v1/models``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from openai import APIConnectionError, APIStatusError, APITimeoutError
from openai.types import chat
from pydantic import SecretStr
from pydantic_ai.messages import ModelResponse
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers import Provider
from pydantic_ai.settings import ModelSettings

from mamba_agents_backends.profiles import SERVER_QUIRKS, ModelProfile, get_profile

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
HEALTH_TIMEOUT = 5.0


class BackendUnavailableError(ConnectionError):
    """The server did not answer ``GET /v1/models`` (down, wrong URL, rejected the key...)."""

    def __init__(self, url: str, reason: str, *, status_code: int | None = None) -> None:
        self.url = url
        self.reason = reason
        self.status_code = status_code
        super().__init__(f"backend at {url} is not available: {reason}")


@dataclass
class BackendStatus:
    """The outcome of probing a server: reachable or not, which models it serves, how fast it answered."""

    url: str
    ok: bool | None
    """``None``: nothing to probe (no address configured)."""
    models: list[str] = field(default_factory=list)
    latency_ms: float | None = None
    error: str | None = None
    status_code: int | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "ok": self.ok,
            "models": self.models,
            "latency_ms": self.latency_ms,
            "error": self.error,
            "status_code": self.status_code,
            "note": self.note,
        }


def redact_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, for messages and reprs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def secret_value(api_key: str | SecretStr | None) -> str | None:
    if isinstance(api_key, SecretStr):
        return api_key.get_secret_value() or None
    return api_key or None


def build_settings(
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_retries: int | None = DEFAULT_MAX_RETRIES,
    temperature: float | None = None,
    max_tokens: int | None = None,
    extra: ModelSettings | None = None,
) -> ModelSettings:
    """Default model settings; ``extra`` (a user's own ``settings=``) wins over the named arguments."""
    if timeout is not None and timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    if max_retries is not None and max_retries < 0:
        raise ValueError(f"max_retries must be >= 0, got {max_retries!r}")
    if max_tokens is not None and max_tokens <= 0:
        raise ValueError(f"max_tokens must be positive, got {max_tokens!r}")
    settings = ModelSettings()
    if timeout is not None:
        settings["timeout"] = timeout
    if max_retries is not None:
        settings["max_retries"] = max_retries
    if temperature is not None:
        settings["temperature"] = temperature
    if max_tokens is not None:
        settings["max_tokens"] = max_tokens
    settings.update(extra or {})
    return settings


def make_provider(
    server: str, base_url: str, api_key: str | None, *, http_client: Any = None
) -> Provider[Any]:
    """The pydantic-ai provider for a server kind: the dedicated one where pydantic-ai has it."""
    if server == "ollama":
        from pydantic_ai.providers.ollama import OllamaProvider

        return OllamaProvider(base_url=base_url, api_key=api_key, http_client=http_client)
    if server == "vllm":
        from pydantic_ai.providers.vllm import VLLMProvider

        return VLLMProvider(base_url=base_url, api_key=api_key, http_client=http_client)
    from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider

    return OpenAICompatibleProvider(server, base_url=base_url, api_key=api_key, http_client=http_client)


class OpenAICompatibleBackend(OpenAIChatModel):
    """A model served over the OpenAI Chat Completions API by Ollama, vLLM, LM Studio, llama.cpp or any other
    compatible server. Pass it to ``Agent(...)`` like any pydantic-ai model.

    ``profile`` defaults to :func:`~mamba_agents_backends.profiles.get_profile` for ``model`` with the quirks
    of ``server``; a profile you pass is used as it is. ``context_window`` overrides the profile's (set it for
    a model the table does not know).
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | SecretStr | None = None,
        *,
        server: str = "openai_compatible",
        profile: ModelProfile | None = None,
        context_window: int | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int | None = DEFAULT_MAX_RETRIES,
        temperature: float | None = None,
        max_tokens: int | None = None,
        settings: ModelSettings | None = None,
        provider: Provider[Any] | None = None,
        http_client: Any = None,
    ) -> None:
        if not isinstance(model, str) or not model.strip():
            raise ValueError("OpenAICompatibleBackend needs a model name, e.g. model='llama3.2'")
        if server not in SERVER_QUIRKS:
            raise ValueError(f"unknown server kind {server!r}; known: {', '.join(sorted(SERVER_QUIRKS))}")
        if provider is None:
            if not base_url:
                raise ValueError(
                    f"OpenAICompatibleBackend({model!r}) needs base_url, the server's OpenAI API root "
                    "(e.g. 'http://localhost:8000/v1')"
                )
            if not base_url.startswith(("http://", "https://")):
                raise ValueError(
                    f"base_url must start with http:// or https://, got {redact_url(base_url)!r}"
                )
            provider = make_provider(
                server, base_url.rstrip("/"), secret_value(api_key), http_client=http_client
            )
        if context_window is not None and context_window <= 0:
            raise ValueError(f"context_window must be positive, got {context_window!r}")
        backend_profile = profile or get_profile(model, server=server)
        if context_window is not None:
            backend_profile = replace(backend_profile, context_window=context_window)
        self.backend_profile: ModelProfile = backend_profile
        self.server = server
        super().__init__(
            model,
            provider=provider,
            profile=backend_profile.to_pydantic_ai(),
            settings=build_settings(
                timeout=timeout,
                max_retries=max_retries,
                temperature=temperature,
                max_tokens=max_tokens,
                extra=settings,
            ),
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model={self.model_name!r}, base_url={redact_url(self.base_url)!r}, "
            f"server={self.server!r}, context_window={self.context_window!r})"
        )

    def _map_model_response(self, message: ModelResponse) -> chat.ChatCompletionMessageParam | None:
        mapped = super()._map_model_response(message)
        if (
            mapped is not None
            and self.backend_profile.empty_content_with_tool_calls
            and mapped.get("role") == "assistant"
            and mapped.get("content") is None
        ):
            mapped["content"] = ""
        return mapped

    # -- discovery --------------------------------------------------------------------------------------

    async def list_models(self, *, timeout: float = HEALTH_TIMEOUT) -> list[str]:
        """The model ids the server serves (``GET /v1/models``); raises :class:`BackendUnavailableError`."""
        url = redact_url(self.base_url).rstrip("/")
        client = self.client.with_options(timeout=timeout, max_retries=0)
        try:
            page = await client.models.list()
        except APIStatusError as exc:
            raise BackendUnavailableError(
                url, f"HTTP {exc.status_code}", status_code=exc.status_code
            ) from None
        except APITimeoutError:
            raise BackendUnavailableError(url, f"no answer within {timeout:g} s") from None
        except APIConnectionError:
            raise BackendUnavailableError(url, "cannot connect") from None
        return [m.id for m in page.data]

    async def health_check(self, *, timeout: float = HEALTH_TIMEOUT) -> bool:
        """``True`` when the server answers ``GET /v1/models``."""
        return bool((await self.probe(timeout=timeout)).ok)

    async def probe(self, *, timeout: float = HEALTH_TIMEOUT) -> BackendStatus:
        """Reachability, served models and latency, without raising."""
        started = time.perf_counter()
        url = redact_url(self.base_url).rstrip("/")
        try:
            models = await self.list_models(timeout=timeout)
        except BackendUnavailableError as exc:
            return BackendStatus(url=url, ok=False, error=exc.reason, status_code=exc.status_code)
        latency = round((time.perf_counter() - started) * 1000, 1)
        return BackendStatus(url=url, ok=True, models=models, latency_ms=latency)
