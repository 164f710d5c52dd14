"""Every sandbox hole of the original (original-mamba-agents.md §0.6 and §2e) and its kin, as a test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mamba_agents.tools import (
    ExtensionNotAllowedError,
    PathOutsideSandboxError,
    append_file,
    copy_file,
    delete_file,
    file_info,
    glob_search,
    grep_search,
    list_directory,
    move_file,
    read_file,
    run_bash,
    write_file,
)
from mamba_agents.tools.filesystem import FilesystemSecurity
from mamba_agents_tools.errors import InvalidArgumentError
from pydantic_ai import ToolFailed

from tests.tools.conftest import PEM, SECRET, Layout

ESCAPING_PATHS = [
    "../outside/secret.txt",
    "subdir/../../outside/secret.txt",
    "./../outside/secret.txt",
    "link_to_secret.txt",
    "link_out/secret.txt",
    "subdir/relative_out.txt",
    "link_out/../sandbox/../outside/secret.txt",
    "subdir/deeper/../../../outside/secret.txt",
]


def _absolute_escapes(layout: Layout) -> list[str]:
    return [str(layout.outside / "secret.txt"), "/etc/passwd", f"{layout.root}/../outside/secret.txt"]


# -- paths: `..`, absolute paths, symlinks ----------------------------------------------------------------


@pytest.mark.parametrize("path", ESCAPING_PATHS)
def test_read_file_cannot_leave_the_sandbox(sec: FilesystemSecurity, path: str) -> None:
    with pytest.raises(PathOutsideSandboxError) as info:
        read_file(path, security=sec)
    assert "outside the sandbox" in str(info.value)
    assert isinstance(info.value, ToolFailed) and isinstance(info.value, PermissionError)


def test_absolute_paths_outside_are_denied_and_inside_allowed(layout: Layout) -> None:
    for path in _absolute_escapes(layout):
        with pytest.raises(PathOutsideSandboxError):
            read_file(path, security=layout.security)
    assert read_file(str(layout.root / "file1.txt"), security=layout.security) == "Hello, World!"


@pytest.mark.parametrize(
    "call",
    [
        lambda s: write_file("../outside/new.txt", "x", security=s),
        lambda s: write_file("link_out/new.txt", "x", security=s),
        lambda s: write_file("link_to_secret.txt", "overwritten", security=s),
        lambda s: append_file("link_to_secret.txt", "appended", security=s),
        lambda s: append_file("../outside/secret.txt", "appended", security=s),
        lambda s: delete_file("link_out/secret.txt", security=s),
        lambda s: delete_file("../outside/secret.txt", security=s),
        lambda s: move_file("../outside/secret.txt", "stolen.txt", security=s),
        lambda s: move_file("file1.txt", "../outside/planted.txt", security=s),
        lambda s: move_file("file1.txt", "link_out", security=s),
        lambda s: copy_file("link_to_secret.txt", "copy.txt", security=s),
        lambda s: copy_file("file1.txt", "link_out/planted.txt", security=s),
        lambda s: file_info("../outside/secret.txt", security=s),
        lambda s: list_directory("..", security=s),
        lambda s: list_directory("link_out", security=s),
        lambda s: list_directory("/", security=s),
    ],
)
def test_every_file_tool_refuses_paths_outside(layout: Layout, call) -> None:
    before = {p.name: p.read_text() for p in layout.outside.iterdir()}
    with pytest.raises(PathOutsideSandboxError):
        call(layout.security)
    assert {p.name: p.read_text() for p in layout.outside.iterdir()} == before
    assert (layout.root / "file1.txt").read_text() == "Hello, World!"


def test_symlink_inside_the_sandbox_still_works(sec: FilesystemSecurity) -> None:
    assert read_file("link_in.txt", security=sec) == "Hello, World!"


def test_relative_paths_resolve_against_base_directory_not_cwd(
    layout: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "file1.txt").write_text("WRONG FILE")
    monkeypatch.chdir(elsewhere)
    assert read_file("file1.txt", security=layout.security) == "Hello, World!"
    write_file("made.txt", "here", security=layout.security)
    assert (layout.root / "made.txt").read_text() == "here"
    assert not (elsewhere / "made.txt").exists()


def test_symlink_loops_fail_cleanly(sec: FilesystemSecurity) -> None:
    with pytest.raises(OSError):
        read_file("loop_a", security=sec)


def test_nul_bytes_and_empty_paths_are_rejected(sec: FilesystemSecurity) -> None:
    with pytest.raises(InvalidArgumentError):
        read_file("file1.txt\0../../outside/secret.txt", security=sec)
    with pytest.raises(InvalidArgumentError):
        read_file("", security=sec)


def test_a_symlink_swapped_in_after_the_check_is_caught_when_opening(layout: Layout) -> None:
    """TOCTOU: the path is checked, then a directory on it becomes a symlink out before the open."""
    sec = layout.security
    (layout.root / "swap").mkdir()
    (layout.root / "swap" / "secret.txt").write_text("harmless")
    real = sec.resolve("swap/secret.txt")
    (layout.root / "swap" / "secret.txt").unlink()
    (layout.root / "swap").rmdir()
    os.symlink(layout.outside, layout.root / "swap")
    with pytest.raises(PathOutsideSandboxError):
        sec.open_file(real, "swap/secret.txt")


def test_a_final_symlink_is_never_followed_when_opening(layout: Layout) -> None:
    with pytest.raises(OSError):
        layout.security.open_file(layout.root / "link_to_secret.txt", "link_to_secret.txt")


def test_fifo_is_refused_without_blocking(layout: Layout) -> None:
    os.mkfifo(layout.root / "pipe.txt")
    with pytest.raises(IsADirectoryError, match="not a regular file"):
        read_file("pipe.txt", security=layout.security)


def test_sandbox_mode_off_allows_outside_but_keeps_extension_rules(layout: Layout) -> None:
    open_sec = FilesystemSecurity(sandbox_mode=False, base_directory=layout.root, denied_extensions=[".pem"])
    assert read_file("../outside/secret.txt", security=open_sec) == SECRET
    with pytest.raises(ExtensionNotAllowedError):
        read_file("key.pem", security=open_sec)


# -- glob and grep patterns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern", ["../*.txt", "../outside/*", "subdir/../../outside/*", "../**/*.txt", "/etc/*", "/*"]
)
def test_glob_patterns_cannot_start_outside(sec: FilesystemSecurity, pattern: str) -> None:
    with pytest.raises(PathOutsideSandboxError):
        glob_search(pattern, security=sec)


@pytest.mark.parametrize("pattern", ["*/../../outside/*", "**/../../*", "sub*/../../*"])
def test_glob_dotdot_after_a_wildcard_is_refused(sec: FilesystemSecurity, pattern: str) -> None:
    with pytest.raises(InvalidArgumentError, match=r"'\.\.' may not follow a wildcard"):
        glob_search(pattern, security=sec)


def test_glob_root_dir_outside_is_denied(layout: Layout) -> None:
    with pytest.raises(PathOutsideSandboxError):
        glob_search("*.txt", root_dir=str(layout.outside), security=layout.security)
    with pytest.raises(PathOutsideSandboxError):
        glob_search("*.txt", root_dir="link_out", security=layout.security)


def test_glob_never_returns_files_through_symlinks_out(sec: FilesystemSecurity) -> None:
    found = glob_search("**/*", include_hidden=True, security=sec)
    assert "link_to_secret.txt" not in found
    assert "subdir/relative_out.txt" not in found
    assert not any(p.startswith("link_out/") for p in found)
    assert "link_out" not in found
    assert "link_in.txt" in found


def test_glob_with_pattern_dotdot_inside_the_sandbox_is_fine(sec: FilesystemSecurity) -> None:
    assert glob_search("../*.txt", root_dir="subdir", security=sec) == ["file1.txt", "link_in.txt"]


@pytest.mark.parametrize("file_pattern", ["../*", "../outside/*", "/etc/*", "**/../../*"])
def test_grep_file_pattern_cannot_escape(sec: FilesystemSecurity, file_pattern: str) -> None:
    with pytest.raises(InvalidArgumentError):
        grep_search("SECRET", file_pattern=file_pattern, security=sec)


@pytest.mark.parametrize("path", ["..", "../outside", "link_out", "link_to_secret.txt", "/etc"])
def test_grep_path_cannot_escape(sec: FilesystemSecurity, path: str) -> None:
    with pytest.raises(PathOutsideSandboxError):
        grep_search("SECRET", path=path, security=sec)


def test_grep_does_not_read_files_through_symlinks_out(sec: FilesystemSecurity) -> None:
    assert grep_search("SECRET", include_hidden=True, security=sec) == []


# -- extension rules --------------------------------------------------------------------------------------


@pytest.fixture
def txt_only(layout: Layout) -> FilesystemSecurity:
    return FilesystemSecurity(base_directory=layout.root, allowed_extensions=[".txt", ".json", ".py"])


@pytest.fixture
def no_pem(layout: Layout) -> FilesystemSecurity:
    return FilesystemSecurity(base_directory=layout.root, denied_extensions=[".pem", ".env"])


@pytest.mark.parametrize("path", ["key.pem", "KEY.PEM", "subdir/../key.pem", "file1.txt/../key.pem"])
def test_denied_extension_cannot_be_read_however_spelled(layout: Layout, no_pem, path: str) -> None:
    (layout.root / "KEY.PEM").write_text(PEM)
    with pytest.raises(ExtensionNotAllowedError, match=r"denied extension '\.pem'"):
        read_file(path, security=no_pem)


def test_double_extension_does_not_bypass_a_deny_rule(layout: Layout, no_pem) -> None:
    (layout.root / "key.pem.txt").write_text(PEM)
    (layout.root / "key.PEM.bak").write_text(PEM)
    for name in ("key.pem.txt", "key.PEM.bak"):
        with pytest.raises(ExtensionNotAllowedError):
            read_file(name, security=no_pem)
    with pytest.raises(ExtensionNotAllowedError):
        write_file("new.pem.txt", "x", security=no_pem)


def test_dotfile_counts_as_its_extension(layout: Layout, no_pem) -> None:
    (layout.root / ".env").write_text("OPENAI_API_KEY=sk-live")
    (layout.root / ".env.local").write_text("OPENAI_API_KEY=sk-live")
    for name in (".env", ".env.local", ".ENV"):
        with pytest.raises(ExtensionNotAllowedError):
            read_file(name, security=no_pem)


def test_symlink_with_allowed_name_to_denied_target_is_denied(layout: Layout, no_pem) -> None:
    os.symlink(layout.root / "key.pem", layout.root / "innocent.txt")
    with pytest.raises(ExtensionNotAllowedError):
        read_file("innocent.txt", security=no_pem)
    with pytest.raises(ExtensionNotAllowedError):
        copy_file("innocent.txt", "copy.txt", security=no_pem)


def test_rename_cannot_launder_an_extension(layout: Layout, no_pem, txt_only) -> None:
    with pytest.raises(ExtensionNotAllowedError):
        move_file("key.pem", "key.txt", security=no_pem)
    with pytest.raises(ExtensionNotAllowedError):
        move_file("file1.txt", "file1.sh", security=txt_only)
    with pytest.raises(ExtensionNotAllowedError):
        copy_file("file1.txt", "run.sh", security=txt_only)
    assert (layout.root / "key.pem").read_text() == PEM


@pytest.mark.parametrize(
    "path", ["x.txt/../key.pem", "file1.txt/../key.pem", "subdir/nested.txt/../../key.pem"]
)
def test_allow_list_cannot_be_bypassed_with_a_dotdot_name(txt_only, path: str) -> None:
    with pytest.raises(ExtensionNotAllowedError):
        read_file(path, security=txt_only)


def test_allow_list_is_case_insensitive_and_refuses_unlisted(layout: Layout, txt_only) -> None:
    (layout.root / "UPPER.TXT").write_text("upper")
    assert read_file("UPPER.TXT", security=txt_only) == "upper"
    with pytest.raises(ExtensionNotAllowedError, match=r"allowed: \.json, \.py, \.txt"):
        write_file("script.sh", "rm -rf /", security=txt_only)
    with pytest.raises(ExtensionNotAllowedError):
        write_file("Makefile", "all:", security=txt_only)
    assert not (layout.root / "script.sh").exists()


def test_directories_can_be_listed_and_searched_under_an_allow_list(txt_only) -> None:
    listing = list_directory(".", recursive=True, security=txt_only)
    paths = {e["path"] for e in listing}
    assert {"subdir", "subdir/deeper", "file1.txt", "file2.py", "subdir/deeper/deep.py"} <= paths
    assert "key.pem" not in paths
    assert file_info("subdir", security=txt_only)["is_dir"] is True
    assert glob_search("**/*.py", security=txt_only) == ["file2.py", "subdir/deeper/deep.py"]
    assert [m.file for m in grep_search("def ", security=txt_only)] == [
        "file2.py",
        "file2.py",
        "subdir/deeper/deep.py",
    ]


def test_searches_skip_files_the_rules_hide(no_pem) -> None:
    assert "key.pem" not in glob_search("*", security=no_pem)
    assert grep_search("PRIVATE KEY", security=no_pem) == []
    assert all(e["name"] != "key.pem" for e in list_directory(security=no_pem))
    with pytest.raises(ExtensionNotAllowedError):
        grep_search("PRIVATE", path="key.pem", security=no_pem)


# -- the bash tool ----------------------------------------------------------------------------------------


def test_run_bash_working_dir_must_be_inside(layout: Layout) -> None:
    with pytest.raises(PathOutsideSandboxError):
        run_bash("pwd", working_dir="..", security=layout.security)
    with pytest.raises(PathOutsideSandboxError):
        run_bash("pwd", working_dir="link_out", security=layout.security)
    assert run_bash("pwd", security=layout.security).stdout.strip() == str(layout.root)


def test_move_and_copy_into_a_directory_under_an_allow_list(layout: Layout, txt_only) -> None:
    assert copy_file("file1.txt", "subdir", security=txt_only) == "subdir/file1.txt"
    assert move_file("data.json", "subdir/deeper", security=txt_only) == "subdir/deeper/data.json"


def test_copy_into_a_directory_does_not_follow_a_planted_symlink_out(layout: Layout) -> None:
    os.symlink(layout.outside / "secret.txt", layout.root / "subdir" / "file1.txt")
    with pytest.raises(PathOutsideSandboxError):
        copy_file("file1.txt", "subdir", security=layout.security)
    with pytest.raises(PathOutsideSandboxError):
        move_file("file1.txt", "subdir", security=layout.security)
    assert (layout.outside / "secret.txt").read_text() == SECRET
