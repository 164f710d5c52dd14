from __future__ import annotations

import logging

import pytest
from mamba_agents.observability import reset_logging


@pytest.fixture(autouse=True)
def clean_logging():
    """Each test starts and ends with no handler of ours and ``[logging]`` not applied yet."""
    reset_logging()
    root = logging.getLogger()
    root_level = root.level
    yield
    reset_logging()
    root.setLevel(root_level)
