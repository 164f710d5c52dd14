"""``FilesystemSecurity``: the sandbox every file, search and bash tool resolves its paths through.

A path is made absolute against ``base_directory`` (never the process CWD), then fully resolved by
:func:`real_path` (symlinks and ``..``; a symlink loop is an error, where ``os.path.realpath`` would return a
half-resolved path that can still lead out), and only then compared with the sandbox root. Extension rules
look at both the name that was asked for and the name it resolves to, case-insensitively, and at every suffix
of a multi-dot name. Files are opened with ``O_NOFOLLOW`` and, on Linux, the opened descriptor is checked
again through ``/proc/self/fd`` so a symlink swapped in between the check and the open cannot lead outside.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mamba_agents.surrogates import escape_surrogates
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from mamba_agents_tools.errors import (
    ExtensionNotAllowedError,
    FileTooLargeError,
    InvalidArgumentError,
    NotADirectoryToolError,
    NotAFileError,
    PathChangedError,
    PathNotFoundError,
    PathOutsideSandboxError,
    ProtectedPathError,
    ReadOnlyError,
    SymlinkLoopError,
)
from mamba_agents_tools.protected import ProtectedPaths
from mamba_agents_tools.text import unescape_name

if TYPE_CHECKING:
    from mamba_agents.config import ToolsConfig

_PROC_FD = Path("/proc/self/fd")
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
MAX_SYMLINKS = 40  # as the kernel's own limit on one path lookup


def real_path(path: str | os.PathLike[str]) -> Path:
    """The absolute path with every symlink and ``..`` resolved, component by component.

    Unlike ``os.path.realpath`` (non-strict), a symlink loop or more than :data:`MAX_SYMLINKS` links raises
    :class:`SymlinkLoopError` instead of returning the rest of the path unresolved: ``loop/../link_out``
    would otherwise come back as ``<root>/link_out``, a name inside the sandbox that leads outside. A missing
    component (a file to be created) is kept as written, and ``..`` after it is resolved from its parent.
    """
    pending = os.fspath(path).split("/")[::-1]
    resolved = "/"
    links = 0
    missing = False
    while pending:
        name = pending.pop()
        if name in ("", "."):
            continue
        if name == "..":
            resolved = os.path.dirname(resolved)
            missing = False  # the parent of what was missing exists: resolve from there again
            continue
        candidate = os.path.join(resolved, name)
        if missing:
            resolved = candidate
            continue
        try:
            info = os.lstat(candidate)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            missing = True
            resolved = candidate
            continue
        if not stat.S_ISLNK(info.st_mode):
            resolved = candidate
            continue
        links += 1
        if links > MAX_SYMLINKS:
            raise SymlinkLoopError(
                f"{os.fspath(path)!r}: too many levels of symbolic links "
                f"(a loop, or more than {MAX_SYMLINKS})"
            )
        target = os.readlink(candidate)
        if target.startswith("/"):
            resolved = "/"
        pending.extend(target.split("/")[::-1])
    return Path(resolved)


def _normalise_extension(raw: str) -> str:
    ext = raw.strip().lower()
    if not ext or ext == "." or "/" in ext or "\\" in ext or "\0" in ext:
        raise ValueError(f"{raw!r} is not a file extension (expected something like '.txt')")
    return ext if ext.startswith(".") else f".{ext}"


def extension_candidates(name: str) -> tuple[set[str], set[str]]:
    """The single suffixes and the trailing suffix chains of ``name`` (lower case).

    ``"Key.PEM.txt"`` -> ``({".pem", ".txt"}, {".pem.txt", ".txt"})``; a dotfile such as ``.env`` counts as
    having the extension ``.env``.
    """
    parts = name.lower().split(".")[1:]
    singles = {f".{p}" for p in parts if p}
    chains = {"." + ".".join(parts[i:]) for i in range(len(parts)) if any(parts[i:])}
    return singles, chains


class FilesystemSecurity(BaseModel):
    """Where file tools may go and what they may touch.

    ``sandbox_mode``: paths must resolve inside ``base_directory`` (default: the CWD when the object is made).
    ``allowed_extensions`` / ``denied_extensions``: for files only (directories can always be listed);
    a deny entry matches any suffix of a name (``.pem`` denies ``key.pem.txt``), an allow entry must match the
    name's ending. ``max_file_size``: the largest file the tools read or write (``None``: no limit).
    ``read_only``: refuse writes, appends, moves, copies and deletes. ``protected_paths`` adds files or
    folders no tool may write to the built-in protected paths (:mod:`mamba_agents_tools.protected`);
    ``allow_protected`` exempts protected paths (and what is beneath them). Relative: to ``base_directory``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    sandbox_mode: bool = True
    base_directory: Path = Field(default_factory=Path.cwd)
    allowed_extensions: frozenset[str] | None = None
    denied_extensions: frozenset[str] = frozenset()
    max_file_size: int | None = Field(default=DEFAULT_MAX_FILE_SIZE, gt=0)
    read_only: bool = False
    protected_paths: tuple[Path, ...] = ()
    allow_protected: tuple[Path, ...] = ()

    _protected: ProtectedPaths = PrivateAttr()

    @field_validator("base_directory", mode="before")
    @classmethod
    def _base(cls, value: Any) -> Path:
        if value is None:
            return Path.cwd()
        raw = os.fspath(value)
        if not raw or "\0" in raw:
            raise ValueError(f"base_directory {raw!r} is not a valid path")
        base = real_path(Path(raw).expanduser().absolute())
        if not base.is_dir():
            raise ValueError(f"base_directory {raw!r} does not exist or is not a directory")
        return base

    @field_validator("allowed_extensions", "denied_extensions", mode="before")
    @classmethod
    def _extensions(cls, value: Any) -> frozenset[str] | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        return frozenset(_normalise_extension(v) for v in value)

    @model_validator(mode="after")
    def _root_is_real(self) -> FilesystemSecurity:
        # validate_default does not run field validators on the default factory's value.
        real = real_path(self.base_directory)
        if real != self.base_directory:
            object.__setattr__(self, "base_directory", real)
        self._protected = ProtectedPaths.build(real, self.protected_paths, self.allow_protected)
        return self

    @property
    def protected(self) -> ProtectedPaths:
        """The protected-path rules of this sandbox."""
        return self._protected

    @classmethod
    def from_config(cls, config: ToolsConfig) -> FilesystemSecurity:
        """The sandbox described by a ``[tools]`` configuration section."""
        return cls(
            sandbox_mode=config.sandbox_mode,
            base_directory=config.base_directory if config.base_directory is not None else Path.cwd(),
            allowed_extensions=config.allowed_extensions,
            denied_extensions=config.denied_extensions,
            max_file_size=config.max_file_size,
            read_only=config.read_only,
            protected_paths=tuple(config.protected_paths),
            allow_protected=tuple(config.allow_protected),
        )

    # -- resolution -------------------------------------------------------------------------------------

    def _absolute(self, path: str | os.PathLike[str]) -> Path:
        try:
            raw = os.fspath(path)
        except TypeError:
            raise InvalidArgumentError(f"path must be a string, got {type(path).__name__}") from None
        if not isinstance(raw, str):
            raise InvalidArgumentError("path must be a text string")
        if not raw.strip():
            raise InvalidArgumentError("path is empty; give a path relative to the sandbox directory")
        if "\0" in raw:
            raise InvalidArgumentError("path contains a NUL character")
        candidate = Path(raw)
        absolute = candidate if candidate.is_absolute() else self.base_directory / candidate
        return Path(unescape_name(os.fspath(absolute)))

    def _contain(self, real: Path, requested: str | os.PathLike[str]) -> None:
        if self.sandbox_mode and not self.contains(real):
            raise PathOutsideSandboxError(
                f"Access denied: {os.fspath(requested)!r} resolves outside the sandbox directory. "
                "Only paths inside the sandbox are allowed (relative paths are resolved against it; '..', "
                "absolute paths and symlinks may not lead out of it)."
            )

    def _prefix(self) -> str:
        base = str(self.base_directory)
        return base if base.endswith(os.sep) else base + os.sep

    def contains(self, real: Path | str) -> bool:
        """Whether an already resolved path is the sandbox root or inside it."""
        text = os.fspath(real)
        return text == str(self.base_directory) or text.startswith(self._prefix())

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        """The real absolute path of ``path`` (symlinks and ``..`` resolved); refused outside the sandbox."""
        real = real_path(self._absolute(path))
        self._contain(real, path)
        return real

    def resolve_entry(self, path: str | os.PathLike[str]) -> Path:
        """Like :meth:`resolve`, but keeps a final symlink itself (for delete and move), parent resolved."""
        absolute = self._absolute(path)
        real = real_path(absolute)
        self._contain(real, path)
        if absolute.name in ("", ".", "..") or not os.path.islink(absolute):
            return real
        entry = real_path(absolute.parent) / absolute.name
        self._contain(entry.parent, path)
        return entry

    def validate_path(self, path: str | os.PathLike[str]) -> Path:
        """The real path of ``path`` if every file tool's rules allow reading it (the original's API): inside
        the sandbox, not protected, and its extension allowed. Raises the same errors the tools raise."""
        real = self.resolve(path)
        self.check_protected(real, path, write=False, action="use")
        self.check_extension(real, path)
        return real

    def display(self, real: Path | str) -> str:
        """How a resolved path is shown to the model: relative to the sandbox root when inside it."""
        text = os.fspath(real)
        if text == str(self.base_directory):
            return "."
        prefix = self._prefix()
        return escape_surrogates(text[len(prefix) :] if text.startswith(prefix) else text)

    # -- policy -----------------------------------------------------------------------------------------

    def extension_allowed(self, name: str) -> bool:
        if self.allowed_extensions is None and not self.denied_extensions:
            return True
        singles, chains = extension_candidates(name)
        if self.denied_extensions & (singles | chains):
            return False
        if self.allowed_extensions is None:
            return True
        return bool(self.allowed_extensions & chains)

    def check_extension(self, real: Path, requested: str | os.PathLike[str] | None = None) -> None:
        """Refuse a file whose requested name or resolved name breaks the extension rules."""
        names = [real.name]
        if requested is not None:
            requested_name = Path(os.fspath(requested)).name
            if requested_name not in ("", ".", ".."):
                names.append(requested_name)
        for name in names:
            if not self.extension_allowed(name):
                raise ExtensionNotAllowedError(self._extension_message(name))

    def _extension_message(self, name: str) -> str:
        singles, chains = extension_candidates(name)
        denied = sorted(self.denied_extensions & (singles | chains))
        if denied:
            return f"Access denied: {name!r} has the denied extension {denied[0]!r}."
        allowed = ", ".join(sorted(self.allowed_extensions or ()))
        return f"Access denied: {name!r} does not have an allowed extension (allowed: {allowed})."

    def check_writable(self, action: str) -> None:
        if self.read_only:
            raise ReadOnlyError(f"Cannot {action}: the file tools are in read-only mode.")

    def _lexical(self, requested: str | os.PathLike[str]) -> Path:
        return Path(os.path.normpath(self._absolute(requested)))

    def check_protected(
        self, real: Path, requested: str | os.PathLike[str] | None, *, write: bool, action: str
    ) -> None:
        """Refuse to read (``write=False``) or write a protected path: checked on the path as asked for
        (``..`` folded away) and on the path it resolves to."""
        candidates = [real] if requested is None else [self._lexical(requested), real]
        for candidate in candidates:
            why = self._protected.reason(candidate, write=write)
            if why is not None:
                shown = os.fspath(requested) if requested is not None else self.display(real)
                raise ProtectedPathError(
                    f"Access denied: cannot {action} {shown!r}: {why}. Protected paths are not "
                    f"{'writable' if write else 'readable'} by any tool; only the user's configuration "
                    "(tools.allow_protected) can open them."
                )

    def check_hardlinks(self, info: os.stat_result, real: Path, requested: str | os.PathLike[str]) -> None:
        """Refuse a file that is another name (a hard link) of a protected file in reach."""
        if self._protected.same_file_as_protected(info, real.parent):
            raise ProtectedPathError(
                f"Access denied: {os.fspath(requested)!r} is a hard link to a protected file."
            )

    def check_size(self, size: int, what: str) -> None:
        if self.max_file_size is not None and size > self.max_file_size:
            raise FileTooLargeError(
                f"{what} is {size} bytes, larger than the {self.max_file_size}-byte limit for file tools."
            )

    def allowed_file(self, real: Path) -> bool:
        """For listings and searches: a file the policy lets the tools see (extension and sandbox)."""
        return (not self.sandbox_mode or self.contains(real)) and self.extension_allowed(real.name)

    # -- checked opening ----------------------------------------------------------------------------------

    def verify_fd(self, fd: int, requested: str | os.PathLike[str]) -> None:
        """After an open: the descriptor must still point inside the sandbox (defeats symlink swaps)."""
        if not self.sandbox_mode or not _PROC_FD.is_dir():
            return
        try:
            target = os.readlink(_PROC_FD / str(fd))
        except OSError:
            return
        if target.endswith(" (deleted)"):
            return
        self._contain(Path(target), requested)

    def open_file(self, real: Path, requested: str | os.PathLike[str], flags: int = os.O_RDONLY) -> int:
        """Open an already resolved regular file without following a final symlink; checked after opening."""
        try:
            fd = os.open(real, flags | _O_NOFOLLOW | _O_CLOEXEC | _O_NONBLOCK)
        except FileNotFoundError:
            raise PathNotFoundError(f"File not found: {os.fspath(requested)!r}") from None
        except IsADirectoryError:
            raise NotAFileError(f"{os.fspath(requested)!r} is a directory, not a file") from None
        try:
            self.verify_fd(fd, requested)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise NotAFileError(f"{os.fspath(requested)!r} is not a regular file")
            if _O_NONBLOCK:
                os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def open_directory(self, real: Path, requested: str | os.PathLike[str], *, create: bool = False) -> int:
        """A descriptor of the already resolved directory ``real``, opened one name at a time from the
        sandbox root with ``O_NOFOLLOW | O_DIRECTORY`` (``create``: making missing directories with
        ``mkdir(dir_fd=)`` on the way). ``real`` has no symlink in it, so meeting one means a directory was
        swapped since it was resolved: that is refused, never followed, and nothing is made outside."""
        inside = self.contains(real)
        start = self.base_directory if inside else Path("/")
        names = real.relative_to(start).parts if real != start else ()
        if not inside:
            self._contain(real, requested)  # refuses in sandbox mode; without it, walk from /
        fd = os.open(start, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
        for name in names:
            fd = self._step(fd, name, requested, create)  # closes the parent's descriptor, even on error
        return fd

    def _step(self, fd: int, name: str, requested: str | os.PathLike[str], create: bool) -> int:
        flags = os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC
        try:
            try:
                child = os.open(name, flags, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, 0o777, dir_fd=fd)
                child = os.open(name, flags, dir_fd=fd)
        except FileNotFoundError:
            raise PathNotFoundError(f"Directory not found: {os.fspath(requested)!r}") from None
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
            try:
                is_link = stat.S_ISLNK(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode)
            except OSError:
                is_link = False
            if is_link:
                raise PathChangedError(
                    f"{os.fspath(requested)!r} changed while in use (a directory on the way was replaced "
                    "by a symbolic link); nothing was done. Try again."
                ) from None
            raise NotADirectoryToolError(
                f"{os.fspath(requested)!r}: {name!r} on the way is not a directory"
            ) from None
        finally:
            os.close(fd)
        return child

    @contextmanager
    def directory(
        self, real: Path, requested: str | os.PathLike[str], *, create: bool = False
    ) -> Iterator[int]:
        """:meth:`open_directory` as a context manager; the descriptor is checked and closed after use."""
        fd = self.open_directory(real, requested, create=create)
        try:
            self.verify_fd(fd, requested)
            yield fd
        finally:
            os.close(fd)

    @contextmanager
    def parent_dir(
        self, real: Path, requested: str | os.PathLike[str], *, create: bool = False
    ) -> Iterator[int]:
        """A descriptor of the resolved parent directory, for ``dir_fd`` operations on ``real.name``."""
        try:
            fd = self.open_directory(real.parent, requested, create=create)
        except PathNotFoundError:
            raise PathNotFoundError(
                f"The parent directory of {os.fspath(requested)!r} does not exist"
            ) from None
        except NotADirectoryToolError:
            raise NotADirectoryToolError(
                f"The parent of {os.fspath(requested)!r} is not a directory"
            ) from None
        try:
            self.verify_fd(fd, requested)
            yield fd
        finally:
            os.close(fd)

    def stat_resolved(self, real: Path, requested: str | os.PathLike[str]) -> os.stat_result:
        """The metadata of an already resolved path, read through its parent's descriptor without following
        a final symlink: a name swapped for a symlink since it was resolved is refused, never followed."""
        if real == self.base_directory or real == Path("/"):
            fd = self.open_directory(real, requested)
            try:
                return os.fstat(fd)
            finally:
                os.close(fd)
        with self.parent_dir(real, requested) as parent:
            try:
                info = os.stat(real.name, dir_fd=parent, follow_symlinks=False)
            except FileNotFoundError:
                raise PathNotFoundError(f"Path not found: {os.fspath(requested)!r}") from None
        if stat.S_ISLNK(info.st_mode):
            raise PathChangedError(
                f"{os.fspath(requested)!r} changed while in use (replaced by a symbolic link). Try again."
            )
        return info

    def existing_dir(self, path: str | os.PathLike[str]) -> Path:
        real = self.resolve(path)
        if not real.exists():
            raise PathNotFoundError(f"Directory not found: {os.fspath(path)!r}")
        if not real.is_dir():
            raise NotADirectoryToolError(f"{os.fspath(path)!r} is not a directory")
        return real


def default_security(security: FilesystemSecurity | None) -> FilesystemSecurity:
    """The given sandbox, or one rooted at the current working directory."""
    return security if security is not None else FilesystemSecurity()
