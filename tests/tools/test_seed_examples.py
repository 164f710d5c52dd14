"""The seed README's "Built-in Tools" examples, run as written (in a temporary project directory)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mamba_agents.tools import GrepMatch


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The README's ``/project``: a small tree, with the working directory at the top of it."""
    monkeypatch.chdir(tmp_path)
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "main.py").write_text("def main():\n    return run()\n")
    (project / "pkg" / "util.py").write_text("import os\n\n\ndef run():\n    return 0\n")
    (tmp_path / "config.json").write_text('{"debug": true}')
    return project


def test_usage_examples(project: Path) -> None:
    from mamba_agents.tools import (
        glob_search,
        grep_search,
        list_directory,
        read_file,
        run_bash,
        write_file,
    )

    # File operations
    content = read_file("config.json")
    write_file("output.txt", "Hello, World!")
    entries = list_directory(str(project), recursive=True)

    assert json.loads(content) == {"debug": True}
    assert Path("output.txt").read_text() == "Hello, World!"
    assert {e["path"] for e in entries} == {"project/main.py", "project/pkg", "project/pkg/util.py"}

    # Search for files by pattern
    py_files = glob_search("**/*.py", root_dir=str(project))
    assert py_files == ["project/main.py", "project/pkg/util.py"]

    # Search file contents
    matches = grep_search(
        pattern=r"def \w+",
        path=str(project),
        file_pattern="*.py",
        context_lines=2,
    )
    assert [(m.file, m.line_number, m.line) for m in matches] == [
        ("project/main.py", 1, "def main():"),
        ("project/pkg/util.py", 4, "def run():"),
    ]
    assert isinstance(matches[1], GrepMatch) and matches[1].context_before == ["", ""]

    # Run shell commands
    result = run_bash("ls -la", timeout=30)
    print(result.stdout)
    assert "config.json" in result.stdout and result.return_code == 0


def test_security_sandbox_example(tmp_path: Path) -> None:
    from mamba_agents.tools import read_file
    from mamba_agents.tools.filesystem import FilesystemSecurity

    safe = tmp_path / "safe" / "path"
    safe.mkdir(parents=True)
    (safe / "data.txt").write_text("sandboxed data")
    (safe / "run.sh").write_text("echo hi")

    security = FilesystemSecurity(
        sandbox_mode=True,
        base_directory=str(safe),
        allowed_extensions=[".txt", ".json", ".py"],
    )

    # Pass security context to tools
    content = read_file("data.txt", security=security)
    assert content == "sandboxed data"
    with pytest.raises(PermissionError, match="allowed extension"):
        read_file("run.sh", security=security)
    with pytest.raises(PermissionError, match="outside the sandbox"):
        read_file("../../outside.txt", security=security)
