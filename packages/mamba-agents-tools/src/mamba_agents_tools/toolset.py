"""The model's view of the tools: a pydantic-ai toolset bound to one sandbox and one set of limits.

The public functions take ``security=`` and other policy arguments; the model must never see or set them.
So the toolset does not expose those functions: for each tool it holds a small function with only the
arguments a model should choose, bound to the sandbox built from configuration, with results shaped for a
model (paths relative to the sandbox root, notes saying how to get what a limit cut off). Everything a tool
raises reaches the model as a failed tool call; nothing crashes the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mamba_agents.config import ToolsConfig
from pydantic_ai import FunctionToolset, ModelRetry, RunContext, Tool, ToolFailed
from pydantic_ai.exceptions import ApprovalRequired, CallDeferred
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.toolsets import AbstractToolset, ApprovalRequiredToolset, WrapperToolset
from pydantic_ai.toolsets.abstract import ToolsetTool

from mamba_agents_tools import bash, filesystem, search
from mamba_agents_tools.commands import CommandPolicy
from mamba_agents_tools.errors import InvalidArgumentError
from mamba_agents_tools.security import FilesystemSecurity

__all__ = ["GROUPS", "TOOL_NAMES", "SandboxedToolset", "build_toolset", "expand_names"]

GROUPS: dict[str, tuple[str, ...]] = {
    "filesystem": (
        "read_file",
        "write_file",
        "append_file",
        "list_directory",
        "file_info",
        "delete_file",
        "move_file",
        "copy_file",
    ),
    "search": ("glob_search", "grep_search"),
    "bash": ("run_bash",),
}
TOOL_NAMES: tuple[str, ...] = tuple(name for names in GROUPS.values() for name in names)
DEFAULT_TOOLSET_ID = "mamba_agents_tools"
_MAX_LINE_CHARS = 2_000
_MAX_CONTEXT_LINES = 20
_PASS_THROUGH = (ToolFailed, ModelRetry, ApprovalRequired, CallDeferred)  # user tools may still retry


def expand_names(names: Sequence[str]) -> list[str]:
    """Tool names with groups expanded, in order, without duplicates; unknown names are an error."""
    if isinstance(names, str):
        names = [names]
    out: list[str] = []
    for name in names:
        members = GROUPS.get(name, (name,))
        for member in members:
            if member not in TOOL_NAMES:
                known = ", ".join([*TOOL_NAMES, *GROUPS])
                raise ValueError(f"unknown built-in tool {name!r}; known tools and groups: {known}")
            if member not in out:
                out.append(member)
    return out


def _line(text: str) -> str:
    if len(text) <= _MAX_LINE_CHARS:
        return text
    return f"{text[:_MAX_LINE_CHARS]}... [line cut: {len(text)} characters]"


@dataclass
class _ModelTools:
    """The functions the model calls, closed over one sandbox and one configuration."""

    security: FilesystemSecurity
    config: ToolsConfig

    def functions(self) -> dict[str, Callable[..., Any]]:
        sec, cfg = self.security, self.config

        def read_file(
            path: str, offset: int = 0, limit: int | None = None, encoding: str | None = None
        ) -> str:
            """Read a text file. Large files come back in parts: the result ends with a note giving the
            offset to continue from.

            Args:
                path: File path, relative to the working directory.
                offset: 0-based line number to start reading at.
                limit: Most lines to return (default: as many as fit).
                encoding: Text encoding, e.g. "utf-16-le" (default: detected; UTF-8, a byte-order mark, or
                    Windows-1252/Latin-1).
            """
            window = filesystem.read_window(
                path,
                encoding=encoding,
                offset=offset,
                limit=limit,
                max_chars=cfg.max_read_chars,
                security=sec,
            )
            # Said only when detection chose a legacy encoding: write_file writes UTF-8.
            decoded = (
                ""
                if encoding is not None or window.encoding == "utf-8"
                else f" {window.path} is {window.encoding} text, not UTF-8."
            )
            if window.complete and not decoded:
                return window.text
            if window.complete:
                text = window.text if window.text.endswith("\n") or not window.text else window.text + "\n"
                return f"{text}[{decoded.strip()}]"
            first, last = window.offset + 1, window.offset + window.lines_returned
            note = f"[Showing lines {first}-{last} of {window.total_lines} of {window.path}.{decoded}"
            if window.line_cut:
                note += f" Line {first} is longer than {cfg.max_read_chars} characters and was cut."
            if window.next_offset is not None:
                note += f" Call read_file with offset={window.next_offset} to continue."
            text = window.text if window.text.endswith("\n") or not window.text else window.text + "\n"
            return f"{text}{note}]"

        def write_file(path: str, content: str) -> str:
            """Create or overwrite a text file (missing parent directories are created).

            Args:
                path: File path, relative to the working directory.
                content: The complete new content of the file.
            """
            shown = filesystem.write_file(path, content, security=sec)
            return f"Wrote {len(content.encode())} bytes to {shown}"

        def append_file(path: str, content: str) -> str:
            """Append text to the end of a file (created if it does not exist).

            Args:
                path: File path, relative to the working directory.
                content: Text to add at the end.
            """
            shown = filesystem.append_file(path, content, security=sec)
            return f"Appended {len(content.encode())} bytes to {shown}"

        def list_directory(path: str = ".", recursive: bool = False, max_depth: int | None = None) -> dict:
            """List a directory's entries with metadata (name, path, is_file, is_dir, size, modified).

            Args:
                path: Directory path, relative to the working directory.
                recursive: Also list the contents of sub-directories.
                max_depth: With recursive, how many levels to descend (default: all).
            """
            entries = filesystem.list_directory(
                path, recursive, max_depth, max_entries=cfg.max_list_entries, security=sec
            )
            result: dict[str, Any] = {"entries": list(entries)}
            if entries.truncated:
                result["note"] = (
                    f"Only the first {cfg.max_list_entries} entries are shown. List a sub-directory, lower "
                    "max_depth, or use glob_search to narrow it down."
                )
            return result

        def file_info(path: str) -> dict[str, Any]:
            """Metadata of a file or directory: size, modified and created times, type.

            Args:
                path: Path, relative to the working directory.
            """
            return filesystem.file_info(path, security=sec)

        def delete_file(path: str) -> str:
            """Delete a file (not a directory).

            Args:
                path: File path, relative to the working directory.
            """
            filesystem.delete_file(path, security=sec)
            return f"Deleted {path}"

        def move_file(source: str, destination: str) -> str:
            """Move or rename a file. If destination is an existing directory the file goes inside it.

            Args:
                source: File to move.
                destination: New path, or a directory to move into.
            """
            return f"Moved {source} to {filesystem.move_file(source, destination, security=sec)}"

        def copy_file(source: str, destination: str) -> str:
            """Copy a file. If destination is an existing directory the copy goes inside it.

            Args:
                source: File to copy.
                destination: Path of the copy, or a directory to copy into.
            """
            return f"Copied {source} to {filesystem.copy_file(source, destination, security=sec)}"

        def glob_search(pattern: str, root_dir: str = ".", max_results: int | None = None) -> dict:
            """Find files and directories by glob pattern: '*' and '?' match within a name, '**' any
            number of directories (for example '**/*.py' or 'src/*.md').

            Args:
                pattern: Glob pattern, relative to root_dir.
                root_dir: Directory to search from, relative to the working directory.
                max_results: Most paths to return.
            """
            limit = _clamp(max_results, cfg.max_search_results)
            paths = search.glob_search(pattern, root_dir, max_results=limit, security=sec)
            result: dict[str, Any] = {"matches": list(paths)}
            if paths.truncated:
                result["note"] = (
                    f"Only the first {limit} matches are shown; use a narrower pattern or root_dir."
                )
            return result

        def grep_search(
            pattern: str,
            path: str = ".",
            file_pattern: str = "*",
            context_lines: int = 0,
            ignore_case: bool = False,
            regex: bool = True,
            max_results: int | None = None,
        ) -> dict:
            """Search file contents for a regular expression and return matching lines with line numbers.

            Args:
                pattern: Regular expression, Python syntax (or literal text with regex=false).
                path: File or directory to search, relative to the working directory.
                file_pattern: Only search files whose names match this glob, for example '*.py'.
                context_lines: Lines of context to show before and after each match.
                ignore_case: Match without regard to case.
                regex: Treat pattern as a regular expression (false: literal text).
                max_results: Most matching lines to return.
            """
            limit = _clamp(max_results, cfg.max_search_results)
            if context_lines > _MAX_CONTEXT_LINES:
                raise InvalidArgumentError(f"context_lines may be at most {_MAX_CONTEXT_LINES}")
            found = search.grep_search(
                pattern,
                path,
                True,
                file_pattern,
                context_lines,
                ignore_case,
                regex,
                max_results=limit,
                timeout=cfg.search_timeout,
                security=sec,
            )
            matches = [
                {
                    **asdict(m),
                    "line": _line(m.line),
                    "context_before": [_line(x) for x in m.context_before],
                    "context_after": [_line(x) for x in m.context_after],
                }
                for m in found
            ]
            result: dict[str, Any] = {"matches": matches, "files_searched": found.files_searched}
            if found.files_skipped:
                result["files_skipped"] = found.files_skipped
            if found.timed_out:
                result["timed_out"] = True
            if found.timed_out:
                result["note"] = (
                    f"Stopped after {cfg.search_timeout:g} seconds (tools.search_timeout): the pattern is "
                    "too slow to match (nested repetition such as '(a|aa)+' backtracks). The matches found "
                    "until then are shown; use a simpler pattern, regex=false, or a narrower path."
                )
            elif found.truncated:
                result["note"] = (
                    f"Stopped after {limit} matches; there are more. Use a more specific pattern, a narrower "
                    "path or file_pattern, or a larger max_results."
                )
            return result

        async def run_bash(command: str, working_dir: str = ".", timeout: float | None = None) -> dict:
            """Run a shell command with bash in the working directory and return stdout, stderr and the
            exit code. The command is killed (with everything it started) when the timeout passes.

            Args:
                command: The shell command line.
                working_dir: Directory to run in, relative to the working directory.
                timeout: Seconds before the command is killed (default and maximum set by configuration).
            """
            if timeout is not None and timeout > cfg.bash.max_timeout:
                raise InvalidArgumentError(f"timeout may be at most {cfg.bash.max_timeout:g} seconds")
            result = await bash.run_bash_async(command, working_dir, timeout, security=sec, config=cfg.bash)
            return {
                "exit_code": result.return_code,
                "stdout": result.stdout,
                "stderr": result.stderr,
                **({"truncated": True} if result.truncated else {}),
            }

        return {
            "read_file": read_file,
            "write_file": write_file,
            "append_file": append_file,
            "list_directory": list_directory,
            "file_info": file_info,
            "delete_file": delete_file,
            "move_file": move_file,
            "copy_file": copy_file,
            "glob_search": glob_search,
            "grep_search": grep_search,
            "run_bash": run_bash,
        }


def _clamp(requested: int | None, cap: int) -> int:
    if requested is None:
        return cap
    if requested < 1:
        raise InvalidArgumentError(f"max_results must be at least 1, got {requested}")
    return min(requested, cap)


def _describe(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename!s})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return f"{type(exc).__name__}: {exc}"


@dataclass
class SandboxedToolset(WrapperToolset[Any]):
    """The built-in tools of one sandbox. Any error a tool raises goes back to the model as a failed call
    (``ToolFailed``) instead of ending the run; ``ModelRetry``, approvals and deferrals pass through."""

    security: FilesystemSecurity | None = None
    config: ToolsConfig | None = None
    toolset_id: str = DEFAULT_TOOLSET_ID

    @property
    def id(self) -> str | None:
        return self.toolset_id

    @property
    def tool_names(self) -> list[str]:
        inner = self.wrapped
        while isinstance(inner, WrapperToolset):
            inner = inner.wrapped
        return list(inner.tools) if isinstance(inner, FunctionToolset) else []

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> Any:
        try:
            return await super().call_tool(name, tool_args, ctx, tool)
        except _PASS_THROUGH:
            raise
        except Exception as exc:
            raise ToolFailed(f"{name} failed: {_describe(exc)}") from exc


def build_toolset(
    names: Sequence[str],
    config: ToolsConfig | None = None,
    *,
    security: FilesystemSecurity | None = None,
    id: str = DEFAULT_TOOLSET_ID,
) -> AbstractToolset[Any]:
    """A toolset with exactly the named tools (groups are expanded), bound to one sandbox.

    The sandbox is ``security`` if given, else the one ``config`` describes (``[tools]``; its
    ``base_directory`` defaults to the current directory). With ``config.bash.approval`` set to
    ``dangerous`` or ``always``, matching ``run_bash`` calls need approval through pydantic-ai's deferred
    tools: give the agent ``output_type=[str, DeferredToolRequests]`` and resume with ``DeferredToolResults``.
    """
    cfg = config if config is not None else ToolsConfig()
    sec = security if security is not None else FilesystemSecurity.from_config(cfg)
    wanted = expand_names(names)
    functions = _ModelTools(sec, cfg).functions()
    tools = [Tool(functions[name], name=name, takes_ctx=False) for name in wanted]
    for tool in tools:
        if tool.name == "run_bash":  # the model should know how far its commands reach on this system
            tool.description = f"{tool.description} {bash.describe_confinement(cfg.bash, sec.read_only)}"
    inner: AbstractToolset[Any] = FunctionToolset(tools, id=f"{id}_functions")
    policy = CommandPolicy.from_config(cfg.bash)
    if "run_bash" in wanted and policy.approval != "never":

        def needs_approval(ctx: RunContext[Any], tool_def: ToolDefinition, args: dict[str, Any]) -> bool:
            return tool_def.name == "run_bash" and policy.needs_approval(str(args.get("command", "")))

        inner = ApprovalRequiredToolset(inner, needs_approval)
    return SandboxedToolset(inner, security=sec, config=cfg, toolset_id=id)
