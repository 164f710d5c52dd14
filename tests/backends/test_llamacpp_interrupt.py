"""Ctrl-C in ``mamba run`` against a real llama-cpp-python server: the server stops generating at once.

llama.cpp's server stops a generation only when a *streamed* response's client goes away (a non-streamed
request runs to ``max_tokens`` whatever the client does), so this is what the CLI's streamed turns buy. The
server prints "Disconnected from client" when it notices; the test waits for that line, with a bound.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest

from tests.backends.conftest import LlamaServer, free_port, start_llama_server, stop_llama_server

pytestmark = pytest.mark.slow

WAIT = 60.0


@pytest.fixture
def talking_server() -> Iterator[tuple[LlamaServer, list[str]]]:
    server = start_llama_server(free_port(), stdout=subprocess.PIPE)
    lines: list[str] = []

    def read(stream: object) -> None:
        for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
            lines.append(raw.decode(errors="replace"))

    readers = [
        threading.Thread(target=read, args=(s,), daemon=True)
        for s in (server.process.stdout, server.process.stderr)
    ]
    for reader in readers:
        reader.start()
    yield server, lines
    stop_llama_server(server.process)


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    pytest.fail(f"gave up after {WAIT:g} s waiting for {what}")


def test_ctrl_c_stops_the_llama_cpp_server_generating(
    talking_server: tuple[LlamaServer, list[str]], tmp_path: Path
) -> None:
    server, lines = talking_server
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMBA_")}
    env.update(
        HOME=str(tmp_path),
        MAMBA_MODEL_BACKEND__BACKEND="llamacpp",
        MAMBA_MODEL_BACKEND__BASE_URL=server.base_url,
        MAMBA_MODEL_BACKEND__MODEL=server.model,
        MAMBA_MODEL_BACKEND__MAX_TOKENS="1500",  # minutes of generation on one thread if nobody stops it
        MAMBA_RETRY__MAX_RETRIES="0",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "mamba_agents.cli", "run", "Write a very long story about a dragon."],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,  # `mamba run` reads a piped stdin into the prompt
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: any("POST /v1/chat/completions" in line for line in lines), "the request")
        time.sleep(1.0)  # tokens are flowing
        proc.send_signal(signal.SIGINT)
        wait_for(lambda: any("Disconnected from client" in line for line in lines), "the server to stop")
        _, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    # The server is free again: a one-token request is answered (it would queue behind a running generation).
    reply = httpx2.post(
        f"{server.base_url}/chat/completions",
        json={"model": server.model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1},
        timeout=WAIT,
    )
    assert reply.status_code == 200
