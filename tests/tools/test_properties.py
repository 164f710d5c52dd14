"""Property tests: generated paths and patterns never resolve to, list, or read anything outside the sandbox.

The sandbox holds symlinks that lead out (to a file, to a directory, relative and absolute) and the outside
holds a secret; whatever the generated input, a tool either refuses it or returns something from inside.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mamba_agents.tools import glob_search, grep_search, list_directory, read_file
from mamba_agents.tools.filesystem import FilesystemSecurity
from pydantic_ai import ModelRetry, ToolFailed

from tests.tools.conftest import PEM, SECRET, Layout, build_layout

# Escape-relevant segments appear several times, so generated paths lean towards the ones that matter.
SEGMENTS = [
    *["..", "..", "..", ".", "", "outside", "outside", "secret.txt", "secret.txt", "link_out", "link_out"],
    *["link_to_secret.txt", "relative_out.txt", "subdir", "deeper", "link_in.txt", "file1.txt", "key.pem"],
    *["KEY.PEM", "key.pem.txt", "sandbox", "loop_a", "~", "%2e%2e", "...", "x.txt", "é", " ", "\\.."],
]
PATTERN_SEGMENTS = [
    "*",
    "**",
    "?",
    "..",
    ".",
    "[a-z]*",
    "*.txt",
    "secret*",
    ".*",
    "link*",
    "sub*",
    "outside",
    "*out*",
]
REFUSED = (ToolFailed, ModelRetry, OSError)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    return build_layout(tmp_path_factory.mktemp("props"))


def _prefixes(world: Layout) -> list[str]:
    return [
        "",
        "/",
        f"{world.root}/",
        f"{world.outside}/",
        f"{world.root.parent}/",
        "/etc/",
        "/proc/self/root/",
    ]


@st.composite
def paths(draw: st.DrawFn, world: Layout) -> str:
    prefix = draw(st.sampled_from(_prefixes(world)))
    return prefix + "/".join(draw(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=7)))


@st.composite
def patterns(draw: st.DrawFn, world: Layout) -> str:
    prefix = draw(st.sampled_from(["", "", "", f"{world.root}/", f"{world.outside}/", "/"]))
    return prefix + "/".join(draw(st.lists(st.sampled_from(PATTERN_SEGMENTS), min_size=1, max_size=5)))


def _inside(world: Layout, shown: str) -> bool:
    real = Path(os.path.realpath(world.root / shown))
    return real == world.root or real.is_relative_to(world.root)


@given(data=st.data())
@FAST
def test_resolve_never_returns_a_path_outside(world: Layout, data: st.DataObject) -> None:
    path = data.draw(paths(world))
    try:
        real = world.security.resolve(path)
    except REFUSED:
        return
    assert real == world.root or real.is_relative_to(world.root)
    assert Path(os.path.realpath(real)) == real


@pytest.mark.parametrize(
    "path",
    ["loop_a/../link_out", "loop_a/../link_out/secret.txt", "loop_b/x/../../link_out", "loop_a/../loop_b/.."],
)
def test_a_symlink_loop_before_dotdot_does_not_leave_a_link_unresolved(world: Layout, path: str) -> None:
    # os.path.realpath gives up at the loop and returns "<root>/link_out" unresolved: inside by name only.
    try:
        real = world.security.resolve(path)
    except REFUSED:
        return
    assert Path(os.path.realpath(real)) == real and real.is_relative_to(world.root), real


@st.composite
def looped_paths(draw: st.DrawFn, world: Layout) -> str:
    """Paths that go through the symlink loop, or a missing name, before ``..`` and a link out."""
    detour = draw(
        st.lists(st.sampled_from(["loop_a", "loop_b", "missing", "file1.txt", "subdir"]), max_size=3)
    )
    back = [".."] * draw(st.integers(0, len(detour) + 1))
    tail = draw(
        st.lists(st.sampled_from(["link_out", "secret.txt", "subdir", "relative_out.txt"]), max_size=3)
    )
    return "/".join([*detour, *back, *tail]) or "."


@given(data=st.data())
@FAST
def test_resolve_through_loops_never_returns_a_path_that_leads_outside(
    world: Layout, data: st.DataObject
) -> None:
    path = data.draw(looped_paths(world))
    try:
        real = world.security.resolve(path)
    except REFUSED:
        return
    assert real == world.root or real.is_relative_to(world.root)
    assert Path(os.path.realpath(real)) == real, path


@given(data=st.data())
@FAST
def test_read_file_never_returns_the_secret_or_a_denied_file(world: Layout, data: st.DataObject) -> None:
    sec = FilesystemSecurity(base_directory=world.root, denied_extensions=[".pem"])
    path = data.draw(paths(world))
    try:
        content = read_file(path, security=sec)
    except REFUSED:
        return
    assert SECRET not in content and PEM not in content


@given(data=st.data())
@FAST
def test_glob_only_returns_paths_inside(world: Layout, data: st.DataObject) -> None:
    pattern = data.draw(patterns(world))
    root_dir = data.draw(
        st.sampled_from([".", "subdir", "subdir/deeper", "link_out", "..", str(world.outside)])
    )
    hidden = data.draw(st.booleans())
    try:
        found = glob_search(pattern, root_dir=root_dir, include_hidden=hidden, security=world.security)
    except REFUSED:
        return
    for shown in found:
        assert not os.path.isabs(shown), shown
        assert _inside(world, shown), shown


@given(data=st.data())
@FAST
def test_grep_never_reads_outside(world: Layout, data: st.DataObject) -> None:
    file_pattern = data.draw(patterns(world))
    path = data.draw(
        st.sampled_from([".", "subdir", "link_out", "..", "link_to_secret.txt", str(world.outside)])
    )
    try:
        matches = grep_search(
            "SECRET", path=path, file_pattern=file_pattern, include_hidden=True, security=world.security
        )
    except REFUSED:
        return
    assert matches == []


@given(data=st.data())
@FAST
def test_listing_only_shows_entries_inside(world: Layout, data: st.DataObject) -> None:
    path = data.draw(paths(world))
    try:
        entries = list_directory(path, recursive=True, max_depth=3, security=world.security)
    except REFUSED:
        return
    for entry in entries:
        assert _inside(world, entry["path"]), entry


@given(name=st.text(alphabet="abkeyPEMt.xT", min_size=1, max_size=16).filter(lambda n: n not in (".", "..")))
@settings(max_examples=300, deadline=None)
def test_no_spelling_of_a_denied_extension_is_allowed(name: str) -> None:
    sec = FilesystemSecurity(denied_extensions=[".pem"], allowed_extensions=[".txt", ".pem.bak"])
    lowered_parts = name.lower().split(".")[1:]
    if "pem" in lowered_parts:
        assert not sec.extension_allowed(name)
    if sec.extension_allowed(name):
        assert name.lower().endswith(".txt") or name.lower().endswith(".pem.bak")
