"""Third-party MCP servers from npm (the reference servers users actually run), driven through an Agent.

``.ci/run`` installs them with ``npm ci --prefix tests/mcp/npm`` (offline afterwards). Outside CI, a machine
without them skips with the command to install them; in CI a missing install is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from mamba_agents import Agent
from mamba_agents.config import AgentSettings
from mamba_agents.mcp import MCPClientManager, MCPServerConfig
from mamba_agents_mcp.cli import mcp_command

from tests.mcp.conftest import ScriptedModel, _wait_port, free_port

BIN = Path(__file__).with_name("npm") / "node_modules" / ".bin"

pytestmark = pytest.mark.slow


def npm_server(name: str) -> str:
    path = BIN / name
    if path.exists() and shutil.which("node"):
        return str(path)
    if os.environ.get("CI"):
        pytest.fail(f"{path} is missing: .ci/run installs it with `npm ci --prefix tests/mcp/npm`")
    pytest.skip("npm MCP servers not installed (run `npm ci --prefix tests/mcp/npm`; needs Node.js)")


def _mcp_json(project: Path, servers: dict) -> None:
    (project / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    (project / "config.toml").write_text('[mcp]\nconfig_files = [".mcp.json"]\n')


async def test_everything_over_stdio_from_mcp_json_and_its_env_holds_no_agent_secret(project, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-agent-secret-0123456789")
    monkeypatch.setenv("GREETING_SOURCE", "from the user's shell")
    _mcp_json(
        project,
        {
            "everything": {
                "command": npm_server("mcp-server-everything"),
                "args": ["stdio"],
                "env": {"GREETING": "${GREETING_SOURCE}"},
                "tool_prefix": "ev",
            }
        },
    )
    scripted = ScriptedModel().calls(
        ("ev_echo", {"message": "hi"}), ("ev_get-sum", {"a": 2, "b": 3}), ("ev_get-env", {})
    )
    agent = Agent(scripted.model, settings=AgentSettings())
    try:
        await agent.run("go")
        await agent.run("again")  # the same connection serves a second run
    finally:
        await agent.aclose()
    echo, total, env = scripted.results[:3]
    assert "Echo: hi" in str(echo.content)
    assert "5" in str(total.content)
    environment = str(env.content)
    assert "from the user's shell" in environment  # ${VAR} in the file expands
    assert "sk-agent-secret" not in environment and "OPENAI_API_KEY" not in environment
    assert {"ev_echo", "ev_get-sum", "ev_get-env"} <= set(scripted.seen_tools[0])


@dataclass
class EverythingHttp:
    """server-everything over Streamable HTTP on a fixed port, so it can be killed and started again."""

    binary: str
    port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> None:
        # It has no host flag and listens on every interface; the tests only talk to 127.0.0.1.
        proc = subprocess.Popen(
            [self.binary, "streamableHttp"],
            env={**os.environ, "PORT": str(self.port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.procs.append(proc)
        _wait_port(self.port, proc)

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


@pytest.fixture
def everything_http() -> Iterator[EverythingHttp]:
    server = EverythingHttp(npm_server("mcp-server-everything"))
    server.start()
    yield server
    server.kill()


async def test_everything_over_streamable_http_survives_a_restart(everything_http):
    manager = MCPClientManager([MCPServerConfig(name="ev", url=everything_http.url, timeout=20)])
    scripted = ScriptedModel().calls(("get-sum", {"a": 20, "b": 22}))
    agent = Agent(scripted.model, toolsets=manager.as_toolsets())
    try:
        await agent.run("first")
        assert "42" in str(scripted.last().content)
        everything_http.kill()
        everything_http.start()
        scripted.calls(("get-sum", {"a": 1, "b": 2}))
        await agent.run("after the restart")
        assert "3" in str(scripted.last().content)
        assert manager.status()["ev"].state == "connected"
    finally:
        await manager.aclose()


async def test_filesystem_server_reads_inside_its_root_and_refuses_outside(project, tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    (root / "notes.txt").write_text("inside the allowed root")
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("must not be read")
    manager = MCPClientManager(
        [MCPServerConfig(name="fs", command=npm_server("mcp-server-filesystem"), args=[str(root)])]
    )
    scripted = ScriptedModel().calls(
        ("read_text_file", {"path": str(root / "notes.txt")}),
        ("read_text_file", {"path": str(outside)}),
    )
    agent = Agent(scripted.model, toolsets=manager.as_toolsets())
    try:
        result = await agent.run("read both")
    finally:
        await manager.aclose()
    inside, refused = scripted.results[:2]
    assert "inside the allowed root" in str(inside.content)
    assert "must not be read" not in str(refused.content)  # the server's refusal reaches the model
    assert result.output == "done"  # and the run finishes


def test_mamba_mcp_test_and_tools_against_the_npm_servers(project):
    _mcp_json(
        project,
        {
            "everything": {"command": npm_server("mcp-server-everything"), "args": ["stdio"]},
            "fs": {"command": npm_server("mcp-server-filesystem"), "args": [str(project)]},
        },
    )
    runner = CliRunner()
    tested = runner.invoke(mcp_command, ["test", "--json"])
    assert tested.exit_code == 0, tested.output
    results = {r["server"]: r for r in json.loads(tested.output)}
    assert results["everything"]["success"] and results["everything"]["tool_count"] >= 10
    assert results["fs"]["success"] and results["fs"]["tool_count"] >= 10
    tools = runner.invoke(mcp_command, ["tools", "fs", "--json"])
    assert "read_text_file" in {t["name"] for t in json.loads(tools.output)}
