"""OpenAI-compatible model backends (Ollama, vLLM, LM Studio, llama.cpp, any compatible server).

Users import these from ``mamba_agents.backends``; this module is the implementation behind it. Names load on
first use, so that the plugin's entry point (``mamba_agents_backends.plugin``) imports nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_WHERE = {
    "DEFAULT_URLS": "factories",
    "create_llamacpp_backend": "factories",
    "create_lmstudio_backend": "factories",
    "create_ollama_backend": "factories",
    "create_vllm_backend": "factories",
    "BackendStatus": "model",
    "BackendUnavailableError": "model",
    "OpenAICompatibleBackend": "model",
    "DEFAULT_CONTEXT_WINDOW": "profiles",
    "DEFAULT_PROFILE": "profiles",
    "ModelProfile": "profiles",
    "ServerQuirks": "profiles",
    "get_profile": "profiles",
    "get_profiles_by_provider": "profiles",
    "list_profiles": "profiles",
    "register_profile": "profiles",
    "unregister_profile": "profiles",
}

__all__ = [
    "DEFAULT_CONTEXT_WINDOW",
    "DEFAULT_PROFILE",
    "DEFAULT_URLS",
    "BackendStatus",
    "BackendUnavailableError",
    "ModelProfile",
    "OpenAICompatibleBackend",
    "ServerQuirks",
    "create_llamacpp_backend",
    "create_lmstudio_backend",
    "create_ollama_backend",
    "create_vllm_backend",
    "get_profile",
    "get_profiles_by_provider",
    "list_profiles",
    "register_profile",
    "unregister_profile",
]


__getattr__, __dir__ = lazy_exports(
    __name__, {name: f"mamba_agents_backends.{module}" for name, module in _WHERE.items()}
)


if TYPE_CHECKING:
    from mamba_agents_backends.factories import (
        DEFAULT_URLS,
        create_llamacpp_backend,
        create_lmstudio_backend,
        create_ollama_backend,
        create_vllm_backend,
    )
    from mamba_agents_backends.model import BackendStatus, BackendUnavailableError, OpenAICompatibleBackend
    from mamba_agents_backends.profiles import (
        DEFAULT_CONTEXT_WINDOW,
        DEFAULT_PROFILE,
        ModelProfile,
        ServerQuirks,
        get_profile,
        get_profiles_by_provider,
        list_profiles,
        register_profile,
        unregister_profile,
    )
