"""Turn what the user gave (a model string, a Model, a backend object, settings) into a pydantic-ai Model."""

from __future__ import annotations

import logging
import re
import threading
from typing import TYPE_CHECKING, Any

from mamba_agents.config.errors import ConfigError

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from mamba_agents.config import ModelBackendSettings
    from mamba_agents.plugins import PluginManager

logger = logging.getLogger("mamba_agents")

# Bare names pydantic-ai 2.68 rejects ("Unknown model") mapped to the provider prefix they belong to.
_BARE_PREFIXES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(gpt-|chatgpt-|o\d|codex-|text-embedding-)"), "openai"),
    (re.compile(r"^claude-"), "anthropic"),
    (re.compile(r"^gemini-"), "google-gla"),
    (re.compile(r"^(mistral-|codestral-|magistral-|devstral-)"), "mistral"),
    (re.compile(r"^grok-"), "grok"),
)

# Names pydantic-ai itself resolves without a provider (``"test"`` is its TestModel, as its errors suggest).
_PROVIDERLESS = frozenset({"test"})

_local_notice_lock = threading.Lock()
_local_notice_given = False


def qualify_model_name(name: str) -> str:
    """``"gpt-4o"`` -> ``"openai:gpt-4o"``; names that already carry a provider are returned as they are."""
    if ":" in name or name in _PROVIDERLESS:
        return name
    for pattern, provider in _BARE_PREFIXES:
        if pattern.match(name):
            return f"{provider}:{name}"
    raise ConfigError(
        f"model {name!r} names no provider; write it as 'provider:model' (for example 'openai:{name}', "
        f"'ollama:{name}'), or set model_backend.base_url to talk to an OpenAI-compatible server"
    )


def build_model_from_settings(settings: ModelBackendSettings, model: str | None = None) -> Model:
    """The built-in backend: a pydantic-ai model string, or any OpenAI-compatible ``base_url``."""
    name = model or settings.model
    if not name:
        raise ConfigError(
            "model_backend.model is not set; set it (MAMBA_MODEL_BACKEND__MODEL) or pass a model"
        )
    api_key = settings.api_key.get_secret_value() if settings.api_key else None
    if settings.base_url:
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider

        bare = name.split(":", 1)[1] if ":" in name else name
        provider = OpenAICompatibleProvider("openai_compatible", base_url=settings.base_url, api_key=api_key)
        profile = {"context_window": settings.context_window} if settings.context_window else None
        return OpenAIChatModel(bare, provider=provider, profile=profile, settings=_model_settings(settings))
    qualified = qualify_model_name(name)
    from pydantic_ai.models import infer_model
    from pydantic_ai.providers import infer_provider, infer_provider_class

    def provider_factory(provider_name: str) -> Any:
        if api_key is None:
            return infer_provider(provider_name)
        return infer_provider_class(provider_name)(api_key=api_key)  # type: ignore[call-arg]

    try:
        return infer_model(qualified, provider_factory=provider_factory)
    except Exception as exc:  # missing credentials or an unknown provider: say which and how to fix it
        raise ConfigError(f"cannot use model {qualified!r}: {_strip_secret(str(exc), api_key)}") from None


def _strip_secret(text: str, secret: str | None) -> str:
    return text.replace(secret, "**********") if secret else text


def _model_settings(settings: ModelBackendSettings) -> dict[str, Any]:
    # No max_retries: [retry] owns retries and turns the SDK's own off (resilience/capability.py).
    out: dict[str, Any] = {"timeout": settings.timeout}
    if settings.temperature is not None:
        out["temperature"] = settings.temperature
    if settings.max_tokens is not None:
        out["max_tokens"] = settings.max_tokens
    return out


def resolve_model(model: Any, settings: ModelBackendSettings, plugins: PluginManager) -> Model:
    """The model an Agent runs on.

    ``model`` may be a pydantic-ai ``Model``, an object with ``to_model()``, a model string (bare names
    such as ``"gpt-4o"`` keep working), or ``None`` to use ``settings``: the backend named by ``backend``;
    ``auto`` means the built-in backend when a model or base_url is configured, else the ``local`` model.
    """
    from pydantic_ai.models import Model

    if isinstance(model, Model):
        return model
    to_model = getattr(model, "to_model", None)
    if callable(to_model):
        return to_model()
    if model is not None and not isinstance(model, str):
        raise TypeError(
            f"model must be a string, a pydantic_ai Model or a backend object, not {type(model).__name__}"
        )
    backend = settings.backend
    if backend == "auto":
        if model is None and not settings.model and not settings.base_url:
            if "local" not in plugins.registry("backends"):
                # a core-only install has no local model: say what to set instead of claiming to use one
                raise ConfigError(
                    "no model configured: set [model_backend] model (MAMBA_MODEL_BACKEND__MODEL) or "
                    "base_url, pass a model, or install mamba-agents-local for the embedded offline model"
                )
            _say_local_once()
            backend = "local"
        else:
            backend = (
                "openai_compatible"
                if settings.base_url and "openai_compatible" in plugins.registry("backends")
                else "pydantic_ai"
            )
    factory = plugins.get("backends", backend)
    effective = settings if model is None else settings.model_copy(update={"model": model})
    return factory(effective)


def _say_local_once() -> None:
    global _local_notice_given
    with _local_notice_lock:
        if _local_notice_given:
            return
        _local_notice_given = True
    logger.warning(
        "No model configured ([model_backend] model / MAMBA_MODEL_BACKEND__MODEL); "
        "using the embedded local model (offline, llama.cpp)."
    )
