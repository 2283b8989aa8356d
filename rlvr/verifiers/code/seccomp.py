"""The seccomp filter for solution processes: an allow-list, compiled once on the host.

Why an allow-list. The first filter was a deny-list, and a red team walked around it with
io_uring, whose socket operation creates internet and netlink sockets without the ``socket``
syscall the list guarded. A deny-list is only as good as its author's knowledge of every kernel
interface, including the ones added next year; an allow-list fails closed. So every syscall not
named in :data:`ALLOWED` is refused with ``ENOSYS`` ("not implemented"), which glibc and CPython
already treat as "fall back or report an ordinary error" (``clone3`` falls back to ``clone``,
``faccessat2`` to ``faccessat``, and so on).

The list is what CPython 3.9-3.13 and glibc need to run ordinary programs: files in the private
``/tmp``, memory, threads, time, signals, polling, Unix sockets, ``getrandom``, ``ctypes``
(found by tracing a broad stdlib battery; ``tests/test_code_sandbox_integrity.py`` keeps it
honest). Three calls are allowed only with some arguments: ``clone`` only for threads
(``CLONE_THREAD``), ``socket``/``socketpair`` only for ``AF_UNIX``, ``prctl`` only for names and
harmless queries.

Refused, among everything else, on purpose (the families a solution could use to escape, to
reach past the network namespace, or to keep state or memory outside its limits):

- new processes and programs: ``fork``, ``vfork``, ``clone`` without ``CLONE_THREAD``, ``clone3``,
  ``execve``, ``execveat`` (EPERM, as before: the program sees "Operation not permitted");
- other processes: ``ptrace``, ``process_vm_readv/writev``, ``kcmp``, ``pidfd_*``,
  ``process_madvise`` (EPERM);
- io_uring (``io_uring_setup``/``enter``/``register``), ``bpf``, ``perf_event_open``,
  ``userfaultfd``;
- kernel keyrings (``add_key``, ``request_key``, ``keyctl``) and SysV/POSIX IPC (``shm*``,
  ``sem*``, ``msg*``, ``mq_*``), which live in the kernel, outlive the process and would carry
  state from one run to the next; ``memfd_create``, memory outside ``RLIMIT_AS``;
- namespaces and mounts (``unshare``, ``setns``, ``mount``, ``umount2``, ``pivot_root``,
  ``chroot``, ``fsopen``/``fsmount``/``open_tree``/``move_mount``, ``name_to_handle_at``,
  ``open_by_handle_at``), modules and kexec, ``personality``, ``iopl``/``ioperm``,
  ``modify_ldt``, ``syslog``, ``sync``, ``mlock``, NUMA policy calls, ``seccomp`` itself;
- sockets of every family but ``AF_UNIX`` (EACCES, as before).

Signals stay allowed (``kill``, ``tgkill``): ``abort()`` and ``signal.raise_signal`` need them and a
static filter cannot tell "myself" from "my parent". A solution can therefore stop or kill its
zygote; the host's transport deadlines turn that into a failed run and a replaced sandbox.

Compiled here, not inside the sandbox, so the sandbox needs neither libseccomp nor its bindings;
the solution process installs the raw BPF program with two ``prctl`` calls. Calls whose
non-native ABI (32-bit ``int 0x80`` on x86_64, x32) is used kill the process (libseccomp's
default for foreign architectures).
"""

from __future__ import annotations

import contextlib
import errno
import socket
import tempfile
from functools import lru_cache

CLONE_THREAD = 0x00010000

ALLOWED = (
    # file descriptors and I/O
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
    "preadv2", "pwritev2", "open", "openat", "openat2", "creat", "close", "close_range",
    "lseek", "_llseek", "dup", "dup2", "dup3", "fcntl", "fcntl64", "flock", "fsync",
    "fdatasync", "ftruncate", "ftruncate64", "truncate", "truncate64", "fallocate",
    "sendfile", "sendfile64", "copy_file_range", "splice", "tee", "readahead", "fadvise64",
    "fadvise64_64", "sync_file_range", "pipe", "pipe2", "ioctl",
    # names and metadata (only /tmp and /dev/shm are writable, both private and wiped)
    "stat", "fstat", "lstat", "stat64", "fstat64", "lstat64", "newfstatat", "fstatat64",
    "statx", "statfs", "fstatfs", "statfs64", "fstatfs64", "access", "faccessat",
    "faccessat2", "readlink", "readlinkat", "getdents", "getdents64", "getcwd", "chdir",
    "fchdir", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat",
    "renameat2", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat",
    "fchmodat2", "chown", "fchown", "lchown", "fchownat", "utime", "utimes", "utimensat",
    "futimesat", "mknod", "mknodat", "umask", "getxattr", "lgetxattr", "fgetxattr",
    "listxattr", "llistxattr", "flistxattr", "setxattr", "lsetxattr", "fsetxattr",
    "removexattr", "lremovexattr", "fremovexattr", "inotify_init", "inotify_init1",
    "inotify_add_watch", "inotify_rm_watch",
    # memory (RLIMIT_AS bounds all of it)
    "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "msync", "mincore",
    "membarrier", "map_shadow_stack", "pkey_alloc", "pkey_free", "pkey_mprotect",
    # threads and synchronisation
    "futex", "futex_waitv", "futex_wake", "futex_wait", "futex_requeue", "set_robust_list",
    "get_robust_list", "set_tid_address", "rseq", "gettid", "arch_prctl", "exit",
    "exit_group", "sched_yield", "sched_getaffinity", "sched_getparam",
    "sched_getscheduler", "sched_getattr", "sched_get_priority_max",
    "sched_get_priority_min", "sched_rr_get_interval", "getcpu", "wait4", "waitid",
    # time
    "clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday", "time", "nanosleep",
    "alarm", "getitimer", "setitimer", "timer_create", "timer_settime", "timer_gettime",
    "timer_getoverrun", "timer_delete", "timerfd_create", "timerfd_settime",
    "timerfd_gettime", "times",
    # signals (see the module docstring on kill)
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigreturn", "rt_sigpending",
    "rt_sigsuspend", "rt_sigtimedwait", "sigaltstack", "kill", "tkill", "tgkill", "pause",
    "restart_syscall", "signalfd", "signalfd4",
    # waiting on descriptors
    "select", "_newselect", "pselect6", "poll", "ppoll", "epoll_create", "epoll_create1",
    "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2",
    # Unix sockets (socket and socketpair themselves are allowed for AF_UNIX below)
    "bind", "connect", "listen", "accept", "accept4", "sendto", "recvfrom", "sendmsg",
    "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "getsockname", "getpeername",
    "setsockopt", "getsockopt",
    # facts about this process and machine
    "getpid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
    "getgroups", "getpgid", "getpgrp", "getsid", "getpriority", "uname",
    "sysinfo", "getrusage", "getrlimit", "ugetrlimit", "setrlimit", "capget",
    "getrandom",
)  # fmt: skip
"""Syscalls a solution may make with any arguments. Names unknown on this architecture (``open``
on aarch64) or to this libseccomp are skipped."""

REFUSED_EPERM = (
    "fork", "vfork", "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
    "kcmp", "pidfd_open", "pidfd_getfd", "pidfd_send_signal", "process_madvise",
)  # fmt: skip
"""Refused with "Operation not permitted" rather than ENOSYS: what programs expect of a sandbox
that forbids new processes and touching other ones."""

PRCTL_ALLOWED = (
    15,  # PR_SET_NAME (thread names)
    16,  # PR_GET_NAME
    3,  # PR_GET_DUMPABLE
    21,  # PR_GET_SECCOMP
    39,  # PR_GET_NO_NEW_PRIVS
    23,  # PR_CAPBSET_READ
    0x53564D41,  # PR_SET_VMA (glibc names its anonymous mappings)
)


@lru_cache(maxsize=1)
def seccomp_program() -> bytes | None:
    """The filter as BPF bytes, or None where libseccomp (``pip install pyseccomp``) is missing."""
    try:
        import pyseccomp as sc
    except (ImportError, OSError):
        return None
    try:
        arch = sc.system_arch()

        def known(name: str) -> bool:
            return sc.resolve_syscall(arch, name) >= 0

        flt = sc.SyscallFilter(defaction=sc.ERRNO(errno.ENOSYS))
        with contextlib.suppress(Exception):  # a binary search over numbers, libseccomp >= 2.5
            flt.set_attr(sc.Attr.CTL_OPTIMIZE, 2)
        for name in filter(known, ALLOWED):
            flt.add_rule(sc.ALLOW, name)
        for name in filter(known, REFUSED_EPERM):
            flt.add_rule(sc.ERRNO(errno.EPERM), name)
        # Threads only: glibc's pthread_create passes CLONE_THREAD; fork() and posix_spawn don't.
        flt.add_rule(sc.ALLOW, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, CLONE_THREAD))
        flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
        for call in ("socket", "socketpair"):
            flt.add_rule(sc.ALLOW, call, sc.Arg(0, sc.EQ, socket.AF_UNIX))
            flt.add_rule(sc.ERRNO(errno.EACCES), call, sc.Arg(0, sc.NE, socket.AF_UNIX))
        # Own process only (pid 0): on the zygote, a lowered limit or priority would be inherited
        # by every later run, and a failed raise in the next child kills it.
        for call in ("prlimit64", "sched_setaffinity"):
            if known(call):
                flt.add_rule(sc.ALLOW, call, sc.Arg(0, sc.EQ, 0))
                flt.add_rule(sc.ERRNO(errno.EPERM), call, sc.Arg(0, sc.NE, 0))
        flt.add_rule(sc.ALLOW, "setpriority", sc.Arg(0, sc.EQ, 0), sc.Arg(1, sc.EQ, 0))
        flt.add_rule(sc.ERRNO(errno.EPERM), "setpriority", sc.Arg(0, sc.NE, 0))
        flt.add_rule(sc.ERRNO(errno.EPERM), "setpriority", sc.Arg(1, sc.NE, 0))
        for option in PRCTL_ALLOWED:
            flt.add_rule(sc.ALLOW, "prctl", sc.Arg(0, sc.EQ, option))
        with tempfile.TemporaryFile() as f:
            flt.export_bpf(f)
            f.seek(0)
            return f.read()
    except Exception:  # a libseccomp error on an odd architecture
        return None
