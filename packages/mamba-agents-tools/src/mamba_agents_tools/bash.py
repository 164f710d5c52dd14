"""``run_bash``: a shell command in the sandbox directory, with a clean environment and a hard timeout.

* The command runs under ``bash -c`` in its own session (process group), with stdin closed, the working
  directory resolved through the sandbox, and only the allow-listed environment variables (plus those the
  configuration or the caller set explicitly): API keys in the parent environment are not inherited.
* On Linux it is confined (:mod:`mamba_agents_tools.confinement`): its own PID, mount and network namespaces
  and a Landlock ruleset, so it cannot see the agent's process, cannot write outside the sandbox and its
  private ``TMPDIR``, and everything it started dies with it. ``tools.bash.confinement`` chooses ``auto``
  (what the kernel offers), ``required`` (refuse to run without all of it) or ``off``.
* On timeout or cancellation the whole process group (and namespace) is killed, grandchildren included. When
  the command ends, whatever it left running is killed too, so no pipe stays open and nothing outlives it.
* stdout and stderr are each capped at ``max_output_bytes``; the first and last halves are kept and a note in
  the middle says how much was cut and how to get it.

``allowed_commands`` (and ``approval``) restrict which programs a model may start; the confinement bounds
what they can do.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import shutil
import signal
import stat
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mamba_agents.config import BashConfig

from mamba_agents_tools import confinement
from mamba_agents_tools.commands import CommandPolicy
from mamba_agents_tools.errors import (
    CommandDeniedError,
    CommandTimeoutError,
    InvalidArgumentError,
    ReadOnlyError,
)
from mamba_agents_tools.results import builtin_tool
from mamba_agents_tools.security import FilesystemSecurity, default_security

__all__ = ["BashResult", "run_bash", "run_bash_async"]

_READ_CHUNK = 65536
# After the group is killed, pipes close at once unless a process escaped into another session.
_DRAIN_GRACE_SECONDS = 2.0
_STOP_POLL_SECONDS = 0.1


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
    """Keeps the first and the last ``cap // 2`` bytes of a stream and counts the rest (thread-safe)."""

    def __init__(self, cap: int) -> None:
        self.head_cap = cap // 2
        self.tail_cap = cap - self.head_cap
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self._lock = threading.Lock()

    def feed(self, chunk: bytes) -> None:
        with self._lock:
            self.total += len(chunk)
            room = self.head_cap - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                if len(self.tail) > self.tail_cap:
                    del self.tail[: len(self.tail) - self.tail_cap]

    def snapshot(self, name: str) -> tuple[str, bool]:
        """The kept text (with a note where bytes were dropped) and whether anything was dropped."""
        with self._lock:
            head = self.head.decode("utf-8", errors="replace")
            tail = self.tail.decode("utf-8", errors="replace")
            omitted = self.total - len(self.head) - len(self.tail)
            if omitted <= 0:
                return head + tail, False
            note = (
                f"\n[... {name} truncated: {self.total} bytes in all, {omitted} bytes omitted here (showing "
                f"the first {len(self.head)} and last {len(self.tail)}). To see everything, redirect it to a "
                f"file (command > out.txt) and read that with read_file offset/limit or grep_search ...]\n"
            )
            return head + note + tail, True


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
    # A relative PATH entry ('.', '') would let a file the model wrote stand in for an allowed command.
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if os.path.isabs(p)) or os.defpath
    return env


def _pump(stream: IO[bytes], sink: _CappedStream, stop: threading.Event) -> None:
    # select with a short timeout, so the reader can be told to stop while an escaped process (possible
    # only without confinement) still holds the pipe; otherwise it would block in read() for ever.
    fd = stream.fileno()
    with contextlib.suppress(OSError, ValueError):
        while True:
            ready, _, _ = select.select([fd], [], [], _STOP_POLL_SECONDS)
            if not ready:
                if stop.is_set():
                    return
                continue
            chunk = os.read(fd, _READ_CHUNK)
            if not chunk:
                return
            sink.feed(chunk)


class _Command:
    """One started command: its process (leader of a new session), and threads draining its pipes."""

    def __init__(
        self, command: str, cwd: str, env: dict[str, str], cap: int, plan: confinement.Plan | None
    ) -> None:
        self.plan = plan
        prefix = plan.prefix if plan is not None else []
        if plan is not None and plan.tmpdir is not None:
            env = {**env, "TMPDIR": str(plan.tmpdir)}
        try:
            self.process = subprocess.Popen(
                [*prefix, _shell(), "-c", command],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except BaseException:
            if plan is not None:
                plan.cleanup()
            raise
        self.out, self.err = _CappedStream(cap), _CappedStream(cap)
        self.stop = threading.Event()
        self.readers = [
            threading.Thread(
                target=_pump, args=(pipe, sink, self.stop), name="mamba-run-bash-reader", daemon=True
            )
            for pipe, sink in ((self.process.stdout, self.out), (self.process.stderr, self.err))
        ]
        for reader in self.readers:
            reader.start()

    def wait(self, timeout: float) -> bool:
        """Wait for the shell to exit (not for its pipes): False when the timeout passed first."""
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill_group(self) -> None:
        # The shell leads its own session, so its pid is the group id even after it has exited; this also
        # takes down whatever it left running in the background, which would otherwise hold the pipes open.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def finish(self, timed_out: bool) -> BashResult:
        self.kill_group()
        for reader in self.readers:
            reader.join(_DRAIN_GRACE_SECONDS)
        # Still open after the grace: a process escaped the group (no PID namespace here). Stop reading
        # and close our ends, so no thread or descriptor outlives the call; the escapee gets SIGPIPE.
        self.stop.set()
        for reader, pipe in zip(self.readers, (self.process.stdout, self.process.stderr), strict=True):
            reader.join(_DRAIN_GRACE_SECONDS)
            if pipe is not None:
                pipe.close()
        removed: list[str] = []
        if self.plan is not None:
            self.plan.cleanup()
            removed = remove_created(self.plan.absent)
        stdout, cut_out = self.out.snapshot("stdout")
        stderr, cut_err = self.err.snapshot("stderr")
        if removed:
            stderr += (
                f"\n[run_bash: removed {', '.join(removed)}, which the command created: the framework's "
                "configuration is a protected path that no tool may write]\n"
            )
        return BashResult(stdout, stderr, self.process.returncode, timed_out, cut_out or cut_err)


def _prepare(
    command: str,
    working_dir: str,
    timeout: float | None,
    env: Mapping[str, str] | None,
    security: FilesystemSecurity | None,
    config: BashConfig | None,
) -> tuple[_Command, float]:
    cfg = config if config is not None else BashConfig()
    if not isinstance(command, str):
        raise InvalidArgumentError(f"command must be a string, got {type(command).__name__}")
    CommandPolicy.from_config(cfg).check(command)
    limit = cfg.timeout if timeout is None else timeout
    if not limit > 0:
        raise InvalidArgumentError(f"timeout must be a positive number of seconds, got {timeout}")
    if limit > cfg.max_timeout:  # whatever the route (a wrapped Tool too), a call has a bounded life
        raise InvalidArgumentError(
            f"timeout may be at most {cfg.max_timeout:g} seconds (tools.bash.max_timeout)"
        )
    sec = default_security(security)
    cwd = sec.existing_dir(working_dir)
    plan = confinement_plan(cfg, sec)
    return _Command(command, str(cwd), build_environment(cfg, env), cfg.max_output_bytes, plan), float(limit)


def confinement_plan(cfg: BashConfig, sec: FilesystemSecurity) -> confinement.Plan | None:
    """How the next command is confined, or ``None`` (``confinement = "off"``); refuses what cannot hold."""
    if cfg.confinement == "off":
        if sec.read_only:
            raise ReadOnlyError(
                "run_bash refused: the tools are read-only and tools.bash.confinement is off, so nothing "
                "would keep a command from writing."
            )
        return None
    found = confinement.detect()
    if cfg.confinement == "required" and not found.complete:
        raise CommandDeniedError(
            "run_bash refused: tools.bash.confinement is 'required' and this system lacks "
            f"{'; '.join(found.missing)}. Run 'mamba tools doctor' for details."
        )
    if sec.read_only and not found.landlock:
        raise ReadOnlyError(
            "run_bash refused: the tools are read-only and this kernel has no Landlock, so nothing would "
            f"keep a command from writing ({'; '.join(found.missing)})."
        )
    root = None if sec.read_only else (sec.base_directory if sec.sandbox_mode else Path("/"))
    mounts = sec.protected.bash_mounts()
    made = confinement.plan(
        writable_root=root,
        extra_writable=cfg.writable_paths,
        network=cfg.network,
        protections=found,
        read_only_binds=mounts.read_only,
        hidden=mounts.hidden,
    )
    made.absent = () if sec.read_only else mounts.absent
    return made


def remove_created(absent: tuple[Path, ...]) -> list[str]:
    """Configuration files the command created where none were (a mount cannot cover a file that does not
    exist yet): removed, so the next ``Agent()`` never reads them. Their names, for the result."""
    removed = []
    for path in absent:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(info.st_mode):
            continue  # the framework reads only files by these names
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            removed.append(path.name)
    return removed


def _outcome(run: _Command, timed_out: bool, limit: float) -> BashResult:
    result = run.finish(timed_out)
    if timed_out:
        raise CommandTimeoutError(_timeout_message(limit, result), result)
    return result


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
    run, limit = _prepare(command, working_dir, timeout, env, security, config)
    try:
        exited = run.wait(limit)
    except BaseException:  # KeyboardInterrupt while waiting: leave nothing running
        run.finish(timed_out=False)
        raise
    return _outcome(run, not exited, limit)


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
    run, limit = _prepare(command, working_dir, timeout, env, security, config)
    try:
        exited = await asyncio.to_thread(run.wait, limit)
    except BaseException:  # cancelled: kill the group at once (its pipes then close, so this is quick)
        run.finish(timed_out=False)
        raise
    return await asyncio.to_thread(_outcome, run, not exited, limit)


def describe_confinement(cfg: BashConfig, read_only: bool = False) -> str:
    """One paragraph for the model: how its commands are confined here (or that they are not)."""
    if cfg.confinement == "off":
        return (
            "Commands are not OS-confined (tools.bash.confinement is off): they run with the agent's rights."
        )
    found = confinement.detect()
    have = []
    if found.pid_namespace:
        have.append("their own PID namespace (everything they start ends with them)")
    if found.network_namespace and not cfg.network:
        have.append("no network but loopback")
    if found.landlock:
        have.append("read-only everywhere" if read_only else "writes only inside the working directory tree")
        have.append("a private $TMPDIR")
    if found.landlock and found.pid_namespace:
        have.append(
            "protected paths read-only (.git, config.toml/.yaml, .mcp.json, prompts/) and secrets (.env*, "
            "*.pem, id_*) reading as empty"
        )
    text = "Commands run confined: " + ", ".join(have) + "." if have else ""
    if found.missing:
        text += (" " if text else "") + "Not available on this system: " + "; ".join(found.missing) + "."
    return text


def _timeout_message(limit: float, result: BashResult) -> str:
    parts = [f"Command timed out after {limit:g} seconds; it and every process it started were killed."]
    if result.stdout:
        parts.append(f"Partial stdout (last 2000 characters):\n{result.stdout[-2000:]}")
    if result.stderr:
        parts.append(f"Partial stderr (last 2000 characters):\n{result.stderr[-2000:]}")
    parts.append("Run it in smaller steps, or with a longer timeout if the configuration allows one.")
    return "\n".join(parts)
