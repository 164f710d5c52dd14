"""A prompts folder laid out as the seed README shows it."""

from __future__ import annotations

from pathlib import Path

import pytest

BASE = """{% block persona %}You are a helpful AI assistant.{% endblock %}

{% block instructions %}{% endblock %}

{% block constraints %}{% endblock %}
"""

CODER = """{% extends "v1/base/base.jinja2" %}

{% block persona %}
You are an expert {{ language | default("Python") }} developer.
{% endblock %}

{% block instructions %}
Help the user write clean, efficient code.
{% endblock %}
"""

ASSISTANT_V1 = "You are {{ name }}, a {{ role | default('general') }} assistant."
ASSISTANT_V2 = '{% extends "v1/base/base.jinja2" %}{% block persona %}I am {{ name }} (v2).{% endblock %}'
REACT = "Think step by step about: {{ task }}"


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def prompts_dir(tmp_path: Path) -> Path:
    root = tmp_path / "prompts"
    write(root, "v1/base/base.jinja2", BASE)
    write(root, "v1/system/assistant.jinja2", ASSISTANT_V1)
    write(root, "v1/system/coder.jinja2", CODER)
    write(root, "v1/workflow/react.jinja2", REACT)
    write(root, "v2/system/assistant.jinja2", ASSISTANT_V2)
    return root
