"""The trusted side of code verification: tests run here, on the host, never in the sandbox.

Assert-style tests execute in this process with the solution's functions replaced by proxies:
a call sends its arguments into the sandbox, the solution runs there, and only the ``repr`` of
the result comes back, parsed as plain data. So an ``assert`` compares real values here, where
the model's code cannot patch ``AssertionError``, override ``__eq__``, exit early or print
"passed". Each ``assert`` is rewritten to record its outcome and carry on, which gives partial
credit and the first failure's message.

Stdin/stdout tests send each input to a fresh solution process and compare its output here,
whitespace-insensitively. The expected outputs never enter the sandbox.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from rlvr.verifiers.code.sandbox import Channel
from rlvr.verifiers.code.zygote import literal

GRACE_S = 2.0
"""Extra time the judge gives the zygote to answer after a run's own deadline."""


class SandboxLost(Exception):
    """The sandbox stopped answering; the run fails and the sandbox is replaced."""


class SolutionError(Exception):
    """The solution raised an exception type that is not a builtin one."""


class SolutionDied(Exception):
    """The solution process crashed (segfault, os._exit, killed); later calls fail too."""


class Unsupported(Exception):
    """A value that cannot cross the sandbox boundary as plain data."""


@dataclass
class Case:
    name: str
    passed: bool
    error: str | None = None


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


class _Session:
    """Request/reply with the zygote under one overall deadline."""

    def __init__(self, channel: Channel, deadline: float) -> None:
        self.channel, self.deadline = channel, deadline
        self.traceback: str | None = None
        """The solution's traceback from its last exception, for the report."""

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        left = self.left()
        if left <= 0:
            raise TimeoutError("time limit reached")
        self.channel.send({**message, "timeout": left})
        reply = self.channel.recv(timeout=left + GRACE_S)
        if reply is None:
            raise SandboxLost("the sandbox stopped answering")
        if "error" in reply:
            raise SandboxLost(reply["error"])
        return reply


class _Proxy:
    """Stands for one of the solution's functions; calling it runs the real one in the sandbox."""

    def __init__(self, session: _Session, name: str) -> None:
        self.session, self.name = session, name

    def __repr__(self) -> str:
        return f"<solution function {self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        reply = self.session.ask(
            {"op": "call", "name": self.name, "args": _encode(args), "kwargs": _encode(kwargs)}
        )
        if "value" in reply:
            try:
                return literal(reply["value"])
            except (ValueError, SyntaxError, RecursionError, MemoryError):
                raise Unsupported(
                    f"{self.name}() returned a value that is not plain data: {reply['value'][:80]}"
                ) from None
        if "raised" in reply:
            kind, message, self.session.traceback = reply["raised"]
            error = getattr(builtins, kind, None)
            if isinstance(error, type) and issubclass(error, Exception):
                raise error(message)
            raise SolutionError(f"{kind}: {message}")
        if reply.get("timeout"):
            raise TimeoutError(f"{self.name}() ran out of time")
        if reply.get("output_limit"):
            raise OverflowError("output limit exceeded")
        raise SolutionDied(f"the solution process died ({reply.get('died', 'unknown')})")


def _encode(value: Any) -> str:
    text = repr(value)
    try:
        ok = literal(text) == value
    except (ValueError, SyntaxError, RecursionError):
        ok = False
    if not ok and value == value:  # nan != nan is fine: it still round-trips as nan
        raise Unsupported(f"argument is not plain data: {text[:80]}")
    return text


# ------------------------------------------------------------------------------ assert tests
class _RecordAsserts(ast.NodeTransformer):
    """``assert cond, msg`` -> ``__rlvr_check__(lineno, lambda: cond, source)``, which records."""

    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        source = ast.unparse(node.test)[:200]
        call = ast.Call(
            func=ast.Name("__rlvr_check__", ast.Load()),
            args=[
                ast.Constant(node.lineno),
                ast.Lambda(
                    ast.arguments(
                        posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]
                    ),
                    node.test,
                ),
                ast.Constant(source),
            ],
            keywords=[],
        )
        return ast.copy_location(ast.Expr(call), node)


def judge_asserts(
    channel: Channel, code: str, tests: str, entry_point: str | None, timeout_s: float
) -> Report:
    session = _Session(channel, time.monotonic() + timeout_s)
    report = Report()
    try:
        loaded = session.ask({"op": "load", "code": code})
        if "load_error" in loaded:
            kind, message, tb = loaded["load_error"]
            report.error, report.reason = f"{kind}: {message}\n{tb}", "load-error"
            return report
        if "names" not in loaded:
            report.reason, report.error = _failure(loaded) or ("crashed", str(loaded)[:200])
            return report
        namespace = _namespace(session, loaded["names"])
        _run_tests(session, tests, entry_point, namespace, report)
    except TimeoutError as err:
        report.error, report.reason = str(err), "timeout"
    except SolutionDied as err:
        report.error, report.reason = str(err), "crashed"
    except SandboxLost as err:
        report.error, report.reason, report.healthy = str(err), "sandbox-error", False
    finally:
        logs = _end(session) if report.healthy else None
        if logs is None:
            report.healthy = False
        else:
            report.stdout, report.stderr = logs.get("stdout", ""), logs.get("stderr", "")
    return report


def _namespace(session: _Session, names: dict[str, str | None]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__rlvr_tests__", "__builtins__": builtins}
    for name, value in names.items():
        if value is None:
            namespace[name] = _Proxy(session, name)
        else:
            with contextlib.suppress(ValueError, SyntaxError, RecursionError):
                namespace[name] = literal(value)
    return namespace


def _run_tests(
    session: _Session,
    tests: str,
    entry_point: str | None,
    namespace: dict[str, Any],
    report: Report,
) -> None:
    def check(lineno: int, condition: Any, source: str) -> None:
        name = f"line {lineno}: {source}"
        session.traceback = None
        try:
            passed = bool(condition())
            report.cases.append(
                Case(name, passed, None if passed else f"assertion failed: {source}")
            )
        except (TimeoutError, SandboxLost, SolutionDied) as err:
            report.cases.append(Case(name, False, str(err)))
            raise
        except Exception as err:
            error = f"{type(err).__name__}: {err}"[:500]
            if session.traceback:
                error += "\n" + session.traceback
            report.cases.append(Case(name, False, error))

    namespace["__rlvr_check__"] = check
    tree = ast.fix_missing_locations(_RecordAsserts().visit(ast.parse(tests)))
    try:
        exec(compile(tree, "<tests>", "exec"), namespace)
        if entry_point is not None and callable(namespace.get("check")):
            if entry_point not in namespace:
                raise NameError(f"the solution defines no function {entry_point!r}")
            namespace["check"](namespace[entry_point])
    except (TimeoutError, SandboxLost, SolutionDied):
        raise
    except Exception as err:  # the test code itself failed outside an assert
        report.error, report.reason = f"{type(err).__name__}: {err}"[:500], "test-error"
    if not report.cases and report.error is None:
        report.error, report.reason = "the tests contain no assert", "no-tests"


def _end(session: _Session) -> dict[str, Any] | None:
    """Stop the solution process and collect its output; None if the zygote did not answer."""
    session.channel.send({"op": "end"})
    return session.channel.recv(timeout=GRACE_S + 1.0)


# --------------------------------------------------------------------------------- io tests
def judge_io(channel: Channel, code: str, pairs: list[tuple[str, str]], timeout_s: float) -> Report:
    """Each pair in a fresh process; all pairs share the one time budget."""
    session = _Session(channel, time.monotonic() + timeout_s)
    report = Report()
    for k, (stdin, expected) in enumerate(pairs):
        name = f"case {k}"
        try:
            result = session.ask({"op": "run", "code": code, "stdin": stdin})
        except TimeoutError:
            report.cases.append(Case(name, False, "time limit reached"))
            report.reason = report.reason or "timeout"
            continue
        except SandboxLost as err:
            report.cases.append(Case(name, False, str(err)))
            report.reason, report.healthy = "sandbox-error", False
            break
        report.stdout, report.stderr = result.get("stdout", ""), result.get("stderr", "")
        failure = _failure(result)
        if failure is None and result.get("exit") != "exit 0":
            failure = ("failed-tests", f"the program ended with {result.get('exit')}")
        if failure is None and result.get("stdout", "").split() != expected.split():
            failure = ("failed-tests", f"wrong output: got {_tail(result.get('stdout', ''))!r}")
        report.cases.append(Case(name, failure is None, failure and failure[1]))
        if failure and report.reason is None:
            report.reason = failure[0]
    return report


def _failure(reply: dict[str, Any]) -> tuple[str, str] | None:
    """(reason, message) when the zygote reports that a run did not complete."""
    if reply.get("timeout"):
        return "timeout", "time limit reached"
    if reply.get("output_limit"):
        return "output-limit", "output limit exceeded"
    if "died" in reply:
        return "crashed", f"the solution process died ({reply['died']})"
    return None


def _tail(text: str, n: int = 200) -> str:
    return text if len(text) <= n else "…" + text[-n:]
