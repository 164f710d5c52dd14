"""One loaded ``llama_cpp.Llama`` per (file, context size, threads) per process, and the thread driving it.

A ``Llama`` is not thread-safe and its KV cache holds the previous prompt (llama.cpp reuses the common prefix,
which makes an agent's next turn cheap), so every call for one model runs on that model's single worker
thread, in order. The event loop never blocks: callers await the worker, and streamed chunks cross back
through a queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

logger = logging.getLogger("mamba_agents_local")

T = TypeVar("T")
MAX_DEFAULT_THREADS = 8


def default_threads() -> int:
    """CPUs this process may use, capped: past ~8 threads a small model's decoding gets slower, not faster."""
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_THREADS, available))


@dataclass(frozen=True)
class LoadSpec:
    path: Path
    n_ctx: int = 4096
    n_threads: int | None = None
    n_batch: int = 512

    def llama_kwargs(self) -> dict[str, Any]:
        threads = self.n_threads or default_threads()
        return {
            "model_path": str(self.path),
            "n_ctx": self.n_ctx,
            "n_threads": threads,
            "n_threads_batch": threads,
            "n_batch": min(self.n_batch, self.n_ctx),
            "n_gpu_layers": 0,
            "verbose": False,
        }


@contextlib.contextmanager
def loading_status(path: Path) -> Iterator[None]:
    """A spinner on stderr while the weights load (interactive terminals), a log line otherwise."""
    size_mb = path.stat().st_size / 1e6
    label = f"Loading local model {path.name} ({size_mb:.0f} MB)"
    started = time.perf_counter()
    if sys.stderr.isatty():
        from rich.console import Console

        with Console(stderr=True).status(f"{label}…"):
            yield
    else:
        logger.info("%s…", label)
        yield
    logger.info("loaded %s in %.2f s", path.name, time.perf_counter() - started)


class ModelRuntime:
    """Owns one ``Llama`` (loaded on first use, on the worker thread) and runs every call on that thread."""

    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.load_seconds: float | None = None
        self._llama: Any = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mamba-local-{spec.path.stem}")

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def _ensure_loaded(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            started = time.perf_counter()
            with loading_status(self.spec.path):
                self._llama = Llama(**self.spec.llama_kwargs())
            self.load_seconds = time.perf_counter() - started
        return self._llama

    def llama(self) -> Any:
        """The loaded model (loading it now if needed). Use it only through :meth:`call` / :meth:`run`."""
        return self._executor.submit(self._ensure_loaded).result()

    def call(self, fn: Callable[[Any], T]) -> T:
        """Run ``fn(llama)`` on the worker thread and wait for it (for synchronous callers)."""
        return self._executor.submit(lambda: fn(self._ensure_loaded())).result()

    async def run(self, fn: Callable[[Any], T]) -> T:
        """Run ``fn(llama)`` on the worker thread without blocking the event loop."""
        return await asyncio.wrap_future(self._executor.submit(lambda: fn(self._ensure_loaded())))

    async def stream(self, fn: Callable[[Any], Iterator[T]]) -> AsyncIterator[T]:
        """Items of ``fn(llama)`` as the worker produces them. Leaving early stops the generation."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        stop = threading.Event()

        def produce() -> None:
            try:
                iterator = fn(self._ensure_loaded())
                try:
                    for item in iterator:
                        if stop.is_set():
                            break
                        loop.call_soon_threadsafe(queue.put_nowait, ("item", item))
                finally:
                    close = getattr(iterator, "close", None)
                    if close is not None:
                        close()
            except BaseException as exc:
                loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))
            else:
                loop.call_soon_threadsafe(queue.put_nowait, ("done", None))

        future = self._executor.submit(produce)
        try:
            while True:
                kind, value = await queue.get()
                if kind == "item":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    break
        finally:
            stop.set()
            # The worker stops at its next token; wait for it so the model is free for the next call.
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(future)


_runtimes: dict[LoadSpec, ModelRuntime] = {}
_runtimes_lock = threading.Lock()


def get_runtime(spec: LoadSpec) -> ModelRuntime:
    """The process-wide runtime for ``spec``: the same weights with the same settings load once."""
    with _runtimes_lock:
        runtime = _runtimes.get(spec)
        if runtime is None:
            runtime = _runtimes[spec] = ModelRuntime(spec)
        return runtime
