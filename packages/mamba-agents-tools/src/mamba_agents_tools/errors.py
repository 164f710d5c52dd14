"""Tool errors: each is a pydantic-ai ``ToolFailed`` *and* the matching built-in error.

Inside an agent run pydantic-ai hands the message to the model as a failed tool result, so a denied path or a
missing file never crashes the run. Called directly, the same errors can be caught as ``PermissionError``,
``FileNotFoundError``, ``TimeoutError`` and so on, as with any Python file API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic_ai import ToolFailed

if TYPE_CHECKING:
    from mamba_agents_tools.bash import BashResult


class ToolError(ToolFailed):
    """A terminal tool failure the model reads (``outcome='failed'``; it does not use the retry budget)."""

    def __init__(self, message: str) -> None:
        ToolFailed.__init__(self, message)

    def __str__(self) -> str:
        return self.message


class PathOutsideSandboxError(ToolError, PermissionError):
    """The path (after resolving ``..`` and symlinks) is not inside the sandbox directory."""


class ExtensionNotAllowedError(ToolError, PermissionError):
    """The file's extension is on the deny-list or missing from the allow-list."""


class ReadOnlyError(ToolError, PermissionError):
    """A write, append, move, copy or delete was attempted in read-only mode."""


class ProtectedPathError(ToolError, PermissionError):
    """The path is protected: the framework's configuration, VCS internals, the prompts folder (not
    writable) or a secret by name (neither readable nor writable); see ``tools.allow_protected``."""


class PathChangedError(ToolError, OSError):
    """A directory on the path was swapped (for a symlink) between resolving the path and using it."""


class SymlinkLoopError(ToolError, OSError):
    """Resolving the path met a symlink loop (or more symlinks than one lookup may follow)."""


class FileTooLargeError(ToolError, PermissionError):
    """The file (or the file a write would produce) is larger than ``max_file_size``."""


class PathNotFoundError(ToolError, FileNotFoundError):
    """The path does not exist."""


class NotAFileError(ToolError, IsADirectoryError):
    """A file operation was given a directory (or a device, socket or FIFO)."""


class NotADirectoryToolError(ToolError, NotADirectoryError):
    """A directory operation was given something that is not a directory."""


class BinaryFileError(ToolError, ValueError):
    """The file looks binary (or does not decode as text), so its bytes are not returned."""


class CommandDeniedError(ToolError, PermissionError):
    """The shell command is refused by the allow-list or the deny-list."""


class CommandTimeoutError(ToolError, TimeoutError):
    """The command ran past its timeout; its whole process group was killed. ``result`` has partial output."""

    def __init__(self, message: str, result: BashResult) -> None:
        super().__init__(message)
        self.result = result


class InvalidArgumentError(ToolError, ValueError):
    """An argument the model can fix (a bad regex, a negative offset, a bad pattern). A failed tool call the
    model reads, on every route: not a ``ModelRetry``, whose budget a few bad patterns would exhaust."""
