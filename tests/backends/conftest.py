"""Fixtures for backend tests: a scripted fake server, and a real llama-cpp-python server on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pydantic_ai.models
import pytest

from tests.backends.fake_server import FakeServer


@pytest.fixture
def allow_model_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests talk to servers they start on 127.0.0.1, on purpose."""
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LlamaServer:
    base_url: str
    process: subprocess.Popen[bytes]
    model: str = "smollm2"


def start_llama_server(port: int, *, timeout: float = 90.0, stdout: int = subprocess.DEVNULL) -> LlamaServer:
    """``python -m llama_cpp.server`` with SmolLM2-135M; ready once ``GET /v1/models`` answers.

    ``stdout=subprocess.PIPE`` keeps what the server prints (it reports disconnected clients there).
    """
    from mamba_agents_local import default_model_path

    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(default_model_path()), "--model_alias", "smollm2",
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--n_threads", "1",
        "--chat_format", "chatml-function-calling", "--verbose", "False",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE)
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"llama_cpp.server exited with {process.returncode}:\n{err[-2000:]}")
        try:
            if httpx2.get(f"{base_url}/models", timeout=1.0).status_code == 200:
                return LlamaServer(base_url, process)
        except httpx2.HTTPError:
            pass
        time.sleep(0.2)
    stop_llama_server(process)
    raise RuntimeError(f"llama_cpp.server did not answer within {timeout:g} s")


def stop_llama_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    if process.stderr:
        process.stderr.close()


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """One real llama-cpp-python server for the whole session (the model loads once)."""
    server = start_llama_server(free_port())
    yield server
    stop_llama_server(server.process)
