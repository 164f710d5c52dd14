"""Benchmarks report ratios against raw pydantic-ai measured in the same run; none asserts a time.

With ``--benchmark-disable`` (the default in addopts) each runs once as a plain test. For numbers run
``uv run pytest tests/benchmarks --benchmark-enable -s``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import pytest


def subprocess_seconds(code: str, *, runs: int = 5) -> float:
    """Median wall time of ``python -c code`` reporting its own elapsed seconds on stdout."""
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def timed(code: str) -> str:
    return f"import time; _t = time.perf_counter()\n{code}\nprint(time.perf_counter() - _t)"


@pytest.fixture
def report(benchmark, request):
    """``report(name, value)`` adds a number to the benchmark's extra_info and prints it."""

    def add(name: str, value: float | str) -> None:
        benchmark.extra_info[name] = value
        print(f"[{request.node.name}] {name}: {value}")

    return add


def best_of(fn, *, repeat: int = 20) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return min(samples)
