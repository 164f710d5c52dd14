"""``AgentSettings``: every section, from arguments, environment, ``.env``, config files, ``~/mamba.env``."""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from mamba_agents.config.errors import ConfigError, is_secret_key, mask
from mamba_agents.config.legacy import upgrade
from mamba_agents.config.sections import (
    CapabilitiesConfig,
    LoggingConfig,
    MCPConfig,
    ModelBackendSettings,
    ObservabilityConfig,
    PluginsConfig,
    RetryConfig,
    SessionsConfig,
    SubAgentSettings,
    TokenizerConfig,
    ToolsConfig,
    WorkflowsConfig,
)
from mamba_agents.config.sources import Layer, env_layer, merged, read_config_file, read_dotenv
from mamba_agents.context.config import CompactionConfig
from mamba_agents.prompts.config import PromptConfig

_config_file: ContextVar[Path | None] = ContextVar("mamba_config_file", default=None)
DEFAULT_CONFIG_FILES = ("config.toml", "config.yaml", "config.yml")


@dataclass(frozen=True)
class ConfigValue:
    """One effective setting and the source it came from."""

    key: str
    value: Any
    source: str


class AgentSettings(BaseSettings):
    """Settings for agents and plugins.

    Sources, highest first: constructor arguments, environment (``MAMBA_`` prefix, ``__`` nesting), ``.env``,
    ``config.toml`` / ``config.yaml`` (or the file given to :meth:`from_file`), ``~/mamba.env``, defaults.
    """

    model_config = SettingsConfigDict(
        env_prefix="MAMBA_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
        case_sensitive=False,
    )

    model_backend: ModelBackendSettings = Field(default_factory=ModelBackendSettings)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    context: CompactionConfig = Field(default_factory=CompactionConfig)
    tokens: TokenizerConfig = Field(default_factory=TokenizerConfig)
    prompts: PromptConfig = Field(default_factory=PromptConfig)
    plugins: PluginsConfig = Field(default_factory=PluginsConfig)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    mcp: MCPConfig = Field(default_factory=MCPConfig)
    capabilities: CapabilitiesConfig = Field(default_factory=CapabilitiesConfig)
    sessions: SessionsConfig = Field(default_factory=SessionsConfig)
    workflows: WorkflowsConfig = Field(default_factory=WorkflowsConfig)
    subagents: dict[str, SubAgentSettings] = Field(default_factory=dict)

    _layers: list[Layer] = PrivateAttr(default_factory=list)

    def __init__(self, **values: Any) -> None:
        layers = _layers(type(self), values)
        try:
            # The sources are read (and checked) by _layers; pydantic-settings only validates the merge.
            super().__init__(**merged(layers))
        except ValidationError as exc:
            raise ConfigError.from_validation(exc, layers, type(self)) from None
        self._layers = layers

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)

    @classmethod
    def from_file(cls, path: str | Path, **values: Any) -> AgentSettings:
        """Settings with ``path`` (TOML or YAML) as the config file; environment and ``.env`` still win."""
        path = Path(path).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        if path.suffix.lower() not in (".toml", ".yaml", ".yml"):
            raise ConfigError(
                f"{path}: unsupported config file type {path.suffix!r}; use .toml, .yaml or .yml"
            )
        token = _config_file.set(path.resolve())
        try:
            return cls(**values)
        finally:
            _config_file.reset(token)

    def explain(self) -> list[ConfigValue]:
        """Every effective value with the source it came from (the file or variable); secrets masked."""
        out = []
        for key, value in _flatten(self.model_dump(mode="python")):
            out.append(
                ConfigValue(key, mask(value) if is_secret_key(key) else _plain(value), self.source_of(key))
            )
        return out

    def source_of(self, key: str) -> str:
        """Where the dotted ``key`` (``context.strategy``) was set: a file, a variable, or ``default``."""
        for layer in self._layers:
            if _has_key(layer.data, key.split(".")):
                return layer.describe(key)
        return "default"

    def source_files(self) -> list[Path]:
        """The files these settings were read from (config file, ``.env``, ``~/mamba.env``), absolute."""
        return [Path(x.label) for x in self._layers if x.label not in ("constructor", "environment")]

    def unused_sections(self) -> dict[str, str]:
        """Sections nothing installed reads, each with why: ``mamba config show`` must not present them as
        in effect."""
        import importlib.util

        out = {}
        for name, field in type(self).model_fields.items():
            consumer = getattr(field.annotation, "consumer", None)
            if not consumer:
                continue
            try:
                found = importlib.util.find_spec(consumer) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                from mamba_agents._lazy import PLUGIN_DISTRIBUTIONS

                dist = PLUGIN_DISTRIBUTIONS.get(consumer, (None,))[0]
                out[name] = (
                    f"not in effect: {dist} is not installed"
                    if dist
                    else "not in effect: nothing reads it yet"
                )
        return out

    def model_dump_safe(self) -> dict[str, Any]:
        """``model_dump`` with every secret masked."""
        return _mask_tree(self.model_dump(mode="json"))


def config_file_candidates() -> list[Path]:
    explicit = _config_file.get()
    if explicit is not None:
        return [explicit]
    return [Path(name) for name in DEFAULT_CONFIG_FILES if Path(name).is_file()]


def _layers(settings_cls: type[BaseSettings], init_values: dict[str, Any]) -> list[Layer]:
    """The sources, highest priority first, each read into a :class:`Layer` named for its file or variable."""
    import os

    sections = {name: f.annotation for name, f in settings_cls.model_fields.items()}
    init_values = upgrade(init_values, lambda key: "constructor")
    unknown = [k for k in init_values if k not in sections]
    if unknown:
        from mamba_agents.config.sources import closest

        match = closest(unknown[0], sections)
        hint = f"; did you mean {match!r}?" if match else ""
        raise ConfigError(
            f"constructor: unknown section {unknown[0]!r}{hint} (sections: {', '.join(sections)})"
        )
    layers = [Layer("constructor", dict(init_values)), env_layer("environment", os.environ, sections)]
    dotenv = Path(".env")
    if dotenv.is_file():
        layers.append(read_dotenv(dotenv, sections))
    for path in config_file_candidates():
        layers.append(read_config_file(path, sections))
    home_env = Path.home() / "mamba.env"
    if home_env.is_file():
        layers.append(read_dotenv(home_env, sections, label=str(home_env)))
    return layers


def _has_key(data: Any, parts: list[str]) -> bool:
    node = data
    for part in parts:
        if isinstance(node, BaseModel):
            if part not in node.model_fields_set:
                return False
            node = getattr(node, part)
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    return True


def _flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif prefix:
        yield prefix, data


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return mask(value)
    if isinstance(value, Path):
        return str(value)
    return value


def _mask_tree(data: Any, key: str = "") -> Any:
    if isinstance(data, dict):
        return {k: _mask_tree(v, k) for k, v in data.items()}
    return mask(data) if is_secret_key(key) else data
