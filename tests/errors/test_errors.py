"""The error classes: what they say, what they keep, what they never show, and pydantic-ai compatibility."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mamba_agents.config import ConfigError
from mamba_agents.errors import (
    AgentError,
    AuthenticationError,
    BackendConnectionError,
    BackendTimeoutError,
    ConfigurationError,
    ContextOverflowError,
    ModelBackendError,
    RateLimitError,
    ServerError,
    ToolExecutionError,
    to_agent_error,
)
from pydantic_ai import (
    ModelAPIError,
    ModelConnectionError,
    ModelContextWindowExceededError,
    ModelHTTPError,
    ModelRateLimitError,
    ModelServerError,
    ModelUnavailableError,
)
from pydantic_ai.exceptions import ModelAuthenticationError, ModelTimeoutError

INFO = {"backend": "vllm", "model": "llama3.2", "url": "http://user:hunter2@127.0.0.1:8000/v1?key=abc"}


def http(category: type[ModelAPIError], status: int, headers: dict[str, str] | None = None) -> ModelHTTPError:
    return ModelHTTPError.for_category(category, status_code=status, model_name="llama3.2", headers=headers)


@pytest.mark.parametrize(
    ("original", "ours"),
    [
        (http(ModelRateLimitError, 429), RateLimitError),
        (http(ModelServerError, 500), ServerError),
        (http(ModelUnavailableError, 503), ServerError),
        (http(ModelAuthenticationError, 401), AuthenticationError),
        (http(ModelContextWindowExceededError, 400), ContextOverflowError),
        (ModelConnectionError("llama3.2", "Connection error.", phase="connect"), BackendConnectionError),
        (ModelTimeoutError("llama3.2", "Request timed out.", phase="read"), BackendTimeoutError),
    ],
)
def test_pydantic_ai_errors_map_and_stay_catchable_as_theirs(original: ModelAPIError, ours: type) -> None:
    mapped = to_agent_error(original, INFO)
    assert isinstance(mapped, ours | ModelBackendError) and isinstance(mapped, ours)
    assert isinstance(mapped, ModelBackendError) and isinstance(mapped, AgentError)
    # `except ModelRateLimitError` / `except ModelHTTPError` still work
    assert isinstance(mapped, type(original))
    assert mapped.__cause__ is original
    assert mapped.backend == "vllm" and mapped.model == "llama3.2"
    assert mapped.url == "http://127.0.0.1:8000/v1"  # no user, password or query
    assert "hunter2" not in str(mapped) and "key=abc" not in str(mapped)
    assert "vllm" in str(mapped)
    if isinstance(original, ModelHTTPError):
        assert mapped.status_code == original.status_code
    with pytest.raises(type(original)):
        raise mapped


def test_connection_error_names_host_backend_and_the_check_command() -> None:
    original = ModelConnectionError("llama3.2", "Connection error.", phase="connect")
    message = str(to_agent_error(original, INFO))
    assert message.startswith("Connection error: cannot reach 127.0.0.1:8000")
    assert "backend 'vllm'" in message and "mamba backends --check" in message


def test_rate_limit_keeps_fractional_retry_after_that_pydantic_ai_drops() -> None:
    original = http(ModelRateLimitError, 429, {"Retry-After": "0.25"})
    assert original.retry_after is None  # pydantic-ai reads whole seconds only
    mapped = to_agent_error(original, INFO)
    assert mapped.retry_after == 0.25 and mapped.retryable is True
    assert "asked to wait 0.25 s" in str(mapped)


def test_config_errors_are_configuration_errors() -> None:
    assert issubclass(ConfigError, ConfigurationError) and issubclass(ConfigError, ValueError)
    assert issubclass(ConfigurationError, AgentError)


def test_cause_and_details() -> None:
    cause = OSError("disk")
    args = {"api_key": "sk-x"}
    err = ToolExecutionError("write failed", cause=cause, tool_name="write_file", tool_args=args)
    assert err.__cause__ is cause and err.tool_name == "write_file"
    assert err.tool_args == {"api_key": "**********"}
    with pytest.raises(AttributeError):
        _ = err.no_such_detail


KEY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"


@given(st.text(alphabet=KEY_CHARS, min_size=12, max_size=40))
def test_secrets_never_appear_in_messages_or_reprs(secret: str) -> None:
    key = f"sk-{secret}"
    err = AgentError(f"request with Bearer {secret} and api_key={secret} failed", api_key=key, token=secret)
    for text in (str(err), repr(err), repr(err.details)):
        assert secret not in text and key not in text
    mapped = to_agent_error(
        ModelConnectionError("m", f"refused (key {key})"), {"url": f"http://u:{secret}@h:1/v1"}
    )
    assert secret not in str(mapped) and secret not in repr(mapped.details)


def test_mapped_errors_pickle() -> None:
    mapped = to_agent_error(http(ModelServerError, 500), INFO)
    again = pickle.loads(pickle.dumps(mapped))
    assert isinstance(again, ModelServerError) and again.status_code == 500


def test_import_stays_light() -> None:
    code = (
        "import sys, mamba_agents, mamba_agents.errors as e; e.AgentError; e.CircuitBreaker;"
        "heavy = [m for m in ('pydantic_ai', 'openai', 'tenacity') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
