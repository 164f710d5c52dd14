"""glob_search and grep_search: matching rules, hidden files, limits, binary and oversized files."""

from __future__ import annotations

from pathlib import Path

import pytest
from mamba_agents.tools import GrepMatch, glob_search, grep_search
from mamba_agents.tools.filesystem import FilesystemSecurity
from mamba_agents_tools.errors import InvalidArgumentError
from mamba_agents_tools.patterns import SegmentMatcher

# -- glob -------------------------------------------------------------------------------------------------


def test_glob_recursive_and_flat(sec: FilesystemSecurity) -> None:
    assert glob_search("**/*.py", security=sec) == ["file2.py", "subdir/deeper/deep.py"]
    assert glob_search("*.py", security=sec) == ["file2.py"]
    assert glob_search("**/*.py", recursive=False, security=sec) == []  # '**' acts as '*': one level down
    assert glob_search("*/*.txt", security=sec) == ["subdir/nested.txt"]
    assert glob_search("subdir/**", security=sec) == [
        "subdir/deeper",
        "subdir/deeper/deep.py",
        "subdir/nested.txt",
    ]


def test_glob_from_root_dir_returns_paths_relative_to_the_sandbox(
    sec: FilesystemSecurity, root: Path
) -> None:
    assert glob_search("*.txt", root_dir="subdir", security=sec) == ["subdir/nested.txt"]
    assert glob_search("*.py", root_dir=str(root / "subdir/deeper"), security=sec) == [
        "subdir/deeper/deep.py"
    ]
    assert glob_search(f"{root}/subdir/*.txt", security=sec) == ["subdir/nested.txt"]


def test_glob_hidden_files_only_when_asked(sec: FilesystemSecurity) -> None:
    assert ".hidden/h.txt" not in glob_search("**/*.txt", security=sec)
    assert ".hidden/h.txt" in glob_search("**/*.txt", include_hidden=True, security=sec)
    assert glob_search(".hidden/*", security=sec) == [".hidden/h.txt"]
    assert glob_search(".*", security=sec) == [".hidden"]


def test_glob_literal_path_and_missing(sec: FilesystemSecurity) -> None:
    assert glob_search("subdir/nested.txt", security=sec) == ["subdir/nested.txt"]
    assert glob_search("subdir/absent.txt", security=sec) == []
    assert glob_search("absent/**/*.py", security=sec) == []


def test_glob_max_results_truncates(sec: FilesystemSecurity) -> None:
    everything = glob_search("**/*", security=sec)
    assert len(everything) > 3 and not everything.truncated
    capped = glob_search("**/*", max_results=2, security=sec)
    assert len(capped) == 2 and capped.truncated


def test_glob_rejects_bad_patterns(sec: FilesystemSecurity) -> None:
    for bad in ("", "a**b/*.py", "x\0y"):
        with pytest.raises(InvalidArgumentError):
            glob_search(bad, security=sec)
    with pytest.raises(InvalidArgumentError):
        glob_search("*", max_results=0, security=sec)


def test_segment_matcher() -> None:
    m = SegmentMatcher(["**", "*.py"])
    assert m.matches(["a.py"]) and m.matches(["x", "y", "a.py"])
    assert not m.matches([".venv", "a.py"]) and not m.matches(["a.txt"])
    assert SegmentMatcher(["**", "*.py"], include_hidden=True).matches([".venv", "a.py"])
    assert SegmentMatcher(["a", "**"]).matches(["a"]) and SegmentMatcher(["a", "**"]).matches(["a", "b", "c"])
    assert SegmentMatcher(["[ab]?", "*"]).matches(["bx", "z"]) and not SegmentMatcher(["[ab]?"]).matches(
        ["cx"]
    )


def test_pathological_glob_terminates(root: Path, sec: FilesystemSecurity) -> None:
    (root / ("a" * 200)).write_text("x")
    assert glob_search("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", security=sec) == []
    assert glob_search("**/**/**/**/**/**/**/**/*.none", security=sec) == []


# -- grep -------------------------------------------------------------------------------------------------


def test_grep_seed_example(sec: FilesystemSecurity) -> None:
    matches = grep_search(pattern=r"def \w+", path=".", file_pattern="*.py", context_lines=2, security=sec)
    assert [(m.file, m.line_number) for m in matches] == [
        ("file2.py", 1),
        ("file2.py", 5),
        ("subdir/deeper/deep.py", 1),
    ]
    second = matches[1]
    assert isinstance(second, GrepMatch)
    assert second.line == "def helper(x):"
    assert second.context_before == ["", ""] and second.context_after == ["    return x"]


def test_grep_options(root: Path, sec: FilesystemSecurity) -> None:
    (root / "notes.txt").write_text("Price: $5 (approx)\nprice: 7\nPRICE 9\n")
    assert [m.line_number for m in grep_search("price", path="notes.txt", security=sec)] == [2]
    assert len(grep_search("price", path="notes.txt", ignore_case=True, security=sec)) == 3
    assert [m.line for m in grep_search("$5 (", regex=False, security=sec)] == ["Price: $5 (approx)"]
    assert [m.file for m in grep_search("nested", recursive=False, security=sec)] == []
    assert [m.file for m in grep_search("nested", file_pattern="subdir/*.txt", security=sec)] == [
        "subdir/nested.txt"
    ]


def test_grep_invalid_regex_is_a_retry_with_a_hint(sec: FilesystemSecurity) -> None:
    with pytest.raises(InvalidArgumentError, match="regex=false"):
        grep_search("(unclosed", security=sec)
    with pytest.raises(InvalidArgumentError):
        grep_search("x", context_lines=-1, security=sec)


def test_grep_max_results_truncates(root: Path, sec: FilesystemSecurity) -> None:
    (root / "many.txt").write_text("hit\n" * 50)
    found = grep_search("hit", max_results=10, security=sec)
    assert len(found) == 10 and found.truncated
    assert not grep_search("hit", max_results=50, security=sec).truncated


def test_grep_skips_binary_and_oversized_files(root: Path) -> None:
    (root / "blob.txt").write_bytes(b"needle\0\0\0binary")
    (root / "large.txt").write_text("needle\n" + "x" * 5_000)
    (root / "small.txt").write_text("needle\n")
    sec = FilesystemSecurity(base_directory=root, max_file_size=1_000)
    found = grep_search("needle", security=sec)
    assert [m.file for m in found] == ["small.txt"]
    assert found.files_skipped == 3  # blob.txt, large.txt, and key.pem: a secret by name is never read


def test_grep_missing_path(sec: FilesystemSecurity) -> None:
    with pytest.raises(FileNotFoundError):
        grep_search("x", path="absent", security=sec)


def test_grep_crlf_and_no_trailing_newline(root: Path, sec: FilesystemSecurity) -> None:
    (root / "win.txt").write_bytes(b"one\r\ntwo\r\nthree")
    assert [(m.line_number, m.line) for m in grep_search("t", path="win.txt", security=sec)] == [
        (2, "two"),
        (3, "three"),
    ]
