"""``mamba run`` and ``mamba chat`` against a real OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import os

import pydantic_ai.models
import pytest
from click.testing import CliRunner
from mamba_agents.cli import cli

from tests.integration.openai_fake import FakeOpenAI, text_reply, tool_reply


@pytest.fixture
def server_env(tmp_path, monkeypatch):
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("MAMBA_"):
            monkeypatch.delenv(key)

    def responder(body):
        last = body["messages"][-1]
        if last["role"] == "tool":
            return text_reply(f"It is {last['content']}.")
        if body.get("tools"):
            return tool_reply("current_time", {"timezone": "UTC"})
        history = [m["content"] for m in body["messages"] if m["role"] == "user"]
        return text_reply(f"turn {len(history)}: {history[-1]}")

    with FakeOpenAI(responder) as server:
        monkeypatch.setenv("MAMBA_MODEL_BACKEND__BASE_URL", server.base_url)
        monkeypatch.setenv("MAMBA_MODEL_BACKEND__MODEL", "fake-model")
        monkeypatch.setenv("MAMBA_RETRY__MAX_RETRIES", "0")
        yield server


def test_run_prints_answer_tokens_and_unpriced_cost(server_env):
    result = CliRunner().invoke(cli, ["run", "hello there"])
    assert result.exit_code == 0, result.output
    assert "turn 1: hello there" in result.stdout
    assert "11 in / 7 out" in result.stderr and "unpriced" in result.stderr


def test_run_json_with_a_tool(server_env):
    result = CliRunner().invoke(cli, ["run", "What time is it?", "--tools", "current_time", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["output"].startswith("It is 20")
    assert data["requests"] == 2 and data["input_tokens"] == 31 and data["cost_usd"] is None
    assert data["cost"] == "unpriced" and data["model"] == "fake-model"


def test_run_with_a_priced_model_from_a_price_table(server_env, tmp_path):
    (tmp_path / "config.toml").write_text(
        "[tokens.prices.fake-model]\ninput_per_mtok = 1000\noutput_per_mtok = 2000\n"
    )
    data = json.loads(CliRunner().invoke(cli, ["run", "hi", "--json"]).stdout)
    assert data["cost_usd"] == pytest.approx(11 * 1000 / 1e6 + 7 * 2000 / 1e6)


def test_chat_keeps_history_and_ends_with_usage(server_env):
    result = CliRunner().invoke(cli, ["chat"], input="first\nsecond\n/usage\n/clear\nthird\n/exit\n")
    assert result.exit_code == 0, result.output
    assert "turn 1: first" in result.stdout and "turn 2: second" in result.stdout
    assert "turn 1: third" in result.stdout  # /clear forgot the conversation
    assert "conversation cleared" in result.stdout
    assert result.stderr.count("request(s)") == 2 and "3 request(s)" in result.stderr


def test_run_reports_a_bad_model_clearly(server_env, monkeypatch):
    monkeypatch.delenv("MAMBA_MODEL_BACKEND__BASE_URL")
    result = CliRunner().invoke(cli, ["run", "hi", "--model", "no-provider-model"])
    assert result.exit_code != 0
    assert "names no provider" in str(result.exception) + result.output
