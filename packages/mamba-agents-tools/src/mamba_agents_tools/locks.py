"""Per-path locks, so tool calls that run in parallel cannot interleave mutations of the same file.

pydantic-ai runs the tool calls of one model response concurrently (sync tools in worker threads). Writes,
appends, moves, copies and deletes take an exclusive lock on every resolved path they change; reads take no
lock and stay parallel, and because writes replace files atomically a read sees the old or the new content,
never a mix.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PathLocks:
    """Exclusive locks keyed by resolved path; entries disappear when nobody holds or waits for them."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    def _acquire_entry(self, key: str) -> threading.Lock:
        with self._guard:
            lock, users = self._locks.get(key, (None, 0))
            if lock is None:
                lock = threading.Lock()
            self._locks[key] = (lock, users + 1)
            return lock

    def _release_entry(self, key: str) -> None:
        with self._guard:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    @contextmanager
    def hold(self, *paths: Path | str) -> Iterator[None]:
        """Hold the locks of all ``paths`` (taken in sorted order, so two callers cannot deadlock)."""
        keys = sorted({str(p) for p in paths})
        held: list[tuple[str, threading.Lock]] = []
        try:
            for key in keys:
                lock = self._acquire_entry(key)
                try:
                    lock.acquire()
                except BaseException:
                    self._release_entry(key)
                    raise
                held.append((key, lock))
            yield
        finally:
            for key, lock in reversed(held):
                lock.release()
                self._release_entry(key)

    def __len__(self) -> int:
        with self._guard:
            return len(self._locks)


PATH_LOCKS = PathLocks()
