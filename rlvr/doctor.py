"""``rlvr doctor``: check, on this machine, that the verifiers work and the sandbox isolates."""

from __future__ import annotations

import time
from collections.abc import Callable

from rlvr.verifiers import MathVerifier
from rlvr.verifiers.code import CodeTests, CodeVerifier, SandboxUnavailable
from rlvr.verifiers.code.sandbox import find_bwrap
from rlvr.verifiers.code.seccomp import seccomp_program

Check = tuple[str, Callable[[], bool]]

_PWNED = CodeTests("assert attack() == 'pwned'")
ATTACKS = {
    "network is unreachable": (
        "import socket\ndef attack():\n"
        "    socket.create_connection(('1.1.1.1', 53), timeout=1)\n    return 'pwned'"
    ),
    "new processes are refused": "import os\ndef attack():\n    os.fork()\n    return 'pwned'",
    "/etc and home are invisible": (
        "import os\ndef attack():\n    return 'pwned' if os.path.exists('/etc/passwd') "
        "or os.path.exists(os.path.expanduser('~root')) and os.listdir('/root') else 'no'"
    ),
    "the filesystem is read-only": (
        "def attack():\n    open('/usr/rlvr-doctor', 'w')\n    return 'pwned'"
    ),
    "sys.exit(0) cannot fake a pass": "import sys\nsys.exit(0)",
    "none of your environment variables are visible": (
        "import os\ndef attack():\n"
        "    own = {'PATH', 'HOME', 'LANG', 'PWD', 'RLVR_SCRATCH'}\n"
        "    return 'pwned' if set(os.environ) - own else 'no'"
    ),
    # io_uring's own socket operation would walk around the socket rule: the setup must fail.
    # (These three raise a descriptive error when the defence holds, for the note.)
    "io_uring is refused": (
        "import ctypes, os\ndef attack():\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    params = ctypes.create_string_buffer(120)\n"
        "    if libc.syscall(425, 8, params) >= 0:  # io_uring_setup, on every arch\n"
        "        return 'pwned'\n"
        "    err = ctypes.get_errno()\n"
        "    raise OSError(err, os.strerror(err), 'io_uring_setup')"
    ),
    # Keys live in the kernel and would outlive the run: add_key must fail.
    "kernel keyrings are refused": (
        "import ctypes, os, platform\ndef attack():\n"
        "    number = {'x86_64': 248, 'aarch64': 217, 'i686': 286}.get(platform.machine())\n"
        "    if number is None:\n"
        "        raise RuntimeError('add_key: unknown syscall number on ' + platform.machine())\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    if libc.syscall(number, b'user', b'rlvr', b'x', 1, -4) >= 0:\n"
        "        return 'pwned'\n"
        "    err = ctypes.get_errno()\n"
        "    raise OSError(err, os.strerror(err), 'add_key')"
    ),
    # Files in a tmpfs are memory the address-space limit does not see.
    "/dev is read-only and /dev/shm is capped": (
        "import os\ndef attack():\n"
        "    try:\n        open('/dev/rlvr-doctor', 'w').close()\n        return 'pwned'\n"
        "    except OSError:\n        pass\n"
        "    held = 0\n"
        "    try:\n"
        "        with open('/dev/shm/rlvr-doctor', 'wb', buffering=0) as f:\n"
        "            while held < 64 << 20:\n                held += f.write(b'x' * (1 << 20))\n"
        "    except OSError:\n        pass\n"
        "    if held > 8 << 20:\n        return 'pwned'\n"
        "    raise OSError(f'/dev is read-only; /dev/shm took {held >> 20} MB of 64 MB')"
    ),
}


def run() -> int:
    failures = 0

    def report(name: str, ok: bool, note: str = "") -> None:
        nonlocal failures
        failures += not ok
        print(f"  {'✓' if ok else '✗'} {name}{f'  ({note})' if note else ''}")

    print("math verifier")
    math = MathVerifier()
    started = time.monotonic()
    report("numeric answers", math("The answer is $\\boxed{0.5}$", "\\frac12").correct)
    note = f"{time.monotonic() - started:.1f}s, worker start included"
    report("symbolic answers (sympy worker process)", math("x^2+2x+1", "(x+1)^2").correct, note)

    print("samplers")
    from rlvr.rollout import vllm_available

    problem = vllm_available()  # optional: `--sampler auto` falls back to transformers
    print(f"  ✓ transformers.generate\n  {'–' if problem else '✓'} vLLM"
          + (f"  ({problem}; rlvr train uses transformers)" if problem else ""))  # fmt: skip

    print("code sandbox")
    bwrap = find_bwrap()
    report("bubblewrap found", bwrap is not None, bwrap or "pip install 'rlvr[code]'")
    program = seccomp_program()
    note = f"{len(program) // 8} BPF instructions" if program else "pip install pyseccomp"
    report("seccomp allow-list", program is not None, note)
    try:
        code = CodeVerifier(timeout_s=5.0)
    except SandboxUnavailable as err:
        report("namespaces", False, str(err))
        return 1
    started = time.monotonic()
    good = code("def add(a, b):\n    return a + b", CodeTests("assert add(2, 3) == 5"))
    note = f"first run {1000 * (time.monotonic() - started):.0f} ms, sandbox start included"
    report("a correct program passes", good.correct, note)
    wrong = code("def add(a, b):\n    return a - b", CodeTests("assert add(2, 3) == 5"))
    report("a wrong program fails", not wrong.correct)
    for name, attack in ATTACKS.items():
        verdict = code(attack, _PWNED)
        why = (verdict.details.get("error") or verdict.reason).splitlines()[0]
        report(name, verdict.score == 0.0, why)
    code.close()
    print("all checks passed" if not failures else f"{failures} check(s) failed")
    return 0 if not failures else 1
