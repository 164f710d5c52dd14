"""The seed's ``create_*_backend`` helpers and the registry factories that build a backend from settings."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from mamba_agents_backends.model import HEALTH_TIMEOUT, BackendStatus, OpenAICompatibleBackend
from mamba_agents_backends.profiles import ModelProfile, get_profile

if TYPE_CHECKING:
    from mamba_agents.config import ModelBackendSettings

OLLAMA_URL = "http://localhost:11434/v1"
VLLM_URL = "http://localhost:8000/v1"
LMSTUDIO_URL = "http://localhost:1234/v1"
LLAMACPP_URL = "http://localhost:8080/v1"

DEFAULT_URLS: dict[str, str] = {
    "ollama": OLLAMA_URL,
    "vllm": VLLM_URL,
    "lmstudio": LMSTUDIO_URL,
    "llamacpp": LLAMACPP_URL,
}
"""Each server's out-of-the-box address. ``openai_compatible`` has none: it needs a ``base_url``."""

# LM Studio and llama-server answer with whatever model is loaded, whatever the request names.
DEFAULT_MODELS: dict[str, str] = {"lmstudio": "local-model", "llamacpp": "local-model"}

OPTION_KEYS = ("profile", "model_settings")


def create_ollama_backend(
    model: str, *, base_url: str = OLLAMA_URL, api_key: str | SecretStr | None = None, **kwargs: Any
) -> OpenAICompatibleBackend:
    """A model served by Ollama (``ollama serve``; default ``http://localhost:11434/v1``)."""
    return OpenAICompatibleBackend(model, base_url, api_key, server="ollama", **kwargs)


def create_vllm_backend(
    model: str, *, base_url: str = VLLM_URL, api_key: str | SecretStr | None = None, **kwargs: Any
) -> OpenAICompatibleBackend:
    """A model served by vLLM (``vllm serve <model>``; default ``http://localhost:8000/v1``)."""
    return OpenAICompatibleBackend(model, base_url, api_key, server="vllm", **kwargs)


def create_lmstudio_backend(
    model: str = DEFAULT_MODELS["lmstudio"],
    *,
    base_url: str = LMSTUDIO_URL,
    api_key: str | SecretStr | None = None,
    **kwargs: Any,
) -> OpenAICompatibleBackend:
    """The model loaded in LM Studio's local server (default ``http://localhost:1234/v1``)."""
    return OpenAICompatibleBackend(model, base_url, api_key, server="lmstudio", **kwargs)


def create_llamacpp_backend(
    model: str = DEFAULT_MODELS["llamacpp"],
    *,
    base_url: str = LLAMACPP_URL,
    api_key: str | SecretStr | None = None,
    **kwargs: Any,
) -> OpenAICompatibleBackend:
    """A llama.cpp server: ``llama-server`` or ``python -m llama_cpp.server`` (default ``http://localhost:8080/v1``)."""
    return OpenAICompatibleBackend(model, base_url, api_key, server="llamacpp", **kwargs)


# -- registry factories: ModelBackendSettings -> pydantic-ai Model ----------------------------------------


def _config_error(message: str) -> Exception:
    from mamba_agents.config import ConfigError

    return ConfigError(message)


def _profile_from_options(server: str, model: str, overrides: Any) -> ModelProfile | None:
    if overrides is None:
        return None
    if not isinstance(overrides, dict):
        raise _config_error(
            f"[model_backend.options] profile must be a table of profile fields, got {overrides!r}"
        )
    allowed = {f.name for f in fields(ModelProfile)} - {"name", "patterns", "extra"}
    unknown = sorted(set(overrides) - allowed)
    if unknown:
        raise _config_error(
            f"[model_backend.options.profile] unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    try:
        return replace(get_profile(model, server=server), **overrides)
    except (TypeError, ValueError) as exc:
        raise _config_error(f"[model_backend.options.profile] {exc}") from None


def backend_from_settings(server: str, settings: ModelBackendSettings) -> OpenAICompatibleBackend:
    """Build the ``server`` backend from ``[model_backend]``; a missing model or URL is a ConfigError."""
    model = settings.model or DEFAULT_MODELS.get(server)
    if not model:
        raise _config_error(
            f"backend {server!r} needs a model name: set [model_backend] model "
            f'(or MAMBA_MODEL_BACKEND__MODEL), e.g. model = "llama3.2"'
        )
    base_url = settings.base_url or DEFAULT_URLS.get(server)
    if not base_url:
        raise _config_error(
            f"backend {server!r} needs the server's address: set [model_backend] base_url "
            '(or MAMBA_MODEL_BACKEND__BASE_URL), e.g. base_url = "http://localhost:8000/v1"'
        )
    options = dict(settings.options)
    unknown = sorted(set(options) - set(OPTION_KEYS))
    if unknown:
        raise _config_error(
            f"[model_backend.options] unknown key(s) {', '.join(unknown)} for backend {server!r}; "
            f"allowed: {', '.join(OPTION_KEYS)}"
        )
    model_settings = options.get("model_settings")
    if model_settings is not None and not isinstance(model_settings, dict):
        raise _config_error(
            "[model_backend.options] model_settings must be a table of pydantic-ai model settings"
        )
    try:
        return OpenAICompatibleBackend(
            model,
            base_url,
            settings.api_key,
            server=server,
            profile=_profile_from_options(server, model, options.get("profile")),
            context_window=settings.context_window,
            timeout=settings.timeout,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            settings=model_settings,  # type: ignore[arg-type]
        )
    except ValueError as exc:
        raise _config_error(f"[model_backend] {exc}") from None


def openai_compatible_backend(settings: ModelBackendSettings) -> OpenAICompatibleBackend:
    return backend_from_settings("openai_compatible", settings)


def ollama_backend(settings: ModelBackendSettings) -> OpenAICompatibleBackend:
    return backend_from_settings("ollama", settings)


def vllm_backend(settings: ModelBackendSettings) -> OpenAICompatibleBackend:
    return backend_from_settings("vllm", settings)


def lmstudio_backend(settings: ModelBackendSettings) -> OpenAICompatibleBackend:
    return backend_from_settings("lmstudio", settings)


def llamacpp_backend(settings: ModelBackendSettings) -> OpenAICompatibleBackend:
    return backend_from_settings("llamacpp", settings)


async def probe_server(
    server: str, settings: ModelBackendSettings, *, timeout: float = HEALTH_TIMEOUT
) -> BackendStatus:
    """``GET /v1/models`` on the server ``settings`` point at (or its default address)."""
    if not settings.base_url and server not in DEFAULT_URLS:
        return BackendStatus(url="", ok=None, error=None, note="no base_url configured")
    probe_settings = settings
    if not settings.model:
        # Listing models needs no model name; any placeholder builds the client.
        probe_settings = settings.model_copy(update={"model": DEFAULT_MODELS.get(server, "probe")})
    backend = backend_from_settings(server, probe_settings)
    return await backend.probe(timeout=timeout)
