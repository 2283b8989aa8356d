"""Run sympy comparisons in child processes under a hard deadline and a memory limit.

Why a process: sympy can loop or allocate without bound on hostile input, and the only safe way to
stop arbitrary code from any thread of the caller is to kill the process running it. Inside the
worker (single-threaded, ours) a timer signal raises :class:`Deadline` first, so most slow cases
end cleanly and the worker survives; the parent kills it only when that fails (a long C call),
and starts a replacement at once so the next call does not wait for sympy to import.

Workers are started with ``subprocess`` (not ``multiprocessing``), so the caller's ``__main__`` is
never re-imported and no ``if __name__ == "__main__"`` guard is needed.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection, Pipe
from pathlib import Path

from rlvr.verifiers.math.compare import Outcome
from rlvr.verifiers.math.parse import Node
from rlvr.verifiers.pool import ProcessPool

GRACE_S = 0.25
"""How long after the deadline the parent waits for the worker's own timer before killing it."""
STARTUP_TIMEOUT_S = 60.0


class Deadline(BaseException):
    """Raised inside the worker by its timer; a BaseException so sympy cannot swallow it."""


class _Worker:
    def __init__(self, memory_mb: int) -> None:
        parent, child = Pipe()
        package_root = str(Path(__file__).resolve().parents[3])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        env["RLVR_WORKER"] = "1"  # `import rlvr` then skips registering environments
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rlvr.verifiers.math.worker",
                str(child.fileno()),
                str(memory_mb),
            ],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # Ctrl-C reaches the caller, not the workers
        )
        child.close()
        self.conn: Connection = parent
        self.ready = False

    def wait_ready(self) -> bool:
        if not self.ready and self.conn.poll(STARTUP_TIMEOUT_S):
            self.ready = self.conn.recv() == "ready"
        return self.ready

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.conn.close()


class WorkerPool:
    """Sympy workers, one call at a time each; a stuck or dead worker is replaced at once."""

    def __init__(self, memory_mb: int, max_workers: int | None = None) -> None:
        self.processes: ProcessPool[_Worker] = ProcessPool(
            start=lambda: _Worker(memory_mb),
            stop=_Worker.kill,
            alive=lambda worker: worker.proc.poll() is None,
            max_size=max_workers or os.cpu_count() or 1,
        )

    def compare(
        self, pairs: Sequence[tuple[Node, Node]], rel_tol: float, timeout_s: float
    ) -> Outcome:
        """The first equal outcome among ``(pred, ref)`` readings, else the first one's."""
        worker = self.processes.acquire()
        healthy = False
        try:
            if not worker.wait_ready():
                return Outcome(False, "worker-crashed")
            worker.conn.send((tuple(pairs), rel_tol, timeout_s))
            if not worker.conn.poll(timeout_s + GRACE_S):
                return Outcome(False, "timeout")
            outcome: Outcome = worker.conn.recv()
            healthy = True
            return outcome
        except (EOFError, OSError):  # the worker died: memory limit, or a crash inside sympy
            return Outcome(False, "worker-crashed")
        finally:
            # Whatever arrives (KeyboardInterrupt included), the slot goes back to the pool: a
            # worker that answered is reused; one that did not may still be busy, so it is
            # killed and its successor starts at the next acquire.
            if healthy:
                self.processes.release(worker)
            else:
                self.processes.discard(worker)


_POOLS: dict[int, WorkerPool] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(memory_mb: int) -> WorkerPool:
    """One pool per memory limit for the whole process, shared by every MathVerifier."""
    with _POOLS_LOCK:
        if memory_mb not in _POOLS:
            _POOLS[memory_mb] = WorkerPool(memory_mb)
        return _POOLS[memory_mb]


# ------------------------------------------------------------------------------ the child side
def _serve(fd: int, memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    conn = Connection(fd)

    from rlvr.verifiers.math.symbolic import SympyComparer

    def on_timer(signum: int, frame: object) -> None:
        raise Deadline

    signal.signal(signal.SIGALRM, on_timer)
    conn.send("ready")
    while True:
        try:
            pairs, rel_tol, timeout_s = conn.recv()
        except (EOFError, OSError):
            return
        started = time.monotonic()
        try:
            try:
                signal.setitimer(signal.ITIMER_REAL, timeout_s)
                outcome = _first_equal(pairs, SympyComparer(rel_tol))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except Deadline:
            outcome = Outcome(False, "timeout")
        except (MemoryError, RecursionError):
            outcome = Outcome(False, "too-complex")
        except Exception:
            outcome = Outcome(False, "parse-error")
        if outcome.reason != "timeout" and time.monotonic() - started > timeout_s:
            outcome = Outcome(False, "timeout")
        conn.send(outcome)


def _first_equal(pairs: Sequence[tuple[Node, Node]], comparer: object) -> Outcome:
    from rlvr.verifiers.math.compare import nodes_equal

    outcomes = []
    for pred, ref in pairs:
        outcome = nodes_equal(pred, ref, comparer)  # type: ignore[arg-type]
        if outcome.equal:
            return outcome
        outcomes.append(outcome)
    return outcomes[0]


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
