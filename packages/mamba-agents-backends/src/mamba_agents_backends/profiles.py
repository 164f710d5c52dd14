"""What a model can do (context window, tools, structured output) and how a server wants to be spoken to.

Profiles matter most for local models: pydantic-ai knows the context window of hosted models from
genai-prices, but nothing about ``llama3.2:3b`` on Ollama. Without a context window the compaction triggers
cannot fire, so an unknown model gets a conservative default rather than ``None``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from pydantic_ai.profiles.openai import OpenAIModelProfile

DEFAULT_CONTEXT_WINDOW = 8192
"""Context window assumed for a model no profile describes: small enough that compaction triggers in time on
any current open model (they all have at least 8K), large enough not to compact needlessly."""

MaxTokensField = Literal["max_tokens", "max_completion_tokens"]


@dataclass(frozen=True)
class ModelProfile:
    """Capabilities of one model family plus the quirks of the server it runs on.

    ``patterns`` are regular expressions matched (``re.match``, case-insensitive) against the normalised model
    name (see :func:`normalize_model_name`); the profile whose pattern matches the longest part of the name
    wins, so ``gpt-4o-mini`` never resolves to ``gpt-4o``.
    """

    name: str
    provider: str = "unknown"
    context_window: int = DEFAULT_CONTEXT_WINDOW
    max_output_tokens: int | None = None
    supports_tools: bool = True
    supports_vision: bool = False
    supports_streaming: bool = True
    supports_json_schema_output: bool = False
    supports_json_object_output: bool = False
    default_temperature: float | None = None
    patterns: tuple[str, ...] = ()
    # -- server quirks (set by the backend; see SERVER_QUIRKS) ---------------------------------------------
    empty_content_with_tool_calls: bool = False
    """Send ``content: ""`` instead of ``null`` on an assistant turn that only holds tool calls
    (llama-cpp-python answers HTTP 500 to ``null``; abetlen/llama-cpp-python#1805)."""
    max_tokens_field: MaxTokensField = "max_completion_tokens"
    """The field the ``max_tokens`` setting is sent as; most local servers only read ``max_tokens``."""
    single_system_message: bool = False
    """Merge leading system messages into one (some chat templates reject a second system message)."""
    supports_forced_tool_choice: bool = True
    """Whether ``tool_choice: "required"`` / a named function is accepted; if not, ``auto`` is sent."""
    strict_tool_definitions: bool = False
    """Send ``strict: true`` tool schemas (only OpenAI enforces them; local servers may reject them)."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def matches(self, normalized_name: str) -> int:
        """How many leading characters of ``normalized_name`` the best pattern matches (0: no match)."""
        best = 0
        for pattern in self.patterns:
            found = re.match(pattern, normalized_name, flags=re.IGNORECASE)
            if found:
                best = max(best, found.end())
        return best

    def with_quirks(self, quirks: ServerQuirks | None) -> ModelProfile:
        """This profile as served by a server with ``quirks``."""
        if quirks is None:
            return self
        return replace(self, **{k: v for k, v in asdict(quirks).items() if v is not None})

    def to_pydantic_ai(self) -> OpenAIModelProfile:
        """The pydantic-ai profile (a partial dict merged over the provider's) that carries this one."""
        profile = OpenAIModelProfile(
            context_window=self.context_window,
            supports_tools=self.supports_tools,
            supports_json_schema_output=self.supports_json_schema_output,
            supports_json_object_output=self.supports_json_object_output,
            supports_image_input=self.supports_vision,
            supports_forced_tool_choice=self.supports_forced_tool_choice,
            openai_supports_strict_tool_definition=self.strict_tool_definitions,
            openai_chat_supports_max_completion_tokens=self.max_tokens_field == "max_completion_tokens",
        )
        if self.single_system_message:
            profile["openai_chat_supports_multiple_system_messages"] = False
        if not self.supports_tools:
            # pydantic-ai defaults structured output to an output tool, which such a model cannot call.
            profile["default_structured_output_mode"] = (
                "native" if self.supports_json_schema_output else "prompted"
            )
        return profile

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("patterns")
        return data


@dataclass(frozen=True)
class ServerQuirks:
    """Overrides a server kind applies to every model profile (``None`` keeps the model's value)."""

    empty_content_with_tool_calls: bool | None = None
    max_tokens_field: MaxTokensField | None = None
    single_system_message: bool | None = None
    supports_forced_tool_choice: bool | None = None
    strict_tool_definitions: bool | None = None
    supports_json_schema_output: bool | None = None
    supports_json_object_output: bool | None = None


# Every local server below reads `max_tokens`; none enforces strict tool schemas; merging system messages is
# harmless everywhere and required by some templates (Mistral's, several LM Studio ones).
_LOCAL_SERVER = ServerQuirks(
    max_tokens_field="max_tokens", single_system_message=True, strict_tool_definitions=False
)

SERVER_QUIRKS: dict[str, ServerQuirks] = {
    "openai_compatible": _LOCAL_SERVER,
    "ollama": replace(_LOCAL_SERVER, supports_json_schema_output=True, supports_json_object_output=True),
    "vllm": replace(_LOCAL_SERVER, supports_json_schema_output=True, supports_json_object_output=True),
    "lmstudio": replace(_LOCAL_SERVER, supports_json_schema_output=True, supports_json_object_output=True),
    # llama-cpp-python's server: HTTP 500 on `content: null`, AssertionError on `tool_choice: "required"`, and
    # only `json_object` response formats. llama.cpp's own llama-server accepts all three, so these are the
    # settings both accept.
    "llamacpp": replace(
        _LOCAL_SERVER,
        empty_content_with_tool_calls=True,
        supports_forced_tool_choice=False,
        supports_json_schema_output=False,
        supports_json_object_output=True,
    ),
}


def _p(name: str, provider: str, context_window: int, *patterns: str, **kw: Any) -> ModelProfile:
    return ModelProfile(
        name=name,
        provider=provider,
        context_window=context_window,
        patterns=patterns or (re.escape(name),),
        **kw,
    )


_HOSTED = {
    "supports_json_schema_output": True,
    "supports_json_object_output": True,
    "strict_tool_definitions": True,
}

# Context windows are the model cards' (what the weights were trained or extended to), tools = the model's
# chat template has a tool-call format. Hosted models are here because the seed's `get_profile("gpt-4o")` is.
BUILTIN_PROFILES: tuple[ModelProfile, ...] = (
    # OpenAI
    _p("gpt-4o", "openai", 128_000, r"gpt-4o", max_output_tokens=16_384, supports_vision=True, **_HOSTED),
    _p(
        "gpt-4o-mini",
        "openai",
        128_000,
        r"gpt-4o-mini",
        max_output_tokens=16_384,
        supports_vision=True,
        **_HOSTED,
    ),
    _p(
        "gpt-4.1", "openai", 1_047_576, r"gpt-4\.1", max_output_tokens=32_768, supports_vision=True, **_HOSTED
    ),
    _p(
        "gpt-4-turbo",
        "openai",
        128_000,
        r"gpt-4-turbo",
        max_output_tokens=4096,
        supports_vision=True,
        **_HOSTED,
    ),
    _p("gpt-4", "openai", 8192, r"gpt-4(-\d{4})?$", max_output_tokens=8192, **_HOSTED),
    _p("gpt-3.5-turbo", "openai", 16_385, r"gpt-3\.5-turbo", max_output_tokens=4096, **_HOSTED),
    _p("gpt-5", "openai", 400_000, r"gpt-5", max_output_tokens=128_000, supports_vision=True, **_HOSTED),
    _p(
        "o3", "openai", 200_000, r"o[134](-mini)?", max_output_tokens=100_000, supports_vision=True, **_HOSTED
    ),
    _p("gpt-oss", "openai", 131_072, r"gpt-oss", supports_json_schema_output=True),
    # Anthropic
    _p(
        "claude-3-5-sonnet",
        "anthropic",
        200_000,
        r"claude-3[-.]5-sonnet",
        max_output_tokens=8192,
        supports_vision=True,
    ),
    _p("claude-3-opus", "anthropic", 200_000, r"claude-3-opus", max_output_tokens=4096, supports_vision=True),
    _p(
        "claude-3-haiku",
        "anthropic",
        200_000,
        r"claude-3(-5)?-haiku",
        max_output_tokens=4096,
        supports_vision=True,
    ),
    _p(
        "claude-4",
        "anthropic",
        200_000,
        r"claude-(sonnet|opus|haiku)-4",
        r"claude-4",
        max_output_tokens=32_000,
        supports_vision=True,
    ),
    # Meta Llama
    _p("llama2", "meta", 4096, r"llama-?2", supports_tools=False),
    _p(
        "llama3",
        "meta",
        8192,
        r"(meta-)?llama-?3(-\d+b)?(-instruct)?$",
        r"(meta-)?llama-?3-\d+b",
        supports_tools=False,
    ),
    _p("llama3.1", "meta", 131_072, r"(meta-)?llama-?3\.1"),
    _p("llama3.2", "meta", 131_072, r"(meta-)?llama-?3\.2"),
    _p("llama3.2-vision", "meta", 131_072, r"(meta-)?llama-?3\.2-(\d+b-)?vision", supports_vision=True),
    _p("llama3.3", "meta", 131_072, r"(meta-)?llama-?3\.3"),
    _p("llama4", "meta", 1_048_576, r"(meta-)?llama-?4", supports_vision=True),
    _p("codellama", "meta", 16_384, r"code-?llama", supports_tools=False),
    # Qwen
    _p("qwen2", "qwen", 32_768, r"qwen-?2(?![.\d])"),
    _p("qwen2.5", "qwen", 32_768, r"qwen-?2\.5"),
    _p("qwen2.5-coder", "qwen", 32_768, r"qwen-?2\.5-coder"),
    _p("qwen3", "qwen", 32_768, r"qwen-?3"),
    _p("qwen3-coder", "qwen", 262_144, r"qwen-?3-coder"),
    _p("qwq", "qwen", 131_072, r"qwq"),
    # Mistral
    _p("mistral", "mistral", 32_768, r"mistral(-7b)?(-instruct)?(-v0\.[23])?$", r"mistral-7b"),
    _p("mistral-nemo", "mistral", 131_072, r"mistral-nemo"),
    _p("mistral-small", "mistral", 32_768, r"mistral-small"),
    _p("mistral-large", "mistral", 131_072, r"mistral-large"),
    _p("mixtral", "mistral", 32_768, r"mixtral"),
    _p("codestral", "mistral", 32_768, r"codestral", supports_tools=False),
    _p("devstral", "mistral", 131_072, r"devstral"),
    # Google Gemma (no tool-call format in their chat templates)
    _p("gemma", "google", 8192, r"gemma(-\d+b)?(-it)?$", supports_tools=False),
    _p("gemma2", "google", 8192, r"gemma-?2", supports_tools=False),
    _p("gemma3", "google", 131_072, r"gemma-?3", supports_tools=False, supports_vision=True),
    _p("gemma3-1b", "google", 32_768, r"gemma-?3-1b", supports_tools=False),
    # Microsoft Phi
    _p("phi3", "microsoft", 4096, r"phi-?3(-mini)?(-4k)?", supports_tools=False),
    _p("phi3-128k", "microsoft", 131_072, r"phi-?3(\.5)?-[a-z]+-128k", r"phi-?3\.5", supports_tools=False),
    _p("phi4", "microsoft", 16_384, r"phi-?4", supports_tools=False),
    _p("phi4-mini", "microsoft", 131_072, r"phi-?4-mini"),
    # DeepSeek
    _p("deepseek-r1", "deepseek", 131_072, r"deepseek-r1"),
    _p("deepseek-v3", "deepseek", 131_072, r"deepseek-v3", r"deepseek-chat"),
    _p("deepseek-coder", "deepseek", 16_384, r"deepseek-coder", supports_tools=False),
    _p("deepseek-coder-v2", "deepseek", 163_840, r"deepseek-coder-v2"),
    # Others commonly served by Ollama / LM Studio / vLLM
    _p("command-r", "cohere", 131_072, r"command-r"),
    _p("granite3", "ibm", 131_072, r"granite-?3"),
    _p("hermes3", "nous", 131_072, r"hermes-?3"),
    _p("smollm2", "huggingface", 8192, r"smollm-?2"),
    _p("tinyllama", "tinyllama", 2048, r"tinyllama", supports_tools=False),
)

DEFAULT_PROFILE = ModelProfile(name="default", provider="unknown")
"""For unknown models: tools on (dropping them silently was the original's worst surprise) and a conservative
context window so compaction still triggers."""

_lock = threading.Lock()
_profiles: dict[str, ModelProfile] = {p.name: p for p in BUILTIN_PROFILES}


def normalize_model_name(model: str) -> str:
    """Lower-case, without the ``org/`` prefix, the ``.gguf`` suffix, a quantisation suffix or an Ollama
    ``:tag`` that does not name a size.

    >>> normalize_model_name("meta-llama/Llama-3.2-3B-Instruct")
    'llama-3.2-3b-instruct'
    >>> normalize_model_name("SmolLM2-135M-Instruct.Q4_1.gguf")
    'smollm2-135m-instruct'
    >>> normalize_model_name("llama3.2:latest")
    'llama3.2'
    """
    name = model.strip().rsplit("/", 1)[-1].lower()
    name = re.sub(r"\.gguf$", "", name)
    name = re.sub(r"[.-](q\d[\w]*|f16|f32|bf16|fp16|int[48])$", "", name)
    base, _, tag = name.partition(":")
    if tag and re.fullmatch(r"\d+(\.\d+)?[bm](-\w+)*", tag):
        return f"{base}-{tag}"
    return base.replace("_", "-")


def get_profile(name: str, *, server: str | None = None) -> ModelProfile:
    """The profile for a model name: ``gpt-4o``, ``llama3.2:3b``, ``Qwen/Qwen2.5-7B-Instruct``, a GGUF file.

    The profile matching the longest part of the name wins; an unknown model gets :data:`DEFAULT_PROFILE`
    under its own name.
    ``server`` (``ollama``, ``vllm``, ``lmstudio``, ``llamacpp``, ``openai_compatible``) applies that server's
    quirks.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"get_profile() needs a model name, got {name!r}")
    if server is not None and server not in SERVER_QUIRKS:
        raise ValueError(f"unknown server kind {server!r}; known: {', '.join(sorted(SERVER_QUIRKS))}")
    normalized = normalize_model_name(name)
    with _lock:
        candidates = list(_profiles.values())
    exact = [p for p in candidates if p.name.lower() == name.strip().lower()]
    if exact:
        profile = exact[0]
    else:
        scored = [(p.matches(normalized), p) for p in candidates]
        best_score, best = max(scored, key=lambda item: item[0], default=(0, DEFAULT_PROFILE))
        profile = best if best_score else replace(DEFAULT_PROFILE, name=name)
    return profile.with_quirks(SERVER_QUIRKS.get(server)) if server else profile


def register_profile(profile: ModelProfile, *, replace_existing: bool = False) -> None:
    """Add a profile for a model this table does not know (or, with ``replace_existing``, correct one)."""
    if not isinstance(profile, ModelProfile):
        raise TypeError(f"register_profile() takes a ModelProfile, got {type(profile).__name__}")
    if profile.context_window <= 0:
        raise ValueError(f"profile {profile.name!r}: context_window must be positive")
    with _lock:
        if profile.name in _profiles and not replace_existing:
            raise ValueError(
                f"a profile named {profile.name!r} exists; pass replace_existing=True to replace it"
            )
        if not profile.patterns:
            profile = replace(profile, patterns=(re.escape(profile.name.lower()),))
        _profiles[profile.name] = profile


def unregister_profile(name: str) -> None:
    """Remove a profile added with :func:`register_profile` (built-in ones are restored)."""
    with _lock:
        builtin = {p.name: p for p in BUILTIN_PROFILES}
        if name in builtin:
            _profiles[name] = builtin[name]
        else:
            _profiles.pop(name, None)


def list_profiles() -> list[ModelProfile]:
    with _lock:
        return sorted(_profiles.values(), key=lambda p: (p.provider, p.name))


def get_profiles_by_provider(provider: str) -> list[ModelProfile]:
    return [p for p in list_profiles() if p.provider == provider]
