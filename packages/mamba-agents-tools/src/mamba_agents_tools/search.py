"""``glob_search`` and ``grep_search``: walk the sandbox, never follow a symlink out of it, skip what the
extension rules hide, and stop at a result limit (``result.truncated`` says when).

Patterns are matched by the ``regex`` module (the same syntax as ``re``) with a deadline: a catastrophic
pattern such as ``(a+)+$`` stops when the search's time is up (``result.timed_out``), instead of holding the
process (and, with ``re``, the GIL, which no ``asyncio`` timeout can interrupt) for minutes.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import regex

from mamba_agents_tools.errors import InvalidArgumentError, PathNotFoundError, PathOutsideSandboxError
from mamba_agents_tools.patterns import SegmentMatcher, name_matcher, split_pattern
from mamba_agents_tools.results import ResultList, builtin_tool
from mamba_agents_tools.security import FilesystemSecurity, default_security, real_path
from mamba_agents_tools.text import UndecodableError, decode_text

__all__ = ["GrepMatch", "GrepResults", "glob_search", "grep_search"]

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def _walk(
    sec: FilesystemSecurity, start: Path, matcher: SegmentMatcher, *, recursive: bool = True
) -> Iterator[tuple[str, str, bool]]:
    """``(entry path, resolved path, is_dir)`` for every entry under ``start`` the matcher accepts, directory
    by directory in name order. Each directory is read through a descriptor opened by name from its parent's
    with ``O_NOFOLLOW``, so a directory swapped for a symlink mid-walk is not entered and no outside name is
    listed. Symlinked directories are never entered; entries that resolve outside the sandbox are skipped."""
    with sec.directory(start, sec.display(start)) as fd:
        yield from _walk_fd(sec, fd, str(start), matcher.start(), matcher, recursive)


def _walk_fd(
    sec: FilesystemSecurity,
    fd: int,
    directory: str,
    states: set[int],
    matcher: SegmentMatcher,
    recursive: bool,
) -> Iterator[tuple[str, str, bool]]:
    try:
        with os.scandir(fd) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError:
        return
    below: list[tuple[str, str, set[int]]] = []
    for entry in entries:
        next_states = matcher.step(states, entry.name)
        if not next_states:
            continue
        path = os.path.join(directory, entry.name)
        try:
            info = entry.stat(follow_symlinks=False)
            is_link = stat.S_ISLNK(info.st_mode)
            if is_link:
                real = os.fspath(real_path(path))
                if sec.sandbox_mode and not sec.contains(real):
                    continue
                is_dir = stat.S_ISDIR(sec.stat_resolved(Path(real), sec.display(path)).st_mode)
            else:
                real = path
                is_dir = stat.S_ISDIR(info.st_mode)
        except OSError:  # a broken symlink, a loop, or gone or changed since the listing
            continue
        if not is_dir and not (
            sec.extension_allowed(entry.name)
            and (not is_link or sec.extension_allowed(os.path.basename(real)))
        ):
            continue
        if matcher.accepts(next_states):
            yield path, real, is_dir
        if is_dir and not is_link and recursive and matcher.can_continue(next_states):
            below.append((entry.name, path, next_states))
    for name, path, child_states in below:
        try:
            child = os.open(name, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=fd)
        except OSError:  # replaced by a symlink (or removed) since it was listed: not entered
            continue
        try:
            yield from _walk_fd(sec, child, path, child_states, matcher, recursive)
        finally:
            os.close(child)


# Ceilings for what a caller (on a plain pydantic-ai route, the model) may ask for: above them the search
# stops with ``truncated`` set, so one call cannot build an unbounded result.
MAX_RESULTS = 10_000
MAX_CONTEXT_LINES = 100


@builtin_tool
def glob_search(
    pattern: str,
    root_dir: str = ".",
    recursive: bool = True,
    max_results: int = 1000,
    include_hidden: bool = False,
    *,
    security: FilesystemSecurity | None = None,
) -> ResultList[str]:
    """Paths (relative to the sandbox root, sorted) of files and directories matching ``pattern``.

    ``*``, ``?`` and ``[...]`` match within one name, ``**`` any number of directories (``recursive=False``
    makes it a plain ``*``). Names starting with ``.`` match only when the pattern says so or with
    ``include_hidden``. ``..`` may appear only before the first wildcard, and the start directory must be
    inside the sandbox.
    """
    sec = default_security(security)
    if max_results < 1:
        raise InvalidArgumentError(f"max_results must be at least 1, got {max_results}")
    max_results = min(max_results, MAX_RESULTS)
    absolute, prefix, rest = split_pattern(pattern)
    if not recursive:
        rest = ["*" if seg == "**" else seg for seg in rest]
    start_path = Path("/", *prefix) if absolute else Path(root_dir, *prefix)
    try:
        start = sec.resolve(start_path)
    except PathOutsideSandboxError:
        raise PathOutsideSandboxError(
            f"Access denied: the glob pattern {pattern!r} (from root_dir {root_dir!r}) starts outside the "
            "sandbox directory; searches must stay inside it."
        ) from None
    results: ResultList[str] = ResultList()
    if not rest:  # no wildcard at all: the pattern names one path
        if start.exists() and (start.is_dir() or sec.allowed_file(start)):
            results.append(sec.display(start))
        return results
    if not start.is_dir():
        return results
    matcher = SegmentMatcher(rest, include_hidden=include_hidden)
    for path, _real, _is_dir in _walk(sec, start, matcher):
        if len(results) >= max_results:
            results.truncated = True
            break
        results.append(sec.display(path))
    results.sort()
    return results


@dataclass(frozen=True)
class GrepMatch:
    """One matching line: ``file`` relative to the sandbox root, ``line_number`` counted from 1."""

    file: str
    line_number: int
    line: str
    context_before: list[str] = field(default_factory=list)
    context_after: list[str] = field(default_factory=list)


DEFAULT_SEARCH_TIMEOUT = 10.0


class GrepResults(ResultList[GrepMatch]):
    """The matches, plus how many files were searched and how many were skipped (binary or too large), and
    ``timed_out``: the search's deadline passed (the matches found until then are kept)."""

    files_searched: int = 0
    files_skipped: int = 0
    timed_out: bool = False


def _compile(pattern: str, *, is_regex: bool, ignore_case: bool) -> regex.Pattern[str]:
    if not isinstance(pattern, str) or pattern == "":
        raise InvalidArgumentError("pattern is empty")
    flags = regex.IGNORECASE if ignore_case else 0
    try:
        return regex.compile(pattern if is_regex else regex.escape(pattern), flags)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise InvalidArgumentError(
            f"invalid regular expression {pattern!r}: {exc}; pass regex=false to search for the literal text"
        ) from None


def _file_lines(sec: FilesystemSecurity, real: str) -> list[str] | None:
    """The lines of a text file, or None when it is binary, too large, protected or cannot be opened."""
    try:
        sec.check_protected(Path(real), None, write=False, action="search")
        fd = sec.open_file(Path(real), sec.display(real))
    except (OSError, ValueError):
        return None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        size = info.st_size
        if sec.protected.same_file_as_protected(info, Path(real).parent):
            return None
        if sec.max_file_size is not None and size > sec.max_file_size:
            return None
        data = fh.read() if sec.max_file_size is None else fh.read(sec.max_file_size + 1)
    if sec.max_file_size is not None and len(data) > sec.max_file_size:
        return None
    try:
        lines = decode_text(data).text.split("\n")
    except UndecodableError:
        return None
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


@builtin_tool
def grep_search(
    pattern: str,
    path: str = ".",
    recursive: bool = True,
    file_pattern: str = "*",
    context_lines: int = 0,
    ignore_case: bool = False,
    regex: bool = True,
    max_results: int = 100,
    include_hidden: bool = False,
    *,
    timeout: float | None = DEFAULT_SEARCH_TIMEOUT,
    security: FilesystemSecurity | None = None,
) -> GrepResults:
    """Lines matching ``pattern`` (a Python regex, or literal text with ``regex=False``) in the files under
    ``path`` whose names match ``file_pattern`` (``*.py``; with ``/`` it matches the path below ``path``),
    each with ``context_lines`` lines before and after. Binary files, files over the size limit and files the
    extension rules hide are skipped; symlinks leading out of the sandbox are not followed. After ``timeout``
    seconds of matching (``None``: no limit) the search stops with what it found and ``timed_out`` set."""
    sec = default_security(security)
    rx = _compile(pattern, is_regex=regex, ignore_case=ignore_case)
    deadline = None if timeout is None else time.monotonic() + timeout
    if context_lines < 0:
        raise InvalidArgumentError(f"context_lines must be 0 or more, got {context_lines}")
    if max_results < 1:
        raise InvalidArgumentError(f"max_results must be at least 1, got {max_results}")
    max_results, context_lines = min(max_results, MAX_RESULTS), min(context_lines, MAX_CONTEXT_LINES)
    matcher = name_matcher(file_pattern, include_hidden=include_hidden)
    root = sec.resolve(path)
    if not root.exists():
        raise PathNotFoundError(f"Path not found: {path!r}")
    if root.is_dir():
        files: Iterator[tuple[str, str, bool]] = _walk(sec, root, matcher, recursive=recursive)
    else:
        sec.check_extension(root, path)
        sec.check_protected(root, path, write=False, action="search")
        files = iter([(str(root), str(root), False)])
    results = GrepResults()
    for entry, real, is_dir in files:
        if is_dir:
            continue
        lines = _file_lines(sec, real)
        if lines is None:
            results.files_skipped += 1
            continue
        results.files_searched += 1
        shown = sec.display(entry)
        for index, line in enumerate(lines):
            try:
                if deadline is None:
                    found = rx.search(line)
                else:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError
                    found = rx.search(line, timeout=left)
            except TimeoutError:
                results.timed_out = True
                return results
            if not found:
                continue
            if len(results) >= max_results:
                results.truncated = True
                return results
            results.append(
                GrepMatch(
                    file=shown,
                    line_number=index + 1,
                    line=line,
                    context_before=lines[max(0, index - context_lines) : index],
                    context_after=lines[index + 1 : index + 1 + context_lines],
                )
            )
    return results
