"""A bounded, thread-safe pool of long-lived helper processes (sympy workers, code sandboxes).

Starting a process costs far more than using one, so verifiers keep them warm and hand each to
one caller at a time. At most ``max_size`` exist; further callers wait for a free one (waiting is
not part of a case's deadline, which bounds the work spent on the case itself).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ProcessPool(Generic[T]):
    def __init__(
        self,
        start: Callable[[], T],
        stop: Callable[[T], None],
        alive: Callable[[T], bool],
        max_size: int,
    ) -> None:
        self._start, self._stop, self._alive = start, stop, alive
        self.max_size = max_size
        self._idle: list[T] = []
        self._count = 0
        self._free = threading.Condition()
        # Idle processes stop when the pool is dropped or the interpreter exits.
        weakref.finalize(self, _stop_all, self._idle, stop)

    def acquire(self) -> T:
        with self._free:
            while True:
                while self._idle and not self._alive(self._idle[-1]):  # died while idle
                    self._stop(self._idle.pop())
                    self._count -= 1
                if self._idle:
                    return self._idle.pop()
                if self._count < self.max_size:
                    self._count += 1
                    break
                self._free.wait()
        try:
            return self._start()
        except BaseException:
            self._forget()
            raise

    def adopt(self, item: T) -> None:
        """Take a process started elsewhere as one of the pool's, idle."""
        with self._free:
            self._count += 1
        self.release(item)

    def release(self, item: T) -> None:
        """Give back a healthy process for the next caller."""
        with self._free:
            self._idle.append(item)
            self._free.notify()

    def discard(self, item: T, restart: bool = False) -> None:
        """Stop a process that misbehaved; with ``restart``, start its successor right away."""
        self._stop(item)
        if not restart:
            self._forget()
            return
        try:
            successor = self._start()
        except Exception:
            self._forget()
            return
        self.release(successor)

    def grow(self, n: int) -> None:
        """Allow at least ``n`` processes, for callers that run ``n`` cases at once."""
        with self._free:
            self.max_size = max(self.max_size, n)
            self._free.notify_all()

    def close(self) -> None:
        """Stop the idle processes now."""
        with self._free:
            idle = list(self._idle)
            self._idle.clear()
            self._count -= len(idle)
        _stop_all(idle, self._stop)

    def _forget(self) -> None:
        with self._free:
            self._count -= 1
            self._free.notify()


def _stop_all(items: list[T], stop: Callable[[T], None]) -> None:
    for item in items:
        stop(item)
