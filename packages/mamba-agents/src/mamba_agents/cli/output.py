"""Console helpers: rich tables in a terminal, JSON for scripts."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

# Piped output has no terminal width; a wide default keeps tables readable in logs and captures.
_PIPE_WIDTH = 160


def stdout() -> Console:
    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else _PIPE_WIDTH)


def stderr() -> Console:
    # soft wrap: a status or footer line stays one line in a log, whatever the terminal's width
    return Console(stderr=True, soft_wrap=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def print_answer(text: Any) -> None:
    """A model's answer as it is: no wrapping, styling or markup, one newline at the end."""
    text = text if isinstance(text, str) else str(text)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
