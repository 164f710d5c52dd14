"""OS confinement for ``run_bash`` on Linux: namespaces from ``unshare`` and a Landlock ruleset.

Each command runs as ``unshare --user --map-root-user --pid --fork --mount-proc --kill-child [--net]``
around a tiny launcher (:mod:`mamba_agents_tools._landlock_exec`) that applies Landlock and then execs
``bash -c``. What that gives:

* **PID namespace** with its own ``/proc``: the agent's process, and its ``/proc/<pid>/environ`` with the API
  keys, are not visible. The shell is the namespace's init, so when it exits, times out or is cancelled the
  kernel kills every process in it, ``setsid`` and ``set -m`` children included, and no pipe stays open.
* **Network namespace** (unless ``network = true``): no interface but loopback.
* **Protected paths** (:mod:`mamba_agents_tools.protected`) in the mount namespace: the framework's
  configuration, VCS directories and the prompts folder are bound read-only over themselves, secrets are
  covered by a read-only ``/dev/null``; Landlock then forbids unmounting them.
* **Landlock**: read and execute the whole system; write only beneath the sandbox, a private temporary
  directory (``TMPDIR``, removed after the call), ``writable_paths`` and a few devices; with ``read_only``
  nothing but the temporary directory. Landlock also denies ptrace and, from ABI 6, signals and abstract
  unix sockets towards processes outside the command.

Unprivileged user namespaces and Landlock are both kernel features that a system may lack or disable;
:func:`detect` probes them once per process and says what is missing and why.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Plan", "Protections", "detect", "plan"]

_LAUNCHER = Path(__file__).with_name("_landlock_exec.py")
_NAMESPACES = ["--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "--kill-child"]
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")
_PROBE_TIMEOUT = 10.0
_LANDLOCK_CREATE_RULESET_VERSION = 1


@dataclass(frozen=True)
class Protections:
    """What this system offers ``run_bash``; ``missing`` says why a protection is not there."""

    pid_namespace: bool
    network_namespace: bool
    landlock_abi: int
    unshare: str | None
    missing: tuple[str, ...] = field(default=())

    @property
    def landlock(self) -> bool:
        return self.landlock_abi > 0

    @property
    def complete(self) -> bool:
        return self.pid_namespace and self.network_namespace and self.landlock


def _landlock_abi() -> tuple[int, str | None]:
    if not sys.platform.startswith("linux"):
        return 0, "Landlock is a Linux feature"
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        abi = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION))
    except (OSError, AttributeError) as exc:
        return 0, f"Landlock: cannot make system calls ({exc})"
    if abi < 0:
        err = ctypes.get_errno()
        return 0, f"Landlock is not available in this kernel ({os.strerror(err)})"
    return int(abi), None


def _probe(unshare: str, extra: Sequence[str]) -> str | None:
    """Run ``true`` in the namespaces; the error it printed, or ``None`` when it worked."""
    try:
        done = subprocess.run(
            [unshare, *_NAMESPACES, *extra, "--", "/bin/sh", "-c", "exit 0"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode == 0:
        return None
    return done.stderr.decode(errors="replace").strip().splitlines()[-1:][0] if done.stderr else "failed"


@functools.cache
def detect() -> Protections:
    """Probe the kernel once: user+PID+mount namespaces, a network namespace, the Landlock ABI."""
    missing: list[str] = []
    abi, why = _landlock_abi()
    if why:
        missing.append(why)
    unshare = shutil.which("unshare") if sys.platform.startswith("linux") else None
    pid_ns = net_ns = False
    if unshare is None:
        missing.append("namespaces: the unshare program (util-linux) is not installed")
    else:
        failure = _probe(unshare, [])
        pid_ns = failure is None
        if failure:
            missing.append(f"namespaces: unprivileged user namespaces are not available ({failure})")
        else:
            net_failure = _probe(unshare, ["--net"])
            net_ns = net_failure is None
            if net_failure:
                missing.append(f"network namespace: not available ({net_failure})")
    return Protections(pid_ns, net_ns, abi, unshare if pid_ns else None, tuple(missing))


@dataclass
class Plan:
    """How one command is started: the argv before ``bash -c``, its private temporary directory, and the
    configuration files that did not exist before it (removed afterwards if the command made them)."""

    prefix: list[str]
    tmpdir: Path | None
    protections: Protections
    absent: tuple[Path, ...] = ()

    def cleanup(self) -> None:
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None


def plan(
    *,
    writable_root: Path | None,
    extra_writable: Sequence[Path],
    network: bool,
    protections: Protections | None = None,
    read_only_binds: Sequence[Path] = (),
    hidden: Sequence[Path] = (),
) -> Plan:
    """The confinement for one command. ``writable_root`` ``None``: nothing is writable but the temp dir.
    ``read_only_binds`` and ``hidden`` are protected paths, covered only where there is a mount namespace."""
    found = protections if protections is not None else detect()
    tmpdir = Path(tempfile.mkdtemp(prefix="mamba-bash-"))
    prefix: list[str] = []
    if found.pid_namespace and found.unshare:
        prefix = [found.unshare, *_NAMESPACES]
        if not network and found.network_namespace:
            prefix.append("--net")
        prefix.append("--")
    launcher = [sys.executable, "-I", "-S", str(_LAUNCHER), "--abi", str(found.landlock_abi)]
    if found.landlock:
        launcher += ["--read", "/", "--write", str(tmpdir)]
        writable = ([writable_root] if writable_root is not None else []) + (
            list(extra_writable) if writable_root is not None else []
        )
        for path in writable:
            launcher += ["--write", str(path)]
        for device in _DEVICES:
            launcher += ["--device", device]
        if not network and not (found.pid_namespace and found.network_namespace):
            launcher.append("--no-tcp")
    if not network and found.pid_namespace and found.network_namespace:
        launcher.append("--loopback")
    mounts: list[str] = []
    if found.pid_namespace:
        for path in read_only_binds:
            mounts += ["--ro", str(path)]
        for path in hidden:
            mounts += ["--hide", str(path)]
    launcher += mounts
    if found.landlock or "--loopback" in launcher or mounts:
        prefix += [*launcher, "--"]
    return Plan(prefix, tmpdir, found)
