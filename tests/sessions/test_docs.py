"""The Python examples of docs/plugins/sessions.md run as written (with a TestModel for the model)."""

from __future__ import annotations

import re
from pathlib import Path

from mamba_agents.sessions.store import forget_stores

PAGE = Path(__file__).resolve().parents[2] / "docs" / "plugins" / "sessions.md"


def test_the_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAMBA_SESSIONS__URL", f"sqlite:///{tmp_path}/s.db")
    forget_stores()
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    assert len(blocks) == 3
    namespace: dict = {}
    exec("from pydantic_ai.models.test import TestModel", namespace)
    for block in blocks:
        exec(block.replace('"openai:gpt-4o"', "TestModel()"), namespace)
    assert namespace["agent"].list_sessions() == []
    forget_stores()
