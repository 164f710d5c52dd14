"""docs/plugins/compaction.md stays true: its option tables list exactly each strategy's options, its
examples run, and its TOML example is valid configuration."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from mamba_agents.context import CompactionConfig
from mamba_agents_compaction import (
    HybridStrategy,
    ImportanceScoringStrategy,
    SelectivePruningStrategy,
    SummarizeOlderStrategy,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins" / "compaction.md"


def section(name: str) -> str:
    text = DOC.read_text()
    start = text.index(f"## `{name}`")
    end = min(i for i in (text.find("\n## `", start + 1), text.find("\n## Measured", start)) if i != -1)
    return text[start : end if end != -1 else None]


@pytest.mark.parametrize(
    "cls", [SelectivePruningStrategy, SummarizeOlderStrategy, ImportanceScoringStrategy, HybridStrategy]
)
def test_option_tables_match_the_options_models(cls):
    rows = re.findall(r"^\| `(\w+)` \|", section(cls.name), re.MULTILINE)
    assert sorted(rows) == sorted(cls.Options.model_fields)


def test_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert len(blocks) >= 2
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})


def test_toml_example_is_valid_configuration():
    block = re.search(r"```toml\n(.*?)```", DOC.read_text(), re.DOTALL).group(1)
    config = CompactionConfig(**tomllib.loads(block)["context"])
    strategy = SelectivePruningStrategy(**config.strategy_options)
    assert strategy.settings.keep_tool_pairs == 5
