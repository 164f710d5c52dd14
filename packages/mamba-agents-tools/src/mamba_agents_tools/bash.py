"""``run_bash``: a shell command in the sandbox directory, with a clean environment and a hard timeout.

* The command runs under ``bash -c`` in its own session (process group), with stdin closed, the working
  directory resolved through the sandbox, and only the allow-listed environment variables (plus those the
  configuration or the caller set explicitly): API keys in the parent environment are not inherited.
* On timeout or cancellation the whole process group is killed, grandchildren included. When the command
  ends, whatever it left running in its group is killed too, so no pipe stays open and nothing outlives it.
* stdout and stderr are each capped at ``max_output_bytes``; the first and last halves are kept and a note in
  the middle says how much was cut and how to get it.

It is not an operating-system sandbox: a command can read or write anything the user running the agent can.
Use ``allowed_commands`` (and ``approval``) to restrict what a model may run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from mamba_agents.config import BashConfig

from mamba_agents_tools.commands import CommandPolicy
from mamba_agents_tools.errors import CommandTimeoutError, InvalidArgumentError
from mamba_agents_tools.results import builtin_tool
from mamba_agents_tools.security import FilesystemSecurity, default_security

__all__ = ["BashResult", "run_bash", "run_bash_async"]

_READ_CHUNK = 65536
# After the group is killed, pipes close at once unless a process escaped into another session.
_DRAIN_GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class BashResult:
    """What a command printed and how it ended. ``truncated``: an output stream was cut at the cap."""

    stdout: str
    stderr: str
    return_code: int
    timed_out: bool = False
    truncated: bool = False

    @property
    def exit_code(self) -> int:
        return self.return_code

    @property
    def success(self) -> bool:
        return self.return_code == 0 and not self.timed_out


class _CappedStream:
    """Keeps the first and the last ``cap // 2`` bytes of a stream and counts the rest."""

    def __init__(self, cap: int) -> None:
        self.head_cap = cap // 2
        self.tail_cap = cap - self.head_cap
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head_cap - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > self.tail_cap:
                del self.tail[: len(self.tail) - self.tail_cap]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.head) + len(self.tail)

    def text(self, name: str) -> str:
        head = self.head.decode("utf-8", errors="replace")
        if not self.truncated:
            return head + self.tail.decode("utf-8", errors="replace")
        omitted = self.total - len(self.head) - len(self.tail)
        note = (
            f"\n[... {name} truncated: {self.total} bytes in all, {omitted} bytes omitted here (showing the "
            f"first {len(self.head)} and last {len(self.tail)}). To see everything, redirect it to a file "
            f"(command > out.txt) and read that with read_file offset/limit or grep_search ...]\n"
        )
        return head + note + self.tail.decode("utf-8", errors="replace")


def _shell() -> str:
    for candidate in ("/bin/bash", "/usr/bin/bash"):
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("bash") or "/bin/sh"


def build_environment(config: BashConfig, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Only the allow-listed variables of this process, then the configured and the explicit ones."""
    env = {name: os.environ[name] for name in config.env_allowlist if name in os.environ}
    env.update(config.env)
    if extra:
        env.update({str(k): str(v) for k, v in extra.items()})
    env.setdefault("PATH", os.defpath)
    return env


def _kill_group(process: asyncio.subprocess.Process) -> None:
    # The shell is its session's leader, so its pid is the group id even after it has exited.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def _pump(stream: asyncio.StreamReader | None, sink: _CappedStream) -> None:
    if stream is None:
        return
    while chunk := await stream.read(_READ_CHUNK):
        sink.feed(chunk)


def _prepare(
    command: str,
    working_dir: str,
    timeout: float | None,
    security: FilesystemSecurity | None,
    config: BashConfig | None,
) -> tuple[BashConfig, str, float]:
    cfg = config if config is not None else BashConfig()
    if not isinstance(command, str):
        raise InvalidArgumentError(f"command must be a string, got {type(command).__name__}")
    CommandPolicy.from_config(cfg).check(command)
    limit = cfg.timeout if timeout is None else timeout
    if not limit > 0:
        raise InvalidArgumentError(f"timeout must be a positive number of seconds, got {timeout}")
    cwd = default_security(security).existing_dir(working_dir)
    return cfg, str(cwd), float(limit)


async def run_bash_async(
    command: str,
    working_dir: str = ".",
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    *,
    security: FilesystemSecurity | None = None,
    config: BashConfig | None = None,
) -> BashResult:
    """Async :func:`run_bash`. Cancelling the awaiting task kills the command's whole process group."""
    cfg, cwd, limit = _prepare(command, working_dir, timeout, security, config)
    process = await asyncio.create_subprocess_exec(
        _shell(),
        "-c",
        command,
        cwd=cwd,
        env=build_environment(cfg, env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    out, err = _CappedStream(cfg.max_output_bytes), _CappedStream(cfg.max_output_bytes)
    readers = asyncio.gather(_pump(process.stdout, out), _pump(process.stderr, err))
    timed_out = False
    try:
        try:
            await asyncio.wait_for(process.wait(), limit)
        except TimeoutError:
            timed_out = True
    finally:
        _kill_group(process)
        if process.returncode is None:
            await asyncio.shield(process.wait())
        try:
            await asyncio.wait_for(asyncio.shield(readers), _DRAIN_GRACE_SECONDS)
        except TimeoutError:
            readers.cancel()
    result = BashResult(
        stdout=out.text("stdout"),
        stderr=err.text("stderr"),
        return_code=process.returncode if process.returncode is not None else -1,
        timed_out=timed_out,
        truncated=out.truncated or err.truncated,
    )
    if timed_out:
        raise CommandTimeoutError(_timeout_message(limit, result), result)
    return result


def _timeout_message(limit: float, result: BashResult) -> str:
    parts = [f"Command timed out after {limit:g} seconds; it and every process it started were killed."]
    if result.stdout:
        parts.append(f"Partial stdout (last 2000 characters):\n{result.stdout[-2000:]}")
    if result.stderr:
        parts.append(f"Partial stderr (last 2000 characters):\n{result.stderr[-2000:]}")
    parts.append("Run it in smaller steps, or with a longer timeout if the configuration allows one.")
    return "\n".join(parts)


@builtin_tool
def run_bash(
    command: str,
    working_dir: str = ".",
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    *,
    security: FilesystemSecurity | None = None,
    config: BashConfig | None = None,
) -> BashResult:
    """Run ``command`` with ``bash -c`` in ``working_dir`` (inside the sandbox) and return its output.

    ``timeout`` defaults to ``config.timeout`` (30 s); past it the process group is killed and
    ``CommandTimeoutError`` (a ``TimeoutError``) is raised with the partial output in ``.result``.
    A non-zero exit status is not an error: read ``result.return_code``.
    """
    coro = run_bash_async(command, working_dir, timeout, env, security=security, config=config)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from inside an event loop (a notebook, an async app): run on a private loop in a thread.
    outcome: dict[str, object] = {}

    def runner() -> None:
        try:
            outcome["result"] = asyncio.run(coro)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=runner, name="mamba-run-bash", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"]  # type: ignore[return-value]
