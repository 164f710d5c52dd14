"""``LocalBackend``: a pydantic-ai model that runs a GGUF in-process with llama.cpp. Offline, no API key, no
server to start; tool calls and streaming included.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.profiles.openai import OpenAIModelProfile
from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider
from pydantic_ai.settings import ModelSettings

from mamba_agents_local.chat import DEFAULT_MAX_TOKENS, ChatEngine, EngineOptions
from mamba_agents_local.runtime import LoadSpec, ModelRuntime, default_threads, get_runtime
from mamba_agents_local.transport import LOCAL_BASE_URL, LocalTransport
from mamba_agents_local.weights import resolve_model_path

if TYPE_CHECKING:
    from mamba_agents.config import ModelBackendSettings

DEFAULT_N_CTX = 4096
OPTION_KEYS = ("max_calls_per_tool", "n_batch")


def model_name_for(path: Path) -> str:
    """The name requests and usage records carry: the file name without ``.gguf``."""
    return path.name[: -len(".gguf")] if path.name.lower().endswith(".gguf") else path.name


def local_profile(context_window: int) -> OpenAIModelProfile:
    """What the in-process engine supports (see ``chat.py``), whatever the GGUF."""
    return OpenAIModelProfile(
        context_window=context_window,
        supports_tools=True,
        supports_json_schema_output=True,
        supports_json_object_output=True,
        supports_forced_tool_choice=True,
        supports_image_input=False,
        openai_supports_strict_tool_definition=False,
        openai_chat_supports_multiple_system_messages=False,
        # The prompt is tokenized with special tokens on (the chat template needs them), so pydantic-ai must
        # neutralise any `<|im_end|>` a user or a tool puts in its text.
        may_tokenize_special_tokens_in_content=True,
    )


class LocalBackend(OpenAIChatModel):
    """A GGUF model run in this process. ``model_path=None`` uses the bundled SmolLM2-135M-Instruct.

    The weights load once per process (per file, ``n_ctx`` and ``n_threads``), on the first request or on
    :meth:`load`. ``context_window`` defaults to ``n_ctx``, so compaction triggers at the real limit.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        n_batch: int = 512,
        context_window: int | None = None,
        max_calls_per_tool: int = 1,
        temperature: float | None = None,
        max_tokens: int | None = None,
        settings: ModelSettings | None = None,
    ) -> None:
        if not isinstance(n_ctx, int) or n_ctx < 256:
            raise ValueError(f"n_ctx must be an integer >= 256, got {n_ctx!r}")
        if n_threads is not None and (not isinstance(n_threads, int) or n_threads <= 0):
            raise ValueError(f"n_threads must be a positive integer, got {n_threads!r}")
        if not isinstance(n_batch, int) or n_batch <= 0:
            raise ValueError(f"n_batch must be a positive integer, got {n_batch!r}")
        if context_window is not None and not 0 < context_window <= n_ctx:
            raise ValueError(f"context_window must be between 1 and n_ctx ({n_ctx}), got {context_window!r}")
        if not isinstance(max_calls_per_tool, int) or max_calls_per_tool < 0:
            raise ValueError(f"max_calls_per_tool must be an integer >= 0, got {max_calls_per_tool!r}")
        path = resolve_model_path(model_path)
        self.model_path = path
        # n_threads resolved here, so the default and the same number given explicitly share one load
        self.runtime: ModelRuntime = get_runtime(
            LoadSpec(path, n_ctx, n_threads or default_threads(), n_batch)
        )
        name = model_name_for(path)
        options = EngineOptions(
            max_calls_per_tool=max_calls_per_tool, default_max_tokens=min(DEFAULT_MAX_TOKENS, n_ctx // 2)
        )
        self.transport = LocalTransport(
            self.runtime, lambda llama: ChatEngine(llama, model_name=name, options=options), model_name=name
        )
        provider = OpenAICompatibleProvider(
            "local",
            base_url=LOCAL_BASE_URL,
            api_key="local",
            http_client=httpx2.AsyncClient(transport=self.transport, base_url=LOCAL_BASE_URL),
        )
        defaults = ModelSettings(max_retries=0)  # a failure in-process does not get better by asking again
        if temperature is not None:
            defaults["temperature"] = temperature
        if max_tokens is not None:
            defaults["max_tokens"] = max_tokens
        defaults.update(settings or {})
        super().__init__(
            name, provider=provider, profile=local_profile(context_window or n_ctx), settings=defaults
        )

    def __repr__(self) -> str:
        spec = self.runtime.spec
        return (
            f"{type(self).__name__}(model={self.model_name!r}, path={str(spec.path)!r}, n_ctx={spec.n_ctx}, "
            f"loaded={self.runtime.loaded})"
        )

    @property
    def loaded(self) -> bool:
        return self.runtime.loaded

    @property
    def load_seconds(self) -> float | None:
        return self.runtime.load_seconds

    def load(self) -> LocalBackend:
        """Load the weights now (with progress on an interactive stderr) instead of on the first request."""
        self.runtime.llama()
        return self

    async def list_models(self, **_: Any) -> list[str]:
        return [self.model_name]

    async def health_check(self, **_: Any) -> bool:
        """The weights are on disk and llama.cpp imports; nothing is loaded."""
        return local_status(self).get("ok", False)


def local_status(backend: LocalBackend) -> dict[str, Any]:
    import importlib.util

    spec = backend.runtime.spec
    status: dict[str, Any] = {
        "url": str(spec.path),
        "models": [backend.model_name],
        "ok": True,
        "error": None,
        "loaded": backend.loaded,
    }
    if not spec.path.is_file():
        status.update(ok=False, error="model file is gone")
    elif importlib.util.find_spec("llama_cpp") is None:
        status.update(ok=False, error="llama-cpp-python is not installed")
    return status


def create_local_backend(model_path: str | Path | None = None, **kwargs: Any) -> LocalBackend:
    """The embedded model: ``create_local_backend()`` for SmolLM2-135M, or any GGUF file."""
    return LocalBackend(model_path, **kwargs)


def _config_error(message: str) -> Exception:
    from mamba_agents.config import ConfigError

    return ConfigError(message)


def local_backend(settings: ModelBackendSettings) -> LocalBackend:
    """Registry factory: ``[model_backend] backend = "local"``, ``model_path``, ``n_ctx``, ``n_threads``."""
    options = dict(settings.options)
    unknown = sorted(set(options) - set(OPTION_KEYS))
    if unknown:
        raise _config_error(
            f"[model_backend.options] unknown key(s) {', '.join(unknown)} for backend 'local'; "
            f"allowed: {', '.join(OPTION_KEYS)}"
        )
    model_path: Any = settings.model_path
    if model_path is None and settings.model and settings.model.lower().endswith(".gguf"):
        model_path = settings.model
    try:
        return LocalBackend(
            model_path,
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            context_window=settings.context_window,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            **options,
        )
    except (ValueError, TypeError, FileNotFoundError) as exc:
        raise _config_error(f"[model_backend] {exc}") from None


def probe_local(name: str, settings: ModelBackendSettings, *, timeout: float = 0.0) -> dict[str, Any]:
    """For ``mamba backends --check``: the weights exist and llama.cpp imports (nothing is loaded)."""
    try:
        backend = local_backend(settings)
    except Exception as exc:
        return {"ok": False, "error": str(exc), "models": []}
    return local_status(backend)
