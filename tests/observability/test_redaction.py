"""Every secret shape through every log path: none reaches a log line, in any format or sink.

The paths: the message itself, %-arguments, an argument's repr, extra fields (flat and nested), an
exception's traceback, a stack, and the model request and response bodies an Agent logs. The sinks: text on
stderr, JSON in a file, and the application's own root handler the records propagate to.
"""

from __future__ import annotations

import io
import json
import logging
import string
import tempfile
from contextlib import redirect_stderr
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mamba_agents import Agent, AgentSettings
from mamba_agents.config import ConfigError, LoggingConfig
from mamba_agents.observability import REDACTED, Redactor, register_secret, reset_logging, setup_logging
from pydantic import SecretStr
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel

ALNUM = string.ascii_letters + string.digits
USER_PATTERN = r"ACME-\d{6}"


def shapes(b: str, digits: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (text as it would appear in a log, the parts of it that must not appear)."""
    upper = (b.upper() + "A" * 16)[:16]
    return {
        "openai key": (f"sk-proj-{b}", [b]),
        "openai legacy key": (f"sk-{b}", [b]),
        "anthropic key": (f"sk-ant-api03-{b}", [b]),
        "bearer token": (f"sent with Bearer {b}", [b]),
        "authorization header": (f"Authorization: Bearer {b}", [b]),
        "basic auth header": (f"authorization='Basic {b}'", [b]),
        "api_key=": (f"api_key={b}", [b]),
        "API key:": (f"invalid API key: {b}", [b]),
        "json api_key": (json.dumps({"api_key": b}), [b]),
        "x-api-key header": (f"x-api-key: {b}", [b]),
        "password=": (f"password={b}", [b]),
        "client_secret": (f"client_secret: '{b}'", [b]),
        "token in a query": (f"https://api.example.com/v1?access_token={b}&page=2", [b]),
        "password in a URL": (f"postgresql://alice:{b}@db.local:5432/app", [b]),
        "password in an http URL": (f"https://bob:{b}@example.com/repo.git", [b]),
        "github token": (f"ghp_{b}", [b]),
        "aws key id": (f"AKIA{upper}", [upper]),
        "slack token": (f"xoxb-{b}", [b]),
        "google key": (f"AIza{(b * 2)[:35]}", [(b * 2)[:35]]),
        "jwt": (f"eyJ{b}.eyJ{b}.{b}", [f"eyJ{b}"]),
        "stripe key": (f"sk_live_{b}", [b]),
        "hugging face token": (f"hf_{(b * 2)[:34]}", [(b * 2)[:34]]),
        "user pattern": (f"ACME-{digits}", [f"ACME-{digits}"]),
        "settings secret as plain text": (f"the configured key {b}-plain", [f"{b}-plain"]),
    }


def log_paths(logger: logging.Logger, text: str) -> None:
    logger.warning(f"connecting: {text}")
    logger.warning("connecting: %s", text)
    logger.warning("config %r", {"headers": [text]})
    logger.warning("connecting", extra={"detail": text})
    logger.warning("connecting", extra={"request": {"headers": [{"h": text}]}, "token": "short"})
    try:
        raise RuntimeError(f"server said: {text}")
    except RuntimeError:
        logger.exception("request failed")
    logger.warning("where: %s", text, stack_info=True)
    logger.warning("secret object %s %r", SecretStr(text), SecretStr(text), extra={"key": SecretStr(text)})


class Collect(logging.Handler):
    """The application's own handler on the root logger."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s %(exc_text)s %(stack_info)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + " " + json.dumps(record.__dict__, default=str))


def assert_clean(output: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in output, f"{where}: {secret!r} leaked"


body = st.text(ALNUM, min_size=20, max_size=40)
digits = st.text("0123456789", min_size=6, max_size=6)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(b=body, d=digits, fmt=st.sampled_from(["text", "json"]), to_file=st.booleans())
def test_every_secret_shape_through_every_log_path_and_sink(b, d, fmt, to_file):
    reset_logging()
    register_secret(f"{b}-plain")  # what an Agent does with every SecretStr of its settings
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "mamba.log" if to_file else None
        app = Collect()
        root = logging.getLogger()
        root.addHandler(app)
        stderr = io.StringIO()
        try:
            setup_logging(
                LoggingConfig(level="DEBUG", format=fmt, file=file, sensitive_patterns=[USER_PATTERN])
            )
            child = logging.getLogger("mamba_agents.some.plugin")
            with redirect_stderr(stderr):
                for name, (text, secrets) in shapes(b, d).items():
                    before = len(app.lines)
                    log_paths(child, text)
                    assert len(app.lines) - before == 8, name  # every record still reaches the application
                    assert_clean("\n".join(app.lines[before:]), secrets, f"{name} (root handler)")
            reset_logging()  # closes the file
            written = file.read_text() if file else stderr.getvalue()
            assert written.count("connecting") >= 4 * len(shapes(b, d))
            for name, (_, secrets) in shapes(b, d).items():
                assert_clean(written, secrets, f"{name} ({fmt}, {'file' if file else 'stderr'})")
            if fmt == "json":
                for line in written.splitlines():
                    if line.startswith("{"):
                        json.loads(line)
            assert REDACTED in written
        finally:
            root.removeHandler(app)


def test_root_mode_redacts_before_the_applications_own_root_handlers():
    app = Collect()
    root = logging.getLogger()
    root.addHandler(app)  # there first
    try:
        setup_logging(LoggingConfig(level="INFO", root=True))
        stderr = io.StringIO()
        with redirect_stderr(stderr):
            logging.getLogger("some.other.library").warning("token=%s", "abcdefabcdef123")
            logging.getLogger("mamba_agents.x").warning("Bearer %s", "abcdefabcdef123")
        assert len(app.lines) == 2
        assert "abcdefabcdef123" not in "\n".join(app.lines) + stderr.getvalue()
        assert "some.other.library" in stderr.getvalue()  # every library's lines, formatted alike
    finally:
        root.removeHandler(app)


def test_a_record_below_our_level_that_a_child_logger_lets_through_is_still_redacted(caplog):
    setup_logging(LoggingConfig(level="WARNING"))
    stderr = io.StringIO()
    with redirect_stderr(stderr), caplog.at_level(logging.DEBUG, logger="mamba_agents.context"):
        logging.getLogger("mamba_agents.context").debug("password=%s", "hunter2hunter2")
    assert caplog.records and "hunter2hunter2" not in caplog.text
    assert "password" not in stderr.getvalue()  # below our level: not written by us


def test_agent_bodies_and_settings_secrets_are_redacted_in_request_and_response_logs(tmp_path):
    key = "my-very-own-backend-key-123"

    def echo(messages, info):
        prompt = messages[-1].parts[-1].content
        return ModelResponse(parts=[TextPart(f"you said {prompt}; Bearer abcdefghijklmnop")])

    log = tmp_path / "run.log"
    settings = AgentSettings(
        model_backend={"api_key": key},
        logging={
            "level": "DEBUG",
            "format": "json",
            "file": str(log),
            "include_request_body": True,
            "include_response_body": True,
        },
    )
    agent = Agent(FunctionModel(echo), settings=settings)
    agent.run_sync(f"use {key} and sk-proj-{'Q' * 30} and postgres://u:pw123456@h/db")
    reset_logging()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    bodies = [line["message"] for line in lines if "body" in line["message"]]
    assert len(bodies) == 2
    text = log.read_text()
    for secret in (key, "Q" * 30, "pw123456", "abcdefghijklmnop"):
        assert secret not in text
    assert all(line["run_id"] == lines[0]["run_id"] for line in lines)


def test_a_body_is_redacted_before_it_is_cut_so_no_half_secret_is_left(tmp_path):
    secret = "sk-proj-" + "Z" * 40

    def model(messages, info):
        return ModelResponse(parts=[TextPart("x" * 150 + " " + secret + " " + "y" * 3000)])

    log = tmp_path / "run.log"
    setup_logging(LoggingConfig(level="DEBUG", file=log, include_response_body=True, max_body_size=200))
    Agent(FunctionModel(model), settings=AgentSettings()).run_sync("hi")
    reset_logging()
    (line,) = [line for line in log.read_text().splitlines() if "response body" in line]
    assert "ZZZZZZ" not in line
    assert "more chars]" in line
    message = line.split("model response body: ", 1)[1]
    assert len(message) <= 200 + len("... [99999 more chars]")


def test_redactor_leaves_ordinary_text_alone():
    redactor = Redactor()
    for text in (
        "compacted with sliding_window: 300 -> 100 tokens, 12 -> 4 messages",
        "max_tokens=100 input_tokens=5 token_count=7",
        "https://example.com/path?page=2",
        "the token is valid",
        "keys: a, b",
    ):
        assert redactor.redact(text) == text
    assert redactor.redact(redactor.redact("Authorization: Bearer abcdefgh")) == (
        f"Authorization: Bearer {REDACTED}"
    )
    assert Redactor(enabled=False).redact("api_key=abcdef") == "api_key=abcdef"
    assert Redactor(api_keys=False).redact("api_key=abcdef") == "api_key=abcdef"
    assert Redactor(authorization=False).redact("Bearer abcdefgh") == "Bearer abcdefgh"


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        (["("], "logging.sensitive_patterns"),
        ([""], "is empty"),
        (["a*"], "matches the empty string"),
    ],
)
def test_a_bad_sensitive_pattern_fails_when_settings_load(patterns, message):
    with pytest.raises(ConfigError) as err:
        AgentSettings(logging={"sensitive_patterns": patterns})
    assert message in str(err.value)
    assert "\n" not in str(err.value).strip()
