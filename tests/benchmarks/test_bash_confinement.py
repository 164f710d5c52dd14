"""Cost of run_bash's OS confinement: median seconds per call, confined (auto) vs unconfined (off)."""

from __future__ import annotations

import resource
import statistics
import time

from mamba_agents.config import BashConfig
from mamba_agents.tools.filesystem import FilesystemSecurity
from mamba_agents_tools import confinement
from mamba_agents_tools.bash import run_bash


def _median(fn, runs: int) -> tuple[float, float]:
    """Median wall seconds per call, and mean CPU seconds of the processes each call started."""
    samples = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / runs
    return statistics.median(samples), cpu


def test_confinement_cost_per_call(benchmark, report, tmp_path):
    sec = FilesystemSecurity(base_directory=tmp_path)
    off, auto = BashConfig(confinement="off"), BashConfig()
    found = confinement.detect()
    report("protections", "pidns+netns+landlock" if found.complete else ", ".join(found.missing) or "none")

    def plain():
        run_bash("true", security=sec, config=off)

    def confined():
        run_bash("true", security=sec, config=auto)

    plain()
    confined()
    runs = 40 if benchmark.enabled else 3
    (off_s, off_cpu), (auto_s, auto_cpu) = _median(plain, runs), _median(confined, runs)
    report("unconfined_median_ms", round(off_s * 1e3, 2))
    report("confined_median_ms", round(auto_s * 1e3, 2))
    report("wall_ratio", round(auto_s / off_s, 2))
    # CPU of the started processes: what the confinement costs on an idle machine, less scheduling noise
    report("unconfined_child_cpu_ms", round(off_cpu * 1e3, 2))
    report("confined_child_cpu_ms", round(auto_cpu * 1e3, 2))
    benchmark(confined)
