"""Apply a Landlock ruleset to this process, then exec the command: the last step before ``bash -c``.

Run as a script (``python -I -S _landlock_exec.py OPTIONS -- PROGRAM ARGS...``) inside the namespaces that
``unshare`` made, after ``/proc`` is mounted (a Landlock-restricted process may not mount). It imports only
the standard library, so it starts without the virtual environment. Options:

``--abi N``        the kernel's Landlock ABI (0: no Landlock; then only the rest is done)
``--read PATH``    read and execute beneath PATH
``--write PATH``   read, write, create and remove beneath PATH
``--device PATH``  read and write one device file (``/dev/null``...)
``--no-tcp``       no TCP bind or connect at all (ABI 4; for when there is no network namespace)
``--loopback``     bring the loopback interface up (in a fresh network namespace it starts down)
``--ro PATH``      bind-mount PATH read-only over itself (a protected file or folder: writes fail, and it
                   cannot be renamed, replaced or removed while it is a mount point)
``--hide PATH``    bind-mount ``/dev/null`` read-only over PATH (a secret: it reads as empty)

The mounts are made in the command's own mount namespace (never visible outside it) before Landlock is
applied, and Landlock then forbids the command to unmount them.

Any failure is fatal (exit 126 with one line on stderr): the command never runs less confined than asked.
"""

import ctypes
import os
import struct
import sys

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446  # the same on every architecture
_PR_SET_NO_NEW_PRIVS = 38
_RULE_PATH_BENEATH = 1

_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_REMOVE_DIR, _REMOVE_FILE, _MAKE_CHAR, _MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
_MAKE_REG, _MAKE_SOCK, _MAKE_FIFO, _MAKE_BLOCK, _MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT, _MS_BIND = 1, 2, 4, 8, 32, 4096
_MS_NOATIME, _MS_NODIRATIME, _MS_RELATIME = 1024, 2048, 1 << 21
_ST_RELATIME = 4096
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1

_READ = _EXECUTE | _READ_FILE | _READ_DIR
_FILE_RIGHTS = _EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE | _IOCTL_DEV


def _fail(message: str) -> None:
    sys.stderr.write(f"run_bash confinement: {message}\n")
    os._exit(126)


def _handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: EXECUTE .. MAKE_SYM
    if abi >= 2:
        rights |= _REFER
    if abi >= 3:
        rights |= _TRUNCATE
    if abi >= 5:
        rights |= _IOCTL_DEV
    return rights


def _syscall(libc: ctypes.CDLL, number: int, *args: object) -> int:
    result = libc.syscall(number, *args)
    if result < 0:
        err = ctypes.get_errno()
        _fail(f"landlock syscall {number} failed: {os.strerror(err)}")
    return result


def _landlock(
    libc: ctypes.CDLL, abi: int, reads: list[str], writes: list[str], devices: list[str], no_tcp: bool
) -> None:
    handled = _handled_fs(abi)
    net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if no_tcp and abi >= 4 else 0
    scoped = (_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL) if abi >= 6 else 0
    if abi >= 6:
        attr = struct.pack("=QQQ", handled, net, scoped)
    elif abi >= 4:
        attr = struct.pack("=QQ", handled, net)
    else:
        attr = struct.pack("=Q", handled)
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _syscall(libc, _SYS_CREATE_RULESET, buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    rules = [(p, _READ) for p in reads] + [(p, handled) for p in writes]
    rules += [(p, (_READ_FILE | _WRITE_FILE | _TRUNCATE | _IOCTL_DEV) & handled) for p in devices]
    for path, rights in rules:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except FileNotFoundError:
            continue  # a device or directory this system does not have grants nothing
        except OSError as exc:
            _fail(f"cannot open {path}: {exc.strerror}")
        if not os.path.isdir(f"/proc/self/fd/{fd}"):
            rights &= _FILE_RIGHTS
        rule = ctypes.create_string_buffer(struct.pack("=Qi", rights, fd), 12)
        _syscall(libc, _SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH), rule, 0)
        os.close(fd)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        _fail("cannot set no_new_privs")
    _syscall(libc, _SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    os.close(ruleset)


def _mount(libc: ctypes.CDLL, source: str | None, target_fd: int, flags: int, what: str) -> None:
    # Through /proc/self/fd: the target is the very file opened (O_NOFOLLOW), not where a name leads now.
    target = f"/proc/self/fd/{target_fd}".encode()
    src = source.encode() if source is not None else None
    if libc.mount(src, target, None, ctypes.c_ulong(flags), None) != 0:
        _fail(f"cannot protect {what}: {os.strerror(ctypes.get_errno())}")


def _protect(libc: ctypes.CDLL, path: str, hide: bool) -> None:
    """Bind ``path`` (or /dev/null, to hide it) over itself, then make that bind read-only."""
    try:
        fd = os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return  # gone since the scan: nothing left to protect
    except OSError as exc:
        _fail(f"cannot open {path}: {exc.strerror}")
    try:
        info = os.fstat(fd)
        if (info.st_mode & 0o170000) == 0o120000:  # swapped for a symlink since the scan
            _fail(f"{path} became a symbolic link; refusing to run")
        # A remount in a user namespace must keep the flags the outer mount locked (nosuid, nodev...).
        vfs = os.statvfs(f"/proc/self/fd/{fd}").f_flag
        kept = vfs & (_MS_NOSUID | _MS_NODEV | _MS_NOEXEC | _MS_NOATIME | _MS_NODIRATIME)
        kept |= _MS_RELATIME if vfs & _ST_RELATIME else 0
        _mount(libc, "/dev/null" if hide else f"/proc/self/fd/{fd}", fd, _MS_BIND, path)
        os.close(fd)
        fd = os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
        _mount(libc, None, fd, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | kept, path)
    finally:
        os.close(fd)


def _loopback_up(libc: ctypes.CDLL) -> None:
    # ioctl through libc rather than the socket module, whose import costs more than the rest together.
    af_inet, sock_dgram, siocgifflags, siocsifflags, iff_up = 2, 2, 0x8913, 0x8914, 0x1
    sock = libc.socket(af_inet, sock_dgram, 0)
    if sock < 0:
        _fail(f"cannot bring up the loopback interface: {os.strerror(ctypes.get_errno())}")
    try:
        ifreq = ctypes.create_string_buffer(struct.pack("16sH22x", b"lo", 0), 40)
        if libc.ioctl(sock, siocgifflags, ifreq) != 0:
            _fail(f"cannot read the loopback flags: {os.strerror(ctypes.get_errno())}")
        flags = struct.unpack_from("16sH", ifreq.raw)[1]
        struct.pack_into("H", ifreq, 16, flags | iff_up)
        if libc.ioctl(sock, siocsifflags, ifreq) != 0:
            _fail(f"cannot bring up the loopback interface: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(sock)


def main(argv: list[str]) -> None:
    if "--" not in argv:
        _fail("usage: _landlock_exec.py OPTIONS -- PROGRAM ARGS...")
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1 :]
    abi, reads, writes, devices, no_tcp, loopback = 0, [], [], [], False, False
    protect: list[tuple[str, bool]] = []
    i = 0
    while i < len(options):
        flag = options[i]
        if flag in ("--no-tcp", "--loopback"):
            no_tcp = no_tcp or flag == "--no-tcp"
            loopback = loopback or flag == "--loopback"
            i += 1
            continue
        if i + 1 >= len(options):
            _fail(f"{flag} needs a value")
        value = options[i + 1]
        if flag == "--abi":
            abi = int(value)
        elif flag == "--read":
            reads.append(value)
        elif flag == "--write":
            writes.append(value)
        elif flag == "--device":
            devices.append(value)
        elif flag in ("--ro", "--hide"):
            protect.append((value, flag == "--hide"))
        else:
            _fail(f"unknown option {flag}")
        i += 2
    if not command:
        _fail("no program to run")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    if loopback:
        _loopback_up(libc)
    for path, hide in protect:
        _protect(libc, path, hide)
    if abi > 0:
        _landlock(libc, abi, reads, writes, devices, no_tcp)
    try:
        os.execv(command[0], command)
    except OSError as exc:
        _fail(f"cannot run {command[0]}: {exc.strerror}")


if __name__ == "__main__":
    main(sys.argv[1:])
