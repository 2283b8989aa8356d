"""The program inside the sandbox: a clean parent that forks one locked-down child per run.

Stdlib only and no rlvr imports: the sandbox runs this file's code with ``python -I -S`` (the
host sends it compiled, see ``sandbox.zygote_command``). Modules only some runs need are imported
where they are used: every import here is paid again by each sandbox's start.

Roles (see ``judge.py`` for the trusted side, which never enters the sandbox):

- the *zygote* (this process's main loop) talks to the judge over stdin/stdout with framed JSON.
  It never runs model code, so forking it gives every run a fresh interpreter in a millisecond.
- a *solution* process, forked per run: it rebinds stdin/stdout/stderr to pipes the zygote reads
  with a cap, closes every other descriptor (so it cannot write to the judge's channel), applies
  resource limits and the seccomp allow-list (``seccomp.py``: no new processes, no exec, no
  ptrace, no internet sockets, no io_uring, keyrings or IPC), and only then executes the model's
  code.

The solution can only ever hand back *values* (as ``repr`` text parsed by :func:`literal`) or
output bytes; the judge decides pass or fail from those, outside. Forging a pass from inside would
need the right values, which is solving the task.

Every run starts from the same state. After each run (``end``, or the end of a ``run``) the zygote
kills the solution, then wipes every writable place it was told about: the scratch directory
(``RLVR_SCRATCH``) and the sandbox's other private mounts (``RLVR_PRIVATE``, e.g. ``/dev/shm``).
The wipe first gives every directory back its permissions (a run may ``chmod 0`` them), works
through directory descriptors (depth does not matter), and restores each mount root's mode and
extended attributes. Then it checks: each root empty, its mode and attributes as at start, and
(for private mounts) every block and inode free again. A sandbox that fails the check is
*unhealthy*: the reply says so (``"unhealthy"``, which the host's channel strips and acts on by
retiring the sandbox), and the zygote refuses further runs.

Memory: the private mounts are size-capped tmpfs whose pages are memory the solution's
``RLIMIT_AS`` does not see, so their capacity is counted against ``memory_mb``: the solution's
address-space limit is ``memory_mb`` minus the total capacity of the private mounts.
"""

from __future__ import annotations

import ast
import binascii
import builtins
import contextlib
import json
import math
import os
import resource
import selectors
import signal
import socket
import stat
import struct
import sys
import time
import traceback

HEADER = struct.Struct("!I")
MAX_MESSAGE = 8 << 20
"""The largest message the solution may send the zygote (a value's ``repr`` and its framing)."""
WIPE_SECONDS = 5.0
"""How long the zygote may spend wiping after a run before it declares the sandbox unhealthy."""
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, PR_SET_DUMPABLE = 38, 22, 2, 4


# ------------------------------------------------------------------------------------- framing
def reply_cap(max_output: int) -> int:
    """The largest frame (header included) the zygote may send the host.

    A reply carries at most one solution message (``MAX_MESSAGE``) or the run's output:
    ``max_output`` bytes of stdout, each at most six bytes once JSON-escaped (``\\u0001``), and
    4000 bytes of stderr; 64 KiB covers stderr and the rest of the reply. The host refuses any
    length prefix above this before reading the body; the zygote never sends one.
    """
    return MAX_MESSAGE + 6 * max_output + (1 << 16)


def frame(message: dict) -> bytes:
    data = json.dumps(message).encode()
    return HEADER.pack(len(data)) + data


def send(fd: int, message: dict) -> None:
    send_frame(fd, frame(message))


def send_frame(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def recv(fd: int) -> dict | None:
    """One framed message, or None at end of stream."""
    header = _read_exact(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > MAX_MESSAGE:
        raise ValueError(f"message of {size} bytes exceeds {MAX_MESSAGE}")
    body = _read_exact(fd, size)
    if body is None:
        return None
    return json.loads(body)


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# ------------------------------------------------------------------------------------ literals
_NAMES = {"inf": math.inf, "nan": math.nan, "True": True, "False": False, "None": None}


def literal(text: str, max_depth: int = 100):
    """Parse the ``repr`` of plain data (numbers, strings, bytes, containers, inf/nan) safely.

    Like ``ast.literal_eval`` plus ``inf``, ``nan``, ``set()`` and ``frozenset(...)``; runs no code.
    """
    return _literal(ast.parse(text, mode="eval").body, max_depth)


def _literal(node: ast.AST, depth: int):
    if depth <= 0:
        raise ValueError("value nested too deeply")
    d = depth - 1
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e, d) for e in node.elts)
    if isinstance(node, ast.List):
        return [_literal(e, d) for e in node.elts]
    if isinstance(node, ast.Set):
        return {_literal(e, d) for e in node.elts}
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_literal(k, d): _literal(v, d) for k, v in zip(node.keys, node.values)}  # type: ignore[arg-type]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _literal(node.operand, d)
        if isinstance(value, int | float | complex) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        left, right = _literal(node.left, d), _literal(node.right, d)
        if isinstance(left, int | float) and isinstance(right, complex):  # 1+2j
            return left + right if isinstance(node.op, ast.Add) else left - right
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("set", "frozenset")
        and len(node.args) <= 1
        and not node.keywords
    ):
        items = _literal(node.args[0], d) if node.args else ()
        return set(items) if node.func.id == "set" else frozenset(items)
    raise ValueError(f"not plain data: {ast.dump(node)[:80]}")


# ------------------------------------------------------------------------------------ zygote
class Zygote:
    def __init__(self) -> None:
        # The scratch space wiped after every run: the sandbox's whole private /tmp when the
        # backend says so (RLVR_SCRATCH), else a fresh directory of our own.
        self.work = os.environ.get("RLVR_SCRATCH") or _mkdtemp()
        # Private size-capped mounts (RLVR_PRIVATE, ':'-separated): wiped too, and their capacity
        # counted against memory_mb. Popped so the solution does not see it in its environment.
        private = [p for p in os.environ.pop("RLVR_PRIVATE", "").split(":") if p]
        self.roots: dict[str, _Baseline] = {}
        for root in dict.fromkeys([self.work, *private]):
            self.roots[root] = _Baseline.of(root, private=root in private)
        self.writable_bytes = sum(b.capacity for b in self.roots.values())
        self.own_state = _own_state()
        self.seccomp: _Filter | None = None
        self.memory_mb = 1024
        self.address_space = self.memory_mb << 20
        self.file_mb = 16
        self.max_output = 1 << 20
        self.nproc: int | None = None
        self.child: Solution | None = None
        self.dirty = False
        self.unhealthy: str | None = None

    def serve(self) -> None:
        _set_dumpable(False)
        try:
            self._loop()
        finally:
            self._end_child()
            if not os.environ.get("RLVR_SCRATCH"):
                import shutil  # only outside a sandbox, which always sets RLVR_SCRATCH

                shutil.rmtree(self.work, ignore_errors=True)

    def _loop(self) -> None:
        while True:
            message = recv(0)
            if message is None:
                return
            try:
                if self.unhealthy and message.get("op") in ("load", "call", "run"):
                    reply = {"error": f"zygote: the sandbox is unhealthy ({self.unhealthy})"}
                else:
                    reply = getattr(self, "op_" + message["op"])(message)
            except Exception:
                reply = {"error": "zygote: " + traceback.format_exc(limit=3)}
            if self.unhealthy:
                reply["unhealthy"] = self.unhealthy
            data = frame(reply)
            if len(data) > reply_cap(self.max_output):  # never by construction; never sent
                data = frame({"error": "zygote: reply too large", "unhealthy": "reply too large"})
            send_frame(1, data)

    def op_init(self, m: dict) -> dict:
        self.seccomp = _Filter(binascii.a2b_base64(m["seccomp"])) if m.get("seccomp") else None
        self.memory_mb, self.file_mb, self.max_output = (
            m["memory_mb"],
            m["file_mb"],
            m["max_output"],
        )
        self.nproc = m.get("nproc")
        budget = self.memory_mb << 20
        self.address_space = budget - self.writable_bytes
        if self.address_space < budget // 2:
            return {
                "ok": False,
                "error": f"the sandbox's writable mounts hold {self.writable_bytes >> 20} MB, "
                f"more than half of memory_mb={self.memory_mb}: raise memory_mb or shrink them",
            }
        return {
            "ok": True,
            "pid": os.getpid(),
            "uid": os.getuid(),
            "address_space": self.address_space,
            "writable": self.writable_bytes,
        }

    def op_load(self, m: dict) -> dict:
        self._end_child()
        self.child = Solution(self, m["code"], stdin=b"", main=False, cpu_s=m["timeout"])
        return self.child.reply(m["timeout"])

    def op_call(self, m: dict) -> dict:
        if self.child is None or not self.child.alive:
            return {"died": "the solution process is not running"}
        self.child.ask({"name": m["name"], "args": m["args"], "kwargs": m["kwargs"]})
        return self.child.reply(m["timeout"])

    def op_run(self, m: dict) -> dict:
        self._end_child()
        stdin = m["stdin"].encode()
        self.child = Solution(self, m["code"], stdin=stdin, main=True, cpu_s=m["timeout"])
        reply = self.child.reply(m["timeout"], until_exit=True)
        reply.update(self._end_child())  # wiped before the reply: the next run starts clean
        return reply

    def op_end(self, m: dict) -> dict:
        return self._end_child()

    def _end_child(self) -> dict:
        """Stop the solution, collect its output, and put every writable place back as it was."""
        logs = self.child.finish() if self.child is not None else {}
        ran, self.child = self.child is not None, None
        if ran and not self.unhealthy and _own_state() != self.own_state:
            # A solution lowered the zygote's own limits, priority or CPUs (prlimit on its parent):
            # every later run would inherit them, so this sandbox retires.
            self.unhealthy = "the zygote's limits, priority or CPU affinity were changed"
        if self.dirty:
            self.dirty = False
            deadline = time.monotonic() + WIPE_SECONDS
            for root, baseline in self.roots.items():
                _wipe(root, baseline, deadline)
            self.unhealthy = self.unhealthy or self._check()
        return logs

    def _check(self) -> str | None:
        """Why the writable places are not as they were at start; None when they are."""
        for root, baseline in self.roots.items():
            try:
                now = _Baseline.of(root, private=baseline.capacity > 0)
                left = os.listdir(root)
            except OSError as err:
                return f"{root}: {err}"[:200]
            if left:
                return f"{root} still holds {len(left)} entries after the wipe"
            if now != baseline:
                return f"{root} is not as it was at start: {now} != {baseline}"[:200]
        return None


def _mkdtemp() -> str:
    """A scratch directory of our own, when run outside a sandbox (no ``RLVR_SCRATCH``)."""
    import tempfile  # imported here: every sandbox sets RLVR_SCRATCH, and imports cost start-up

    return tempfile.mkdtemp(prefix="rlvr-")


class _Baseline:
    """What a writable root looks like when clean: mode, attributes, free blocks and inodes."""

    def __init__(self, mode: int, xattrs: list[str], free: tuple[int, int], capacity: int) -> None:
        self.mode, self.xattrs, self.free, self.capacity = mode, xattrs, free, capacity

    @classmethod
    def of(cls, root: str, private: bool) -> _Baseline:
        mode = os.stat(root).st_mode
        try:
            xattrs = sorted(os.listxattr(root))
        except OSError:
            xattrs = []
        free, capacity = (0, 0), 0
        if private:  # our own tmpfs: all of it is ours to account for
            vfs = os.statvfs(root)
            free, capacity = (vfs.f_bfree, vfs.f_ffree), vfs.f_blocks * vfs.f_frsize
        return cls(mode, xattrs, free, capacity)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Baseline) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"(mode {oct(self.mode)}, xattrs {self.xattrs}, free blocks/inodes {self.free})"


def _wipe(root: str, baseline: _Baseline, deadline: float) -> None:
    """Empty ``root`` whatever the run did to it, and restore its mode; never raises.

    A run may leave directories with no permissions, trees deeper than ``PATH_MAX``, or many
    thousands of entries. So: make each directory ours again (``chmod 0o700``) before reading it,
    address everything through directory descriptors, and instead of recursing, move each
    subdirectory's subdirectories up into ``root`` (under unguessable names) and unlink its files.
    At most two descriptors are open and the stack never grows. Whatever is left when
    ``deadline`` passes (or a pass removes nothing) is for the health check to find.
    """
    with contextlib.suppress(OSError):
        os.chmod(root, 0o700)
    try:
        top = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        tag, moved, progress = "", 0, True
        while progress and time.monotonic() < deadline:
            progress = False
            for name, is_dir in _entries(top):
                if not is_dir:
                    os.unlink(name, dir_fd=top)
                    progress = True
                    continue
                os.chmod(name, 0o700, dir_fd=top)  # a directory, not a link (d_type)
                sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=top)
                try:
                    for k, (child, child_is_dir) in enumerate(_entries(sub)):
                        if child_is_dir:
                            tag, moved = tag or os.urandom(8).hex(), moved + 1
                            new = f".rlvr-wipe-{tag}-{moved}"
                            os.rename(child, new, src_dir_fd=sub, dst_dir_fd=top)
                        else:
                            os.unlink(child, dir_fd=sub)
                        if k % 1024 == 1023 and time.monotonic() > deadline:
                            return
                finally:
                    os.close(sub)
                os.rmdir(name, dir_fd=top)
                progress = True
                if time.monotonic() > deadline:
                    return
        for name in os.listxattr(top):
            if name not in baseline.xattrs:
                os.removexattr(top, name)
    except OSError:
        pass  # the health check reports what is left
    finally:
        os.close(top)
        with contextlib.suppress(OSError):
            os.chmod(root, stat.S_IMODE(baseline.mode))


def _entries(fd: int) -> list[tuple[str, bool]]:
    """A directory's entries (name, is a real directory), read in full before anything changes."""
    with os.scandir(fd) as entries:
        return [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in entries]


class Solution:
    """One forked, locked-down child running model code; the zygote side of it."""

    def __init__(self, zygote: Zygote, code: str, stdin: bytes, main: bool, cpu_s: float) -> None:
        self.max_output = zygote.max_output
        self.rpc, child_rpc = socket.socketpair()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        stdin_path = os.path.join(zygote.work, ".stdin")
        zygote.dirty = True
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with open(os.open(stdin_path, flags, 0o600), "wb") as f:
            f.write(stdin)
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            _run_solution(zygote, code, main, cpu_s, stdin_path, out_w, err_w, child_rpc.fileno())
        child_rpc.close()
        os.close(out_w)
        os.close(err_w)
        self.out_fd, self.err_fd = out_r, err_r
        self.stdout, self.stderr = bytearray(), bytearray()
        self.alive = True
        self.status: int | None = None
        self.over_limit = False
        self.selector = selectors.DefaultSelector()
        for fd in (self.rpc.fileno(), out_r, err_r):
            os.set_blocking(fd, False)
            self.selector.register(fd, selectors.EVENT_READ)
        # out/err fds are closed by _drain at end of stream, or here by finish() via the selector
        self.inbox = bytearray()

    def ask(self, message: dict) -> None:
        data = json.dumps(message).encode()
        self.rpc.setblocking(True)
        try:
            self.rpc.sendall(HEADER.pack(len(data)) + data)
        except OSError:
            self.alive = False
        self.rpc.setblocking(False)

    def reply(self, timeout: float, until_exit: bool = False) -> dict:
        """The child's next message (or, with ``until_exit``, its exit), draining its output."""
        deadline = time.monotonic() + timeout
        while True:
            message = self._take_message()
            if message is not None and not until_exit:
                return message
            if self.over_limit:
                self.kill()
                return {"output_limit": True}
            if not self.alive and not self.selector.get_map():
                return {} if until_exit else {"died": _status_text(self.status)}
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                return {"timeout": True}
            if self.selector.get_map():
                for key, _ in self.selector.select(min(left, 0.05)):
                    self._drain(key.fd)
            else:
                time.sleep(min(left, 0.002))
            if self.alive:
                self._wait(block=False)

    def _take_message(self) -> dict | None:
        if len(self.inbox) < HEADER.size:
            return None
        (size,) = HEADER.unpack(self.inbox[: HEADER.size])
        if size > MAX_MESSAGE:
            self.kill()
            return {"died": "message too large"}
        if len(self.inbox) < HEADER.size + size:
            return None
        body = bytes(self.inbox[HEADER.size : HEADER.size + size])
        del self.inbox[: HEADER.size + size]
        try:
            message = json.loads(body)
        except (ValueError, RecursionError):
            message = None
        return message if _well_formed(message) else {"died": "garbled message"}

    def _drain(self, fd: int) -> bool:
        """Read what is there; False once the stream is closed or empty for now."""
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return False
        if not chunk:
            self.selector.unregister(fd)
            if fd != self.rpc.fileno():
                os.close(fd)
            return False
        if fd == self.rpc.fileno():
            self.inbox += chunk
        else:
            buffer = self.stdout if fd == self.out_fd else self.stderr
            if len(buffer) <= self.max_output:
                buffer += chunk
            self.over_limit = self.over_limit or len(buffer) > self.max_output
        return True

    def _wait(self, block: bool) -> None:
        try:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            pid, status = self.pid, 0
        if pid:
            self.alive, self.status = False, status

    def kill(self) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._wait(block=True)

    def finish(self) -> dict:
        self.kill()
        for fd in [key.fd for key in self.selector.get_map().values()]:
            while self._drain(fd):
                pass
            if fd in self.selector.get_map() and fd != self.rpc.fileno():
                self.selector.unregister(fd)
                os.close(fd)
        self.selector.close()
        self.rpc.close()
        return {
            "stdout": self.stdout[: self.max_output].decode("utf-8", "replace"),
            "stderr": self.stderr[-4000:].decode("utf-8", "replace"),
            "exit": _status_text(self.status),
            "output_limit": self.over_limit,
        }


def _well_formed(message: object) -> bool:
    """Whether a solution's message has one of the four shapes ``_serve_calls`` sends.

    The zygote forwards it to the host, so nothing else (deep nesting, extra keys, numbers
    where text belongs) gets a ride to the host's parser.
    """
    if not isinstance(message, dict) or len(message) != 1:
        return False
    ((key, value),) = message.items()
    if key == "value":
        return isinstance(value, str)
    if key in ("raised", "load_error"):
        return (
            isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value)
        )
    if key == "names":
        return isinstance(value, dict) and all(
            isinstance(v, str) or v is None for v in value.values()
        )
    return False


def _status_text(status: int | None) -> str:
    if status is None:
        return "killed"
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit {os.WEXITSTATUS(status)}"


# ------------------------------------------------------------------------- the solution child
def _run_solution(
    zygote: Zygote,
    code: str,
    main: bool,
    cpu_s: float,
    stdin_path: str,
    out_w: int,
    err_w: int,
    rpc_fd: int,
) -> None:
    """Lock this forked child down, then run model code. Never returns."""
    try:
        stdin_fd = os.open(stdin_path, os.O_RDONLY)
        os.dup2(stdin_fd, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.dup2(rpc_fd, 3)
        os.closerange(4, 1 << 16)  # nothing of the zygote's channel to the judge stays open
        os.unlink(stdin_path)
        job_dir = os.path.join(zygote.work, "run")
        os.makedirs(job_dir, exist_ok=True)
        os.chdir(job_dir)
        _limit(zygote, cpu_s)
        if zygote.seccomp:
            zygote.seccomp.install()
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own streams
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    except BaseException:
        os._exit(71)
    status = 0
    try:
        if main:
            _run_main(code)
        else:
            _serve_calls(code)
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        traceback.print_exc()
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)


def _own_state() -> tuple:
    """The zygote's resource limits, priority and CPU affinity, which every child inherits."""
    limits = tuple(
        resource.getrlimit(getattr(resource, name))
        for name in sorted(dir(resource))
        if name.startswith("RLIMIT_")
    )
    affinity = tuple(sorted(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else ()
    return limits, os.getpriority(os.PRIO_PROCESS, 0), affinity


def _limit(zygote: Zygote, cpu_s: float) -> None:
    mb = 1024 * 1024
    limits = {
        resource.RLIMIT_AS: zygote.address_space,  # memory_mb less the private mounts
        resource.RLIMIT_CPU: math.ceil(cpu_s) + 1,
        resource.RLIMIT_FSIZE: zygote.file_mb * mb,
        resource.RLIMIT_NOFILE: 64,
        resource.RLIMIT_CORE: 0,
    }
    if zygote.nproc is not None:  # only where no seccomp filter stops forks (root ignores it)
        limits[resource.RLIMIT_NPROC] = zygote.nproc
    for kind, value in limits.items():
        resource.setrlimit(kind, (value, value))


class _Filter:
    """A seccomp program ready to install: the ctypes objects are built once, in the zygote.

    Every solution process inherits them through fork, so installing costs two ``prctl`` calls
    (about a quarter of a millisecond less per run than loading ctypes' pieces in each child).
    """

    def __init__(self, program: bytes) -> None:
        import ctypes

        class SockFprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        self.ctypes = ctypes
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.buffer = ctypes.create_string_buffer(program, len(program))
        self.prog = SockFprog(len(program) // 8, ctypes.addressof(self.buffer))

    def install(self) -> None:
        if self.libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(self.ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
        if self.libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, self.ctypes.byref(self.prog), 0, 0):
            raise OSError(self.ctypes.get_errno(), "PR_SET_SECCOMP")


def _set_dumpable(flag: bool) -> None:
    try:
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, int(flag), 0, 0, 0)
    except Exception:
        pass


def _run_main(code: str) -> None:
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    exec(compile(code, "<solution>", "exec"), namespace)


def _serve_calls(code: str) -> None:
    """Run the code as a module, announce its names, then answer calls with ``repr`` values."""
    namespace: dict = {"__name__": "__solution__", "__builtins__": builtins}
    try:
        exec(compile(code, "<solution>", "exec"), namespace)
    except BaseException as err:
        _flush()
        send(3, {"load_error": _describe(err)})
        return
    names: dict[str, str | None] = {}
    for name, value in list(namespace.items()):
        if name.startswith("__"):
            continue
        if callable(value):
            names[name] = None
        else:
            try:
                text = repr(value)
                literal(text)
                names[name] = text
            except Exception:
                pass
    _flush()
    send(3, {"names": names})
    while True:
        request = recv(3)
        if request is None:
            return
        try:
            args = literal(request["args"])
            kwargs = literal(request["kwargs"])
            value = namespace[request["name"]](*args, **kwargs)
            reply: dict = {"value": repr(value)}
        except BaseException as err:  # SystemExit included: the call failed
            reply = {"raised": _describe(err)}
        _flush()
        send(3, reply)


def _flush() -> None:
    """Push the solution's buffered prints into the pipes before answering (it may be killed)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _describe(err: BaseException) -> list[str]:
    tb = "".join(traceback.format_exception(type(err), err, err.__traceback__, limit=-4))
    return [type(err).__name__, str(err)[:500], tb[-2000:]]


if __name__ == "__main__":
    Zygote().serve()
