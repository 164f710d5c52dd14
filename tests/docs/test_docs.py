"""The docs stay true to the code: the configuration reference is generated from the settings models.

Regenerate after changing a settings model: ``MAMBA_REGEN_DOCS=1 uv run pytest tests/docs``.
"""

from __future__ import annotations

import os
import re
import typing
from pathlib import Path
from typing import Any

from mamba_agents.config import AgentSettings
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "configuration.md"
BEGIN, END = "<!-- BEGIN GENERATED REFERENCE -->", "<!-- END GENERATED REFERENCE -->"


def _type(annotation: Any) -> str:
    text = str(annotation) if not isinstance(annotation, type) else annotation.__name__
    for noise in ("typing.", "pathlib.", "pydantic.types.", "mamba_agents.config.sections."):
        text = text.replace(noise, "")
    return text.replace("|", "or")


def _rows(model: type[BaseModel], prefix: str):
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _rows(annotation, f"{prefix}{name}.")
            continue
        default = field.get_default(call_default_factory=True)
        shown = "(secret)" if "SecretStr" in str(annotation) and default else repr(default)
        description = (field.description or "").replace("\n", " ")
        yield f"| `{prefix}{name}` | `{_type(annotation)}` | `{shown}` | {description} |"


def generated_reference() -> str:
    out = []
    for section, field in AgentSettings.model_fields.items():
        model, table = field.annotation, section
        if typing.get_origin(model) is dict:  # a table per name, e.g. [subagents.NAME]
            model, table = typing.get_args(model)[1], f"{section}.NAME"
        doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        out.append(f"### `[{table}]`\n\n{doc}\n\n| key | type | default | notes |\n|---|---|---|---|")
        out.extend(_rows(model, f"{table}."))
        out.append("")
    return "\n".join(out).strip()


def test_configuration_reference_matches_the_settings_models():
    text = REFERENCE.read_text()
    current = text[text.index(BEGIN) + len(BEGIN) : text.index(END)].strip()
    expected = generated_reference()
    if os.environ.get("MAMBA_REGEN_DOCS") and current != expected:
        head, tail = text[: text.index(BEGIN) + len(BEGIN)], text[text.index(END) :]
        REFERENCE.write_text(f"{head}\n{expected}\n{tail}")
        current = expected
    assert current == expected, (
        "docs/configuration.md is stale: run MAMBA_REGEN_DOCS=1 uv run pytest tests/docs"
    )


def test_every_nav_page_exists():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in re.findall(r":\s*([\w/.-]+\.md)", nav):
        assert (ROOT / "docs" / page).is_file(), page
