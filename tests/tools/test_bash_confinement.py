"""OS confinement of run_bash (issue 10 holes 3 and 7): the agent's secrets are invisible, nothing outlives
the call, writes stay in the sandbox, read_only means no writes, the network is off by default; plus
``mamba tools doctor`` and the tool description. Each test skips only where the kernel lacks the feature."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from mamba_agents.config import BashConfig, ToolsConfig
from mamba_agents.tools.filesystem import FilesystemSecurity
from mamba_agents_tools import confinement
from mamba_agents_tools.bash import run_bash
from mamba_agents_tools.cli import tools_group
from mamba_agents_tools.errors import CommandDeniedError, ReadOnlyError
from mamba_agents_tools.toolset import build_toolset
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.tools.test_bash import _pids_running, _wait_gone

FOUND = confinement.detect()
needs_pidns = pytest.mark.skipif(
    not FOUND.pid_namespace, reason=f"no unprivileged PID namespace here: {'; '.join(FOUND.missing)}"
)
needs_landlock = pytest.mark.skipif(
    not FOUND.landlock, reason=f"no Landlock here: {'; '.join(FOUND.missing)}"
)
needs_netns = pytest.mark.skipif(
    not FOUND.network_namespace, reason=f"no network namespace here: {'; '.join(FOUND.missing)}"
)
SECRET = "sk-test-agent-secret-7f3a9c"


@pytest.fixture
def box(tmp_path: Path) -> tuple[Path, Path, FilesystemSecurity]:
    root, outside = tmp_path / "sandbox", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    return root, outside, FilesystemSecurity(base_directory=root)


# -- hole 3: secrets and escapes --------------------------------------------------------------------------


@needs_pidns
def test_the_agents_environment_is_not_readable(box, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    _, _, sec = box
    command = (
        f"cat /proc/$PPID/environ; cat /proc/{os.getpid()}/environ; cat /proc/*/environ; "
        f"grep -ra {SECRET} /proc/[0-9]*/environ; ps -e"
    )
    result = run_bash(command, security=sec, timeout=20)
    assert SECRET not in result.stdout + result.stderr
    assert str(os.getpid()) not in result.stdout.split()  # ps shows only the namespace's own processes


@needs_pidns
@pytest.mark.parametrize(
    ("command", "marker"),
    [
        ("setsid sh -c 'sleep 311.5' & echo ok", "sleep 311.5"),
        ("set -m; sleep 312.5 & echo ok", "sleep 312.5"),
        ("setsid sleep 313.5 > /dev/null 2>&1 < /dev/null & disown; echo ok", "sleep 313.5"),
        ("nohup setsid sleep 314.5 >/dev/null 2>&1 & echo ok", "sleep 314.5"),
    ],
)
def test_detached_children_do_not_outlive_the_command(box, command: str, marker: str) -> None:
    _, _, sec = box
    threads_before = threading.active_count()
    fds_before = len(os.listdir("/proc/self/fd"))
    started = time.monotonic()
    result = run_bash(command, security=sec, timeout=20)
    assert result.stdout.strip() == "ok"
    assert time.monotonic() - started < 15  # not held until the timeout by an escaped child's pipe
    import asyncio

    assert asyncio.run(_wait_gone(marker)), _pids_running(marker)
    assert threading.active_count() <= threads_before
    assert len(os.listdir("/proc/self/fd")) <= fds_before


@needs_pidns
def test_detached_children_die_on_timeout(box) -> None:
    _, _, sec = box
    from mamba_agents_tools.errors import CommandTimeoutError

    with pytest.raises(CommandTimeoutError):
        run_bash("setsid sh -c 'sleep 315.5' & set -m; sleep 316.5 & sleep 60", security=sec, timeout=1)
    import asyncio

    assert asyncio.run(_wait_gone("sleep 315.5")) and asyncio.run(_wait_gone("sleep 316.5"))


# -- Landlock: where a command may write ------------------------------------------------------------------


@needs_landlock
def test_writes_stay_inside_the_sandbox(box) -> None:
    root, outside, sec = box
    result = run_bash(
        f"echo in > inside.txt; echo out > {outside}/escaped.txt; mkdir {outside}/d; "
        f"ln -s /etc/passwd link; echo tmp > $TMPDIR/t && cat $TMPDIR/t; echo $TMPDIR",
        security=sec,
        timeout=20,
    )
    assert (root / "inside.txt").read_text() == "in\n"
    assert not (outside / "escaped.txt").exists() and not (outside / "d").exists()
    assert "tmp" in result.stdout
    private_tmp = Path(result.stdout.split()[-1])
    assert not private_tmp.exists()  # removed after the call
    assert "Permission denied" in result.stderr


@needs_landlock
def test_read_only_means_no_writes_at_all(box) -> None:
    root, _, _ = box
    (root / "data.txt").write_text("kept")
    sec = FilesystemSecurity(base_directory=root, read_only=True)
    result = run_bash(
        "cat data.txt; echo x > data.txt; rm data.txt; touch new; echo t > $TMPDIR/t && echo tmp-ok",
        security=sec,
        timeout=20,
    )
    assert result.stdout.startswith("kept")
    assert (root / "data.txt").read_text() == "kept" and not (root / "new").exists()
    assert "tmp-ok" in result.stdout  # only the private temp dir, thrown away after the call


def test_read_only_without_confinement_refuses(box) -> None:
    root, _, _ = box
    sec = FilesystemSecurity(base_directory=root, read_only=True)
    with pytest.raises(ReadOnlyError, match="read-only"):
        run_bash("touch x", security=sec, config=BashConfig(confinement="off"))
    assert not (root / "x").exists()


@needs_landlock
def test_writable_paths_extend_the_sandbox(box) -> None:
    _, outside, sec = box
    run_bash(f"echo y > {outside}/allowed.txt", security=sec, config=BashConfig(writable_paths=[outside]))
    assert (outside / "allowed.txt").read_text() == "y\n"


# -- network ----------------------------------------------------------------------------------------------


@pytest.fixture
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(5)
    yield server.getsockname()[1]
    server.close()


@needs_netns
def test_network_is_off_by_default_and_switchable(box, listener: int) -> None:
    _, _, sec = box
    probe = f"exec 3<>/dev/tcp/127.0.0.1/{listener} && echo connected"
    assert "connected" not in run_bash(probe, security=sec, timeout=20).stdout
    assert "connected" in run_bash(probe, security=sec, config=BashConfig(network=True), timeout=20).stdout


@needs_netns
def test_loopback_inside_works(box) -> None:
    _, _, sec = box
    command = "python3 -c \"import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print('bound')\""
    assert run_bash(command, security=sec, timeout=20).stdout.strip() == "bound"


# -- configuration, description, doctor -------------------------------------------------------------------

NOTHING = confinement.Protections(
    False, False, 0, None, ("namespaces: test says no", "Landlock: test says no")
)


def test_required_refuses_when_the_kernel_lacks_a_feature(box, monkeypatch: pytest.MonkeyPatch) -> None:
    root, _, sec = box
    monkeypatch.setattr(confinement, "detect", lambda: NOTHING)
    with pytest.raises(CommandDeniedError, match="required"):
        run_bash("touch x", security=sec, config=BashConfig(confinement="required"))
    assert not (root / "x").exists()
    assert run_bash("echo unconfined", security=sec).stdout == "unconfined\n"  # auto: runs, as before


def _bash_description(config: ToolsConfig, root: Path) -> str:
    seen: list[str] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.extend(t.description or "" for t in info.function_tools if t.name == "run_bash")
        return ModelResponse(parts=[TextPart("done")])

    agent = Agent(FunctionModel(model), toolsets=[build_toolset(["run_bash"], config)])
    assert agent.run_sync("hi").output == "done"
    return seen[0]


def test_the_tool_description_says_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(confinement, "detect", lambda: NOTHING)
    text = _bash_description(ToolsConfig(base_directory=tmp_path), tmp_path)
    assert "Not available on this system" in text and "namespaces: test says no" in text


@needs_pidns
def test_the_tool_description_says_it_is_confined(tmp_path: Path) -> None:
    assert "Commands run confined" in _bash_description(ToolsConfig(base_directory=tmp_path), tmp_path)


@needs_pidns
def test_agent_run_cannot_read_the_agents_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    attack = "cat /proc/$PPID/environ /proc/*/environ; grep -a sk- /proc/[0-9]*/environ; ps -ef"

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returns = [p for m in messages for p in getattr(m, "parts", []) if isinstance(p, ToolReturnPart)]
        if not returns:
            return ModelResponse(parts=[ToolCallPart("run_bash", {"command": attack, "timeout": 20})])
        return ModelResponse(parts=[TextPart(json.dumps(returns[0].content))])

    config = ToolsConfig(base_directory=tmp_path)
    agent = Agent(FunctionModel(model), toolsets=[build_toolset(["run_bash"], config)])
    output = agent.run_sync("go").output
    assert "exit_code" in output and SECRET not in output


def test_doctor_reports_each_protection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    group = click.Group("mamba")
    group.add_command(tools_group)
    result = CliRunner().invoke(group, ["tools", "doctor", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {r["protection"].split(" (")[0]: r for r in data["protections"]}
    assert rows["PID + mount namespace"]["available"] is FOUND.pid_namespace
    assert rows["Landlock filesystem"]["available"] is FOUND.landlock
    table = CliRunner().invoke(group, ["tools", "doctor"], env={"COLUMNS": "200"})
    assert "PID + mount namespace" in table.output and "Landlock" in table.output


def test_doctor_exits_1_when_required_cannot_hold(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAMBA_TOOLS__BASH__CONFINEMENT", "required")
    monkeypatch.setattr(confinement, "detect", lambda: NOTHING)
    group = click.Group("mamba")
    group.add_command(tools_group)
    result = CliRunner().invoke(group, ["tools", "doctor"], env={"COLUMNS": "200"})
    assert result.exit_code == 1 and "refuse" in result.output


def test_doctor_is_a_plugin_command() -> None:
    from mamba_agents.plugins import get_plugin_manager

    group = click.Group("mamba")
    get_plugin_manager().add_commands(group)
    assert "doctor" in group.commands["tools"].commands


@needs_landlock
def test_landlock_alone_confines_writes_and_tcp(box, listener: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # A kernel with Landlock but no user namespaces: writes and TCP are still confined.
    root, outside, sec = box
    landlock_only = confinement.Protections(False, False, FOUND.landlock_abi, None, ("namespaces: test",))
    monkeypatch.setattr(confinement, "detect", lambda: landlock_only)
    result = run_bash(
        f"echo in > in.txt; echo out > {outside}/out.txt; "
        f"exec 3<>/dev/tcp/127.0.0.1/{listener} && echo connected",
        security=sec,
        timeout=20,
    )
    assert (root / "in.txt").exists() and not (outside / "out.txt").exists()
    if FOUND.landlock_abi >= 4:
        assert "connected" not in result.stdout


def test_without_confinement_an_escaped_child_leaks_no_thread_or_fd(box) -> None:
    import signal

    _, _, sec = box
    threads_before = threading.active_count()
    fds_before = len(os.listdir("/proc/self/fd"))
    try:
        result = run_bash("setsid sleep 317.5 & echo ok", security=sec, config=BashConfig(confinement="off"))
        assert result.stdout == "ok\n"
        assert threading.active_count() <= threads_before
        assert len(os.listdir("/proc/self/fd")) <= fds_before
    finally:
        for pid in _pids_running("sleep 317.5"):  # off means unconfined: this one did escape
            os.kill(pid, signal.SIGKILL)
