"""rlvr's MathVerifier against Hugging Face's math-verify on the same labelled cases, in one run.

Prints, per case source and overall: accuracy, false positives/negatives, and throughput (cases/s)
of both, and their ratios. Both run one case at a time in this process (math-verify's own timeout
uses SIGALRM, so it must run in the main thread); rlvr's batch path is timed separately.

Case sources (``completion``, ``reference``, ``expected``):
  hand      tests/math_cases.py, the hand-written table (written for rlvr: read it with care)
  math500   MATH-500 solutions vs their own answer (positive) and vs another problem's (negative,
            unless the two answers are the same value), plus answers restated as a model would
  gsm8k     GSM8K test solutions vs their own / another problem's final number

    pip install -e '.[bench]'
    python benchmarks/math_verifier.py [--quick] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from math_cases import CASES, MATH500_EQUAL_ANSWERS  # noqa: E402

Case = tuple[str, str, bool, str]  # completion, reference, expected, source


def hand_cases() -> list[Case]:
    return [(c, r, e, "hand") for c, r, e in CASES]


def math500_cases(data: Path, limit: int | None) -> list[Case]:
    rows = [json.loads(line) for line in (data / "math500_test.jsonl").open()][:limit]
    cases: list[Case] = []
    for k, row in enumerate(rows):
        other = rows[(k + 1) % len(rows)]["answer"]
        same = row["answer"].replace(" ", "") == other.replace(" ", "")
        cases.append((row["solution"], row["answer"], True, "math500"))
        cases.append(
            (
                row["solution"],
                other,
                same or frozenset({row["answer"], other}) in MATH500_EQUAL_ANSWERS,
                "math500",
            )
        )
        minerva = f"Final Answer: The final answer is ${row['answer']}$. I hope it is correct."
        cases.append((minerva, row["answer"], True, "math500"))
    return cases


def gsm8k_cases(data: Path, limit: int | None) -> list[Case]:
    rows = [json.loads(line) for line in (data / "gsm8k_test.jsonl").open()][:limit]
    answers = [r["answer"].rsplit("####", 1)[1].strip() for r in rows]
    cases: list[Case] = []
    for k, row in enumerate(rows):
        other = answers[(k + 1) % len(rows)]
        same = float(other.replace(",", "")) == float(answers[k].replace(",", ""))
        cases.append((row["answer"], answers[k], True, "gsm8k"))
        cases.append((row["answer"], other, same, "gsm8k"))
    return cases


def rlvr_judge() -> Callable[[str, str], bool]:
    from rlvr.verifiers import MathVerifier

    verifier = MathVerifier()
    return lambda completion, reference: verifier(completion, reference).correct


def math_verify_judge() -> Callable[[str, str], bool]:
    from rlvr.bench import resolve_verifier

    check = resolve_verifier("math-verify")  # the same adapter `rlvr bench --compare` uses
    return lambda completion, reference: check(completion, reference).correct


def run(
    judge: Callable[[str, str], bool], cases: list[Case]
) -> tuple[list[bool | None], list[float]]:
    answers: list[bool | None] = []
    seconds: list[float] = []
    for completion, reference, _, _ in cases:
        start = time.perf_counter()
        try:
            answers.append(judge(completion, reference))
        except Exception:  # a crash counts as an error, not as a verdict
            answers.append(None)
        seconds.append(time.perf_counter() - start)
    return answers, seconds


def latency(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p50, p95 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.95)]
    return f"p50 {p50 * 1e3:.2f} ms, p95 {p95 * 1e3:.1f} ms, max {ordered[-1]:.2f} s"


def score(cases: list[Case], answers: list[bool | None]) -> dict[str, int]:
    out = {"n": len(cases), "correct": 0, "false_pos": 0, "false_neg": 0, "errors": 0}
    for (_, _, expected, _), got in zip(cases, answers):
        if got is None:
            out["errors"] += 1
        elif got == expected:
            out["correct"] += 1
        elif got:
            out["false_pos"] += 1
        else:
            out["false_neg"] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--quick", action="store_true", help="100 rows per data set (~1 minute)")
    args = parser.parse_args()
    limit = 100 if args.quick else None

    cases = hand_cases()
    if (args.data / "math500_test.jsonl").is_file():
        cases += math500_cases(args.data, limit) + gsm8k_cases(args.data, limit)
    else:
        print(f"(no data in {args.data}: hand-written cases only)")

    ours_judge, theirs_judge = rlvr_judge(), math_verify_judge()
    ours_judge("1", "1"), theirs_judge("1", "1")  # imports and worker start-up outside the timing
    ours, ours_times = run(ours_judge, cases)
    theirs, theirs_times = run(theirs_judge, cases)
    ours_s, theirs_s = sum(ours_times), sum(theirs_times)

    from rlvr.verifiers import MathVerifier

    batch_start = time.perf_counter()
    MathVerifier().verify_batch([c[0] for c in cases], [c[1] for c in cases], workers=2)
    batch_s = time.perf_counter() - batch_start

    by_source: dict[str, list[int]] = defaultdict(list)
    for k, case in enumerate(cases):
        by_source[case[3]].append(k)
    print(
        f"{'source':8} {'n':>5}  {'rlvr acc':>9} {'FP':>4} {'FN':>4} {'err':>4}  "
        f"{'math-verify acc':>15} {'FP':>4} {'FN':>4} {'err':>4}"
    )
    for source, idx in [*by_source.items(), ("all", list(range(len(cases))))]:
        sub = [cases[k] for k in idx]
        a = score(sub, [ours[k] for k in idx])
        b = score(sub, [theirs[k] for k in idx])
        print(
            f"{source:8} {a['n']:>5}  {a['correct'] / a['n']:>9.1%} {a['false_pos']:>4} "
            f"{a['false_neg']:>4} {a['errors']:>4}  {b['correct'] / b['n']:>15.1%} "
            f"{b['false_pos']:>4} {b['false_neg']:>4} {b['errors']:>4}"
        )
    n = len(cases)
    print(
        f"\nthroughput, one case at a time: rlvr {n / ours_s:,.0f} cases/s, "
        f"math-verify {n / theirs_s:,.0f} cases/s, ratio {theirs_s / ours_s:.1f}x"
    )
    print(f"latency: rlvr {latency(ours_times)}; math-verify {latency(theirs_times)}")
    print(
        f"rlvr verify_batch (workers=2): {n / batch_s:,.0f} cases/s, "
        f"{theirs_s / batch_s:.1f}x math-verify"
    )


if __name__ == "__main__":
    main()
