"""Ctrl-C in ``mamba run`` / ``mamba chat`` stops the turn at once: the model stream is closed, so the server
stops generating, and the process ends. A real ``mamba`` process, a real SIGINT, a real server on 127.0.0.1.

The server streams one word every 50 ms for 20 s and records when the client hung up; the test waits (with a
bound, not a stopwatch) for that record.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.fault_server import FaultServer, ok, slow_stream

# Bounds for waiting on the other process; a test that fails still ends.
WAIT = 30.0


def wait_for(check: Callable[[], bool], what: str, limit: float = WAIT) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    pytest.fail(f"gave up after {limit:g} s waiting for {what}")


def mamba(
    tmp_path: Path, server: FaultServer, *args: str, stdin: int = subprocess.PIPE
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMBA_")}
    env.update(
        HOME=str(tmp_path),
        MAMBA_MODEL_BACKEND__BASE_URL=server.base_url,
        MAMBA_MODEL_BACKEND__MODEL="fault-model",
        MAMBA_RETRY__MAX_RETRIES="0",
        MAMBA_SESSIONS__URL=f"sqlite:///{tmp_path}/sessions.db",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "mamba_agents.cli", *args],
        cwd=tmp_path,
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def streaming(server: FaultServer) -> bool:
    return server.hits >= 1 and bool(server.requests[-1].get("stream"))


def test_ctrl_c_in_mamba_run_closes_the_stream_and_exits(tmp_path: Path) -> None:
    with FaultServer([slow_stream(words=400, seconds=0.05)]) as server:
        # `mamba run` reads piped stdin into the prompt, so it gets an empty one
        proc = mamba(tmp_path, server, "run", "count to four hundred", stdin=subprocess.DEVNULL)
        try:
            wait_for(lambda: server.hits >= 1, "the request")
            assert server.requests[0].get("stream") is True  # the CLI streams, so closing it stops the server
            time.sleep(0.3)  # a few words into the answer
            proc.send_signal(signal.SIGINT)
            wait_for(lambda: bool(server.disconnects), "the client to close the stream")
            _, err = proc.communicate(timeout=WAIT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 130, err
        assert "cancelled" in err and "Traceback" not in err
        assert server.hits == 1  # not retried


def test_ctrl_c_in_mamba_chat_stops_the_turn_and_keeps_the_chat(tmp_path: Path) -> None:
    with FaultServer([slow_stream(words=400, seconds=0.05), ok("second answer")]) as server:
        proc = mamba(tmp_path, server, "chat")
        try:
            assert proc.stdin is not None
            proc.stdin.write("first question\n")
            proc.stdin.flush()
            wait_for(lambda: streaming(server), "the first request")
            time.sleep(0.3)
            proc.send_signal(signal.SIGINT)
            wait_for(lambda: bool(server.disconnects), "the client to close the stream")
            proc.stdin.write("second question\n/exit\n")
            proc.stdin.flush()
            out, err = proc.communicate(timeout=WAIT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, err
        assert "turn cancelled" in err and "second answer" in out
        # The cancelled turn left nothing half-written: the second request carries only the second question.
        users = [m["content"] for m in server.requests[1]["messages"] if m["role"] == "user"]
        assert users == ["second question"]
