"""The embedded offline default model: a GGUF run in-process by llama.cpp, with tool calls and streaming.

Users import these from ``mamba_agents.backends``; this module is the implementation behind it. Importing it
does not import llama_cpp: the weights and the library load on the first request.
"""

from mamba_agents_local.model import LocalBackend, create_local_backend, local_backend
from mamba_agents_local.notice import announce_default_backend, default_backend_notice, reset_announcement
from mamba_agents_local.weights import WeightsNotFoundError, default_model_path, resolve_model_path

__all__ = [
    "LocalBackend",
    "WeightsNotFoundError",
    "announce_default_backend",
    "create_local_backend",
    "default_backend_notice",
    "default_model_path",
    "local_backend",
    "reset_announcement",
    "resolve_model_path",
]
