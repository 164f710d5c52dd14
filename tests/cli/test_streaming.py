"""``mamba run`` / ``mamba chat`` stream: piped stdout is the model's text byte for byte, the footer is one
line on stderr, and words reach stdout while the server is still generating. Real servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pydantic_ai.models
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mamba_agents.cli import cli

from tests.integration.fault_server import FaultServer, slow_stream
from tests.integration.openai_fake import FakeOpenAI, text_reply, tool_reply

LONG_LINE = "word " * 100  # 500 columns: rich would wrap this at 80 or 160
TRICKY = f"# Title\n[bold]not bold[/bold] [red]x[/] :smile: `code`\n{LONG_LINE.strip()}\nünïcødé 漢字 🐍\n"


@pytest.fixture
def scripted(tmp_path, monkeypatch):
    """A server whose next answers are ``replies`` (a list the test fills), streamed in small deltas."""
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    replies: list[dict] = []

    def responder(body):
        return replies.pop(0)

    with FakeOpenAI(responder) as server:
        monkeypatch.setenv("MAMBA_MODEL_BACKEND__BASE_URL", server.base_url)
        monkeypatch.setenv("MAMBA_MODEL_BACKEND__MODEL", "fake-model")
        monkeypatch.setenv("MAMBA_RETRY__MAX_RETRIES", "0")
        server.replies = replies  # type: ignore[attr-defined]
        yield server


def _expected(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def test_piped_run_prints_the_text_byte_for_byte(scripted):
    scripted.replies.append(text_reply(TRICKY, chunk=3))
    result = CliRunner().invoke(cli, ["run", "hi"])
    assert result.exit_code == 0, result.output
    assert result.stdout == TRICKY
    assert scripted.requests[0]["stream"] is True
    footer = [line for line in result.stderr.splitlines() if "request(s)" in line]
    assert footer == ["fake-model · 1 request(s) · 11 in / 7 out tokens · cost unpriced"]


# No "\r": click's Result.stdout turns "\r\n" into "\n". Not empty: pydantic-ai asks again for
# an empty answer.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), min_size=1, max_size=300
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT, chunk=st.integers(1, 50))
def test_piped_output_is_any_text_unchanged(scripted, text, chunk):
    scripted.replies.append(text_reply(text, chunk=chunk))
    result = CliRunner().invoke(cli, ["run", "hi"])
    assert result.exit_code == 0, result.output
    assert result.stdout == _expected(text)


def test_text_before_and_after_a_tool_call_is_all_shown(scripted):
    scripted.replies.extend(
        [
            {**tool_reply("current_time", {"timezone": "UTC"}), "content": "Let me look."},
            text_reply("It is late.", chunk=2),
        ]
    )
    result = CliRunner().invoke(cli, ["run", "time?", "--tools", "current_time"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Let me look.\nIt is late.\n"
    assert "→ current_time(" in result.stderr


def test_chat_streams_each_answer(scripted):
    scripted.replies.extend([text_reply("one [b]x[/b]", chunk=2), text_reply(LONG_LINE, chunk=7)])
    result = CliRunner().invoke(cli, ["chat"], input="first\nsecond\n/exit\n")
    assert result.exit_code == 0, result.output
    assert "one [b]x[/b]\n" in result.stdout and LONG_LINE + "\n" in result.stdout


def test_json_output_is_not_streamed_into_stdout(scripted):
    scripted.replies.append(text_reply("plain", chunk=1))
    result = CliRunner().invoke(cli, ["run", "hi", "--json"])
    assert json.loads(result.stdout)["output"] == "plain"


def test_words_reach_stdout_while_the_server_is_still_generating(tmp_path: Path) -> None:
    """A real process on a pipe: the first words are read before the server has sent the last one."""
    words, pause = 60, 0.05  # 3 s of generation
    with FaultServer([slow_stream(words=words, seconds=pause)]) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAMBA_")}
        env.update(
            HOME=str(tmp_path),
            MAMBA_MODEL_BACKEND__BASE_URL=server.base_url,
            MAMBA_MODEL_BACKEND__MODEL="fault-model",
            MAMBA_RETRY__MAX_RETRIES="0",
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "mamba_agents.cli", "run", "count"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,  # a piped stdin would be read into the prompt
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            first = proc.stdout.read(2)  # blocks until the first word is written
            first_at = time.monotonic()
            rest, err = proc.communicate(timeout=60)
            done_at = time.monotonic()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, err
    assert (first + rest).decode() == " ".join(f"w{i}" for i in range(words)) + "\n"
    # the first word arrived well before the answer was complete (1.5 s of the 3 s still to come)
    assert done_at - first_at > words * pause / 2
