"""Fixtures for the embedded local model: it loads once per test session."""

from __future__ import annotations

import pydantic_ai.models
import pytest
from mamba_agents_local import LocalBackend


@pytest.fixture
def allow_model_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local model answers in-process; these tests call it on purpose."""
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)


@pytest.fixture(scope="session")
def local_model() -> LocalBackend:
    """SmolLM2-135M, loaded once. Every LocalBackend with the same file and n_ctx shares this load."""
    return LocalBackend(n_ctx=4096).load()
