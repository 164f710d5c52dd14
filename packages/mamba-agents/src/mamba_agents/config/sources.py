"""Where settings come from: each source read into a plain dict, with errors that name the file and line.

The sources are read here rather than by pydantic-settings so that every field loads from its string form
(``MAMBA_RETRY__RETRY_LEVEL=2``, ``MAMBA_TOOLS__ENABLED=filesystem,bash``), an unknown section or variable is
an error naming the closest valid name, and a file that does not parse is one line: ``file:line: what``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from mamba_agents.config.errors import ConfigError, safe_text
from mamba_agents.config.legacy import is_legacy, upgrade, upgrade_variable

ENV_PREFIX = "MAMBA_"
DELIMITER = "__"
_NONE_STRINGS = ("", "null", "none")


@dataclass
class Layer:
    """One source's values (nested dicts, as the settings models take them).

    ``label`` names the source (a file path, ``environment``, ``constructor``); ``names`` maps a dotted key
    to the variable that set it, for environment-style sources.
    """

    label: str
    data: dict[str, Any]
    names: dict[str, str] = field(default_factory=dict)

    def describe(self, key: str) -> str:
        """The source of ``key`` as a user would look for it: the variable, or the file."""
        parts = key.split(".")
        for i in range(len(parts), 0, -1):
            name = self.names.get(".".join(parts[:i]))
            if name:
                return (
                    f"environment variable {name}"
                    if self.label == "environment"
                    else f"{self.label} ({name})"
                )
        return self.label


def closest(name: str, candidates: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def _suggest(name: str, candidates: Iterable[str], fmt: str = "{}") -> str:
    match = closest(name, candidates)
    return f"; did you mean {fmt.format(match)}?" if match else ""


# -- files ------------------------------------------------------------------------------------------------


def read_config_file(path: Path, sections: Mapping[str, type[BaseModel]]) -> Layer:
    """A TOML or YAML config file; a parse error or an unknown section is a one-line ``ConfigError``."""
    label = str(path.resolve())
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{label}: cannot be read: {type(exc).__name__}: {exc}") from None
    data = _parse_toml(label, text) if path.suffix.lower() == ".toml" else _parse_yaml(label, text)
    data = upgrade(data, lambda key: _at(label, text, key))
    for key, value in data.items():
        if key not in sections:
            line = _line_of_section(text, key)
            where = f"{label}:{line}" if line else label
            raise ConfigError(
                f"{where}: unknown section [{key}]{_suggest(key, sections, '[{}]')} "
                f"(sections: {', '.join(sections)})"
            )
        if not isinstance(value, dict):
            line = _line_of_section(text, key)
            where = f"{label}:{line}" if line else label
            raise ConfigError(f"{where}: [{key}] must be a table of settings, not {type(value).__name__}")
    return Layer(label, data)


def _at(label: str, text: str, dotted: str) -> str:
    """``file:line`` of a key (the line of its section when the key's own line is not found)."""
    section, _, key = dotted.partition(".")
    start = _line_of_section(text, section)
    if start is not None and key:
        lines = text.splitlines()
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[:=]")
        for number in range(start, len(lines)):
            if pattern.match(lines[number]):
                return f"{label}:{number + 1}"
    return f"{label}:{start}" if start else label


def _parse_toml(label: str, text: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\s*\(at line (\d+), column \d+\)$", message)
        if found:
            return _raise(f"{label}:{found.group(1)}: {message[: found.start()]} (invalid TOML)")
        message = re.sub(r"\s*\(at end of document\)$", "", message)
        return _raise(f"{label}: {message} at the end (invalid TOML)")


def _parse_yaml(label: str, text: str) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = f"{label}:{mark.line + 1}" if mark is not None else label
        return _raise(f"{where}: {safe_text(str(problem))} (invalid YAML)")
    if data is None:
        return {}
    if not isinstance(data, dict):
        return _raise(f"{label}: expected sections (a mapping) at the top level, not {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


def _raise(message: str) -> Any:
    raise ConfigError(message)


def _line_of_section(text: str, key: str) -> int | None:
    pattern = re.compile(
        rf"^\s*(\[\s*[\"']?{re.escape(key)}[\"']?\s*[\].]|[\"']?{re.escape(key)}[\"']?\s*[:=])"
    )
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def read_dotenv(path: Path, sections: Mapping[str, type[BaseModel]], label: str | None = None) -> Layer:
    """A ``.env`` file: a line that is not ``KEY=VALUE`` is a one-line error (the value is never shown)."""
    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    label = label or str(path.resolve())
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{label}: cannot be read: {type(exc).__name__}: {exc}") from None
    import io

    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise ConfigError(f"{label}:{binding.original.line}: not a KEY=VALUE line (invalid .env)")
    values = dotenv_values(stream=io.StringIO(text))
    return env_layer(label, {k: v for k, v in values.items() if v is not None}, sections)


# -- environment ------------------------------------------------------------------------------------------


def env_layer(label: str, environ: Mapping[str, str], sections: Mapping[str, type[BaseModel]]) -> Layer:
    """``MAMBA_SECTION__KEY[__SUBKEY]`` variables as nested values, each converted from its string form.

    A variable with ``__`` must name a section and key that exist. One without ``__`` is ours only when it
    names a whole section (a JSON object): other tools use the ``MAMBA_`` prefix too (micromamba's
    ``MAMBA_ROOT_PREFIX``), so the rest are left alone unless they look like a section with ``_`` for ``__``.
    """
    layer = Layer(label, {})
    where = (
        (lambda var: f"environment variable {var}")
        if label == "environment"
        else (lambda var: f"{label}: {var}")
    )
    for var in sorted(environ):
        if not var.upper().startswith(ENV_PREFIX):
            continue
        raw = environ[var]
        rest = var[len(ENV_PREFIX) :].lower()
        parts = rest.split(DELIMITER)
        if len(parts) == 1:
            if rest in sections:
                value = _json_object(raw, f"{where(var)}: expected a JSON object with [{rest}] settings")
                _merge(layer.data, {rest: value})
                layer.names[rest] = var
                continue
            for section in sections:
                if rest.startswith(section + "_") and len(rest) > len(section) + 1:
                    good = f"{ENV_PREFIX}{section.upper()}{DELIMITER}{rest[len(section) + 1 :].upper()}"
                    raise ConfigError(
                        f"{where(var)}: sections and keys are separated by '__'; did you mean {good}?"
                    )
            continue
        section, keys = parts[0], parts[1:]
        if is_legacy(section, keys):
            upgraded = upgrade_variable(section, keys, raw, where(var), environ)
            if upgraded is None:
                continue
            section, keys = upgraded
        if section not in sections:
            match = closest(section, sections)
            hint = (
                f"; did you mean {ENV_PREFIX}{match.upper()}{DELIMITER}{DELIMITER.join(keys).upper()}?"
                if match
                else ""
            )
            raise ConfigError(
                f"{where(var)}: unknown section {section!r}{hint} (sections: {', '.join(sections)})"
            )
        if not all(keys):
            raise ConfigError(f"{where(var)}: empty key between '__' separators")
        value = _convert_path(sections[section], keys, raw, where(var), section)
        nested: Any = value
        for key in reversed(keys):
            nested = {key: nested}
        _merge(layer.data, {section: nested})
        layer.names[".".join([section, *keys])] = var
    return layer


def _convert_path(model: type[BaseModel], keys: list[str], raw: str, where: str, path: str) -> Any:
    """Walk ``keys`` through ``model``'s fields and convert ``raw`` for the field they end at."""
    key, rest = keys[0], keys[1:]
    fields = model.model_fields
    if key not in fields:
        hint = _suggest(key, fields, "{!r}")
        raise ConfigError(f"{where}: unknown key {key!r} in [{path}]{hint} (keys: {', '.join(fields)})")
    annotation, _ = _strip_optional(fields[key].annotation)
    if not rest:
        return from_string(fields[key].annotation, raw, f"{where}: {path}.{key}")
    if _is_model(annotation):
        return _convert_path(annotation, rest, raw, where, f"{path}.{key}")
    if get_origin(annotation) is dict:
        value_type = (get_args(annotation) or (Any, Any))[1]
        inner, _ = _strip_optional(value_type)
        if len(rest) == 1:
            return from_string(value_type, raw, f"{where}: {path}.{key}.{rest[0]}")
        if _is_model(inner):
            return _convert_path(inner, rest[1:], raw, where, f"{path}.{key}.{rest[0]}")
        if inner is Any or get_origin(inner) is dict:
            return _nest(rest[1:], _maybe_json(raw))
    raise ConfigError(f"{where}: {path}.{key} has no sub-keys (set it as one value)")


def _nest(keys: list[str], value: Any) -> Any:
    for key in reversed(keys):
        value = {key: value}
    return value


def from_string(annotation: Any, raw: str, where: str) -> Any:
    """A field's value from its string form; what pydantic can coerce from text is passed on as text.

    Lists take JSON (``["a", "b"]``) or comma-separated (``a, b``); dicts and sections take JSON objects;
    literals match their printed form (``2`` for ``Literal[1, 2, 3]``); an optional field takes ``""``,
    ``null`` or ``none`` for unset.
    """
    inner, optional = _strip_optional(annotation)
    text = raw.strip()
    if optional and text.lower() in _NONE_STRINGS:
        return None
    origin = get_origin(inner)
    if origin is Literal:
        for choice in get_args(inner):
            if str(choice) == text or (isinstance(choice, str) and choice.lower() == text.lower()):
                return choice
        return raw
    if origin in (list, tuple, set, frozenset) or inner in (list, tuple, set, frozenset):
        if text.startswith("["):
            return _json(text, f"{where}: not a valid JSON list")
        item = (get_args(inner) or (Any,))[0]
        return [from_string(item, piece.strip(), where) for piece in text.split(",") if piece.strip()]
    if origin is dict or inner is dict or _is_model(inner):
        return _json_object(text, f"{where}: expected a JSON object")
    if inner is Any:
        return _maybe_json(raw)
    return raw


def _json(text: str, message: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{message} ({exc.msg} at column {exc.colno})") from None


def _json_object(text: str, message: str) -> dict[str, Any]:
    value = _json(text, message)
    if not isinstance(value, dict):
        raise ConfigError(f"{message}, not {type(value).__name__}")
    return value


def _maybe_json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _strip_optional(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(args) < len(get_args(annotation))
        if len(args) == 1:
            return args[0], optional
        return annotation, optional
    return annotation, False


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def merged(layers: Iterable[Layer]) -> dict[str, Any]:
    """The layers' values deep-merged, the first layer winning (layers are given highest first)."""
    out: dict[str, Any] = {}
    for layer in reversed(list(layers)):
        _merge(out, _copy(layer.data))
    return out


def _copy(data: Any) -> Any:
    return {k: _copy(v) for k, v in data.items()} if isinstance(data, dict) else data


def process_environment() -> dict[str, str]:
    return dict(os.environ)
