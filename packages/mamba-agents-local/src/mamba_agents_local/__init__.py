"""The embedded offline default model: a GGUF run in-process by llama.cpp, with tool calls and streaming.

Users import these from ``mamba_agents.backends``; this module is the implementation behind it. Names load on
first use (the plugin's entry point imports nothing heavy), and llama_cpp itself only on the first request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamba_agents._lazy import lazy_exports

_WHERE = {
    "LocalBackend": "model",
    "create_local_backend": "model",
    "local_backend": "model",
    "WeightsNotFoundError": "weights",
    "default_model_path": "weights",
    "resolve_model_path": "weights",
}

__all__ = [
    "LocalBackend",
    "WeightsNotFoundError",
    "create_local_backend",
    "default_model_path",
    "local_backend",
    "resolve_model_path",
]


__getattr__, __dir__ = lazy_exports(
    __name__, {name: f"mamba_agents_local.{module}" for name, module in _WHERE.items()}
)


if TYPE_CHECKING:
    from mamba_agents_local.model import LocalBackend, create_local_backend, local_backend
    from mamba_agents_local.weights import WeightsNotFoundError, default_model_path, resolve_model_path
