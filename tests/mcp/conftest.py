"""Real MCP servers for the tests: ``server.py`` (the mcp SDK's own server class) on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.messages import RetryPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

SERVER = str(Path(__file__).with_name("server.py"))
PY = sys.executable
START_SECONDS = 60.0  # bound on a server coming up on a loaded 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"test MCP server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"test MCP server did not listen on {port} within {START_SECONDS}s")


@dataclass
class HttpServer:
    """``server.py`` over SSE or Streamable HTTP on a fixed port, so it can be killed and started again."""

    transport: str  # "sse" | "streamable-http"
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        path = "sse" if self.transport == "sse" else "mcp"
        return f"http://127.0.0.1:{self.port}/{path}"

    def start(self) -> HttpServer:
        self.proc = subprocess.Popen(
            [PY, SERVER, self.transport, str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_port(self.port, self.proc)
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None


@pytest.fixture
def http_server() -> Iterator[Any]:
    started: list[HttpServer] = []

    def start(transport: str) -> HttpServer:
        server = HttpServer(transport).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


@pytest.fixture(scope="module")
def shared_http() -> Iterator[HttpServer]:
    """One Streamable HTTP server for the tests that do not kill it."""
    server = HttpServer("streamable-http").start()
    yield server
    server.kill()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory and HOME of its own, with no MAMBA_ variables from the machine."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    return tmp_path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too; reap it if it is our child
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def stdio_config(name: str = "t", **kw: Any) -> Any:
    from mamba_agents.mcp import MCPServerConfig

    return MCPServerConfig(name=name, command=PY, args=[SERVER], **kw)


class ScriptedModel:
    """A FunctionModel that makes the queued tool calls (one per request) and then reports the results."""

    def __init__(self) -> None:
        self.queue: list[tuple[str, dict[str, Any]]] = []
        self.seen_tools: list[list[str]] = []
        self.results: list[Any] = []
        self.model = FunctionModel(self._respond)

    def calls(self, *calls: tuple[str, dict[str, Any]]) -> ScriptedModel:
        self.queue.extend(calls)
        return self

    def _respond(self, messages: list[Any], info: AgentInfo) -> ModelResponse:
        self.seen_tools.append(sorted(t.name for t in info.function_tools))
        for part in messages[-1].parts:
            if isinstance(part, ToolReturnPart | RetryPromptPart):
                self.results.append(part)
        if self.queue:
            name, args = self.queue.pop(0)
            return ModelResponse(parts=[ToolCallPart(name, args)])
        return ModelResponse(parts=[TextPart("done")])

    def last(self) -> Any:
        return self.results[-1]
