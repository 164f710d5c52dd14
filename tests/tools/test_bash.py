"""run_bash with real processes: environment, working directory, timeouts and process groups, output caps,
allow/deny lists."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from mamba_agents.config import BashConfig
from mamba_agents.tools import BashResult, CommandDeniedError, CommandTimeoutError, run_bash, run_bash_async
from mamba_agents.tools.filesystem import FilesystemSecurity
from pydantic_ai import ToolFailed


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (a container's PID 1 may not reap orphans)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def _pids_running(marker: str) -> list[int]:
    """Live processes whose command line contains ``marker`` (pids inside a namespace differ from ours)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and _alive(int(entry)):
            found.append(int(entry))
    return found


async def _wait_gone(marker: str) -> bool:
    for _ in range(200):  # the kill is synchronous; this only absorbs /proc bookkeeping
        if not _pids_running(marker):
            return True
        await asyncio.sleep(0.01)
    return False


def test_result_fields_and_nonzero_exit(sec: FilesystemSecurity) -> None:
    result = run_bash("echo out; echo err >&2; exit 3", security=sec)
    assert isinstance(result, BashResult)
    assert (result.stdout, result.stderr, result.return_code, result.exit_code) == ("out\n", "err\n", 3, 3)
    assert not result.success and not result.timed_out and not result.truncated
    assert run_bash("true", security=sec).success


def test_secrets_in_the_environment_are_not_inherited(sec: FilesystemSecurity, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-value")
    monkeypatch.setenv("MAMBA_MODEL_BACKEND__API_KEY", "another-secret")
    monkeypatch.setenv("LANG", "C.UTF-8")
    out = run_bash("env", security=sec).stdout
    assert "sk-test-secret-value" not in out and "another-secret" not in out
    assert "LANG=C.UTF-8" in out and "PATH=" in out


def test_configured_and_explicit_environment(sec: FilesystemSecurity, monkeypatch) -> None:
    monkeypatch.setenv("PROJECT_TOKEN", "from-parent")
    cfg = BashConfig(env_allowlist=["PATH", "PROJECT_TOKEN"], env={"STAGE": "test"})
    out = run_bash('echo "$PROJECT_TOKEN $STAGE $EXTRA"', env={"EXTRA": "given"}, security=sec, config=cfg)
    assert out.stdout == "from-parent test given\n"


def test_working_directory_is_inside_the_sandbox(root: Path, sec: FilesystemSecurity) -> None:
    assert run_bash("pwd", security=sec).stdout.strip() == str(root)
    assert run_bash("pwd", working_dir="subdir", security=sec).stdout.strip() == str(root / "subdir")
    with pytest.raises(FileNotFoundError):
        run_bash("pwd", working_dir="absent", security=sec)


def test_stdin_is_closed(sec: FilesystemSecurity) -> None:
    assert run_bash("cat; echo done", timeout=10, security=sec).stdout == "done\n"


def test_timeout_kills_the_whole_process_group(root: Path, sec: FilesystemSecurity) -> None:
    command = "sleep 301.5 & echo started; wait"
    with pytest.raises(CommandTimeoutError) as info:
        run_bash(command, timeout=0.5, security=sec)
    error = info.value
    assert isinstance(error, ToolFailed) and isinstance(error, TimeoutError)
    assert "timed out after 0.5 seconds" in str(error) and "started" in str(error)
    assert error.result.timed_out and "started" in error.result.stdout
    assert asyncio.run(_wait_gone("sleep 301.5"))


def test_background_processes_do_not_outlive_the_command(root: Path, sec: FilesystemSecurity) -> None:
    # The grandchild holds stdout open; without killing the group the call would wait for the timeout.
    result = run_bash("sleep 302.5 & echo launched", timeout=60, security=sec)
    assert result.stdout == "launched\n" and not result.timed_out
    assert asyncio.run(_wait_gone("sleep 302.5"))


async def test_cancelling_the_async_call_kills_the_group(root: Path, sec: FilesystemSecurity) -> None:
    task = asyncio.create_task(run_bash_async("sleep 303.5 & wait", timeout=60, security=sec))
    for _ in range(500):
        if _pids_running("sleep 303.5"):
            break
        await asyncio.sleep(0.01)
    assert _pids_running("sleep 303.5")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _wait_gone("sleep 303.5")


async def test_sync_run_bash_works_inside_a_running_loop(sec: FilesystemSecurity) -> None:
    assert run_bash("echo inside", security=sec).stdout == "inside\n"


def test_output_is_capped_keeping_head_and_tail(sec: FilesystemSecurity) -> None:
    cfg = BashConfig(max_output_bytes=1_000)
    result = run_bash(
        "echo BEGIN; head -c 200000 /dev/zero | tr '\\0' x; echo; echo END", security=sec, config=cfg
    )
    assert result.truncated
    assert result.stdout.startswith("BEGIN\n") and result.stdout.rstrip().endswith("END")
    assert "stdout truncated: 200011 bytes in all" in result.stdout
    assert "read_file" in result.stdout
    assert len(result.stdout) < 1_600
    assert not run_bash("echo small", security=sec, config=cfg).truncated


def test_invalid_timeout(sec: FilesystemSecurity) -> None:
    with pytest.raises(ValueError, match="timeout"):
        run_bash("true", timeout=0, security=sec)


# -- allow and deny lists ---------------------------------------------------------------------------------


ALLOW = BashConfig(allowed_commands=["ls", "echo", "cat", "git status"])
DENY = BashConfig(denied_commands=["rm", "git push"])


@pytest.mark.parametrize(
    "command",
    [
        "rm -rf subdir",
        "ls; rm -rf subdir",
        "ls && rm -rf subdir",
        "ls | rm",
        "echo $(rm -rf subdir)",
        "echo `rm -rf subdir`",
        "cat <(rm -rf subdir)",
        "PATH=. ls",
        "./ls",
        "/bin/rm -rf subdir",
        "$CMD subdir",
        "if true; then rm -rf subdir; fi",
        "function f { rm -rf subdir; }",
        "echo 'unbalanced",
        "git push",
        "bash -c 'rm -rf subdir'",
        "echo a#; rm -rf subdir",
    ],
)
def test_allow_list_refuses(root: Path, sec: FilesystemSecurity, command: str) -> None:
    with pytest.raises(CommandDeniedError, match="allow-list") as info:
        run_bash(command, security=sec, config=ALLOW)
    assert isinstance(info.value, PermissionError)
    assert (root / "subdir").is_dir()


@pytest.mark.parametrize(
    "command", ["ls -la", "echo hi && ls subdir | cat", "git status", "ls > listing.txt"]
)
def test_allow_list_permits(sec: FilesystemSecurity, command: str) -> None:
    run_bash(command, security=sec, config=ALLOW)


@pytest.mark.parametrize(
    "command",
    [
        "rm -rf subdir",
        "/bin/rm -rf subdir",
        "r''m -rf subdir",
        'echo "$(rm -rf subdir)"',
        "echo x; \\rm -rf subdir",
        "ls\nrm -rf subdir",
        "git push origin main",
        "find . -delete -exec rm {} +",
    ],
)
def test_deny_list_refuses(root: Path, sec: FilesystemSecurity, command: str) -> None:
    with pytest.raises(CommandDeniedError, match="deny-list"):
        run_bash(command, security=sec, config=DENY)
    assert (root / "subdir").is_dir()


def test_deny_list_permits_others(sec: FilesystemSecurity) -> None:
    assert run_bash("git --version >/dev/null; echo ok", security=sec, config=DENY).stdout == "ok\n"


def test_empty_command_is_refused(sec: FilesystemSecurity) -> None:
    with pytest.raises(CommandDeniedError, match="empty"):
        run_bash("   ", security=sec)


def test_env_of_the_test_process_is_untouched(sec: FilesystemSecurity) -> None:
    before = dict(os.environ)
    run_bash("export X=1", security=sec)
    assert dict(os.environ) == before
