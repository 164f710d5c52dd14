"""OpenAI-compatible model backends (Ollama, vLLM, LM Studio, llama.cpp, any compatible server).

Users import these from ``mamba_agents.backends``; this module is the implementation behind it.
"""

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
