"""CodeVerifier: run a completion's code against tests in a sandbox and score it.

``CodeVerifier()(completion, CodeTests(...))`` extracts the code (the last fenced ```python block,
else the raw text), runs it in a sandbox (``sandbox.py``) and lets the judge (``judge.py``)
decide, outside the sandbox, from values and outputs only. Sandboxes are started once and
reused: a run costs a fork inside a warm sandbox, not a new container.
"""

from __future__ import annotations

import base64
import os
import re
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from rlvr.verifiers.base import Verdict, check_pairs
from rlvr.verifiers.code.judge import Report, judge_asserts, judge_io
from rlvr.verifiers.code.sandbox import (
    BwrapSandbox,
    Channel,
    Sandbox,
    SandboxUnavailable,
    bwrap_problem,
    make_sandbox,
    spawn,
    start_channel,
)
from rlvr.verifiers.code.seccomp import seccomp_program
from rlvr.verifiers.pool import ProcessPool

_FENCE_RE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class CodeTests:
    """What a program must pass: assert-style test code, or stdin/stdout pairs.

    ``tests`` is Python run after the solution is loaded (MBPP's asserts, or HumanEval's
    ``def check(candidate): ...`` with ``entry_point`` naming the function to pass to it).
    Tests and setup are trusted: they run in the verifier's own process.

    What the tests see of the solution: with ``entry_point``, that function only; without one,
    the names the tests use but define nowhere themselves (MBPP's ``add`` in ``assert add(1, 2)
    == 3``). Builtins and the names the setup defines are never the solution's, so a solution
    that defines ``set`` or the prompt's helper cannot change what the tests compute. Helpers the
    tests call (HumanEval's ``poly``, ``encode_cyclic``) must therefore come in ``setup``.
    """

    tests: str = ""
    entry_point: str | None = None
    io: tuple[tuple[str, str], ...] = ()
    setup: str = ""
    """Code run before the solution's (e.g. HumanEval's imports and helper functions), in the
    sandbox and, for assert tests, also on the host, where the tests get its helpers. Bodiless
    functions in it (a docstring or ``pass``) are stubs the solution is to write."""

    @classmethod
    def from_io(cls, pairs: Sequence[tuple[str, str]]) -> CodeTests:
        """Tests that feed each input on stdin and compare stdout, ignoring whitespace layout."""
        checked = tuple((str(i), str(o)) for i, o in pairs)
        if not checked:
            raise ValueError("from_io needs at least one (stdin, expected stdout) pair")
        return cls(io=checked)

    def __post_init__(self) -> None:
        if not self.tests.strip() and not self.io:
            raise ValueError("CodeTests needs test code or io pairs")
        if self.tests.strip() and self.io:
            raise ValueError("give either test code or io pairs, not both")


def extract_code(completion: str) -> str:
    """The last fenced Python block (```python, ```py or a bare ```), else the whole text."""
    blocks = _FENCE_RE.findall(completion)
    return blocks[-1] if blocks else completion


class CodeVerifier:
    """Score code by running it against tests in a sandbox.

    Args:
        timeout_s: wall-clock budget for one completion (all its tests or io pairs together).
        memory_mb: address-space limit of the solution process.
        partial_credit: score = fraction of asserts / io pairs passed, instead of all-or-nothing.
            Each ``assert`` statement is one test (one in a loop passes only if every pass
            of the loop did); when a run is cut short (timeout, crash, protocol error, the
            tests failing outside an assert) every test it did not reach counts as failed, so
            stopping early never earns more than answering wrong.
        sandbox: ``"bwrap"`` (Linux namespaces; the default), ``"unsafe_local"`` (no isolation,
            loud warning), or any object with the :class:`~rlvr.verifiers.code.sandbox.Sandbox`
            protocol.
        max_output_bytes: stdout/stderr cap per run; more fails the run.
        file_mb: the largest file the solution may write.

    Verdict reasons: ``passed``, ``failed-tests``, ``load-error``, ``timeout``, ``crashed``,
    ``output-limit``, ``test-error`` (the tests or setup failed outside an assert, or do not
    compile), ``no-tests``, ``no-code``, ``not-a-string``, ``sandbox-error`` (the sandbox went
    silent), ``protocol-error`` (a reply of the wrong shape, or a value past the decoding limits
    of :mod:`~rlvr.verifiers.code.wire`) and ``verifier-error`` (a bug here, with its message in
    ``details["error"]``). ``details["not_run"]`` counts the tests an aborted run never reached.

    With the default ``sandbox="bwrap"`` the first sandbox starts at construction: that it
    starts is the check that bubblewrap works here, and the first call finds it warm.

    Raises:
        SandboxUnavailable: when the sandbox cannot be built here; the message says how to fix it.
    """

    def __init__(
        self,
        timeout_s: float = 10.0,
        memory_mb: int = 1024,
        partial_credit: bool = False,
        sandbox: str | Sandbox = "bwrap",
        max_output_bytes: int = 1 << 20,
        file_mb: int = 16,
    ) -> None:
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        if memory_mb < 64:
            raise ValueError(f"memory_mb must be at least 64, got {memory_mb}")
        self.timeout_s = float(timeout_s)
        self.memory_mb = int(memory_mb)
        self.partial_credit = partial_credit
        # Bubblewrap built here is checked by starting the first sandbox, which the first call
        # then uses, rather than by a probe of its own: a process that checks one program pays
        # for one sandbox start, not two. The sandbox boots while the seccomp filter compiles.
        first = None
        if sandbox == "bwrap":
            self.sandbox: Sandbox = BwrapSandbox(check=False)
            try:
                first = spawn(self.sandbox, self.memory_mb)
            except OSError as err:
                raise self._unavailable(err) from None
        else:
            self.sandbox = make_sandbox(sandbox)
        program = seccomp_program()
        self.seccomp = program is not None
        """Whether solution processes get the syscall filter (needs libseccomp on the host)."""
        init = {
            "seccomp": base64.b64encode(program).decode() if program else None,
            "memory_mb": self.memory_mb,
            "file_mb": int(file_mb),
            "max_output": int(max_output_bytes),
            # Without seccomp, RLIMIT_NPROC is the fork-bomb guard (it does not bind root).
            "nproc": None if program else 32,
        }
        self._pool: ProcessPool[Channel] = ProcessPool(
            start=partial(start_channel, self.sandbox, init),
            stop=lambda channel: channel.close(),
            alive=lambda channel: channel.alive,
            max_size=os.cpu_count() or 1,
        )
        if first is not None:
            try:
                self._pool.adopt(start_channel(self.sandbox, init, first))
            except SandboxUnavailable as err:
                raise self._unavailable(err) from None

    def _unavailable(self, err: Exception) -> SandboxUnavailable:
        """Why the first sandbox did not start, from bubblewrap's probe, which says how to fix
        it (namespaces disabled, a container's seccomp profile, ...)."""
        problem = bwrap_problem(self.sandbox.bwrap)  # type: ignore[attr-defined]
        return SandboxUnavailable(problem or str(err))

    def __repr__(self) -> str:
        return (
            f"CodeVerifier(timeout_s={self.timeout_s}, memory_mb={self.memory_mb}, "
            f"partial_credit={self.partial_credit}, sandbox={self.sandbox.name!r})"
        )

    def __call__(self, completion: str, reference: CodeTests) -> Verdict:
        if not isinstance(reference, CodeTests):
            raise TypeError(
                f"reference must be CodeTests, got {type(reference).__name__}; "
                "build one with CodeTests(tests, entry_point) or CodeTests.from_io(pairs)"
            )
        if not isinstance(completion, str):
            return Verdict(0.0, False, None, "not-a-string")
        code = extract_code(completion)
        if not code.strip():
            return Verdict(0.0, False, None, "no-code")
        program = f"{reference.setup}\n{code}" if reference.setup else code
        channel = self._pool.acquire()
        report = Report(healthy=False)
        try:
            if reference.io:
                report = judge_io(channel, program, list(reference.io), self.timeout_s)
            else:
                report = judge_asserts(
                    channel,
                    program,
                    reference.tests,
                    reference.entry_point,
                    self.timeout_s,
                    setup=reference.setup,
                )
        except Exception as err:  # a bug here must cost one verdict, not the training run
            report = Report(error=_describe(err), reason="verifier-error", healthy=False)
        finally:
            if report.healthy and channel.alive:
                self._pool.release(channel)
            else:
                self._pool.discard(channel)
        return self._verdict(code, report)

    def verify_batch(
        self,
        completions: Sequence[str],
        references: Sequence[CodeTests],
        workers: int | None = None,
    ) -> list[Verdict]:
        """Run many programs at once, one warm sandbox per worker (default: one per core).

        One bad item (a reference that is not CodeTests, tests that do not compile) gets a
        failed verdict with its reason; it never takes the rest of the batch down. Only a
        sandbox that cannot start at all raises (SandboxUnavailable).
        """
        check_pairs(completions, references)
        n = max(1, min(workers or os.cpu_count() or 1, len(completions)))
        self._pool.grow(n)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(n) as threads:
            return list(threads.map(self._one, completions, references))

    def _one(self, completion: str, reference: CodeTests) -> Verdict:
        try:
            return self(completion, reference)
        except SandboxUnavailable:
            raise
        except Exception as err:
            return Verdict(0.0, False, None, "verifier-error", {"error": _describe(err)})

    def close(self) -> None:
        """Stop the idle sandboxes now (they also stop when the process exits)."""
        self._pool.close()

    def _verdict(self, code: str, report: Report) -> Verdict:
        passed = sum(case.passed for case in report.cases)
        total = len(report.cases)
        all_passed = total > 0 and passed == total and report.error is None
        failed = [case for case in report.cases if not case.passed]
        details: dict[str, Any] = {
            "passed": passed,
            "total": total,
            "not_run": report.not_run,
            "failed": [case.name for case in failed][:20],
            "error": report.error or (failed[0].error if failed else None),
            "stdout": report.stdout[-2000:],
            "stderr": report.stderr[-2000:],
        }
        if all_passed:
            return Verdict(1.0, True, code, "passed", details)
        score = passed / total if self.partial_credit and total else 0.0
        return Verdict(score, False, code, report.reason or "failed-tests", details)


def _describe(err: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(err), err)).strip()[:2000]
