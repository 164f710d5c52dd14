"""The profile table: name matching, defaults for unknown models, server quirks, and what pydantic-ai gets."""

from __future__ import annotations

import pytest
from mamba_agents.backends import (
    DEFAULT_CONTEXT_WINDOW,
    ModelProfile,
    get_profile,
    get_profiles_by_provider,
    list_profiles,
    register_profile,
    unregister_profile,
)
from mamba_agents_backends.profiles import SERVER_QUIRKS, normalize_model_name


@pytest.mark.parametrize(
    ("name", "profile", "context_window", "tools"),
    [
        ("gpt-4o", "gpt-4o", 128_000, True),
        # the original matched the first prefix in dict order, so this resolved to gpt-4o
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", 128_000, True),
        ("llama3.2", "llama3.2", 131_072, True),
        ("llama3.2:3b", "llama3.2", 131_072, True),
        ("llama3.2-vision:11b", "llama3.2-vision", 131_072, True),
        ("meta-llama/Llama-3.2-3B-Instruct", "llama3.2", 131_072, True),
        ("llama3:8b", "llama3", 8192, False),
        ("hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M", "llama3.2", 131_072, True),
        ("Qwen/Qwen2.5-Coder-7B-Instruct", "qwen2.5-coder", 32_768, True),
        ("qwen2.5:7b", "qwen2.5", 32_768, True),
        ("qwen2:7b", "qwen2", 32_768, True),
        ("mistral:7b-instruct", "mistral", 32_768, True),
        ("mistral-nemo:12b", "mistral-nemo", 131_072, True),
        ("gemma-2-9b-it", "gemma2", 8192, False),
        ("gemma3:1b", "gemma3-1b", 32_768, False),
        ("phi-3-mini-128k-instruct", "phi3-128k", 131_072, False),
        ("deepseek-coder-v2:16b", "deepseek-coder-v2", 163_840, True),
        ("SmolLM2-135M-Instruct.Q4_1.gguf", "smollm2", 8192, True),
    ],
)
def test_known_models_resolve_to_the_most_specific_profile(name, profile, context_window, tools):
    found = get_profile(name)
    assert (found.name, found.context_window, found.supports_tools) == (profile, context_window, tools)


def test_unknown_model_gets_tools_and_a_conservative_window_under_its_own_name():
    profile = get_profile("my-org/my-finetune-v7")
    assert profile.name == "my-org/my-finetune-v7"
    assert profile.supports_tools is True  # the original silently dropped tools for unknown models
    assert profile.context_window == DEFAULT_CONTEXT_WINDOW == 8192


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("meta-llama/Llama-3.2-3B-Instruct", "llama-3.2-3b-instruct"),
        ("SmolLM2-135M-Instruct.Q4_1.gguf", "smollm2-135m-instruct"),
        ("llama3.2:latest", "llama3.2"),
        ("llama3.2:3b", "llama3.2-3b"),
        ("Qwen2.5-7B-Instruct-f16.gguf", "qwen2.5-7b-instruct"),
    ],
)
def test_normalize_model_name(raw, normalized):
    assert normalize_model_name(raw) == normalized


def test_server_quirks_apply_on_top_of_the_model_profile():
    plain = get_profile("llama3.2")
    served = get_profile("llama3.2", server="llamacpp")
    assert plain.empty_content_with_tool_calls is False
    assert served.empty_content_with_tool_calls is True
    assert served.supports_forced_tool_choice is False
    assert served.max_tokens_field == "max_tokens"
    assert served.supports_json_schema_output is False
    assert served.context_window == plain.context_window
    assert get_profile("gpt-4o", server="vllm").supports_json_schema_output is True


def test_pydantic_ai_profile_carries_window_capabilities_and_quirks():
    profile = get_profile("qwen2.5:7b", server="llamacpp").to_pydantic_ai()
    assert profile["context_window"] == 32_768
    assert profile["supports_tools"] is True
    assert profile["supports_forced_tool_choice"] is False
    assert profile["openai_chat_supports_max_completion_tokens"] is False
    assert profile["openai_supports_strict_tool_definition"] is False
    assert profile["openai_chat_supports_multiple_system_messages"] is False
    assert profile["supports_json_schema_output"] is False


def test_model_without_tools_gets_a_structured_output_mode_it_can_follow():
    assert get_profile("gemma2").to_pydantic_ai()["default_structured_output_mode"] == "prompted"
    assert get_profile("gemma2", server="vllm").to_pydantic_ai()["default_structured_output_mode"] == "native"
    assert "default_structured_output_mode" not in get_profile("llama3.2").to_pydantic_ai()


def test_register_and_unregister_a_profile():
    custom = ModelProfile(name="acme-coder", provider="acme", context_window=65_536, supports_tools=False)
    register_profile(custom)
    try:
        assert get_profile("acme-coder:7b").context_window == 65_536
        assert get_profile("ACME-Coder").supports_tools is False
        assert custom.name in {p.name for p in get_profiles_by_provider("acme")}
        with pytest.raises(ValueError, match="exists"):
            register_profile(custom)
        register_profile(ModelProfile(name="acme-coder", context_window=1024), replace_existing=True)
        assert get_profile("acme-coder").context_window == 1024
    finally:
        unregister_profile("acme-coder")
    assert get_profile("acme-coder").context_window == DEFAULT_CONTEXT_WINDOW


def test_unregister_restores_a_builtin_profile():
    original = get_profile("llama3.2").context_window
    register_profile(
        ModelProfile(name="llama3.2", context_window=2048, patterns=(r"llama-?3\.2",)), replace_existing=True
    )
    assert get_profile("llama3.2:1b").context_window == 2048
    unregister_profile("llama3.2")
    assert get_profile("llama3.2:1b").context_window == original


@pytest.mark.parametrize("bad", ["", "   ", None, 42])
def test_get_profile_rejects_a_missing_name(bad):
    with pytest.raises(ValueError, match="model name"):
        get_profile(bad)


def test_get_profile_rejects_an_unknown_server_kind():
    with pytest.raises(ValueError, match="unknown server kind 'ollamma'"):
        get_profile("llama3.2", server="ollamma")


def test_register_profile_validates():
    with pytest.raises(TypeError):
        register_profile({"name": "x"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="context_window"):
        register_profile(ModelProfile(name="broken", context_window=0))


def test_every_builtin_profile_is_listed_and_sane():
    profiles = list_profiles()
    assert len({p.name for p in profiles}) == len(profiles) >= 40
    assert all(p.context_window >= 2048 for p in profiles)
    assert all(p.patterns for p in profiles)
    assert set(SERVER_QUIRKS) == {"openai_compatible", "ollama", "vllm", "lmstudio", "llamacpp"}
