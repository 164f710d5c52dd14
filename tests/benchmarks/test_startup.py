"""Cold import and plugin discovery cost, against ``import pydantic_ai`` in the same run."""

from __future__ import annotations

import statistics

from tests.benchmarks.conftest import subprocess_seconds, timed


def test_cold_import_vs_pydantic_ai(benchmark, report):
    # interleaved, many runs: a cold import varies by tens of ms between processes
    raw, agent = [], []
    for _ in range(9):
        raw.append(subprocess_seconds(timed("import pydantic_ai"), runs=1))
        agent.append(subprocess_seconds(timed("from mamba_agents import Agent"), runs=1))
    raw, agent = statistics.median(raw), statistics.median(agent)
    bare = subprocess_seconds(timed("import mamba_agents"))
    benchmark.pedantic(
        lambda: subprocess_seconds(timed("import mamba_agents"), runs=1), rounds=3, iterations=1
    )
    report("import_pydantic_ai_ms", round(raw * 1000, 1))
    report("import_mamba_agents_ms", round(bare * 1000, 1))
    report("import_mamba_agents_Agent_ms", round(agent * 1000, 1))
    report("Agent_import_overhead_over_pydantic_ai_ms", round((agent - raw) * 1000, 1))
    report("Agent_import_ratio_vs_pydantic_ai", round(agent / raw, 3))
    assert bare > 0 and raw > 0


def test_discovery_and_registration(benchmark, report):
    code = "from mamba_agents.plugins import PluginManager\nm = PluginManager(); m.load()"
    # pydantic_ai is loaded first (an Agent needs it anyway), so only discovery and registration are timed
    cold = subprocess_seconds("import pydantic_ai\n" + timed(code))
    cold_bare = subprocess_seconds(timed(code))
    from mamba_agents.plugins import PluginManager

    def load() -> int:
        manager = PluginManager()
        manager.load()
        return len(manager.infos)

    plugins = benchmark(load)
    report("plugins_discovered", plugins)
    report("cold_discovery_and_registration_ms", round(cold * 1000, 1))
    report("cold_discovery_without_pydantic_ai_loaded_ms", round(cold_bare * 1000, 1))
    assert plugins >= 3


def _wall(args: list[str]) -> float:
    import subprocess
    import sys
    import time

    started = time.perf_counter()
    subprocess.run([sys.executable, *args], capture_output=True, check=True)
    return time.perf_counter() - started


def test_mamba_help_vs_bare_python(benchmark, report):
    # issue 13 target: `mamba --help` within `python -c pass` + 0.35 s; whole processes, interleaved
    bare, help_, plugins = [], [], []
    for _ in range(3):
        bare.append(_wall(["-c", "pass"]))
        help_.append(_wall(["-m", "mamba_agents.cli", "--help"]))
        plugins.append(_wall(["-m", "mamba_agents.cli", "plugins"]))
    bare_s, help_s, plugins_s = (statistics.median(x) for x in (bare, help_, plugins))
    benchmark.pedantic(lambda: _wall(["-m", "mamba_agents.cli", "--version"]), rounds=1, iterations=1)
    report("python_c_pass_ms", round(bare_s * 1000, 1))
    report("mamba_help_ms", round(help_s * 1000, 1))
    report("mamba_help_over_python_ms", round((help_s - bare_s) * 1000, 1))
    report("mamba_help_ratio_vs_python", round(help_s / bare_s, 2))
    report("mamba_plugins_over_python_ms", round((plugins_s - bare_s) * 1000, 1))
    assert help_s > 0 and bare_s > 0
