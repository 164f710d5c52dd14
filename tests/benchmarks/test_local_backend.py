"""The ``local`` backend against the same model driven directly through ``llama_cpp.Llama``, in the same run.

Reported (``-s`` shows them; ``--benchmark-enable`` also records them): generation tokens/second both ways and
their ratio, and cold start (fresh process to first answer) both ways. Nothing here asserts a time.
"""

from __future__ import annotations

import statistics
import time

import pydantic_ai.models
import pytest
from mamba_agents_local import LocalBackend, default_model_path
from mamba_agents_local.runtime import default_threads
from pydantic_ai import Agent

from tests.benchmarks.conftest import subprocess_seconds, timed

pytestmark = pytest.mark.slow

PROMPT = "Write a long story about a dragon who learns to fly."
MAX_TOKENS = 96
ROUNDS = 3


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> LocalBackend:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
    return LocalBackend(n_ctx=4096).load()


def test_local_generation_rate_vs_llama_cpp(benchmark, report, backend: LocalBackend):
    agent = Agent(backend)
    settings = {"max_tokens": MAX_TOKENS, "temperature": 0.0}

    def via_local() -> tuple[int, float]:
        started = time.perf_counter()
        result = agent.run_sync(PROMPT, model_settings=settings)
        return result.usage.output_tokens, time.perf_counter() - started

    def via_llama_cpp() -> tuple[int, float]:
        messages = [{"role": "user", "content": PROMPT}]

        def generate(llama):
            started = time.perf_counter()
            out = llama.create_chat_completion(messages=messages, max_tokens=MAX_TOKENS, temperature=0.0)
            return out["usage"]["completion_tokens"], time.perf_counter() - started

        return backend.runtime.call(generate)  # the same loaded weights, on the same thread

    via_local(), via_llama_cpp()  # warm both paths (prompt cache, first-call allocations)
    local_rates, direct_rates = [], []
    for _ in range(ROUNDS):  # interleaved, so load on the machine hits both alike
        tokens, seconds = via_local()
        local_rates.append(tokens / seconds)
        tokens, seconds = via_llama_cpp()
        direct_rates.append(tokens / seconds)
    tokens, _ = benchmark(via_local)

    local_rate, direct_rate = statistics.median(local_rates), statistics.median(direct_rates)
    assert tokens > 0 and local_rate > 0 and direct_rate > 0
    report("local_tokens_per_s", round(local_rate, 1))
    report("llama_cpp_tokens_per_s", round(direct_rate, 1))
    report("local_vs_llama_cpp_ratio", round(local_rate / direct_rate, 3))
    report("threads", backend.runtime.spec.n_threads or default_threads())


def test_cold_start_vs_llama_cpp(benchmark, report):
    """A fresh process until the first answer: imports, loading the weights, one token."""
    path = default_model_path()
    threads = default_threads()
    local_code = timed(
        "from pydantic_ai import Agent\n"
        "from mamba_agents_local import LocalBackend\n"
        "Agent(LocalBackend()).run_sync('Hi', model_settings={'max_tokens': 1})"
    )
    local = benchmark(lambda: subprocess_seconds(local_code, runs=3))
    direct = subprocess_seconds(
        timed(
            "from llama_cpp import Llama\n"
            f"llama = Llama({str(path)!r}, n_ctx=4096, n_threads={threads}, n_threads_batch={threads},"
            " verbose=False)\n"
            "llama.create_chat_completion(messages=[{'role': 'user', 'content': 'Hi'}], max_tokens=1)"
        ),
        runs=3,
    )
    # most of the difference is importing pydantic-ai (and the OpenAI SDK), which every mamba agent pays
    pydantic_ai_import = subprocess_seconds(timed("from pydantic_ai import Agent"), runs=3)
    assert local > 0 and direct > 0 and pydantic_ai_import > 0
    report("local_cold_start_s", round(local, 3))
    report("llama_cpp_cold_start_s", round(direct, 3))
    report("cold_start_ratio", round(local / direct, 2))
    report("pydantic_ai_import_s", round(pydantic_ai_import, 3))
    report("local_cold_start_minus_pydantic_ai_import_s", round(local - pydantic_ai_import, 3))
