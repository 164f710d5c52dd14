"""The one-time notice that no model was configured and the embedded local model is answering."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger("mamba_agents_local")

_lock = threading.Lock()
_announced = False


def default_backend_notice(model_path: Path | None = None) -> str:
    """What to tell the user when ``local`` was chosen because nothing else was configured."""
    name = model_path.name if model_path is not None else "SmolLM2-135M-Instruct"
    return (
        f"mamba: no model configured; using the embedded local model {name} (offline, llama.cpp). "
        "Set [model_backend] (or MAMBA_MODEL_BACKEND__MODEL) to use another model."
    )


def announce_default_backend(
    model_path: Path | None = None, *, emit: Callable[[str], None] | None = None
) -> bool:
    """Say once per process that the local model is the fallback; ``True`` if this call said it.

    ``emit`` defaults to one line on stderr. The message is also logged (INFO) every time it is emitted.
    """
    global _announced
    with _lock:
        if _announced:
            return False
        _announced = True
    message = default_backend_notice(model_path)
    logger.info(message)
    if emit is None:
        print(message, file=sys.stderr)
    else:
        emit(message)
    return True


def reset_announcement() -> None:
    """Forget that the notice was given (tests, long-lived processes that reconfigure)."""
    global _announced
    with _lock:
        _announced = False
