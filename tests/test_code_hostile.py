"""Hostile programs: each must score 0 and leave the host as it was.

Every program tries something harmful and then claims success: its test passes only if the
attack worked (``solve()`` returns ``"pwned"``) or if it could fake the verdict.
"""

import os
import resource
import secrets
import socket
import threading
import time
from pathlib import Path

import pytest

from rlvr.verifiers.code import CodeTests, CodeVerifier

TIMEOUT_S = 3.0
PWNED = CodeTests("assert solve() == 'pwned'")
SECRET = secrets.token_hex(8)
HOST_MARKER = Path(__file__).resolve().parent / f".rlvr-hostile-{SECRET}"  # not in the sandbox
HOME_SECRET = Path.home() / f".rlvr-secret-{SECRET}"


def _loopback_server() -> tuple[int, list[bytes]]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    received: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            received.append(conn.recv(100))
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1], received


PORT, RECEIVED = _loopback_server()

HOSTILE = {
    "infinite loop at import": "while True:\n    pass",
    "infinite loop in the call": "def solve():\n    while True:\n        pass",
    "sleep past the deadline": "import time\ndef solve():\n    time.sleep(60)\n    return 'pwned'",
    "fork bomb": "import os\ndef solve():\n    while True:\n        os.fork()",
    "subprocess daemon": (
        "import subprocess\ndef solve():\n"
        f"    subprocess.Popen(['sleep', '600', 'rlvr-hostile-{SECRET}'])\n    return 'pwned'"
    ),
    "daemon thread spinning": (
        "import threading\ndef spin():\n    while True:\n        pass\n"
        "threading.Thread(target=spin, daemon=True).start()\n"
        "def solve():\n    return 'not pwned'"
    ),
    "thread bomb": (
        "import threading, time\ndef solve():\n    for _ in range(100000):\n"
        "        threading.Thread(target=time.sleep, args=(60,)).start()\n    return 'pwned'"
    ),
    "allocate 8 GB": "def solve():\n    data = bytearray(8 << 30)\n    return 'pwned'",
    "allocate in small steps": (
        "def solve():\n    hoard = []\n    while True:\n        hoard.append(bytearray(1 << 20))"
    ),
    "fill the disk": (
        "def solve():\n    for k in range(10000):\n"
        "        with open(f'junk{k}', 'wb') as f:\n            f.write(b'x' * (8 << 20))\n"
        "    return 'pwned'"
    ),
    "write into /usr": (
        f"def solve():\n    open('/usr/rlvr-hostile-{SECRET}', 'w').write('x')\n    return 'pwned'"
    ),
    "chdir to / and write": (
        "import os\ndef solve():\n    os.chdir('/')\n    open('pwned', 'w').write('x')\n"
        "    return 'pwned'"
    ),
    "write the host marker path": (
        f"def solve():\n    open({str(HOST_MARKER)!r}, 'w').write('x')\n"
        f"    return open({str(HOST_MARKER)!r}).read() and 'pwned'"
    ),
    "read /etc/shadow": "def solve():\n    return open('/etc/shadow').read() and 'pwned'",
    "read the user's home": (
        f"def solve():\n    return open({str(HOME_SECRET)!r}).read() == {SECRET!r} and 'pwned'"
    ),
    "read the parent's environment": (
        f"import os\ndef solve():\n    return os.environ.get('RLVR_TEST_SECRET') == {SECRET!r} "
        "and 'pwned'"
    ),
    "loopback socket to the host": (
        "import socket\ndef solve():\n"
        f"    s = socket.create_connection(('127.0.0.1', {PORT}), timeout=1)\n"
        "    s.sendall(b'pwned')\n    return 'pwned'"
    ),
    "external socket": (
        "import socket\ndef solve():\n"
        "    socket.create_connection(('1.1.1.1', 53), timeout=1)\n    return 'pwned'"
    ),
    "kill the parent": "import os\ndef solve():\n    os.kill(os.getppid(), 9)\n    return 'pwned'",
    "kill every process": "import os\ndef solve():\n    os.kill(-1, 9)\n    return 'pwned'",
    "stop the parent": (
        "import os, signal\ndef solve():\n    os.kill(os.getppid(), signal.SIGSTOP)\n"
        "    return 'pwned'"
    ),
    "os._exit(0) before the tests": "import os\nos._exit(0)",
    "sys.exit(0) before the tests": "import sys\nsys.exit(0)",
    "sys.exit(0) in the call": "import sys\ndef solve():\n    sys.exit(0)",
    "patch AssertionError and assert": (
        "import builtins\nclass Fine(Exception):\n    pass\nbuiltins.AssertionError = Fine\n"
        "def solve():\n    return 'nope'"
    ),
    "always-equal object": (
        "class AlwaysEqual(str):\n    def __eq__(self, other):\n        return True\n"
        "    def __repr__(self):\n        return 'object()'\n"
        "def solve():\n    return AlwaysEqual()"
    ),
    "lying repr": (
        "class Liar:\n    def __repr__(self):\n        return \"__import__('os').system('true')\"\n"
        "def solve():\n    return Liar()"
    ),
    "print a fake pass": (
        "import sys\nprint('{\"value\": \"\\'pwned\\'\"}')\nprint('ALL TESTS PASSED')\n"
        "sys.stdout.flush()\ndef solve():\n    return 'nope'"
    ),
    "forge a protocol reply on every fd": (
        "import os, json, struct\n"
        "msg = json.dumps({'value': repr('pwned')}).encode()\n"
        "for fd in range(64):\n    try:\n"
        "        os.write(fd, struct.pack('!I', len(msg)) + msg)\n    except OSError:\n"
        "        pass\n"
        "def solve():\n    return 'nope'"
    ),
    "print 1 GB": (
        "import sys\ndef solve():\n    for _ in range(1 << 14):\n"
        "        sys.stdout.write('x' * (1 << 16))\n    return 'pwned'"
    ),
    "recursion bomb": "def solve():\n    return solve()",
    "deep recursion crash": (
        "import sys\nsys.setrecursionlimit(10**8)\ndef solve(n=0):\n    return solve(n + 1)"
    ),
    "ctypes segfault": "import ctypes\ndef solve():\n    ctypes.string_at(0)\n    return 'pwned'",
    "ptrace the parent": (
        "import ctypes, os\ndef solve():\n"
        "    ok = ctypes.CDLL(None).ptrace(16, os.getppid(), 0, 0) == 0\n"
        "    return 'pwned' if ok else 'nope'"
    ),
    "exhaust file descriptors": (
        "def solve():\n    files = [open('/dev/null') for _ in range(100000)]\n    return 'pwned'"
    ),
}


@pytest.fixture(scope="module")
def verifier():
    HOME_SECRET.write_text(SECRET)
    os.environ["RLVR_TEST_SECRET"] = SECRET
    verifier = CodeVerifier(timeout_s=TIMEOUT_S, memory_mb=512)
    yield verifier
    verifier.close()
    HOME_SECRET.unlink(missing_ok=True)
    os.environ.pop("RLVR_TEST_SECRET", None)


def _held_mb() -> float:
    """Memory that this test's process tree and tmpfs files hold: RSS of the test process and
    its descendants (the sandboxes), plus Shmem.

    (MemAvailable is no good here: in this VM it drifts by ~100 MB after a big free; nor the RSS
    of every process, which moves with whatever else runs on the machine. A process that escapes
    the tree is caught by ``_hostile_processes``.)
    """
    parents: dict[int, int] = {}
    rss_kb: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        pid = int(status.parent.name)
        parents[pid] = int(fields.get("PPid", "0").strip() or 0)
        rss_kb[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    ours = {os.getpid()}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in ours and pid not in ours:
                ours.add(pid)
                grew = True
    total_kb = sum(rss_kb.get(pid, 0) for pid in ours)
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Shmem:"):
            total_kb += int(line.split()[1])
    return total_kb / 1024


def _hostile_processes() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if f"rlvr-hostile-{SECRET}".encode() in cmdline:
                found.append(entry.name)
    return found


def _eventually(condition, message: str, within_s: float = 3.0) -> None:
    """Killed sandboxes are torn down asynchronously: give the kernel a moment."""
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_scores_zero_and_host_is_unchanged(verifier: CodeVerifier, name: str):
    memory_before = _held_mb()
    start = time.monotonic()
    verdict = verifier(HOSTILE[name], PWNED)
    elapsed = time.monotonic() - start
    assert verdict.score == 0.0 and not verdict.correct, verdict
    assert elapsed < TIMEOUT_S + 5, f"took {elapsed:.1f}s"
    assert not HOST_MARKER.exists()
    assert not Path(f"/usr/rlvr-hostile-{SECRET}").exists()
    assert not Path("/pwned").exists()
    assert RECEIVED == []
    _eventually(lambda: _hostile_processes() == [], "a hostile process survived")
    _eventually(lambda: _held_mb() < memory_before + 150, "memory did not come back")
    # The verifier still works after the attack.
    assert verifier("def solve():\n    return 'pwned'", PWNED).correct


def test_there_are_at_least_25_hostile_programs():
    assert len(HOSTILE) >= 25


# ============================================================ names that leak into the tests
# The tests run on the host with the solution's functions as proxies. Only the entry point (or,
# without one, the names the tests call and do not define themselves) may be a proxy there:
# a solution that defines `set` or the prompt's helper must not change what the tests compute.
SHADOWED_BUILTINS = {  # the tests, what the shadow returns, what the wrong f returns
    "set": ("assert set(f(3)) == set([1, 2, 3])", 1, [0]),
    "abs": ("assert abs(f(2.0) - 1.41421356) < 1e-6", 0, 0),
    "sorted": ("assert sorted(f([3, 1, 2])) == sorted([1, 2, 3])", 1, [0]),
    "tuple": ("assert tuple(f(1)) == tuple([1, 2])", 1, [0]),
    "list": ("assert list(f(1)) == list((1, 2))", 1, [0]),
    "round": ("assert round(f(2), 2) == round(1.4142, 2)", 1, 0),
    "len": ("assert len(f('abc')) == len('cba')", 3, ""),
    "isinstance": ("assert isinstance(f(1), str)", True, 0),  # a type cannot cross anyway
    "str": ("assert str(f(5)) == str(120)", "x", 0),
    "float": ("assert float(f(2)) == float(4)", 4.0, 0),
    "int": ("assert int(f('7')) == 7", 7, 0),
    "all": ("assert all(f(3))", True, [0]),
    "any": ("assert not any(f(3))", False, [1]),
    "sum": ("assert sum(f(3)) == sum([1, 2, 3])", 6, [0]),
    "max": ("assert max(f([1, 5, 2])) == 5", 5, [0]),
    "bool": ("assert bool(f(0)) is False", False, 1),
    "frozenset": ("assert frozenset(f(2)) == frozenset({1, 2})", 0, [0]),
}


@pytest.mark.parametrize("builtin", sorted(SHADOWED_BUILTINS))
def test_solution_cannot_shadow_a_builtin_in_the_tests(verifier: CodeVerifier, builtin: str):
    tests, forged, wrong = SHADOWED_BUILTINS[builtin]
    for shadow in (
        f"def {builtin}(*args, **kwargs):\n    return {forged!r}\n",
        f"class {builtin}:\n    def __new__(cls, *args, **kwargs):\n        return {forged!r}\n",
        f"import functools\n{builtin} = functools.partial(lambda *a, **k: {forged!r})\n",
    ):
        code = f"def f(*args):\n    return {wrong!r}\n" + shadow
        for tests_ in (CodeTests(tests), CodeTests(_as_check(tests), entry_point="f")):
            verdict = verifier(code, tests_)
            assert not verdict.correct and verdict.score == 0.0, (shadow, tests_, verdict)


def test_shadowing_print_does_not_break_honest_tests(verifier: CodeVerifier):
    code = "def print(*args, **kwargs):\n    raise SystemExit\ndef f(x):\n    return x"
    assert verifier(code, CodeTests("print(f(1))\nassert f(1) == 1")).correct


def _as_check(tests: str) -> str:
    """The same asserts, HumanEval style: ``def check(candidate)`` calling ``f``."""
    body = "\n".join("    " + line for line in tests.splitlines())
    return f"def check(candidate):\n{body}\n"


HELPER = "def encode(s):\n    return s[1:] + s[:1]\n"
ROUND_TRIP = CodeTests(
    "def check(candidate):\n"
    "    for word in ['abc', 'hello', 'xy']:\n"
    "        assert candidate(encode(word)) == word\n",
    entry_point="decode",
    setup=HELPER,
)


def test_solution_cannot_replace_a_helper_of_the_setup(verifier: CodeVerifier):
    honest = HELPER + "def decode(s):\n    return s[-1:] + s[:-1]\n"
    assert verifier(honest, ROUND_TRIP).correct
    for forged in (
        "def encode(s):\n    return s\ndef decode(s):\n    return s\n",
        "encode = lambda s: s\ndecode = lambda s: s\n",
        "def decode(s):\n    return s\nglobals()['encode'] = decode\n",
    ):
        verdict = verifier(forged, ROUND_TRIP)
        assert not verdict.correct and verdict.score == 0.0, (forged, verdict)


def test_solution_cannot_replace_a_helper_in_mbpp_style_tests(verifier: CodeVerifier):
    # (the helper's local `root` is not a name the setup defines for the tests)
    close = "def close(a, b):\n    root = a\n    return abs(root - b) < 1e-6\n"
    tests = CodeTests("assert close(root(2.0), 1.41421356)", setup=close)
    assert verifier("def root(x):\n    return x ** 0.5", tests).correct
    forged = "def close(*args):\n    return True\ndef root(x):\n    return 0"
    assert not verifier(forged, tests).correct
    # A helper the tests define themselves stays theirs, wherever it is defined.
    own = CodeTests(close + "assert close(root(2.0), 1.41421356)")
    assert verifier("def root(x):\n    return x ** 0.5", own).correct
    assert not verifier(forged, own).correct
    late = CodeTests(
        "def check():\n    assert near(root(2.0), 1.41421356)\n"
        "def near(a, b):\n    return abs(a - b) < 1e-6\ncheck()\n"
    )
    assert not verifier(forged.replace("close", "near"), late).correct


def test_setup_stub_of_the_function_to_write_is_the_solutions(verifier: CodeVerifier):
    """A prompt as setup declares the function to write; the solution's definition is used."""
    stub = 'def add(a, b):\n    """Add two numbers."""\n'
    tests = CodeTests("assert add(2, 3) == 5", setup=stub)
    assert verifier("def add(a, b):\n    return a + b", tests).correct
    assert not verifier("def add(a, b):\n    return a - b", tests).correct
    humaneval_style = CodeTests(_as_check("assert add(2, 3) == 5"), entry_point="add", setup=stub)
    assert verifier("def add(a, b):\n    return a + b", humaneval_style).correct


def test_tests_may_only_call_the_entry_point(verifier: CodeVerifier):
    tests = CodeTests("def check(candidate):\n    assert candidate(2) == helper(2)\n", "f")
    verdict = verifier("def helper(x):\n    return 1\ndef f(x):\n    return 1", tests)
    assert not verdict.correct and verdict.details["error"].startswith("NameError")
    assert "helper" in verdict.details["error"] and "setup" in verdict.details["error"]
    outside = CodeTests(
        "def check(candidate):\n    x = helper(2)\n    assert candidate(2) == x\n", "f"
    )
    verdict = verifier("def helper(x):\n    return 1\ndef f(x):\n    return 1", outside)
    assert verdict.reason == "test-error" and "setup" in verdict.details["error"]


STOP_ITERATION = {
    "all(map(...))": "assert all(map(f, [2, 4, 6]))",
    "not any(map(...))": "assert not any(map(f, [1, 3]))",
    "list(filter(...))": "assert list(filter(f, [1, 3, 5])) == []",
    "sum(map(...))": "assert sum(map(f, [1, 2])) == 0",
    "dict(zip(map(...)))": "assert dict(zip([1, 2], map(f, [1, 2]))) == {}",
    "max(map(...), default=)": "assert max(map(f, [1, 2]), default=0) == 0",
    "for loop over map": "n = 0\nfor _ in map(f, [1, 2]):\n    n += 1\nassert n == 0",
}


@pytest.mark.parametrize("name", sorted(STOP_ITERATION))
def test_stop_iteration_from_the_solution_does_not_end_the_tests_loops(
    verifier: CodeVerifier, name: str
):
    for kind in ("StopIteration", "StopAsyncIteration"):
        code = f"def f(x):\n    raise {kind}"
        verdict = verifier(code, CodeTests(STOP_ITERATION[name]))
        assert not verdict.correct and verdict.score == 0.0, (kind, verdict)


# ====================================================== aborting the run to keep partial credit
FOUR = CodeTests("assert f(1) == 1\nassert f(2) == 2\nassert f(3) == 3\nassert f(4) == 4\n")
WRONG_FROM_3 = "def f(x):\n    return x if x < 3 else -1"
ABORTS = {
    "os._exit(0)": "import os\n    os._exit(0)",
    "segfault": "import ctypes\n    ctypes.string_at(0)",
    "hang": "while True:\n        pass",
    "sleep": "import time\n    time.sleep(60)",
    "kill the zygote": "import os\n    os.kill(os.getppid(), 9)",
    "stop the zygote": "import os, signal\n    os.kill(os.getppid(), signal.SIGSTOP)",
    "flood stdout": "import sys\n    while True:\n        sys.stdout.write('x' * 65536)",
    "garbled reply": "import os\n    os.write(3, b'\\x00\\x00\\x00\\x05{not')\n    os._exit(0)",
    "raise": "raise ValueError('hard case')",
    "sys.exit(0)": "import sys\n    sys.exit(0)",
    "exhaust memory": "hoard = []\n    while True:\n        hoard.append(bytearray(1 << 24))",
}


@pytest.fixture(scope="module")
def partial():
    verifier = CodeVerifier(timeout_s=1.0, memory_mb=512, partial_credit=True)
    yield verifier
    verifier.close()


def _abort_at_3(how: str) -> str:
    return f"def f(x):\n    if x < 3:\n        return x\n    {ABORTS[how]}\n    return x"


@pytest.mark.parametrize("how", sorted(ABORTS))
def test_aborting_earns_no_more_than_answering_wrong(partial: CodeVerifier, how: str):
    wrong = partial(WRONG_FROM_3, FOUR)
    assert wrong.score == pytest.approx(0.5)
    verdict = partial(_abort_at_3(how), FOUR)
    assert verdict.score <= wrong.score and not verdict.correct, verdict
    assert verdict.details["total"] == 4, verdict.details
    if verdict.reason != "failed-tests":  # the run was cut short: say so and count what never ran
        assert verdict.reason in ("timeout", "crashed", "sandbox-error", "output-limit",
                                  "protocol-error"), verdict  # fmt: skip
        assert verdict.details["error"], verdict.details
        # f(4) never ran, unless the process only gave out there (memory runs out at either)
        assert verdict.details["not_run"] >= (how != "exhaust memory"), verdict.details
    assert partial("def f(x):\n    return x", FOUR).correct  # and the verifier still works


@pytest.mark.parametrize("how", ["os._exit(0)", "hang", "raise", "kill the zygote"])
def test_aborting_in_humaneval_style_tests_counts_every_assert(partial: CodeVerifier, how: str):
    """An exception outside an assert ends ``check``; the asserts after it still count."""
    tests = CodeTests(
        "def check(candidate):\n"
        "    assert candidate(1) == 1\n    assert candidate(2) == 2\n"
        "    result = candidate(3)\n"
        "    assert result == 3\n    assert candidate(4) == 4\n",
        entry_point="f",
    )
    verdict = partial(_abort_at_3(how), tests)
    assert verdict.score == pytest.approx(2 / 4) and not verdict.correct, verdict
    assert verdict.details["not_run"] == 2 and verdict.reason != "failed-tests"


@pytest.mark.parametrize("how", ["os._exit(0)", "hang", "kill the zygote"])
def test_an_assert_in_a_loop_is_one_test(partial: CodeVerifier, how: str):
    tests = CodeTests("for i in range(1, 5):\n    assert f(i) == i\nassert f(0) == 0\n")
    wrong = partial("def f(x):\n    return x if x < 3 else -1", tests)
    assert wrong.score == pytest.approx(1 / 2) and wrong.details["total"] == 2
    verdict = partial(
        f"def f(x):\n    if x < 3:\n        return x\n    {ABORTS[how]}\n    return x", tests
    )
    assert verdict.score == 0.0 and verdict.details["total"] == 2, verdict


SWALLOW = {
    "except Exception": "try:\n    f(-1)\n    ok = False\nexcept Exception:\n    ok = True\n",
    "except OSError": "try:\n    f(-1)\n    ok = False\nexcept OSError:\n    ok = True\n",
    "bare except": "try:\n    f(-1)\n    ok = False\nexcept:\n    ok = True\n",
    "except BaseException": (
        "try:\n    f(-1)\n    ok = False\nexcept BaseException:\n    ok = True\n"
    ),
    "helper in the assert": (
        "def raises(g, x):\n    try:\n        g(x)\n    except:\n        return True\n"
        "    return False\nok = raises(f, -1)\n"
    ),
}


@pytest.mark.parametrize("swallow", sorted(SWALLOW))
@pytest.mark.parametrize("how", ["os._exit(0)", "hang", "kill the zygote", "garbled reply"])
def test_tests_that_catch_exceptions_cannot_swallow_an_abort(
    partial: CodeVerifier, swallow: str, how: str
):
    """The tests expect ``f(-1)`` to raise; dying or hanging instead is not raising."""
    tests = CodeTests(SWALLOW[swallow] + "assert ok\nassert f(1) == 1\n")
    honest = "def f(x):\n    if x < 0:\n        raise OSError(x)\n    return x"
    assert partial(honest, tests).correct
    code = f"def f(x):\n    if x >= 0:\n        return x\n    {ABORTS[how]}"
    verdict = partial(code, tests)
    assert verdict.score == 0.0 and not verdict.correct, verdict


# ========================================================= replies forged by the solution
# The solution process shares a socket with the zygote (fd 3) and may write its own frames
# there; the zygote relays them as its reply. The host must check every reply's shape and decode
# its values at bounded cost: a forged reply is a failed run, never an exception or a hang.
FORGE = (
    "import json, os, struct, time\n"
    "def _forge(message):\n"
    "    data = message if isinstance(message, bytes) else json.dumps(message).encode()\n"
    "    data = struct.pack('!I', len(data)) + data\n"
    "    while data:\n"
    "        data = data[os.write(3, data):]\n"
)
FORGED_AT_LOAD = {
    "names is a list": {"names": [1, 2]},
    "names maps to a number": {"names": {"solve": 5}},
    "names has a non-name": {"names": {"1 + 1": None, "solve": None}},
    "names has a dunder": {"names": {"__builtins__": None, "solve": None}},
    "nothing it should say": {},
    "only unknown keys": {"pwned": True},
    "a call's reply": {"value": "'pwned'"},
    "a call's exception": {"raised": ["ValueError", "m", "tb"]},
    "load_error is text": {"load_error": "boom"},
    "load_error of numbers": {"load_error": [1, 2, 3]},
    "load_error too short": {"load_error": ["ValueError"]},
    "load_error names no exception": {"load_error": ["not a name", "m", "tb"]},
    "timeout is text": {"timeout": "yes"},
    "died is a number": {"died": 7},
    "error is a list": {"error": ["x"]},
}
FORGED_AT_CALL = {
    "value is a number": {"value": 5},
    "value is a list": {"value": ["'pwned'"]},
    "raised is text": {"raised": "boom"},
    "raised of numbers": {"raised": [1, 2, 3]},
    "raised is a dict": {"raised": {"kind": "ValueError"}},
    "raised names no exception": {"raised": ["not a name", "m", "tb"]},
    "a load's reply": {"names": {"solve": None}},
    "a load's error": {"load_error": ["ValueError", "m", "tb"]},
    "nothing it should say": {},
    "output_limit is a number": {"output_limit": 1},
    "huge value": "HUGE",
    "integers that collide in a set": "COLLIDE_SET",
    "integers that collide in a dict": "COLLIDE_DICT",
    "nested 100000 deep": "DEEP",
    "an integer of a million digits": "DIGITS",
}
REACH_THE_HOST = {
    "names has a non-name", "names has a dunder", "a call's reply", "a call's exception",
    "load_error names no exception", "raised names no exception", "a load's reply",
    "a load's error", "huge value", "integers that collide in a set",
    "integers that collide in a dict", "nested 100000 deep", "an integer of a million digits",
}  # fmt: skip
"""Forgeries the zygote relays (one key, a known shape): only the host's checks stop them. The
zygote refuses the others itself (a 'crashed' run); the host checks them too, in
test_code_verifier.py, for a zygote that is not this one."""
FORGED_VALUES = {
    "HUGE": "'[' + '0, ' * 2_500_000 + '0]'",
    "COLLIDE_SET": "'{' + ', '.join(str(k * (2**61 - 1)) for k in range(1, 50001)) + '}'",
    "COLLIDE_DICT": "'{' + ', '.join(f'{k * (2**61 - 1)}: 0' for k in range(1, 50001)) + '}'",
    "DEEP": "'[' * 100000 + ']' * 100000",
    "DIGITS": "'7' * 1_000_000",
}


def _forged_call(forged: object) -> str:
    message = repr(forged) if isinstance(forged, dict) else f"{{'value': {FORGED_VALUES[forged]}}}"
    return FORGE + f"def solve():\n    _forge({message})\n    time.sleep(30)\n"


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(
    ("phase", "name"),
    [("load", n) for n in sorted(FORGED_AT_LOAD)] + [("call", n) for n in sorted(FORGED_AT_CALL)],
)
def test_forged_reply_is_a_failed_run(verifier: CodeVerifier, phase: str, name: str):
    if phase == "load":
        code = FORGE + f"_forge({FORGED_AT_LOAD[name]!r})\ntime.sleep(30)\n"
        code += "def solve():\n    return 'pwned'\n"
    else:
        code = _forged_call(FORGED_AT_CALL[name])
    peak = _max_rss_mb()
    start = time.monotonic()
    verdict = verifier(code, PWNED)
    elapsed = time.monotonic() - start
    assert verdict.score == 0.0 and not verdict.correct, verdict
    if name in REACH_THE_HOST:
        assert verdict.reason == "protocol-error", verdict
    else:
        assert verdict.reason in ("protocol-error", "crashed"), verdict
    assert elapsed < TIMEOUT_S + 3, f"took {elapsed:.1f}s"
    assert _max_rss_mb() < peak + 300, "decoding the reply cost the host more than 300 MB"
    assert verifier("def solve():\n    return 'pwned'", PWNED).correct


def test_forged_exception_kinds_fail_cleanly(verifier: CodeVerifier):
    """A well-formed reply naming an exception the host cannot build is a failed assert."""
    for kind in ("UnicodeDecodeError", "KeyboardInterrupt", "SystemExit", "GeneratorExit", "x"):
        code = FORGE + (
            f"def solve():\n    _forge({{'raised': [{kind!r}, 'm', 'tb']}})\n    time.sleep(30)\n"
        )
        verdict = verifier(code, PWNED)
        assert verdict.reason == "failed-tests", (kind, verdict)


def test_tests_cannot_be_made_to_hash_colliding_values(verifier: CodeVerifier):
    """Plain data that the tests then put in a set: 50,000 ints that all hash to 0."""
    code = "def solve():\n    return [k * (2**61 - 1) for k in range(1, 50001)]"
    start = time.monotonic()
    verdict = verifier(code, CodeTests("assert len(set(solve())) == 1"))
    assert not verdict.correct and verdict.reason == "protocol-error", verdict
    assert time.monotonic() - start < TIMEOUT_S + 3
    tuples = "def solve():\n    return [(k * (2**61 - 1),) for k in range(1, 50001)]"
    verdict = verifier(tuples, CodeTests("assert len(set(solve())) == 1"))
    assert not verdict.correct and verdict.reason == "protocol-error", verdict


def test_large_plain_values_still_pass(verifier: CodeVerifier):
    tests = CodeTests(
        "assert solve() == list(range(100000))\n"
        "assert big() == {i: str(i) for i in range(20000)}\n"
        "assert same() == [0] * 100000\n"
    )
    code = (
        "def solve():\n    return list(range(100000))\n"
        "def big():\n    return {i: str(i) for i in range(20000)}\n"
        "def same():\n    return [0] * 100000\n"
    )
    verdict = verifier(code, tests)
    assert verdict.correct, verdict.details
