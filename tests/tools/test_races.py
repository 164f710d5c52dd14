"""Hole 4 (issue 10): check-then-use races. A thread swaps a sandbox directory for a symlink to the
outside (``renameat2(RENAME_EXCHANGE)``, atomic) in a tight loop while the tools run; whatever the timing, no
tool lists an outside name, reports an outside size, or creates anything outside."""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mamba_agents.tools import file_info, glob_search, list_directory, write_file
from mamba_agents.tools.filesystem import FilesystemSecurity

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux only")

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
OUTSIDE_SIZE = 12_345
STRESS_SECONDS = 1.0


def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "renameat2"):
        pytest.skip("this libc has no renameat2")
    return libc


@pytest.fixture
def swapping(tmp_path: Path) -> Iterator[tuple[Path, Path, Callable[[], int]]]:
    """``root/sub`` (a real directory) and ``root/swap`` (a symlink to ``outside``) trade places non-stop."""
    root, outside = tmp_path / "sandbox", tmp_path / "outside"
    (root / "sub" / "nested").mkdir(parents=True)
    (root / "sub" / "inner.txt").write_text("small")
    (root / "sub" / "nested" / "deep.txt").write_text("deep")
    (outside / "nested").mkdir(parents=True)
    (outside / "inner.txt").write_bytes(b"x" * OUTSIDE_SIZE)
    (outside / "OUTSIDE_ONLY.txt").write_bytes(b"x" * OUTSIDE_SIZE)
    (outside / "nested" / "deep.txt").write_bytes(b"x" * OUTSIDE_SIZE)
    os.symlink(outside, root / "swap")
    libc = _libc()
    stop = threading.Event()
    swaps = [0]
    a, b = bytes(root / "sub"), bytes(root / "swap")

    def swap() -> None:
        while not stop.is_set():
            if libc.renameat2(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE) != 0:
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err))
            swaps[0] += 1

    thread = threading.Thread(target=swap, daemon=True)
    thread.start()
    try:
        yield root, outside, lambda: swaps[0]
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def _hammer(call: Callable[[], Any], check: Callable[[Any], None]) -> tuple[int, int]:
    """Call ``call`` until the time is up; ``check`` every result. (calls that returned, calls refused)"""
    done = refused = 0
    deadline = time.monotonic() + STRESS_SECONDS
    while time.monotonic() < deadline:
        try:
            result = call()
        except (PermissionError, FileNotFoundError, NotADirectoryError, OSError):
            refused += 1
            continue
        check(result)
        done += 1
    return done, refused


def test_list_directory_never_lists_outside_names_or_sizes(swapping) -> None:
    root, _, swaps = swapping
    sec = FilesystemSecurity(base_directory=root)

    def check(entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            assert entry.get("name") != "OUTSIDE_ONLY.txt", entry
            assert entry.get("size") != OUTSIDE_SIZE, entry

    done, _ = _hammer(lambda: list_directory("sub", recursive=True, security=sec), check)
    assert done > 0 and swaps() > 100


def test_glob_search_never_returns_outside_names(swapping) -> None:
    root, _, swaps = swapping
    sec = FilesystemSecurity(base_directory=root)

    def check(paths: list[str]) -> None:
        assert not any("OUTSIDE_ONLY" in p for p in paths), paths

    done, _ = _hammer(lambda: glob_search("sub/**/*", security=sec), check)
    assert done > 0 and swaps() > 100
    done, _ = _hammer(lambda: glob_search("**/*.txt", security=sec), check)
    assert done > 0


def test_file_info_never_reports_an_outside_size(swapping) -> None:
    root, _, swaps = swapping
    sec = FilesystemSecurity(base_directory=root)

    def check(info: dict[str, Any]) -> None:
        assert info["size"] != OUTSIDE_SIZE, info

    done, _ = _hammer(lambda: file_info("sub/inner.txt", security=sec), check)
    assert done > 0 and swaps() > 100
    _hammer(lambda: file_info("sub/nested/deep.txt", security=sec), check)


def test_write_file_never_creates_a_directory_outside(swapping) -> None:
    root, outside, swaps = swapping
    sec = FilesystemSecurity(base_directory=root)
    counter = iter(range(10**9))

    def write() -> str:
        return write_file(f"sub/made{next(counter)}/deeper/new.txt", "data", security=sec)

    def check(shown: str) -> None:
        assert not shown.startswith(".."), shown

    before = sorted(p.relative_to(outside) for p in outside.rglob("*"))
    done, _ = _hammer(write, check)
    assert done > 0 and swaps() > 100
    assert sorted(p.relative_to(outside) for p in outside.rglob("*")) == before
