"""A sandbox with a secret next to it, and symlinks that try to reach the secret."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from mamba_agents.tools.filesystem import FilesystemSecurity

SECRET = "TOP SECRET: outside the sandbox"
PEM = "-----BEGIN PRIVATE KEY----- inside but denied"


@dataclass
class Layout:
    root: Path
    outside: Path
    security: FilesystemSecurity


def build_layout(base: Path) -> Layout:
    """``base/sandbox`` (the sandbox) and ``base/outside`` (with the secret), plus escape routes."""
    root, outside = base / "sandbox", base / "outside"
    (root / "subdir" / "deeper").mkdir(parents=True)
    (root / ".hidden").mkdir()
    outside.mkdir()
    (root / "file1.txt").write_text("Hello, World!")
    (root / "file2.py").write_text("def main():\n    return 1\n\n\ndef helper(x):\n    return x\n")
    (root / "data.json").write_text('{"a": 1}')
    (root / "subdir" / "nested.txt").write_text("nested text\n")
    (root / "subdir" / "deeper" / "deep.py").write_text("def deep():\n    pass\n")
    (root / ".hidden" / "h.txt").write_text("hidden\n")
    (root / "key.pem").write_text(PEM)
    (outside / "secret.txt").write_text(SECRET)
    (outside / "secret.py").write_text(f"# {SECRET}\ndef stolen():\n    pass\n")
    os.symlink(outside / "secret.txt", root / "link_to_secret.txt")  # file symlink out
    os.symlink(outside, root / "link_out")  # directory symlink out
    os.symlink(root / "file1.txt", root / "link_in.txt")  # symlink that stays inside
    os.symlink("../../outside/secret.txt", root / "subdir" / "relative_out.txt")  # relative symlink out
    os.symlink(root / "loop_a", root / "loop_b")
    os.symlink(root / "loop_b", root / "loop_a")
    return Layout(root, outside, FilesystemSecurity(base_directory=root))


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return build_layout(tmp_path)


@pytest.fixture
def sec(layout: Layout) -> FilesystemSecurity:
    return layout.security


@pytest.fixture
def root(layout: Layout) -> Path:
    return layout.root
