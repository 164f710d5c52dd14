"""Every field of every section loads from its string form in an environment variable.

The values are generated from the settings models, so a field added later is covered (or this test says which
type it cannot yet write as text). Each field's environment form must give what the constructor gives.
"""

from __future__ import annotations

import json
import os
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from mamba_agents.config import AgentSettings, ConfigError
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.upper().startswith("MAMBA_"):
            monkeypatch.delenv(key)
    return tmp_path


def _strip(annotation: Any) -> Any:
    if get_origin(annotation) is typing.Annotated:
        return _strip(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return _strip(args[0]) if len(args) == 1 else annotation
    return annotation


def _bound(info: FieldInfo, default: float) -> float:
    """A number inside the field's constraints and different from its default when there is room."""
    low, high = None, None
    for meta in info.metadata:
        low = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else low
        low = getattr(meta, "gt", None) if getattr(meta, "gt", None) is not None else low
        high = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else high
        high = getattr(meta, "lt", None) if getattr(meta, "lt", None) is not None else high
    if low is not None and high is not None:
        return (low + high) / 2
    base = default if isinstance(default, int | float) else None
    return (base or low or 1) + 1


def sample(annotation: Any, info: FieldInfo | None, default: Any) -> tuple[Any, str]:
    """``(python value, its string form)`` for one field."""
    ann = _strip(annotation)
    origin = get_origin(ann)
    if origin is Literal:
        choices = [c for c in get_args(ann) if c != default] or list(get_args(ann))
        return choices[0], str(choices[0])
    if ann is bool:
        return (not default), str(not default).lower()
    if ann is int:
        value = int(_bound(info, default)) if info else 3
        return value, str(value)
    if ann is float:
        value = float(_bound(info, default)) if info else 0.5
        return value, str(value)
    if ann is str:
        if info is not None and any("https?" in str(m) for m in info.metadata):
            return "http://127.0.0.1:4318/v1/traces", "http://127.0.0.1:4318/v1/traces"  # a URL field
        # a string default already passes the field's validators; else a name that passes the name patterns
        text = default if isinstance(default, str) and default else "o200k_base"
        return text, text
    if ann is Path:
        return Path("/tmp/somewhere"), "/tmp/somewhere"
    if ann is SecretStr:
        return "s3cret-value", "s3cret-value"
    if origin is list or ann is list:
        item = (get_args(ann) or (str,))[0]
        if _strip(item) is Path:
            return [Path("/tmp/a.json"), Path("/tmp/b.json")], "/tmp/a.json, /tmp/b.json"
        return [".txt", ".md"], ".txt, .md"  # valid as commands, names and file extensions alike
    if origin is dict or ann is dict:
        value_type = _strip((get_args(ann) or (str, Any))[1])
        if isinstance(value_type, type) and issubclass(value_type, BaseModel):
            inner = {
                name: sample(f.annotation, f, f.get_default(call_default_factory=True))[0]
                for name, f in value_type.model_fields.items()
                if f.is_required()
            }
            value = {"my-model": inner}
        elif value_type is str:
            value = {"KEY": "value"}
        elif get_origin(value_type) is dict or value_type is dict:
            value = {"name": {"option": 1}}
        else:
            value = {"key": [1, "two"]}
        return value, json.dumps(value, default=str)
    raise AssertionError(f"no string sample for {annotation!r}: teach tests/config/test_env_strings.py")


def leaves(model: type[BaseModel], path: tuple[str, ...] = ()):
    for name, info in model.model_fields.items():
        ann = _strip(info.annotation)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from leaves(ann, (*path, name))
        else:
            yield (*path, name), info


FIELDS = list(leaves(AgentSettings))


def _nested(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    for key in reversed(path[1:]):
        value = {key: value}
    return {path[0]: value}


def _get(settings: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        settings = getattr(settings, part)
    return settings.get_secret_value() if isinstance(settings, SecretStr) else settings


@pytest.mark.parametrize(("path", "info"), FIELDS, ids=[".".join(p) for p, _ in FIELDS])
def test_every_field_loads_from_its_string_form(project, monkeypatch, path, info):
    value, text = sample(info.annotation, info, info.get_default(call_default_factory=True))
    variable = "MAMBA_" + "__".join(p.upper() for p in path)
    expected = _get(AgentSettings(**_nested(path, value)), path)
    monkeypatch.setenv(variable, text)
    settings = AgentSettings()
    assert _get(settings, path) == expected
    assert settings.source_of(".".join(path)) == f"environment variable {variable}"


def test_all_fields_at_once_from_the_environment(project, monkeypatch):
    for path, info in FIELDS:
        _, text = sample(info.annotation, info, info.get_default(call_default_factory=True))
        monkeypatch.setenv("MAMBA_" + "__".join(p.upper() for p in path), text)
    # the compaction target must stay below the trigger whatever the sampler picked
    monkeypatch.setenv("MAMBA_CONTEXT__TARGET_TOKENS", "10")
    AgentSettings()


def test_the_readme_retry_example_loads(project, monkeypatch):
    monkeypatch.setenv("MAMBA_RETRY__RETRY_LEVEL", "2")
    monkeypatch.setenv("MAMBA_RETRY__MAX_RETRIES", "3")
    assert (AgentSettings().retry.retry_level, AgentSettings().retry.max_retries) == (2, 3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("filesystem,bash", ["filesystem", "bash"]),
        (" filesystem , bash ,", ["filesystem", "bash"]),
        ('["filesystem", "bash"]', ["filesystem", "bash"]),
        ("[]", []),
        ("", []),
    ],
)
def test_lists_take_json_or_comma_separated_forms(project, monkeypatch, text, expected):
    monkeypatch.setenv("MAMBA_TOOLS__ENABLED", text)
    assert AgentSettings().tools.enabled == expected


def test_optional_field_unset_from_text_and_nested_dict_keys(project, monkeypatch):
    monkeypatch.setenv("MAMBA_PLUGINS__ENABLED", "null")
    monkeypatch.setenv("MAMBA_TOKENS__PRICES__LOCAL-LLAMA__INPUT_PER_MTOK", "0.5")
    monkeypatch.setenv("MAMBA_TOKENS__PRICES__LOCAL-LLAMA__OUTPUT_PER_MTOK", "1.5")
    monkeypatch.setenv("MAMBA_TOOLS", '{"read_only": true}')
    settings = AgentSettings()
    assert settings.plugins.enabled is None
    assert settings.tokens.prices["local-llama"].output_per_mtok == 1.5
    assert settings.tools.read_only is True


def test_bad_json_list_names_the_variable(project, monkeypatch):
    monkeypatch.setenv("MAMBA_TOOLS__ENABLED", '["filesystem"')
    with pytest.raises(
        ConfigError, match=r"^environment variable MAMBA_TOOLS__ENABLED: tools.enabled: not a valid JSON"
    ):
        AgentSettings()


def test_unrelated_mamba_variables_are_left_alone(project, monkeypatch):
    # micromamba's own variables share the prefix; only names with '__' (or a bare section) are ours
    monkeypatch.setenv("MAMBA_ROOT_PREFIX", "/opt/micromamba")
    monkeypatch.setenv("MAMBA_EXE", "/usr/bin/micromamba")
    AgentSettings()
