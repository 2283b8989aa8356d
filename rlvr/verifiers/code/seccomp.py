"""The seccomp filter for solution processes, compiled once on the host with libseccomp.

What it refuses (each with an errno, so the program sees an ordinary error and fails its tests):
new processes (``fork``, ``vfork``, ``clone`` without ``CLONE_THREAD``, ``clone3``), ``execve``,
tracing or reading other processes' memory, and sockets other than Unix ones. Threads stay allowed.

Compiled here, not inside the sandbox, so the sandbox needs neither libseccomp nor its bindings;
the solution process installs the raw BPF program with two ``prctl`` calls.
"""

from __future__ import annotations

import errno
import socket
import tempfile
from functools import lru_cache

CLONE_THREAD = 0x00010000
DENIED = (
    "fork",
    "vfork",
    "execve",
    "execveat",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    "userfaultfd",
    "perf_event_open",
)


@lru_cache(maxsize=1)
def seccomp_program() -> bytes | None:
    """The filter as BPF bytes, or None where libseccomp (``pip install pyseccomp``) is missing."""
    try:
        import pyseccomp as sc
    except (ImportError, OSError):
        return None
    try:
        flt = sc.SyscallFilter(defaction=sc.ALLOW)
        for name in DENIED:
            flt.add_rule(sc.ERRNO(errno.EPERM), name)
        flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")  # glibc then falls back to clone()
        flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
        flt.add_rule(sc.ERRNO(errno.EACCES), "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
        with tempfile.TemporaryFile() as f:
            flt.export_bpf(f)
            f.seek(0)
            return f.read()
    except Exception:  # an unknown syscall name on an odd architecture, a libseccomp error
        return None
