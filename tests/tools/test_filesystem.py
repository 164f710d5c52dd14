"""The eight file tools called directly: results, errors, limits, read-only mode."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from mamba_agents.tools import (
    BinaryFileError,
    FileTooLargeError,
    PathNotFoundError,
    ReadOnlyError,
    append_file,
    copy_file,
    delete_file,
    file_info,
    list_directory,
    move_file,
    read_file,
    write_file,
)
from mamba_agents.tools.filesystem import FilesystemSecurity
from mamba_agents_tools.errors import InvalidArgumentError
from mamba_agents_tools.filesystem import read_window
from pydantic_ai import ToolFailed

from tests.tools.conftest import Layout

# -- FilesystemSecurity ----------------------------------------------------------------------------------


def test_security_accepts_the_seed_fields_and_rejects_unknown_ones(root: Path) -> None:
    sec = FilesystemSecurity(sandbox_mode=True, base_directory=str(root), allowed_extensions=["txt", ".JSON"])
    assert sec.base_directory == root.resolve()
    assert sec.allowed_extensions == {".txt", ".json"}
    with pytest.raises(ValueError, match="extra"):
        FilesystemSecurity(base_directory=root, sandboxmode=True)


def test_security_base_directory_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        FilesystemSecurity(base_directory=tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        FilesystemSecurity(base_directory=tmp_path / "file")


def test_security_rejects_bad_extensions(root: Path) -> None:
    for bad in ("", ".", "a/b"):
        with pytest.raises(ValueError, match="not a file extension"):
            FilesystemSecurity(base_directory=root, denied_extensions=[bad])


def test_security_from_config(root: Path) -> None:
    from mamba_agents.config import ToolsConfig

    cfg = ToolsConfig(base_directory=root, allowed_extensions=["TXT"], read_only=True, max_file_size=100)
    sec = FilesystemSecurity.from_config(cfg)
    assert (sec.base_directory, sec.allowed_extensions, sec.read_only, sec.max_file_size) == (
        root.resolve(),
        {".txt"},
        True,
        100,
    )


def test_validate_path_applies_the_tools_rules(root: Path) -> None:
    from mamba_agents_tools.errors import (
        ExtensionNotAllowedError,
        PathOutsideSandboxError,
        ProtectedPathError,
    )

    (root / "notes.txt").write_text("x")
    (root / "run.sh").write_text("x")
    (root / ".env").write_text("KEY=1")
    (root / "link.txt").symlink_to("/etc/hostname")
    sec = FilesystemSecurity(base_directory=root, allowed_extensions=[".txt"])
    assert sec.validate_path("notes.txt") == root.resolve() / "notes.txt"
    assert sec.validate_path("sub/../notes.txt") == root.resolve() / "notes.txt"
    with pytest.raises(ExtensionNotAllowedError):
        sec.validate_path("run.sh")
    with pytest.raises(PathOutsideSandboxError):
        sec.validate_path("../outside.txt")
    with pytest.raises(PathOutsideSandboxError):
        sec.validate_path("link.txt")
    with pytest.raises(ProtectedPathError):
        FilesystemSecurity(base_directory=root).validate_path(".env")


def test_default_security_is_the_current_directory(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root / "subdir")
    assert read_file("nested.txt") == "nested text\n"
    with pytest.raises(PermissionError):
        read_file("../file1.txt")


# -- read_file --------------------------------------------------------------------------------------------


def test_read_file_and_errors(sec: FilesystemSecurity, root: Path) -> None:
    assert read_file("file1.txt", security=sec) == "Hello, World!"
    with pytest.raises(PathNotFoundError, match=r"File not found: 'nope\.txt'") as missing:
        read_file("nope.txt", security=sec)
    assert isinstance(missing.value, FileNotFoundError) and isinstance(missing.value, ToolFailed)
    with pytest.raises(IsADirectoryError, match="list_directory"):
        read_file("subdir", security=sec)


def test_read_file_offset_and_limit(root: Path, sec: FilesystemSecurity) -> None:
    (root / "lines.txt").write_text("".join(f"line {i}\n" for i in range(10)))
    assert read_file("lines.txt", offset=3, limit=2, security=sec) == "line 3\nline 4\n"
    assert read_file("lines.txt", offset=8, security=sec) == "line 8\nline 9\n"
    with pytest.raises(InvalidArgumentError, match="past the end"):
        read_file("lines.txt", offset=10, security=sec)
    with pytest.raises(InvalidArgumentError, match="offset must be 0 or more"):
        read_file("lines.txt", offset=-1, security=sec)
    with pytest.raises(InvalidArgumentError, match="limit must be at least 1"):
        read_file("lines.txt", limit=0, security=sec)


def test_read_window_pages_through_a_large_file(root: Path, sec: FilesystemSecurity) -> None:
    content = "".join(f"{i:05d} {'x' * 90}\n" for i in range(500))
    (root / "big.txt").write_text(content)
    pieces, offset = [], 0
    while True:
        window = read_window("big.txt", offset=offset, max_chars=5_000, security=sec)
        assert len(window.text) <= 5_000
        pieces.append(window.text)
        if window.next_offset is None:
            break
        offset = window.next_offset
    assert "".join(pieces) == content
    assert len(pieces) > 5


def test_read_window_cuts_a_single_overlong_line(root: Path, sec: FilesystemSecurity) -> None:
    (root / "min.json").write_text("[" + "1," * 10_000 + "1]")
    window = read_window("min.json", max_chars=1_000, security=sec)
    assert window.line_cut and len(window.text) == 1_000 and not window.complete


# Text that is not UTF-8 is read as Windows-1252/Latin-1 (test_encodings.py); control bytes mean binary.
NOT_TEXT = [b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", b"\x01\x02\xfa not utf-8 \xc3\x28\x03"]


@pytest.mark.parametrize("payload", NOT_TEXT)
def test_binary_files_are_detected_not_dumped(root: Path, sec: FilesystemSecurity, payload: bytes) -> None:
    (root / "image.txt").write_bytes(payload * 100)
    with pytest.raises(BinaryFileError, match="binary") as info:
        read_file("image.txt", security=sec)
    assert isinstance(info.value, ToolFailed)
    assert "PNG" not in str(info.value)


def test_utf16_text_is_not_mistaken_for_binary(root: Path, sec: FilesystemSecurity) -> None:
    (root / "wide.txt").write_text("héllo", encoding="utf-16")
    assert read_file("wide.txt", encoding="utf-16", security=sec) == "héllo"


def test_read_size_limit(root: Path) -> None:
    sec = FilesystemSecurity(base_directory=root, max_file_size=10)
    with pytest.raises(FileTooLargeError, match="larger than the 10-byte limit") as info:
        read_file("file1.txt", security=sec)
    assert isinstance(info.value, PermissionError)


# -- write_file / append_file -----------------------------------------------------------------------------


def test_write_file_creates_parents_and_returns_relative_path(sec: FilesystemSecurity, root: Path) -> None:
    assert write_file("new/dir/out.txt", "Hello, World!", security=sec) == "new/dir/out.txt"
    assert (root / "new/dir/out.txt").read_text() == "Hello, World!"
    with pytest.raises(PathNotFoundError, match="parent directory"):
        write_file("absent/out.txt", "x", create_parents=False, security=sec)


def test_write_file_overwrites_atomically_and_keeps_the_mode(sec: FilesystemSecurity, root: Path) -> None:
    target = root / "script.py"
    target.write_text("old")
    target.chmod(0o750)
    write_file("script.py", "new", security=sec)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    assert not [p for p in root.iterdir() if p.name.startswith(".mamba-")]


def test_write_through_an_inside_symlink_writes_the_target(sec: FilesystemSecurity, root: Path) -> None:
    write_file("link_in.txt", "changed", security=sec)
    assert (root / "file1.txt").read_text() == "changed"
    assert (root / "link_in.txt").is_symlink()


def test_write_file_refuses_directories_and_non_text(sec: FilesystemSecurity) -> None:
    with pytest.raises(IsADirectoryError):
        write_file("subdir", "x", security=sec)
    with pytest.raises(InvalidArgumentError, match="content must be text"):
        write_file("x.txt", b"bytes", security=sec)  # type: ignore[arg-type]


def test_write_and_append_size_limits(root: Path) -> None:
    sec = FilesystemSecurity(base_directory=root, max_file_size=20)
    with pytest.raises(FileTooLargeError):
        write_file("big.txt", "x" * 21, security=sec)
    assert not (root / "big.txt").exists()
    write_file("small.txt", "x" * 15, security=sec)
    with pytest.raises(FileTooLargeError, match="after appending"):
        append_file("small.txt", "y" * 6, security=sec)
    assert (root / "small.txt").read_text() == "x" * 15
    (root / "huge.txt").write_text("z" * 100)
    with pytest.raises(FileTooLargeError):
        copy_file("huge.txt", "huge2.txt", security=sec)
    assert not (root / "huge2.txt").exists()


def test_append_file_creates_then_appends(sec: FilesystemSecurity, root: Path) -> None:
    assert append_file("log/app.log", "one\n", security=sec) == "log/app.log"
    append_file("log/app.log", "two\n", security=sec)
    assert (root / "log/app.log").read_text() == "one\ntwo\n"


# -- list_directory / file_info ---------------------------------------------------------------------------


def test_list_directory_sorted_with_metadata(sec: FilesystemSecurity) -> None:
    entries = list_directory(".", security=sec)
    names = [e["name"] for e in entries]
    assert names == sorted(names)
    assert {"file1.txt", "subdir", ".hidden", "link_in.txt"} <= set(names)
    assert not {"link_out", "link_to_secret.txt", "loop_a", "loop_b"} & set(names)
    by_name = {e["name"]: e for e in entries}
    assert by_name["file1.txt"] | {"modified": None} == {
        "name": "file1.txt",
        "path": "file1.txt",
        "is_file": True,
        "is_dir": False,
        "is_symlink": False,
        "size": 13,
        "modified": None,
    }
    assert by_name["subdir"]["is_dir"] and by_name["subdir"]["size"] is None
    assert by_name["link_in.txt"]["is_symlink"] is True
    assert "subdir/nested.txt" not in {e["path"] for e in entries}


def test_list_directory_recursive_depth_and_cap(sec: FilesystemSecurity) -> None:
    everything = {e["path"] for e in list_directory(".", recursive=True, security=sec)}
    assert {"subdir/nested.txt", "subdir/deeper/deep.py", ".hidden/h.txt"} <= everything
    shallow = {e["path"] for e in list_directory(".", recursive=True, max_depth=2, security=sec)}
    assert "subdir/nested.txt" in shallow and "subdir/deeper/deep.py" not in shallow
    capped = list_directory(".", recursive=True, max_entries=3, security=sec)
    assert len(capped) == 3 and capped.truncated
    assert not list_directory(".", security=sec).truncated


def test_list_directory_errors(sec: FilesystemSecurity) -> None:
    with pytest.raises(FileNotFoundError, match="Directory not found"):
        list_directory("absent", security=sec)
    with pytest.raises(NotADirectoryError):
        list_directory("file1.txt", security=sec)


def test_file_info(sec: FilesystemSecurity) -> None:
    info = file_info("file1.txt", security=sec)
    assert info["size"] == 13 and info["is_file"] and not info["is_dir"]
    assert {"name", "path", "modified", "created", "is_symlink"} <= set(info)
    assert file_info("link_in.txt", security=sec)["is_symlink"] is True
    with pytest.raises(FileNotFoundError):
        file_info("absent.txt", security=sec)


# -- delete / move / copy ---------------------------------------------------------------------------------


def test_delete_file(sec: FilesystemSecurity, root: Path) -> None:
    assert delete_file("file1.txt", security=sec) is True
    assert not (root / "file1.txt").exists()
    with pytest.raises(FileNotFoundError):
        delete_file("file1.txt", security=sec)
    with pytest.raises(IsADirectoryError):
        delete_file("subdir", security=sec)


def test_delete_a_symlink_removes_the_link_not_the_target(sec: FilesystemSecurity, root: Path) -> None:
    delete_file("link_in.txt", security=sec)
    assert not (root / "link_in.txt").exists() and (root / "file1.txt").exists()


def test_move_file_rename_and_into_directory(sec: FilesystemSecurity, root: Path) -> None:
    assert move_file("file1.txt", "renamed.txt", security=sec) == "renamed.txt"
    assert move_file("renamed.txt", "subdir", security=sec) == "subdir/renamed.txt"
    assert (root / "subdir/renamed.txt").read_text() == "Hello, World!"
    assert move_file("subdir/renamed.txt", "new/place/final.txt", security=sec) == "new/place/final.txt"
    with pytest.raises(FileNotFoundError):
        move_file("file1.txt", "x.txt", security=sec)
    with pytest.raises(IsADirectoryError):
        move_file("subdir", "elsewhere", security=sec)


def test_copy_file_keeps_mode_and_times(sec: FilesystemSecurity, root: Path) -> None:
    src = root / "file2.py"
    src.chmod(0o640)
    os.utime(src, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    assert copy_file("file2.py", "subdir", security=sec) == "subdir/file2.py"
    copied = root / "subdir/file2.py"
    assert copied.read_text() == src.read_text()
    assert stat.S_IMODE(copied.stat().st_mode) == 0o640
    assert copied.stat().st_mtime_ns == src.stat().st_mtime_ns
    with pytest.raises(InvalidArgumentError, match="same file"):
        copy_file("file2.py", "file2.py", security=sec)
    with pytest.raises(IsADirectoryError):
        copy_file("subdir", "x", security=sec)


# -- read-only mode ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda s: write_file("new.txt", "x", security=s),
        lambda s: append_file("file1.txt", "x", security=s),
        lambda s: delete_file("file1.txt", security=s),
        lambda s: move_file("file1.txt", "moved.txt", security=s),
        lambda s: copy_file("file1.txt", "copy.txt", security=s),
    ],
)
def test_read_only_mode_refuses_every_change(layout: Layout, call) -> None:
    sec = FilesystemSecurity(base_directory=layout.root, read_only=True)
    before = sorted(p.name for p in layout.root.iterdir())
    with pytest.raises(ReadOnlyError, match="read-only mode") as info:
        call(sec)
    assert isinstance(info.value, PermissionError)
    assert sorted(p.name for p in layout.root.iterdir()) == before
    assert (layout.root / "file1.txt").read_text() == "Hello, World!"
    assert read_file("file1.txt", security=sec) == "Hello, World!"
