"""Protected paths: what no tool may write, or read, even inside the sandbox.

The sandbox root is usually the working directory, which is also where the framework reads its own
configuration. A model that could rewrite ``config.toml``, ``.env``, ``.mcp.json``, the prompts folder or
``.git/hooks`` would change its own policy (or run code the next time the user commits). So:

* **not writable** (write, append, copy onto, move onto or away, delete, make a directory in): the
  framework's configuration files by name (``config.toml``, ``config.yaml``, ``config.yml``, ``mamba.env``,
  ``.mcp.json``), anything inside a VCS directory (``.git``, ``.hg``, ``.svn``), the prompts folder and the
  paths listed in ``tools.protected_paths``;
* **neither readable nor writable**: secrets by name (``.env*``, ``*.pem``, ``id_*``, ``.netrc``,
  ``.pgpass``).

Names are compared case-insensitively with trailing dots and spaces dropped (``.ENV.``, ``Config.TOML``), on
both the path as asked for and the path it resolves to, so symlinks and ``..`` cannot hide a protected name.
``tools.allow_protected`` exempts explicit paths (and what is beneath them); the model cannot change it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

__all__ = [
    "CONFIG_NAMES",
    "SECRET_PATTERNS",
    "VCS_DIRS",
    "BashMounts",
    "ProtectedPaths",
    "fold",
]

CONFIG_NAMES = frozenset({"config.toml", "config.yaml", "config.yml", "mamba.env", ".mcp.json"})
VCS_DIRS = frozenset({".git", ".hg", ".svn"})
SECRET_PATTERNS = (".env*", "*.pem", "id_*", ".netrc", ".pgpass")
DEFAULT_PROTECTED_DIRS = ("prompts",)  # the default ``[prompts] prompts_dir``, relative to the sandbox root

# run_bash: how far the scan for protected files to mount over goes, so one call stays cheap on a big tree.
_SCAN_MAX_DEPTH = 4
_SCAN_MAX_ENTRIES = 20_000
_SCAN_SKIP = frozenset({"node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache", ".cache"})
_NOT_SCANNED = VCS_DIRS | _SCAN_SKIP  # a VCS directory is bound read-only whole


def fold(name: str) -> str:
    """A name as the protection rules compare it: case-folded, trailing dots and spaces dropped."""
    return name.rstrip(" .").casefold() if name not in (".", "..") else name


def is_secret_name(name: str) -> bool:
    folded = fold(name)
    return any(fnmatchcase(folded, pattern) for pattern in SECRET_PATTERNS)


def _folded_parts(path: Path) -> tuple[str, ...]:
    return tuple(fold(part) for part in path.parts)


def _beneath(parts: tuple[str, ...], prefix: tuple[str, ...]) -> bool:
    return len(parts) >= len(prefix) and parts[: len(prefix)] == prefix


@dataclass(frozen=True)
class BashMounts:
    """What ``run_bash``'s mount namespace covers: read-only binds, hidden secrets, and config files that do
    not exist yet (the call removes them if a command creates them). ``complete``: the scan saw everything."""

    read_only: tuple[Path, ...]
    hidden: tuple[Path, ...]
    absent: tuple[Path, ...]
    complete: bool


@dataclass(frozen=True)
class ProtectedPaths:
    """The protection rules for one sandbox root (absolute, real paths throughout)."""

    root: Path
    explicit: tuple[Path, ...] = ()
    allowed: tuple[Path, ...] = ()

    @classmethod
    def build(
        cls,
        root: Path,
        protected: Iterable[str | os.PathLike[str]],
        allowed: Iterable[str | os.PathLike[str]],
    ) -> ProtectedPaths:
        def absolute(raw: str | os.PathLike[str]) -> Path:
            path = Path(raw).expanduser()
            path = path if path.is_absolute() else root / path
            return Path(os.path.normpath(path))

        explicit = [root / name for name in DEFAULT_PROTECTED_DIRS]
        explicit += [absolute(p) for p in protected]
        for path in list(explicit):
            real = Path(os.path.realpath(path))  # configuration, not model input: no loop to fear
            if real != path:
                explicit.append(real)
        return cls(root, tuple(dict.fromkeys(explicit)), tuple(dict.fromkeys(absolute(p) for p in allowed)))

    def _allowed(self, parts: tuple[str, ...]) -> bool:
        return any(_beneath(parts, _folded_parts(a)) for a in self.allowed)

    def reason(self, path: Path, *, write: bool) -> str | None:
        """Why ``path`` (absolute) may not be read (``write=False``) or written, or ``None`` when it may."""
        parts = _folded_parts(path)
        if not parts or self._allowed(parts):
            return None
        name = parts[-1]
        if any(fnmatchcase(name, pattern) for pattern in SECRET_PATTERNS):
            return "it is a secret file by name (.env*, *.pem, id_*, .netrc, .pgpass)"
        if not write:
            return None
        if name in CONFIG_NAMES:
            return "it is the framework's own configuration (config.toml/.yaml, mamba.env, .mcp.json)"
        root_parts = _folded_parts(self.root)
        below = parts[len(root_parts) :] if _beneath(parts, root_parts) else parts
        if any(part in VCS_DIRS for part in below):
            return "it is inside a version-control directory (.git, .hg, .svn)"
        for protected in self.explicit:
            if _beneath(parts, _folded_parts(protected)):
                return "it is in the prompts folder or in tools.protected_paths"
        return None

    def same_file_as_protected(self, info: os.stat_result, where: Path) -> bool:
        """For a file with several hard links: whether one of them is a protected file we can see (in the
        sandbox root or in ``where``, the file's own directory)."""
        if info.st_nlink <= 1:
            return False
        for directory in dict.fromkeys((self.root, where)):
            try:
                with os.scandir(directory) as scan:
                    for entry in scan:
                        name = fold(entry.name)
                        if name not in CONFIG_NAMES and not is_secret_name(entry.name):
                            continue
                        try:
                            other = entry.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        if (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino):
                            return not self._allowed(_folded_parts(Path(entry.path)))
            except OSError:
                continue
        return False

    # -- run_bash ---------------------------------------------------------------------------------------

    def bash_mounts(self, extra_dirs: Iterable[Path] = ()) -> BashMounts:
        """The protected files and folders that exist under the sandbox root (and ``extra_dirs``, scanned one
        level), found by a bounded walk, plus the configuration files that do not exist at the root."""
        read_only: list[Path] = []
        hidden: list[Path] = []
        complete = True
        for seen, (path, is_dir, _) in enumerate(self._scan(self.root), start=1):
            if seen > _SCAN_MAX_ENTRIES:
                complete = False
                break
            self._classify(path, is_dir, read_only, hidden)
        for directory in extra_dirs:
            for path, is_dir, _ in self._scan(directory, max_depth=1):
                self._classify(path, is_dir, read_only, hidden)
        for path in self.explicit:
            if path.exists() and not self._allowed(_folded_parts(path)):
                read_only.append(path)
        absent = [
            self.root / name
            for name in sorted(CONFIG_NAMES | {".env"})
            if not os.path.lexists(self.root / name) and not self._allowed(_folded_parts(self.root / name))
        ]
        return BashMounts(_outermost(read_only), tuple(dict.fromkeys(hidden)), tuple(absent), complete)

    def _classify(self, path: Path, is_dir: bool, read_only: list[Path], hidden: list[Path]) -> None:
        parts = _folded_parts(path)
        if self._allowed(parts):
            return
        name = parts[-1]
        if is_dir:
            if name in VCS_DIRS:
                read_only.append(path)
        elif is_secret_name(path.name):
            hidden.append(path)
        elif name in CONFIG_NAMES:
            read_only.append(path)

    def _scan(self, top: Path, max_depth: int = _SCAN_MAX_DEPTH) -> Iterator[tuple[Path, bool, int]]:
        stack = [(top, 1)]
        while stack:
            directory, depth = stack.pop()
            try:
                with os.scandir(directory) as scan:
                    entries = list(scan)
            except OSError:
                continue
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                is_dir = stat.S_ISDIR(info.st_mode)
                if not (is_dir or stat.S_ISREG(info.st_mode)):
                    continue
                path = Path(entry.path)
                yield path, is_dir, depth
                name = fold(entry.name)
                descend = name not in _NOT_SCANNED and not is_secret_name(name)
                if is_dir and depth < max_depth and descend:
                    stack.append((path, depth + 1))


def _outermost(paths: list[Path]) -> tuple[Path, ...]:
    """Without paths beneath another one in the list (a bind of the outer one covers them)."""
    out: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(path == kept or kept in path.parents for kept in out):
            out.append(path)
    return tuple(out)
