import math
import subprocess
import warnings

import pytest

from rlvr.verifiers import get_verifier
from rlvr.verifiers.code import (
    BwrapSandbox,
    CodeTests,
    CodeVerifier,
    SandboxUnavailable,
    UnsafeLocalSandbox,
    extract_code,
)
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
        "    pid = os.getpid()\n"
        "    return [sorted(os.listdir('/')), os.getcwd(), dict(os.environ), net, pid < 10]\n"
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
