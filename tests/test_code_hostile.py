"""Hostile programs: each must score 0 and leave the host as it was.

Every program tries something harmful and then claims success: its test passes only if the
attack worked (``solve()`` returns ``"pwned"``) or if it could fake the verdict.
"""

import os
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
    """Memory that processes and tmpfs files hold: every process's RSS plus Shmem.

    (MemAvailable is no good here: in this VM it drifts by ~100 MB after a big free.)
    """
    total_kb = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
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
