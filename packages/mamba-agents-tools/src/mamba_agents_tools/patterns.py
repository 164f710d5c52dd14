"""Glob patterns matched segment by segment while walking the sandbox, never by handing them to the OS.

A pattern like ``src/**/*.py`` is split into a literal prefix (``src``, resolved and checked like any path)
and wildcard segments (``**``, ``*.py``) that are matched against names found by walking *inside* the prefix.
So ``..`` can only appear in the literal prefix, where the sandbox check sees it, and no pattern can name a
place the walk does not reach. Matching is a small NFA over segments: linear in the path length, no
backtracking.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from mamba_agents_tools.errors import InvalidArgumentError

_MAGIC = frozenset("*?[")


def has_magic(segment: str) -> bool:
    return any(c in _MAGIC for c in segment)


def split_pattern(pattern: str, *, what: str = "pattern") -> tuple[bool, list[str], list[str]]:
    """``(absolute, literal prefix segments, wildcard segments)`` of a glob pattern, validated."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise InvalidArgumentError(f"{what} is empty")
    if "\0" in pattern:
        raise InvalidArgumentError(f"{what} contains a NUL character")
    absolute = pattern.startswith("/")
    segments = [s for s in pattern.split("/") if s not in ("", ".")]
    prefix: list[str] = []
    while segments and not has_magic(segments[0]):
        prefix.append(segments.pop(0))
    if ".." in segments:
        raise InvalidArgumentError(
            f"{what} {pattern!r}: '..' may not follow a wildcard; start the search from another directory"
        )
    for seg in segments:
        if "**" in seg and seg != "**":
            raise InvalidArgumentError(
                f"{what} {pattern!r}: '**' must be a whole path segment, as in 'a/**/b'"
            )
    return absolute, prefix, segments


@dataclass
class SegmentMatcher:
    """Matches relative paths (lists of names) against wildcard segments.

    A wildcard never matches a name starting with ``.`` unless the segment itself starts with ``.`` or
    ``include_hidden`` is set; ``**`` matches any number of (non-hidden) directories.
    """

    segments: Sequence[str]
    include_hidden: bool = False
    _end: int = field(init=False)

    def __post_init__(self) -> None:
        self._end = len(self.segments)

    def _closure(self, states: set[int]) -> set[int]:
        out = set(states)
        stack = list(states)
        while stack:
            i = stack.pop()
            if i < self._end and self.segments[i] == "**" and i + 1 not in out:
                out.add(i + 1)
                stack.append(i + 1)
        return out

    def _hidden_ok(self, name: str, segment: str) -> bool:
        return self.include_hidden or not name.startswith(".") or segment.startswith(".")

    def step(self, states: set[int], name: str) -> set[int]:
        nxt: set[int] = set()
        for i in states:
            if i >= self._end:
                continue
            seg = self.segments[i]
            if seg == "**":
                if self.include_hidden or not name.startswith("."):
                    nxt.add(i)
            elif (fnmatchcase(name, seg) if has_magic(seg) else name == seg) and self._hidden_ok(name, seg):
                nxt.add(i + 1)
        return self._closure(nxt)

    def start(self) -> set[int]:
        return self._closure({0})

    def accepts(self, states: set[int]) -> bool:
        return self._end in states

    def can_continue(self, states: set[int]) -> bool:
        """Whether a directory in these states may still contain matches further down."""
        return any(i < self._end for i in states)

    def matches(self, parts: Sequence[str]) -> bool:
        states = self.start()
        for part in parts:
            states = self.step(states, part)
            if not states:
                return False
        return self.accepts(states)


def name_matcher(file_pattern: str, *, include_hidden: bool) -> SegmentMatcher:
    """A matcher for grep's ``file_pattern``: a bare name pattern matches at any depth (``*.py``), a pattern
    with ``/`` matches paths relative to the searched directory (``src/**/*.py``)."""
    absolute, prefix, rest = split_pattern(file_pattern, what="file_pattern")
    if absolute:
        raise InvalidArgumentError(
            "file_pattern must be relative (a name pattern like '*.py'); use path to choose where to search"
        )
    segments = prefix + rest
    if ".." in segments:
        raise InvalidArgumentError("file_pattern may not contain '..'; use path to choose where to search")
    if len(segments) == 1:
        segments = ["**", segments[0]]
    return SegmentMatcher(segments, include_hidden=include_hidden)


def relative_parts(path: str, root: str) -> list[str]:
    rel = os.path.relpath(path, root)
    return [] if rel == "." else rel.split(os.sep)
