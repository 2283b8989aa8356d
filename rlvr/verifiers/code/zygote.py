"""The program inside the sandbox: a clean parent that forks one locked-down child per run.

Stdlib only and no rlvr imports: the sandbox runs this file's source with ``python -I -S``.

Roles (see ``judge.py`` for the trusted side, which never enters the sandbox):

- the *zygote* (this process's main loop) talks to the judge over stdin/stdout with framed JSON.
  It never runs model code, so forking it gives every run a fresh interpreter in a millisecond.
- a *solution* process, forked per run: it rebinds stdin/stdout/stderr to pipes the zygote reads
  with a cap, closes every other descriptor (so it cannot write to the judge's channel), applies
  resource limits and the seccomp filter (no new processes, no exec, no ptrace, no internet
  sockets), and only then executes the model's code.

The solution can only ever hand back *values* (as ``repr`` text parsed by :func:`literal`) or
output bytes; the judge decides pass or fail from those, outside. Forging a pass from inside would
need the right values, which is solving the task.
"""

from __future__ import annotations

import ast
import base64
import builtins
import contextlib
import json
import math
import os
import resource
import selectors
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time
import traceback

HEADER = struct.Struct("!I")
MAX_MESSAGE = 8 << 20
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, PR_SET_DUMPABLE = 38, 22, 2, 4


# ------------------------------------------------------------------------------------- framing
def send(fd: int, message: dict) -> None:
    data = json.dumps(message).encode()
    view = memoryview(HEADER.pack(len(data)) + data)
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
        self.work = os.environ.get("RLVR_SCRATCH") or tempfile.mkdtemp(prefix="rlvr-")
        self.seccomp: bytes | None = None
        self.memory_mb = 1024
        self.file_mb = 16
        self.max_output = 1 << 20
        self.nproc: int | None = None
        self.child: Solution | None = None

    def serve(self) -> None:
        _set_dumpable(False)
        try:
            self._loop()
        finally:
            self._end_child()
            if not os.environ.get("RLVR_SCRATCH"):
                shutil.rmtree(self.work, ignore_errors=True)

    def _loop(self) -> None:
        while True:
            message = recv(0)
            if message is None:
                return
            try:
                reply = getattr(self, "op_" + message["op"])(message)
            except Exception:
                reply = {"error": "zygote: " + traceback.format_exc(limit=3)}
            send(1, reply)

    def op_init(self, m: dict) -> dict:
        self.seccomp = base64.b64decode(m["seccomp"]) if m.get("seccomp") else None
        self.memory_mb, self.file_mb, self.max_output = (
            m["memory_mb"],
            m["file_mb"],
            m["max_output"],
        )
        self.nproc = m.get("nproc")
        return {"ok": True, "pid": os.getpid(), "uid": os.getuid()}

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
        child = Solution(self, m["code"], stdin=m["stdin"].encode(), main=True, cpu_s=m["timeout"])
        reply = child.reply(m["timeout"], until_exit=True)
        reply.update(child.finish())
        return reply

    def op_end(self, m: dict) -> dict:
        return self._end_child()

    def _end_child(self) -> dict:
        logs = self.child.finish() if self.child is not None else {}
        self.child = None
        for entry in os.listdir(self.work):  # a fresh temp dir for the next run
            path = os.path.join(self.work, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        return logs


class Solution:
    """One forked, locked-down child running model code; the zygote side of it."""

    def __init__(self, zygote: Zygote, code: str, stdin: bytes, main: bool, cpu_s: float) -> None:
        self.max_output = zygote.max_output
        self.rpc, child_rpc = socket.socketpair()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        stdin_path = os.path.join(zygote.work, ".stdin")
        with open(stdin_path, "wb") as f:
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
        except ValueError:
            message = None
        return message if isinstance(message, dict) else {"died": "garbled message"}

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
            _install_seccomp(zygote.seccomp)
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


def _limit(zygote: Zygote, cpu_s: float) -> None:
    mb = 1024 * 1024
    limits = {
        resource.RLIMIT_AS: zygote.memory_mb * mb,
        resource.RLIMIT_CPU: math.ceil(cpu_s) + 1,
        resource.RLIMIT_FSIZE: zygote.file_mb * mb,
        resource.RLIMIT_NOFILE: 64,
        resource.RLIMIT_CORE: 0,
    }
    if zygote.nproc is not None:  # only where no seccomp filter stops forks (root ignores it)
        limits[resource.RLIMIT_NPROC] = zygote.nproc
    for kind, value in limits.items():
        resource.setrlimit(kind, (value, value))


def _install_seccomp(program: bytes) -> None:
    import ctypes

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    buffer = ctypes.create_string_buffer(program, len(program))
    prog = SockFprog(len(program) // 8, ctypes.addressof(buffer))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP")


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
