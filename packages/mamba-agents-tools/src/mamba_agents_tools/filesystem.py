"""The eight file tools. Each resolves its paths through a :class:`FilesystemSecurity` sandbox.

Called directly they take ``security=`` (default: a sandbox rooted at the current working directory); inside
an agent the toolset binds the sandbox and the model never sees that parameter. Paths the tools return are
relative to the sandbox root, so they can be passed straight back to any tool.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mamba_agents.surrogates import escape_surrogates

from mamba_agents_tools.errors import (
    BinaryFileError,
    InvalidArgumentError,
    NotAFileError,
    PathNotFoundError,
)
from mamba_agents_tools.locks import PATH_LOCKS
from mamba_agents_tools.results import ResultList, builtin_tool
from mamba_agents_tools.security import FilesystemSecurity, default_security, real_path
from mamba_agents_tools.text import UndecodableError, decode_text

__all__ = [
    "FilesystemSecurity",
    "TextWindow",
    "append_file",
    "copy_file",
    "delete_file",
    "file_info",
    "list_directory",
    "move_file",
    "read_file",
    "read_window",
    "write_file",
]

_CHUNK = 1024 * 1024
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


def _requested(path: str | os.PathLike[str]) -> str:
    return os.fspath(path)


# -- reading ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextWindow:
    """A slice of a text file: ``lines_returned`` lines from the 0-based ``offset``, of ``total_lines``."""

    text: str
    path: str
    offset: int
    lines_returned: int
    total_lines: int
    line_cut: bool = False
    encoding: str = "utf-8"

    @property
    def complete(self) -> bool:
        return (
            self.offset == 0 and self.offset + self.lines_returned >= self.total_lines and not self.line_cut
        )

    @property
    def next_offset(self) -> int | None:
        end = self.offset + self.lines_returned
        return end if end < self.total_lines else None


def split_lines(text: str) -> list[str]:
    """Lines with their ``\\n`` kept; only ``\\n`` separates lines (unlike ``str.splitlines``)."""
    if not text:
        return []
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def _read_bytes(sec: FilesystemSecurity, path: str | os.PathLike[str]) -> tuple[Path, bytes]:
    real = sec.resolve(path)
    if real.is_dir():
        raise NotAFileError(f"{_requested(path)!r} is a directory; use list_directory to see what it holds")
    sec.check_extension(real, path)
    sec.check_protected(real, path, write=False, action="read")
    fd = sec.open_file(real, path)
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        sec.check_hardlinks(info, real, path)
        sec.check_size(info.st_size, f"{_requested(path)!r}")
        limit = sec.max_file_size
        data = fh.read() if limit is None else fh.read(limit + 1)
    if limit is not None:
        sec.check_size(len(data), f"{_requested(path)!r}")
    return real, data


def read_window(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    offset: int = 0,
    limit: int | None = None,
    max_chars: int | None = None,
    security: FilesystemSecurity | None = None,
) -> TextWindow:
    """Read ``limit`` lines of a text file from line ``offset``, at most ``max_chars`` characters of them.

    ``encoding=None`` detects it: a byte-order mark (UTF-8, UTF-16, UTF-32), else UTF-8, else Windows-1252 or
    Latin-1; the window says which was used.
    """
    sec = default_security(security)
    if offset < 0:
        raise InvalidArgumentError(f"offset must be 0 or more (a 0-based line number), got {offset}")
    if limit is not None and limit < 1:
        raise InvalidArgumentError(f"limit must be at least 1 line, got {limit}")
    if max_chars is not None and max_chars < 1:
        raise ValueError("max_chars must be positive")
    real, data = _read_bytes(sec, path)
    try:
        decoded = decode_text(data, encoding)
    except LookupError:
        raise InvalidArgumentError(f"unknown text encoding {encoding!r}") from None
    except UndecodableError as exc:
        hint = "" if encoding is not None else " (pass encoding= if it is text in another encoding)"
        raise BinaryFileError(
            f"{_requested(path)!r} looks like a binary file ({len(data)} bytes): {exc}; its contents are not "
            f"shown{hint}. Use file_info for its metadata."
        ) from None
    text, used = decoded.text, decoded.encoding
    shown = sec.display(real)
    if offset == 0 and limit is None and (max_chars is None or len(text) <= max_chars):
        count = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
        return TextWindow(text, shown, 0, count, count, encoding=used)
    lines = split_lines(text)
    total = len(lines)
    if offset and offset >= total:
        raise InvalidArgumentError(f"offset {offset} is past the end of {_requested(path)!r} ({total} lines)")
    end = total if limit is None else min(total, offset + limit)
    chosen: list[str] = []
    used = 0
    line_cut = False
    for line in lines[offset:end]:
        if max_chars is not None and used + len(line) > max_chars:
            if not chosen:  # one line longer than the whole budget: show its start rather than nothing
                chosen.append(line[:max_chars])
                line_cut = True
            break
        chosen.append(line)
        used += len(line)
    return TextWindow("".join(chosen), shown, offset, len(chosen), total, line_cut, used)


@builtin_tool
def read_file(
    path: str,
    encoding: str | None = None,
    offset: int = 0,
    limit: int | None = None,
    *,
    security: FilesystemSecurity | None = None,
) -> str:
    """Read a text file (optionally ``limit`` lines from the 0-based line ``offset``); ``encoding=None``
    detects a byte-order mark, UTF-8, or Windows-1252/Latin-1.

    Raises ``FileNotFoundError``, ``PermissionError`` (outside the sandbox, extension rule, size limit) or
    ``ValueError`` (binary file); inside an agent these reach the model as failed tool calls.
    """
    return read_window(path, encoding=encoding, offset=offset, limit=limit, security=security).text


# -- writing ----------------------------------------------------------------------------------------------


def _write_atomically(
    sec: FilesystemSecurity,
    real: Path,
    requested: str | os.PathLike[str],
    chunks: Iterable[bytes],
    *,
    create_parents: bool,
    mode: int | None = None,
    times_ns: tuple[int, int] | None = None,
) -> int:
    """Write a temporary file beside ``real``, then rename it over ``real``: readers never see half a file."""
    with sec.parent_dir(real, requested, create=create_parents) as dir_fd:
        name = real.name
        try:
            existing = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            existing = None
        if existing is not None and stat.S_ISDIR(existing.st_mode):
            raise NotAFileError(f"{_requested(requested)!r} is a directory, not a file")
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            raise NotAFileError(f"{_requested(requested)!r} is not a regular file")
        if mode is None and existing is not None:
            mode = stat.S_IMODE(existing.st_mode)
        tmp = f".mamba-{secrets.token_hex(8)}.tmp"
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC, 0o666, dir_fd=dir_fd
        )
        written = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    written += len(chunk)
                    sec.check_size(written, "The file")
                    out.write(chunk)
                out.flush()
                if mode is not None:
                    os.fchmod(out.fileno(), mode)
                if times_ns is not None:
                    os.utime(out.fileno(), ns=times_ns)
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=dir_fd)
            raise
        return written


def _writable_file(sec: FilesystemSecurity, path: str | os.PathLike[str], action: str) -> Path:
    sec.check_writable(f"{action} {_requested(path)!r}")
    real = sec.resolve(path)
    if real.is_dir():
        raise NotAFileError(f"{_requested(path)!r} is a directory, not a file")
    sec.check_extension(real, path)
    sec.check_protected(real, path, write=True, action=action)
    return real


def _encode(content: str, encoding: str) -> bytes:
    if not isinstance(content, str):
        raise InvalidArgumentError(f"content must be text, got {type(content).__name__}")
    try:
        return content.encode(encoding)
    except LookupError:
        raise InvalidArgumentError(f"unknown text encoding {encoding!r}") from None
    except UnicodeEncodeError as exc:
        raise InvalidArgumentError(f"content cannot be encoded as {encoding}: {exc.reason}") from None


@builtin_tool
def write_file(
    path: str,
    content: str,
    encoding: str = "utf-8",
    create_parents: bool = True,
    *,
    security: FilesystemSecurity | None = None,
) -> str:
    """Write (or overwrite) a text file atomically; returns its path relative to the sandbox root."""
    sec = default_security(security)
    real = _writable_file(sec, path, "write")
    data = _encode(content, encoding)
    sec.check_size(len(data), "The content")
    with PATH_LOCKS.hold(real):
        _write_atomically(sec, real, path, [data], create_parents=create_parents)
    return sec.display(real)


@builtin_tool
def append_file(
    path: str,
    content: str,
    encoding: str = "utf-8",
    *,
    security: FilesystemSecurity | None = None,
) -> str:
    """Append text to a file (created if missing, with its parent directories); returns its path."""
    sec = default_security(security)
    real = _writable_file(sec, path, "append to")
    data = _encode(content, encoding)
    with PATH_LOCKS.hold(real), sec.parent_dir(real, path, create=True) as dir_fd:
        fd = os.open(
            real.name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _O_NOFOLLOW | _O_CLOEXEC, 0o666, dir_fd=dir_fd
        )
        with os.fdopen(fd, "ab") as out:
            info = os.fstat(out.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise NotAFileError(f"{_requested(path)!r} is not a regular file")
            sec.check_hardlinks(info, real, path)
            sec.check_size(info.st_size + len(data), f"{_requested(path)!r} after appending")
            out.write(data)
    return sec.display(real)


# -- metadata and listing ---------------------------------------------------------------------------------


def _entry(
    sec: FilesystemSecurity, shown_path: Path, real: Path, info: os.stat_result, is_link: bool
) -> dict:
    is_dir = stat.S_ISDIR(info.st_mode)
    return {
        "name": escape_surrogates(shown_path.name or real.name),
        "path": sec.display(shown_path),
        "is_file": stat.S_ISREG(info.st_mode),
        "is_dir": is_dir,
        "is_symlink": is_link,
        "size": None if is_dir else info.st_size,
        "modified": _iso(info.st_mtime),
    }


def _visible(
    sec: FilesystemSecurity, directory: Path, entry: os.DirEntry[str]
) -> tuple[Path, os.stat_result, bool] | None:
    """The resolved target, metadata and symlink-ness of an entry of ``directory`` (read with
    ``os.scandir(fd)``, so the metadata is that entry's, wherever ``directory`` is now), or None if the
    policy hides it. A symlink's target is resolved and then read through its own parent's descriptor."""
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return None  # gone since the listing
    real = directory / entry.name
    is_link = stat.S_ISLNK(info.st_mode)
    if is_link:
        try:
            real = real_path(real)
            if sec.sandbox_mode and not sec.contains(real):
                return None
            info = sec.stat_resolved(real, sec.display(directory / entry.name))
        except OSError:
            return None  # broken, a loop, or changed: nothing the tools could open
    if not stat.S_ISDIR(info.st_mode) and not (
        sec.extension_allowed(entry.name) and sec.extension_allowed(real.name)
    ):
        return None
    return real, info, is_link


def _open_child(fd: int, name: str) -> int:
    """A sub-directory's descriptor, by name relative to its parent's; a symlink there now is refused."""
    return os.open(name, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=fd)


def _walk_listing(
    sec: FilesystemSecurity, fd: int, directory: Path, depth: int, max_depth: int | None
) -> Iterator[dict[str, Any]]:
    # ``directory`` is the resolved path the descriptor was opened as (one O_NOFOLLOW step per name), so
    # names and metadata come from the descriptor, never from a path a swap could redirect.
    try:
        with os.scandir(fd) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:  # unreadable, or vanished while walking: report it, keep listing the rest
        yield {
            "name": escape_surrogates(directory.name),
            "path": sec.display(directory),
            "error": exc.strerror or str(exc),
        }
        return
    for entry in entries:
        seen = _visible(sec, directory, entry)
        if seen is None:
            continue
        real, info, is_link = seen
        shown = directory / entry.name
        yield _entry(sec, shown, real, info, is_link)
        # Symlinked directories are listed but never entered: no loops, no second route into a tree.
        if stat.S_ISDIR(info.st_mode) and not is_link and (max_depth is None or depth < max_depth):
            try:
                child = _open_child(fd, entry.name)
            except OSError as exc:  # replaced (by a symlink, say) since it was read: not entered
                yield {
                    "name": escape_surrogates(entry.name),
                    "path": sec.display(shown),
                    "error": exc.strerror or str(exc),
                }
                continue
            try:
                yield from _walk_listing(sec, child, shown, depth + 1, max_depth)
            finally:
                os.close(child)


@builtin_tool
def list_directory(
    path: str = ".",
    recursive: bool = False,
    max_depth: int | None = None,
    *,
    max_entries: int | None = None,
    security: FilesystemSecurity | None = None,
) -> ResultList[dict[str, Any]]:
    """List a directory: one dict per entry (``name, path, is_file, is_dir, is_symlink, size, modified``).

    ``recursive`` descends into sub-directories (``max_depth`` levels, unlimited by default; symlinked
    directories are not entered). Files hidden by the extension rules or leading outside the sandbox are left
    out. ``max_entries`` cuts the list (``result.truncated`` says so).
    """
    sec = default_security(security)
    if max_depth is not None and max_depth < 1:
        raise InvalidArgumentError(f"max_depth must be at least 1, got {max_depth}")
    real = sec.existing_dir(path)
    limit_depth = max_depth if recursive else 1
    out: ResultList[dict[str, Any]] = ResultList()
    with sec.directory(real, path) as fd:
        for item in _walk_listing(sec, fd, real, 1, limit_depth):
            if max_entries is not None and len(out) >= max_entries:
                out.truncated = True
                break
            out.append(item)
    return out


@builtin_tool
def file_info(path: str, *, security: FilesystemSecurity | None = None) -> dict[str, Any]:
    """Metadata: ``name, path, is_file, is_dir, is_symlink, size, modified, created``."""
    sec = default_security(security)
    real = sec.resolve(path)
    try:
        info = sec.stat_resolved(real, path)
    except PathNotFoundError:
        raise PathNotFoundError(f"Path not found: {_requested(path)!r}") from None
    if not stat.S_ISDIR(info.st_mode):
        sec.check_extension(real, path)
    absolute = Path(path) if Path(path).is_absolute() else sec.base_directory / path
    result = _entry(sec, real, real, info, os.path.islink(absolute))
    result["created"] = _iso(getattr(info, "st_birthtime", info.st_ctime))
    return result


# -- delete, move, copy -----------------------------------------------------------------------------------


def _existing_file_entry(sec: FilesystemSecurity, path: str | os.PathLike[str], action: str) -> Path:
    """The entry a delete or move acts on (a final symlink itself), after all policy checks."""
    entry = sec.resolve_entry(path)
    try:
        info = os.lstat(entry)
    except FileNotFoundError:
        raise PathNotFoundError(f"File not found: {_requested(path)!r}") from None
    if stat.S_ISDIR(info.st_mode):
        raise NotAFileError(f"{_requested(path)!r} is a directory; only files can be deleted or moved")
    sec.check_extension(entry, path)
    sec.check_extension(sec.resolve(path))
    sec.check_protected(entry, path, write=True, action=action)
    return entry


@builtin_tool
def delete_file(path: str, *, security: FilesystemSecurity | None = None) -> bool:
    """Delete a file (a symlink is removed itself, not its target). Directories are refused."""
    sec = default_security(security)
    sec.check_writable(f"delete {_requested(path)!r}")
    entry = _existing_file_entry(sec, path, "delete")
    with PATH_LOCKS.hold(entry), sec.parent_dir(entry, path) as dir_fd:
        try:
            os.unlink(entry.name, dir_fd=dir_fd)
        except FileNotFoundError:
            raise PathNotFoundError(f"File not found: {_requested(path)!r}") from None
    return True


def _destination(sec: FilesystemSecurity, destination: str | os.PathLike[str], name: str) -> Path:
    """Where a move or copy lands: ``destination``, or ``destination/name`` when it is a directory."""
    target = sec.resolve(destination)
    if not target.is_dir():
        sec.check_extension(target, destination)
        return target
    joined = target / name
    target = sec.resolve(joined)  # the name may already exist there as a symlink
    if target.is_dir():
        raise NotAFileError(f"{sec.display(joined)!r} is a directory, not a file")
    sec.check_extension(target, joined)
    return target


@builtin_tool
def move_file(source: str, destination: str, *, security: FilesystemSecurity | None = None) -> str:
    """Move or rename a file; into ``destination`` if it is a directory. Returns the new path."""
    sec = default_security(security)
    sec.check_writable(f"move {_requested(source)!r}")
    entry = _existing_file_entry(sec, source, "move")
    target = _destination(sec, destination, entry.name)
    sec.check_protected(target, destination, write=True, action="move onto")
    if target == entry:
        return sec.display(target)
    with PATH_LOCKS.hold(entry, target):
        with (
            sec.parent_dir(entry, source) as src_fd,
            sec.parent_dir(target, destination, create=True) as dst_fd,
        ):
            try:
                os.rename(entry.name, target.name, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
                return sec.display(target)
            except OSError as exc:
                if exc.errno != errno.EXDEV:  # the sandbox spans two filesystems: copy, then unlink
                    raise
        _copy_contents(sec, entry, source, target, destination)
        with sec.parent_dir(entry, source) as src_fd:
            os.unlink(entry.name, dir_fd=src_fd)
    return sec.display(target)


def _copy_contents(
    sec: FilesystemSecurity,
    real: Path,
    source: str | os.PathLike[str],
    target: Path,
    destination: str | os.PathLike[str],
) -> None:
    fd = sec.open_file(real_path(real), source)
    with os.fdopen(fd, "rb") as src:
        info = os.fstat(src.fileno())
        sec.check_hardlinks(info, real, source)
        sec.check_size(info.st_size, f"{_requested(source)!r}")
        chunks = iter(lambda: src.read(_CHUNK), b"")
        _write_atomically(
            sec,
            target,
            destination,
            chunks,
            create_parents=True,
            mode=stat.S_IMODE(info.st_mode),
            times_ns=(info.st_atime_ns, info.st_mtime_ns),
        )


@builtin_tool
def copy_file(source: str, destination: str, *, security: FilesystemSecurity | None = None) -> str:
    """Copy a file with its mode and times (into ``destination`` if that is a directory); returns the copy."""
    sec = default_security(security)
    sec.check_writable(f"copy to {_requested(destination)!r}")
    real = sec.resolve(source)
    if real.is_dir():
        raise NotAFileError(f"{_requested(source)!r} is a directory; copy_file copies files")
    if not real.exists():
        raise PathNotFoundError(f"File not found: {_requested(source)!r}")
    sec.check_extension(real, source)
    sec.check_protected(real, source, write=False, action="copy")
    target = _destination(sec, destination, real.name)
    sec.check_protected(target, destination, write=True, action="copy onto")
    if target == real:
        raise InvalidArgumentError("source and destination are the same file")
    with PATH_LOCKS.hold(target):
        _copy_contents(sec, real, source, target, destination)
    return sec.display(target)
