"""``mamba run --session/-c``, ``mamba chat --session``, ``mamba sessions …`` and ``mamba logs``, end to end.

The model is a real OpenAI-compatible server on 127.0.0.1 that answers with how many user turns it was sent,
so an answer shows whether the stored history came back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pydantic_ai.models
import pytest
from click.testing import CliRunner
from mamba_agents.cli import cli
from mamba_agents.sessions.store import forget_stores
from mamba_agents_sessions.cli import logs, sessions
from pydantic_ai.conversation import ConversationTypeAdapter

from tests.integration.openai_fake import FakeOpenAI, text_reply


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)
    forget_stores()
    (tmp_path / "config.toml").write_text(
        f'[sessions]\nurl = "sqlite:///{tmp_path}/s.db"\n\n'
        "[tokens.prices.fake-model]\ninput_per_mtok = 1000\noutput_per_mtok = 2000\n"
    )

    def responder(body):
        users = [m["content"] for m in body["messages"] if m["role"] == "user"]
        return text_reply(f"turn {len(users)}: {users[-1]}")

    with FakeOpenAI(responder) as server:
        monkeypatch.setenv("MAMBA_MODEL_BACKEND__BASE_URL", server.base_url)
        monkeypatch.setenv("MAMBA_MODEL_BACKEND__MODEL", "fake-model")
        monkeypatch.setenv("MAMBA_RETRY__MAX_RETRIES", "0")
        yield tmp_path
    forget_stores()


def invoke(command, args):
    result = CliRunner().invoke(command, args)
    return result


def test_run_session_continue_list_show_logs_export_delete(env):
    first = invoke(cli, ["run", "--session", "work", "My name is Ada"])
    assert first.exit_code == 0, first.output
    assert "turn 1: My name is Ada" in first.stdout
    again = invoke(cli, ["run", "-c", "Who am I?"])
    assert again.exit_code == 0, again.output
    assert "turn 2: Who am I?" in again.stdout  # the first turn came back from the store

    listed = json.loads(invoke(sessions, ["list", "--json"]).stdout)
    assert [(s["name"], s["requests"]) for s in listed] == [("work", 2)]

    shown = json.loads(invoke(sessions, ["show", "work", "--json"]).stdout)
    assert [row["prompt"] for row in shown] == ["My name is Ada", "Who am I?"]
    assert all(row["model"] == "fake-model" and row["input_tokens"] > 0 for row in shown)
    assert all(row["cost_usd"] and row["cost_usd"] > 0 for row in shown)  # from the price table

    found = json.loads(invoke(logs, ["-q", "ADA", "--json"]).stdout)
    assert [row["answer"] for row in found] == ["turn 1: My name is Ada"]
    text = invoke(logs, []).stdout
    assert "work" in text and "fake-model" in text and "> Who am I?" in text

    exported = invoke(sessions, ["export", "work", "--json"]).stdout
    conversation = ConversationTypeAdapter.validate_json(exported)
    assert conversation.conversation_id == "work" and len(conversation.messages) == 4
    assert "## You\n\nWho am I?" in invoke(sessions, ["export", "work"]).stdout

    assert invoke(sessions, ["delete", "work"]).exit_code == 0
    assert json.loads(invoke(sessions, ["list", "--json"]).stdout) == []
    missing = invoke(sessions, ["show", "work"])
    assert missing.exit_code != 0 and "no stored session 'work'" in missing.output


def test_chat_session_survives_a_restart(env):
    first = CliRunner().invoke(cli, ["chat", "--session", "c"], input="hello\n/exit\n")
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(cli, ["chat", "--session", "c"], input="still there?\n/exit\n")
    assert "turn 2: still there?" in second.stdout


def test_continue_needs_a_session_and_excludes_session(env):
    empty = invoke(cli, ["run", "-c", "hi"])
    assert empty.exit_code != 0 and "no stored session to continue" in empty.output
    both = invoke(cli, ["run", "-c", "--session", "x", "hi"])
    assert both.exit_code == 2 and "not both" in both.output


@pytest.mark.slow
def test_the_commands_are_registered_through_the_plugin(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMBA_")}
    env["MAMBA_SESSIONS__URL"] = f"sqlite:///{tmp_path}/s.db"
    out = subprocess.run(
        [sys.executable, "-m", "mamba_agents.cli", "sessions", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []
