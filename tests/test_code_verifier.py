import ast
import math
import subprocess
import time
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlvr.verifiers import Verdict, get_verifier
from rlvr.verifiers.code import (
    BwrapSandbox,
    CodeTests,
    CodeVerifier,
    SandboxUnavailable,
    UnsafeLocalSandbox,
    extract_code,
    judge,
)
from rlvr.verifiers.code.wire import NotPlainData, ProtocolError, decode
from rlvr.verifiers.code.zygote import literal

ADD = CodeTests(
    "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n",
    "add",
)
MBPP = CodeTests("assert add(1, 2) == 3\nassert add(2, 2) == 4\nassert add(0, 0) == 1\n")


@pytest.fixture(scope="module")
def verifier():
    verifier = CodeVerifier(timeout_s=5.0)
    yield verifier
    verifier.close()


@pytest.mark.parametrize(
    ("completion", "code"),
    [
        ("def f(): pass", "def f(): pass"),
        ("Here:\n```python\ndef f():\n    return 1\n```\n", "def f():\n    return 1\n"),
        ("```py\nx = 1\n```\nthen\n```python\nx = 2\n```", "x = 2\n"),
        ("```\nx = 3\n```", "x = 3\n"),
    ],
)
def test_extract_code(completion: str, code: str):
    assert extract_code(completion) == code


def test_humaneval_style(verifier: CodeVerifier):
    verdict = verifier("```python\ndef add(a, b):\n    return a + b\n```", ADD)
    assert verdict.correct and verdict.score == 1.0 and verdict.reason == "passed"
    assert verdict.details["passed"] == verdict.details["total"] == 2
    wrong = verifier("def add(a, b):\n    return a * b", ADD)
    assert not wrong.correct and wrong.reason == "failed-tests"
    assert wrong.details["failed"] == [
        "line 2: candidate(1, 2) == 3",
        "line 3: candidate(-1, 1) == 0",
    ]


def test_mbpp_style_and_partial_credit():
    strict = CodeVerifier(timeout_s=5.0)
    partial = CodeVerifier(timeout_s=5.0, partial_credit=True)
    code = "def add(a, b):\n    return a + b"
    assert strict(code, MBPP).score == 0.0
    verdict = partial(code, MBPP)
    assert verdict.score == pytest.approx(2 / 3) and not verdict.correct
    assert verdict.details["failed"] == ["line 3: add(0, 0) == 1"]
    assert verdict.details["error"] == "assertion failed: add(0, 0) == 1"


def test_io_tests_compare_tokens(verifier: CodeVerifier):
    tests = CodeTests.from_io([("1 2\n", "3\n"), ("5 5\n", "10"), ("0 0", "  0  \n\n")])
    good = "a, b = map(int, input().split())\nprint(a + b)"
    assert verifier(good, tests).correct
    verdict = CodeVerifier(timeout_s=5.0, partial_credit=True)("print(3)", tests)
    assert verdict.score == pytest.approx(1 / 3)
    assert "wrong output" in verdict.details["error"]


def test_io_program_that_exits_nonzero_fails(verifier: CodeVerifier):
    tests = CodeTests.from_io([("", "1")])
    assert verifier("print(1)\nimport sys\nsys.exit(0)", tests).correct
    assert not verifier("print(1)\nimport sys\nsys.exit(3)", tests).correct


def test_errors_are_reported_with_a_trimmed_traceback(verifier: CodeVerifier):
    verdict = verifier("def add(a, b):\n    print('hi')\n    return a / 0", ADD)
    assert verdict.reason == "failed-tests"
    error = verdict.details["error"]
    assert error.startswith("ZeroDivisionError: division by zero\nTraceback")
    assert 'File "<solution>", line 3, in add' in error
    assert "hi" in verdict.details["stdout"]
    broken = verifier("def add(a, b)\n    return a", ADD)
    assert broken.reason == "load-error" and "SyntaxError" in broken.details["error"]


def test_builtin_exceptions_cross_the_boundary(verifier: CodeVerifier):
    tests = CodeTests(
        "try:\n    parse('x')\n    ok = False\nexcept ValueError:\n    ok = True\nassert ok"
    )
    assert verifier("def parse(s):\n    return int(s)", tests).correct


def test_values_round_trip_as_plain_data(verifier: CodeVerifier):
    tests = CodeTests(
        "import math\n"
        "assert f() == ([1, (2, 3)], {'a': {1, 2}}, frozenset({4}), b'x', 1+2j, None, True)\n"
        "assert math.isinf(g()[0]) and math.isnan(g()[1])\n"
        "assert h(2, y=3) == 6\n"
        "assert LIMIT == 10\n"
    )
    code = (
        "LIMIT = 10\n"
        "def f():\n    return [1, (2, 3)], {'a': {1, 2}}, frozenset({4}), b'x', 1+2j, None, True\n"
        "def g():\n    return float('inf'), float('nan')\n"
        "def h(x, y):\n    return x * y\n"
    )
    assert verifier(code, tests).correct


def test_non_data_values_fail_cleanly(verifier: CodeVerifier):
    verdict = verifier("def f():\n    return object()", CodeTests("assert f() is not None"))
    assert not verdict.correct and "not plain data" in verdict.details["error"]


def test_missing_entry_point(verifier: CodeVerifier):
    verdict = verifier("def other(a, b):\n    return a + b", ADD)
    assert verdict.reason == "test-error" and "add" in verdict.details["error"]


def test_timeout_is_reported(verifier: CodeVerifier):
    quick = CodeVerifier(timeout_s=0.5)
    verdict = quick("def add(a, b):\n    while True:\n        pass", ADD)
    assert verdict.reason == "timeout" and verdict.score == 0.0


def test_empty_and_bad_input(verifier: CodeVerifier):
    assert verifier("   ", ADD).reason == "no-code"
    assert verifier(None, ADD).reason == "not-a-string"  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="CodeTests"):
        verifier("x = 1", "assert True")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        CodeTests("")
    with pytest.raises(ValueError):
        CodeTests.from_io([])
    with pytest.raises(ValueError):
        CodeVerifier(timeout_s=0)


def test_verify_batch_and_reuse_after_batch(verifier: CodeVerifier):
    codes = ["def add(a, b):\n    return a + b", "def add(a, b):\n    return 0"] * 4
    verdicts = verifier.verify_batch(codes, [ADD] * len(codes), workers=2)
    assert [v.correct for v in verdicts] == [True, False] * 4
    # The batch's threads are gone; the warm sandboxes must still serve.
    assert [verifier(codes[0], ADD).reason for _ in range(3)] == ["passed"] * 3


def test_runs_do_not_see_each_others_files(verifier: CodeVerifier):
    leave = "import os\nopen('/tmp/left-behind', 'w').write('x')\nopen('here', 'w').write('x')\n"
    verifier(leave + "def f():\n    return 1", CodeTests("assert f() == 1"))
    look = "import os\ndef f():\n    return sorted(os.listdir('/tmp')), sorted(os.listdir('.'))"
    verdict = verifier(look, CodeTests("tmp, here = f()\nassert tmp == ['run'] and here == []"))
    assert verdict.correct, verdict.details


def test_registered_as_code():
    assert isinstance(get_verifier("code", timeout_s=3.0), CodeVerifier)


@pytest.mark.parametrize(
    "text",
    [
        "[1, 2]",
        "(1,)",
        "{'a': 1}",
        "set()",
        "frozenset({1, 2})",
        "-3.5",
        "1e300",
        "-inf",
        "1+2j",
        "b'\\x00'",
    ],
)
def test_literal_round_trip(text: str):
    value = literal(text)
    assert literal(repr(value)) == value


@pytest.mark.parametrize(
    "text",
    ["__import__('os')", "f()", "x", "[1, 2][0]", "(lambda: 1)()", "{**{}}", "[" * 500 + "]" * 500],
)
def test_literal_refuses_code(text: str):
    with pytest.raises((ValueError, SyntaxError, RecursionError, MemoryError)):
        literal(text)


def test_literal_nan():
    assert math.isnan(literal("nan"))


def test_unsafe_local_warns_loudly_and_still_limits(capsys: pytest.CaptureFixture[str]):
    UnsafeLocalSandbox._warned = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        verifier = CodeVerifier(timeout_s=5.0, sandbox="unsafe_local")
    assert any("WITHOUT filesystem or network isolation" in str(w.message) for w in caught)
    assert "WITHOUT" in capsys.readouterr().err
    assert verifier("def add(a, b):\n    return a + b", ADD).correct
    bomb = verifier("import os\ndef add(a, b):\n    os.fork()\n    return a + b", ADD)
    assert not bomb.correct  # the seccomp filter still refuses new processes
    verifier.close()


def test_missing_bubblewrap_is_a_clear_error(tmp_path):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(SandboxUnavailable, match=r"unprivileged_userns_clone.*unsafe_local"):
        BwrapSandbox(bwrap=str(fake))


def test_unknown_sandbox_name():
    with pytest.raises(ValueError, match="unknown sandbox"):
        CodeVerifier(sandbox="docker")


def test_bwrap_is_really_isolating(verifier: CodeVerifier):
    probe = (
        "import os, socket\n"
        "def facts():\n"
        "    try:\n        socket.socket(socket.AF_INET)\n        net = 'open'\n"
        "    except OSError:\n        net = 'blocked'\n"
        "    zygote = os.getppid()  # started once per sandbox, in its own PID namespace\n"
        "    return [sorted(os.listdir('/')), os.getcwd(), dict(os.environ), net, zygote < 10]\n"
    )
    tests = CodeTests(
        "roots, cwd, env, net, small_pid = facts()\n"
        "assert 'home' not in roots and 'etc' not in roots and 'proc' not in roots\n"
        "assert cwd.startswith('/tmp/')\n"
        "assert set(env) <= {'PATH', 'HOME', 'LANG', 'PWD', 'RLVR_SCRATCH'}\n"
        "assert net == 'blocked'\n"
        "assert small_pid\n"
    )
    verdict = verifier(probe, tests)
    assert verdict.correct, verdict.details


def test_bwrap_version_found():
    sandbox = BwrapSandbox()
    out = subprocess.run([sandbox.bwrap, "--version"], capture_output=True, text=True)
    assert out.stdout.startswith("bubblewrap")


# ========================================================== decoding replies (wire.decode)
def _plain_data() -> st.SearchStrategy[Any]:
    scalars = (
        st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary()
        | st.complex_numbers()
    )  # fmt: skip
    hashable = st.recursive(
        scalars.filter(lambda v: v == v),
        lambda inner: st.tuples(inner) | st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
        max_leaves=8,
    )
    return st.recursive(
        scalars | hashable,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.tuples(inner, inner)
            | st.dictionaries(hashable, inner, max_size=3)
            | st.sets(hashable, max_size=3)
        ),
        max_leaves=20,
    )


def _same(a: Any, b: Any) -> bool:
    """Equal, with nan equal to nan and -0.0 told from 0.0 (both are in a value's repr)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float | complex):
        return repr(a) == repr(b)
    return a == b


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_plain_data())
def test_decode_reads_back_every_repr_of_plain_data(value: Any):
    assert _same(decode(repr(value)), value)


@pytest.mark.parametrize(
    "text",
    [
        "[1, 2]", "(1,)", "()", "{'a': 1}", "{}", "set()", "frozenset()", "frozenset({1, 2})",
        "-3.5", "1e+300", "-inf", "nan", "(1+2j)", "(-0-1j)", "nanj", "(inf-infj)", "b'\\x00'",
        "'\\u2603\\U0001f600\\x7f\\n\\t\\\\\\''", "\"it's\"", "b\"it's\"", "'é☃'", "[[[]]]",
        "{(1, 2): frozenset({(3,)})}", "{-1, -2}", "True", "None", "-0.0",
    ],
)  # fmt: skip
def test_decode_round_trip(text: str):
    value = decode(text)
    assert _same(decode(repr(value)), value)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')", "f()", "x", "[1, 2][0]", "(lambda: 1)()", "{**{}}", "(1)", "[1 2]",
        "{1: 2, 3}", "{1, 2: 3}", "'\\q'", "'\\N{DASH}'", "'\\0'", "b'\\u1234'", "b'é'",
        "'a' 'b'", "[...]", "[[...]]", "Ellipsis", "{[1]: 2}", "{(1, [2])}", "frozenset({})",
        "frozenset([1])", "1+2j", "set([1])", "'\\U00110000'", "", " ", "1,", "[1]]", "[[1]",
        "'\n'", "<object object at 0x7f>", "Point(x=1, y=2)", "OrderedDict([(1, 2)])",
        "array([1, 2])", "np.int64(5)", "'unterminated",
    ],
)  # fmt: skip
def test_decode_refuses_what_is_not_plain_data(text: str):
    with pytest.raises(NotPlainData):
        decode(text)


P = 2**61 - 1  # CPython hashes an int n as n mod P: every multiple of P hashes to 0
COLLIDING = [str(k * P) for k in range(1, 50001)]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a million elements", "[" + "0, " * 1_000_000 + "0]"),
        ("nested 100000 deep", "[" * 100_000 + "]" * 100_000),
        ("nested sets", "frozenset({" * 200 + "})" * 200),
        ("a million digits", "7" * 1_000_000),
        ("a long float", "1." + "5" * 10_000),
        ("ints hashing alike in a set", "{" + ", ".join(COLLIDING) + "}"),
        ("... in a list", "[" + ", ".join(COLLIDING) + "]"),
        ("... as dict keys", "{" + ", ".join(f"{k}: 0" for k in COLLIDING) + "}"),
        ("... as dict values", "{" + ", ".join(f"{i}: {k}" for i, k in enumerate(COLLIDING)) + "}"),
        ("... in tuples", "[" + ", ".join(f"({k},)" for k in COLLIDING) + "]"),
        ("... in a frozenset", "frozenset({" + ", ".join(COLLIDING) + "})"),
        ("9 MB of text", "'" + "x" * (9 << 20) + "'"),
    ],
)
def test_decode_refuses_values_past_the_limits_quickly(name: str, text: str):
    start = time.perf_counter()
    with pytest.raises(ProtocolError):
        decode(text)
    assert time.perf_counter() - start < 5.0, name  # quadratic parsing would take minutes


def test_decode_keeps_large_honest_values():
    for value in (list(range(150_000)), [0] * 150_000, {str(i): i for i in range(50_000)},
                  {k * (2**61 - 1) for k in range(1, 10)}, "x" * (4 << 20), 10**4000):  # fmt: skip
        assert decode(repr(value)) == value


# ================================================== replies the host must not trust (schema)
class ScriptedChannel:
    """A zygote stand-in that answers each op from a script: shapes the real one never sends."""

    def __init__(self, script: dict[str, Any]) -> None:
        self.script, self.op, self.alive = script, "", True

    def send(self, message: dict[str, Any]) -> None:
        self.op = message["op"]

    def recv(self, timeout: float) -> Any:
        if self.op == "init":
            return {"ok": True}
        reply = self.script.get(self.op, {})
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def close(self) -> None:
        self.alive = False


class ScriptedSandbox:
    name = "scripted"

    def __init__(self, script: dict[str, Any]) -> None:
        self.script = script

    def start(self) -> ScriptedChannel:
        return ScriptedChannel(self.script)


GOOD_LOAD = {"names": {"solve": None}}
GOOD_CALL = {"value": "'pwned'"}
GOOD_END = {"stdout": "", "stderr": "", "exit": "killed", "output_limit": False}
GOOD_RUN = {"stdout": "pwned\n", "stderr": "", "exit": "exit 0", "output_limit": False}
BAD_REPLIES = [
    None, [], "text", 5, {}, {"nothing": 1}, {"names": [1]}, {"names": {"solve": 5}},
    {"names": {3: None}}, {"names": {"a b": None}}, {"load_error": "x"}, {"load_error": [1, 2, 3]},
    {"load_error": ["E", "m"]}, {"value": 5}, {"value": None}, {"value": ["'pwned'"]},
    {"raised": "boom"}, {"raised": ["E", 1, "tb"]}, {"raised": ["not a name", "m", "tb"]},
    {"timeout": "yes"}, {"timeout": 1}, {"output_limit": "x"}, {"died": 7}, {"error": 5},
    {"stdout": 5, "stderr": "", "exit": "exit 0"}, {"stdout": "x", "stderr": "", "exit": 0},
    {"stdout": "x", "stderr": ""}, {"value": "[" * 1000 + "]" * 1000},
    RecursionError("deep JSON"), KeyError("bug in the channel"), ValueError("not JSON"),
]  # fmt: skip


@pytest.mark.parametrize("op", ["load", "call", "end", "run"])
@pytest.mark.parametrize("bad", range(len(BAD_REPLIES)))
def test_a_malformed_reply_is_a_failed_run_not_an_exception(op: str, bad: int):
    script = {"load": GOOD_LOAD, "call": GOOD_CALL, "end": GOOD_END, "run": GOOD_RUN}
    script[op] = BAD_REPLIES[bad]
    verifier = CodeVerifier(timeout_s=2.0, sandbox=ScriptedSandbox(script))
    tests = (
        CodeTests.from_io([("", "pwned")])
        if op == "run"
        else CodeTests("assert solve() == 'pwned'")
    )
    try:
        verdict = verifier("def solve():\n    return 'pwned'", tests)
        batch = verifier.verify_batch(["def solve():\n    return 'pwned'"] * 3, [tests] * 3)
    finally:
        verifier.close()
    assert isinstance(verdict, Verdict) and batch == [verdict] * 3
    if op == "end":  # the verdict is already decided; a bad goodbye only retires the sandbox
        assert verdict.correct, verdict
        return
    assert not verdict.correct and verdict.score == 0.0, verdict
    assert verdict.reason in ("protocol-error", "sandbox-error"), verdict


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
reply_keys = st.sampled_from(
    ["names", "load_error", "value", "raised", "timeout", "output_limit", "died", "error",
     "stdout", "stderr", "exit"]
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["load", "call", "end", "run"]),
    st.dictionaries(reply_keys, json_values, max_size=3) | json_values,
)
def test_any_json_reply_gives_a_verdict(op: str, reply: Any):
    script = {"load": GOOD_LOAD, "call": GOOD_CALL, "end": GOOD_END, "run": GOOD_RUN, op: reply}
    verifier = CodeVerifier(timeout_s=2.0, sandbox=ScriptedSandbox(script))
    tests = (
        CodeTests.from_io([("", "pwned")])
        if op == "run"
        else CodeTests("assert solve() == 'pwned'")
    )
    try:
        verdict = verifier("def solve():\n    return 'pwned'", tests)
    finally:
        verifier.close()
    assert isinstance(verdict, Verdict)
    assert verdict.score in (0.0, 1.0)


# ======================================================== host-side compile of the tests
@pytest.mark.parametrize(
    ("tests", "setup"),
    [
        ("assert f(1) ==", ""),
        ("assert " + "(" * 5000 + "1" + ")" * 5000, ""),
        ("assert " + "-" * 100_000 + "1", ""),
        ("assert f(1) == 1\x00", ""),
        ("assert f(1) == 1", "def broken(:\n"),
        ("assert f(1) == 1", "raise RuntimeError('the setup fails on the host')"),
        ("assert f(1) == 1", "import a_module_that_does_not_exist"),
        ("import sys\nsys.exit(0)\nassert f(1) == 1", ""),
        ("raise KeyError('the tests fail')\nassert f(1) == 1", ""),
    ],
)
def test_tests_that_do_not_compile_or_run_are_a_failed_verdict(
    verifier: CodeVerifier, tests: str, setup: str
):
    verdict = verifier("def f(x):\n    return x", CodeTests(tests, setup=setup))
    assert not verdict.correct and verdict.reason == "test-error", verdict
    assert verdict.details["error"]


def test_a_transient_ast_error_is_retried_and_a_lasting_one_is_a_verdict(
    verifier: CodeVerifier, monkeypatch: pytest.MonkeyPatch
):
    """CPython 3.11's gh-106905: ``ast`` raises SystemError when threads parse at once."""
    real_parse, calls = ast.parse, []

    def flaky(*args: Any, **kwargs: Any) -> ast.AST:
        calls.append(1)
        if len(calls) == 1:
            raise SystemError("AST constructor recursion depth mismatch (before=2, after=1)")
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(judge.ast, "parse", flaky)
    judge.prepare_tests.cache_clear()
    tests = CodeTests("assert f(2) == 2  # a text no other test compiles")
    assert verifier("def f(x):\n    return x", tests).correct
    assert len(calls) == 2

    def broken(*args: Any, **kwargs: Any) -> ast.AST:
        raise SystemError("AST constructor recursion depth mismatch (before=2, after=1)")

    monkeypatch.setattr(judge.ast, "parse", broken)
    judge.prepare_tests.cache_clear()
    verdict = verifier("def f(x):\n    return x", CodeTests("assert f(3) == 3"))
    assert verdict.reason == "test-error" and "SystemError" in verdict.details["error"]
    judge.prepare_tests.cache_clear()


def test_one_bad_item_does_not_take_down_the_batch(verifier: CodeVerifier):
    good = "def add(a, b):\n    return a + b"
    items = [
        (good, ADD),
        (None, ADD),
        (good, "assert add(1, 2) == 3"),
        (good, CodeTests("assert add(1, 2) ==")),
        (good, CodeTests("assert add(1, 2) == 3", setup="raise ValueError")),
        ("```python\n" + "(" * 100_000 + "\n```", ADD),
        (good, MBPP),
        (good, ADD),
    ]
    verdicts = verifier.verify_batch([i[0] for i in items], [i[1] for i in items], workers=2)  # type: ignore[misc]
    assert [v.correct for v in verdicts] == [True, False, False, False, False, False, False, True]
    assert verdicts[2].reason == "verifier-error" and "CodeTests" in verdicts[2].details["error"]


def test_partial_credit_counts_asserts_not_executions():
    partial = CodeVerifier(timeout_s=5.0, partial_credit=True)
    try:
        tests = CodeTests(
            "for i in range(4):\n    assert f(i) == i\n"
            "if f(0) != 0:\n    assert False, 'never reached by a correct f'\n"
            "assert f(9) == 9\n"
        )
        right = partial("def f(x):\n    return x", tests)
        assert right.correct and right.details["total"] == 2 and right.details["not_run"] == 0
        half = partial("def f(x):\n    return x if x < 2 else 0", tests)  # the loop's fails
        assert half.score == 0.0 and half.details["total"] == 2
        off = partial("def f(x):\n    return x + 1", tests)  # reaches the third assert
        assert off.score == 0.0 and off.details["total"] == 3
        last = partial("def f(x):\n    return x if x < 9 else 0", tests)
        assert last.score == pytest.approx(1 / 2), last.details
    finally:
        partial.close()


@pytest.mark.parametrize(
    ("tests", "free"),
    [
        ("assert add(1, 2) == 3", {"add"}),
        ("assert set(f(1)) == {1}", {"f"}),
        ("def check(candidate):\n    str = 'x'\n    assert candidate(str) == poly(1)\n", {"poly"}),
        ("def close(a):\n    root = a\n    return root\nassert close(root(2))", {"root"}),
        ("def t():\n    assert near(f(1))\ndef near(x):\n    return x\nt()", {"f"}),
        ("import math\nassert math.isclose(f(1), 1)", {"f"}),
        ("def g():\n    global h\n    h = 1\ng()\nassert h == f()", {"f"}),
        ("class K:\n    y = f(1)\n    def m(self):\n        return z\n", {"f", "z"}),
        ("assert [g(i) for i in range(3)] == [0, 1, 2]", {"g"}),
    ],
)
def test_the_globals_tests_look_up_are_the_only_names_the_solution_may_supply(
    tests: str, free: set[str]
):
    prepared = judge.prepare_tests(tests)
    assert prepared.free == free
    assert judge.wanted_names(prepared, None) == free
    assert judge.wanted_names(prepared, "entry") == {"entry"}
    assert judge.wanted_names(prepared, None, setup_defines=free) == set()
    assert judge.wanted_names(prepared, None, setup_defines=free, stubs=free) == free
