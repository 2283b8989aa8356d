"""The trusted side of code verification: tests run here, on the host, never in the sandbox.

Assert-style tests execute in this process with the solution's functions replaced by proxies:
a call sends its arguments into the sandbox, the solution runs there, and only the ``repr`` of
the result comes back, decoded as plain data by :mod:`~rlvr.verifiers.code.wire`. So an
``assert`` compares real values here, where the model's code cannot patch ``AssertionError``,
override ``__eq__``, exit early or print "passed". Each ``assert`` is rewritten to record its
outcome and carry on, which gives partial credit and the first failure's message.

What the tests see of the solution is kept to what they are meant to call (:func:`wanted_names`):
the entry point, or, without one, the names the tests use and define nowhere themselves. A
solution that defines ``set`` or the prompt's helper ``encode`` does not change what ``set`` or
``encode`` means to the tests; builtins and the setup's helpers stay the host's.

A run that cannot go on (time up, the solution's process gone, the sandbox silent, a reply that
breaks the protocol, the tests themselves failing outside an assert) is *aborted*: every assert
that did not run counts as failed, so stopping early never earns more than answering wrong.

Stdin/stdout tests send each input to a fresh solution process and compare its output here,
whitespace-insensitively. The expected outputs never enter the sandbox.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import symtable
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from types import CodeType
from typing import Any, TypeVar

from rlvr.verifiers.code import wire
from rlvr.verifiers.code.sandbox import Channel

GRACE_S = 2.0
"""Extra time the judge gives the zygote to answer after a run's own deadline."""

T = TypeVar("T")
_BUILTIN_NAMES = frozenset(dir(builtins))
_CONTROL_FLOW = (StopIteration, StopAsyncIteration)
"""Builtin exceptions the host must not re-raise for the solution: ``all(map(f, xs))`` would read
a StopIteration from ``f`` as the end of the map and pass."""


class Aborted(BaseException):
    """The run cannot go on; every assert that has not run yet fails.

    A BaseException, so that the tests' own ``except Exception`` (or ``except OSError``, which
    would catch a TimeoutError) cannot swallow it. The session also remembers it, so that a bare
    ``except:`` cannot either.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


class SolutionError(Exception):
    """The solution raised an exception type that the host does not re-raise as itself."""


class Unsupported(Exception):
    """A value that cannot cross the sandbox boundary as plain data."""


class TestsInvalid(Exception):
    """The tests (or the setup) cannot be compiled or run on the host: no verdict is possible."""

    __test__ = False  # not a pytest class


@dataclass
class Case:
    name: str
    passed: bool
    error: str | None = None
    ran: bool = True
    """False for a test the run never reached because it was aborted."""


@dataclass
class Report:
    cases: list[Case] = field(default_factory=list)
    error: str | None = None
    """Why the run failed as a whole (load error, timeout, …), if it did."""
    reason: str | None = None
    stdout: str = ""
    stderr: str = ""
    healthy: bool = True
    """False when the sandbox misbehaved and must be replaced rather than reused."""

    @property
    def not_run(self) -> int:
        return sum(not case.ran for case in self.cases)


class _Session:
    """Request/reply with the zygote under one overall deadline; remembers an abort."""

    def __init__(self, channel: Channel, deadline: float) -> None:
        self.channel, self.deadline = channel, deadline
        self.traceback: str | None = None
        """The solution's traceback from its last exception, for the report."""
        self.aborted: Aborted | None = None
        self.healthy = True

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def abort(self, reason: str, message: str, healthy: bool = True) -> Aborted:
        """Record that the run is over (the first reason wins) and return an error to raise."""
        if self.aborted is None:
            self.aborted = Aborted(reason, message)
        self.healthy = self.healthy and healthy
        return self.again()

    def again(self) -> Aborted:
        """A fresh exception for an abort already recorded (re-raising one instance chains)."""
        assert self.aborted is not None
        return Aborted(self.aborted.reason, self.aborted.message)

    def ask(self, message: dict[str, Any], parse: Callable[[dict[str, Any]], T]) -> T:
        """Send a request and check the reply's shape with ``parse``; raises Aborted otherwise."""
        if self.aborted is not None:
            raise self.again()
        left = self.left()
        if left <= 0:
            raise self.abort("timeout", "time limit reached")
        try:
            self.channel.send({**message, "timeout": left})
            reply = self.channel.recv(timeout=left + GRACE_S)
        except Exception as err:  # the transport refused the reply (too big, not JSON, …)
            raise self.abort("protocol-error", _describe(err), healthy=False) from None
        if reply is None:
            raise self.abort("sandbox-error", "the sandbox stopped answering", healthy=False)
        try:
            error = wire.zygote_error(reply)
            if error is not None:
                raise self.abort("sandbox-error", error, healthy=False)
            return parse(reply)
        except wire.ProtocolError as err:
            raise self.abort("protocol-error", str(err), healthy=False) from None

    def decode(self, text: str, what: str) -> Any:
        """A value the sandbox sent: Unsupported if it is not plain data, Aborted if too big."""
        try:
            return wire.decode(text)
        except wire.NotPlainData:
            raise Unsupported(f"{what} is not plain data: {text[:80]}") from None
        except wire.ProtocolError as err:
            raise self.abort("protocol-error", f"{what}: {err}", healthy=False) from None


class _Proxy:
    """Stands for one of the solution's functions; calling it runs the real one in the sandbox."""

    def __init__(self, session: _Session, name: str) -> None:
        self.session, self.name = session, name

    def __repr__(self) -> str:
        return f"<solution function {self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = {
            "op": "call",
            "name": self.name,
            "args": _encode(args),
            "kwargs": _encode(kwargs),
        }
        reply = self.session.ask(request, wire.call_reply)
        if isinstance(reply, wire.Returned):
            return self.session.decode(reply.text, f"the value {self.name}() returned")
        if isinstance(reply, wire.Raised):
            self.session.traceback = reply.traceback
            raise _exception(reply.kind, reply.message)
        raise self.session.abort(reply.reason, f"{self.name}(): {reply.message}")


def _exception(kind: str, message: str) -> Exception:
    """The builtin exception the solution raised, rebuilt here so tests can catch it by type."""
    error = getattr(builtins, kind, None)
    if (
        isinstance(error, type)
        and issubclass(error, Exception)
        and not issubclass(error, _CONTROL_FLOW)
    ):
        try:
            return error(message)
        except Exception:  # e.g. UnicodeDecodeError wants five arguments
            pass
    return SolutionError(f"{kind}: {message}")


def _encode(value: Any) -> str:
    """The ``repr`` of the tests' arguments, checked to read back as the same plain data."""
    text = repr(value)
    try:
        ok = bool(wire.decode(text, wire.TRUSTED_LIMITS) == value)
    except Exception:
        ok = False
    if not ok and value == value:  # nan != nan is fine: it still round-trips as nan
        raise Unsupported(f"argument is not plain data: {text[:80]}")
    return text


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"[:500]


# ------------------------------------------------------------------- compiling the tests
_AST_LOCK = threading.Lock()
"""CPython 3.11's AST conversion keeps its recursion depth in state shared by all threads, and
two threads parsing at once can fail with "AST constructor recursion depth mismatch" (gh-106905).
Every host-side ``ast.parse``/``compile`` of a tree here holds this lock."""


class _RecordAsserts(ast.NodeTransformer):
    """``assert cond, msg`` -> ``__rlvr_check__(k, lambda: cond)``, k numbering the asserts."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        self.names.append(f"line {node.lineno}: {ast.unparse(node.test)[:200]}")
        call = ast.Call(
            func=ast.Name("__rlvr_check__", ast.Load()),
            args=[
                ast.Constant(len(self.names) - 1),
                ast.Lambda(
                    ast.arguments(
                        posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]
                    ),
                    node.test,
                ),
            ],
            keywords=[],
        )
        return ast.copy_location(ast.Expr(call), node)


@dataclass(frozen=True)
class Prepared:
    """Test code compiled once, with what the judge needs to know about it."""

    code: CodeType
    asserts: tuple[str, ...]
    """One name per ``assert`` statement, in order: these are the tests that are scored."""
    free: frozenset[str]
    """Names the code looks up as globals and does not bind, builtins excepted."""
    bound: frozenset[str]
    """Names the code binds as globals: the tests' own, never the solution's."""
    stubs: frozenset[str]
    """Top-level functions with no body but a docstring/pass/...: the ones left to write."""


@lru_cache(maxsize=1024)
def prepare_tests(text: str, record: bool = True) -> Prepared:
    """Parse, rewrite and compile test code (``record``) or setup code; cached, as a batch
    often checks many completions against the same tests.

    Raises:
        TestsInvalid: the code does not compile here (with the reason).
    """
    what = "the tests" if record else "the setup"
    for attempt in range(2):
        try:
            with _AST_LOCK:
                tree = ast.parse(text)
                bound, free = _names(text)
                stubs = frozenset(
                    node.name for node in tree.body
                    if isinstance(node, ast.FunctionDef) and _is_stub(node)
                )  # fmt: skip
                recorder = _RecordAsserts()
                if record:
                    tree = ast.fix_missing_locations(recorder.visit(tree))
                code = compile(tree, "<tests>" if record else "<setup>", "exec")
            return Prepared(code, tuple(recorder.names), free - bound, bound, stubs)
        except SystemError as err:  # gh-106905 from a thread the lock does not cover: retry
            if attempt == 0:
                continue
            raise TestsInvalid(f"{what} could not be compiled here: {_describe(err)}") from None
        except (SyntaxError, ValueError, RecursionError, MemoryError, TypeError) as err:
            raise TestsInvalid(f"{what} cannot be compiled: {_describe(err)}") from None
    raise AssertionError("unreachable")


def _names(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(names the code binds as globals, names it looks up as globals that are not builtins).

    From the compiler's own scope analysis (:mod:`symtable`): a name a test function binds
    locally, like HumanEval's ``str = ...`` inside ``check``, is neither; a name read inside a
    function and bound nowhere, like ``poly`` in ``check``, is a global lookup.
    """
    top = symtable.symtable(text, "<tests>", "exec")
    bound = {sym.get_name() for sym in top.get_symbols() if sym.is_local()}
    read = {
        sym.get_name() for sym in top.get_symbols() if sym.is_referenced() and not sym.is_local()
    }
    tables = list(top.get_children())
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        for sym in table.get_symbols():
            if sym.is_declared_global() and sym.is_assigned():
                bound.add(sym.get_name())
            elif sym.is_global() and sym.is_referenced():
                read.add(sym.get_name())
    return frozenset(bound), frozenset(read - _BUILTIN_NAMES)


def _is_stub(node: ast.FunctionDef) -> bool:
    return all(
        isinstance(stmt, ast.Pass)
        or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
        for stmt in node.body
    )


def wanted_names(
    tests: Prepared,
    entry_point: str | None,
    setup_defines: Iterable[str] = (),
    stubs: Iterable[str] = (),
) -> set[str]:
    """The names of the solution the tests may see (as proxies, or as data for constants).

    With an entry point (HumanEval's ``check(candidate)``), only it. Without one (MBPP's
    top-level asserts), the globals the tests look up and do not define, minus builtins and the
    names the setup defines (the prompt's helpers), except the setup's bodiless ``stubs``,
    which declare what the solution is to write.
    """
    if entry_point is not None:
        return {entry_point}
    owned = set(setup_defines) - set(stubs)
    return {name for name in tests.free - owned if not name.startswith("__")}


# ------------------------------------------------------------------------------ assert tests
def judge_asserts(
    channel: Channel,
    code: str,
    tests: str,
    entry_point: str | None,
    timeout_s: float,
    setup: str = "",
) -> Report:
    """Load ``code`` (the setup and the solution) in the sandbox, run ``tests`` here.

    ``setup`` also runs here, first, so that the helpers the tests use are the host's own.
    """
    report = Report()
    try:
        prepared = prepare_tests(tests)
        host_setup = prepare_tests(setup, record=False) if setup.strip() else None
    except TestsInvalid as err:
        report.error, report.reason = str(err), "test-error"
        return report
    if not prepared.asserts:
        report.error, report.reason = "the tests contain no assert", "no-tests"
        return report
    session = _Session(channel, time.monotonic() + timeout_s)
    results = _Results(prepared.asserts)
    try:
        _load_and_run(session, code, prepared, host_setup, entry_point, results, report)
    except Aborted:
        pass  # recorded on the session
    finally:
        report.healthy = session.healthy
        logs = _end(session) if report.healthy else None
        if logs is None:
            report.healthy = False
        else:
            report.stdout, report.stderr = logs.stdout, logs.stderr
    if session.aborted is not None:
        report.reason = report.reason or session.aborted.reason
        report.error = report.error or session.aborted.message
    report.cases = results.cases(session.aborted)
    if not report.cases and report.error is None:
        report.error, report.reason = "the tests ran no assert", "no-tests"
    return report


def _load_and_run(
    session: _Session,
    code: str,
    tests: Prepared,
    setup: Prepared | None,
    entry_point: str | None,
    results: _Results,
    report: Report,
) -> None:
    namespace: dict[str, Any] = {"__name__": "__rlvr_tests__", "__builtins__": builtins}
    if setup is not None:
        try:
            exec(setup.code, namespace)
        except Exception as err:
            report.error = f"the setup failed on the host: {_describe(err)}"
            raise session.abort("test-error", report.error) from None
    loaded = session.ask({"op": "load", "code": code}, wire.load_reply)
    if isinstance(loaded, wire.Raised):
        report.error = f"{loaded.kind}: {loaded.message}\n{loaded.traceback}"
        raise session.abort("load-error", report.error)
    if isinstance(loaded, wire.Stopped):
        raise session.abort(loaded.reason, loaded.message)
    defined = set(namespace) - {"__name__", "__builtins__"}  # what the setup made, exactly
    stubs = setup.stubs if setup is not None else frozenset()
    for name in sorted(wanted_names(tests, entry_point, defined, stubs)):
        if name not in loaded.names:
            continue
        text = loaded.names[name]
        if text is None:
            namespace[name] = _Proxy(session, name)
        else:
            with contextlib.suppress(Unsupported):  # tests that use it fail with a NameError
                namespace[name] = session.decode(text, f"the solution's {name}")

    def hint(err: BaseException) -> str:
        return _hint(err, loaded.names, namespace)

    namespace["__rlvr_check__"] = partial_check(session, results, hint)
    try:
        exec(tests.code, namespace)
        if entry_point is not None and callable(namespace.get("check")):
            if entry_point not in namespace:
                raise NameError(f"the solution defines no function {entry_point!r}")
            namespace["check"](namespace[entry_point])
    except (Exception, SystemExit) as err:  # the test code itself failed outside an assert
        if session.aborted is not None:  # ... because it swallowed an abort and went on
            raise session.again() from None
        report.error = _describe(err) + hint(err)
        raise session.abort("test-error", report.error) from None
    if session.aborted is not None:  # the tests swallowed an abort and finished anyway
        raise session.again()


def _hint(err: BaseException, names: dict[str, str | None], namespace: dict[str, Any]) -> str:
    name = getattr(err, "name", None)
    if isinstance(err, NameError) and name in names and name not in namespace:
        return (
            f" (the solution defines {name!r}, but the tests may only use the entry point; "
            "give the prompt's helpers to CodeTests as setup)"
        )
    return ""


def partial_check(
    session: _Session, results: _Results, hint: Callable[[BaseException], str] = lambda err: ""
) -> Callable[[int, Any], None]:
    """The ``__rlvr_check__`` the rewritten asserts call: evaluate, record, carry on.

    An assert whose evaluation aborts the run (or swallows an abort) is recorded as failed, so
    an assert in a loop that passed its first iterations does not count as passed.
    """

    def check(index: int, condition: Callable[[], Any]) -> None:
        if session.aborted is not None:
            raise session.again()
        session.traceback = None
        try:
            passed, error = bool(condition()), None
        except Aborted as err:
            results.record(index, False, err.message)
            raise
        except Exception as err:
            passed, error = False, _describe(err) + hint(err)
            if session.traceback:
                error += "\n" + session.traceback
        if session.aborted is not None:  # the condition swallowed an abort: it did not pass
            results.record(index, False, session.aborted.message)
            raise session.again()
        results.record(index, passed, error)

    return check


class _Results:
    """One outcome per ``assert`` statement, however often it runs.

    What counts as a test: every ``assert`` statement in the test code is one test, and the
    score is the fraction of them that passed. An assert in a loop (or in a helper called many
    times) is still one test, and it passes only if every one of its executions passed: counting
    executions would make the denominator depend on how far the run got. An assert that never
    ran is a failed test when the run was aborted (the solution died, hung, or broke the
    protocol, or the tests stopped on an error), and otherwise is left out, since only the tests'
    own control flow (a branch not taken, a loop over nothing) can skip it in a completed run.
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.passed: list[bool | None] = [None] * len(names)
        self.errors: list[str | None] = [None] * len(names)

    def record(self, index: int, passed: bool, error: str | None) -> None:
        if self.passed[index] is not False:
            self.passed[index] = passed
        if not passed and self.errors[index] is None:
            self.errors[index] = error or f"assertion failed: {self.names[index].split(': ', 1)[1]}"

    def cases(self, aborted: Aborted | None) -> list[Case]:
        cases = []
        for name, passed, error in zip(self.names, self.passed, self.errors):
            if passed is not None:
                cases.append(Case(name, passed, error))
            elif aborted is not None:
                cases.append(Case(name, False, f"not run: {aborted.reason}", ran=False))
        return cases


def _end(session: _Session) -> wire.Logs | None:
    """Stop the solution process and collect its output; None if the zygote did not answer."""
    try:
        session.channel.send({"op": "end"})
        reply = session.channel.recv(timeout=GRACE_S + 1.0)
        if reply is None or wire.zygote_error(reply) is not None:
            return None
        return wire.end_reply(reply)
    except Exception:  # a refused or malformed goodbye: retire this sandbox
        return None


# --------------------------------------------------------------------------------- io tests
def judge_io(channel: Channel, code: str, pairs: list[tuple[str, str]], timeout_s: float) -> Report:
    """Each pair in a fresh process; all pairs share the one time budget.

    Every pair is a test. Once the run is aborted (time up, sandbox lost, protocol broken), the
    pairs left are failed tests that never ran.
    """
    session = _Session(channel, time.monotonic() + timeout_s)
    report = Report()
    for k, (stdin, expected) in enumerate(pairs):
        name = f"case {k}"
        if session.aborted is not None:
            report.cases.append(Case(name, False, f"not run: {session.aborted.reason}", ran=False))
            continue
        try:
            stopped, logs = session.ask({"op": "run", "code": code, "stdin": stdin}, wire.run_reply)
        except Aborted as err:
            report.cases.append(Case(name, False, err.message))
            continue
        report.stdout, report.stderr = logs.stdout, logs.stderr
        failure = (stopped.reason, stopped.message) if stopped is not None else None
        if failure is None and logs.exit != "exit 0":
            failure = ("failed-tests", f"the program ended with {logs.exit}")
        if failure is None and logs.stdout.split() != expected.split():
            failure = ("failed-tests", f"wrong output: got {_tail(logs.stdout)!r}")
        report.cases.append(Case(name, failure is None, failure and failure[1]))
        if failure and report.reason is None:
            report.reason = failure[0]
    report.healthy = session.healthy
    if session.aborted is not None:  # the abort is what to report, over a wrong output
        if report.reason in (None, "failed-tests"):
            report.reason = session.aborted.reason
        report.error = session.aborted.message
    return report


def _tail(text: str, n: int = 200) -> str:
    return text if len(text) <= n else "…" + text[-n:]
