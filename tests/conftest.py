"""Project-wide test setup: no real model requests, unless a test talks to a local server on purpose."""

from __future__ import annotations

import pydantic_ai.models

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False
