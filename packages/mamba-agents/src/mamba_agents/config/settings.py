"""``AgentSettings``: every section, from arguments, environment, ``.env``, config files, ``~/mamba.env``."""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
    YamlConfigSettingsSource,
)

from mamba_agents.config.errors import ConfigError, is_secret_key, mask
from mamba_agents.config.sections import (
    CapabilitiesConfig,
    LoggingConfig,
    MCPConfig,
    ModelBackendSettings,
    PluginsConfig,
    RetryConfig,
    TokenizerConfig,
    ToolsConfig,
    WorkflowsConfig,
)
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
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        case_sensitive=False,
    )

    model_backend: ModelBackendSettings = Field(default_factory=ModelBackendSettings)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    context: CompactionConfig = Field(default_factory=CompactionConfig)
    tokens: TokenizerConfig = Field(default_factory=TokenizerConfig)
    prompts: PromptConfig = Field(default_factory=PromptConfig)
    plugins: PluginsConfig = Field(default_factory=PluginsConfig)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    mcp: MCPConfig = Field(default_factory=MCPConfig)
    workflows: WorkflowsConfig = Field(default_factory=WorkflowsConfig)
    capabilities: CapabilitiesConfig = Field(default_factory=CapabilitiesConfig)

    _init_values: dict[str, Any] = PrivateAttr(default_factory=dict)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError.from_validation(exc, _labelled_sources(type(self), values)) from None
        self._init_values = values

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return tuple(source for _, source in _labelled_sources(settings_cls, None, init_settings))

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
        """Every effective value with the source it came from; secrets masked."""
        origins: dict[str, str] = {}
        for label, source in reversed(_labelled_sources(type(self), self._init_values)):
            try:
                data = source()
            except Exception:  # an unreadable source was already reported when these settings were built
                continue
            for key, _ in _flatten(data):
                origins[key] = label
        out = []
        for key, value in _flatten(self.model_dump(mode="python")):
            source = next((origins[k] for k in _prefixes(key) if k in origins), "default")
            out.append(ConfigValue(key, mask(value) if is_secret_key(key) else _plain(value), source))
        return out

    def model_dump_safe(self) -> dict[str, Any]:
        """``model_dump`` with every secret masked."""
        return _mask_tree(self.model_dump(mode="json"))


def config_file_candidates() -> list[Path]:
    explicit = _config_file.get()
    if explicit is not None:
        return [explicit]
    return [Path(name) for name in DEFAULT_CONFIG_FILES if Path(name).is_file()]


def _labelled_sources(
    settings_cls: type[BaseSettings], init_values: dict[str, Any] | None, init_source: Any = None
) -> list[tuple[str, PydanticBaseSettingsSource]]:
    """The sources, highest priority first, each with a label that names its file or variable."""
    sources: list[tuple[str, PydanticBaseSettingsSource]] = [
        ("constructor", init_source or InitSettingsSource(settings_cls, init_kwargs=dict(init_values or {}))),
        ("environment", EnvSettingsSource(settings_cls)),
    ]
    dotenv = Path(".env")
    if dotenv.is_file():
        sources.append((str(dotenv.resolve()), DotEnvSettingsSource(settings_cls, env_file=dotenv)))
    for path in config_file_candidates():
        if path.suffix.lower() == ".toml":
            sources.append((str(path.resolve()), TomlConfigSettingsSource(settings_cls, toml_file=path)))
        else:
            sources.append((str(path.resolve()), YamlConfigSettingsSource(settings_cls, yaml_file=path)))
    home_env = Path.home() / "mamba.env"
    if home_env.is_file():
        sources.append((str(home_env), DotEnvSettingsSource(settings_cls, env_file=home_env)))
    return sources


def _flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif prefix:
        yield prefix, data


def _prefixes(key: str) -> list[str]:
    parts = key.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


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
