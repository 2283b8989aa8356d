"""rlvr's MathVerifier against Hugging Face's math-verify on the same labelled cases, in one run.

Prints, per case source and per class: accuracy, false positives/negatives, errors and timeouts of
both, then throughput (cases/s) of both and their ratio. Both run one case at a time in this
process (math-verify's own timeout uses SIGALRM, so it must run in the main thread); rlvr's batch
path is timed separately.

Case sources (``completion``, ``reference``, ``expected``), from least to most independent of the
verifier's code:

  hand      tests/math_cases.py, the hand-written table (written with the verifier)
  math500   MATH-500 solutions against their own answer and another problem's
  gsm8k     GSM8K test solutions against their own final number and another problem's
  dev       benchmarks/math_corpus.py: answers of both rewritten per class (tuned on)
  heldout   benchmarks/math_heldout.py: the same classes, written without seeing the verifier
  heldout2  benchmarks/math_heldout2.py: a second author, never used to change the verifier
  real      benchmarks/data/math_real_completions.jsonl: SmolLM2-135M outputs, labelled by hand

    pip install -e '.[bench]'
    python benchmarks/math_verifier.py [--quick] [--data ../shared/data] [--sources dev,real]
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from math_cases import CASES, MATH500_EQUAL_ANSWERS  # noqa: E402

from rlvr.bench import Outcome, resolve_verifier, run  # noqa: E402

Case = dict[str, Any]
REAL = ROOT / "benchmarks" / "data" / "math_real_completions.jsonl"
SOURCES = ("hand", "math500", "gsm8k", "dev", "heldout", "heldout2", "real")


def hand_cases(data: Path) -> list[Case]:
    return [_case(c, r, e, "hand") for c, r, e in CASES]


def math500_cases(data: Path) -> list[Case]:
    rows = [json.loads(line) for line in (data / "math500_test.jsonl").open()]
    cases = []
    for k, row in enumerate(rows):
        other = rows[(k + 1) % len(rows)]["answer"]
        same = row["answer"].replace(" ", "") == other.replace(" ", "")
        equal = same or frozenset({row["answer"], other}) in MATH500_EQUAL_ANSWERS
        cases.append(_case(row["solution"], row["answer"], True, "math500"))
        cases.append(_case(row["solution"], other, equal, "math500"))
    return cases


def gsm8k_cases(data: Path) -> list[Case]:
    rows = [json.loads(line) for line in (data / "gsm8k_test.jsonl").open()]
    answers = [r["answer"].rsplit("####", 1)[1].strip() for r in rows]
    cases = []
    for k, row in enumerate(rows):
        other = answers[(k + 1) % len(rows)]
        same = float(other.replace(",", "")) == float(answers[k].replace(",", ""))
        cases.append(_case(row["answer"], answers[k], True, "gsm8k"))
        cases.append(_case(row["answer"], other, same, "gsm8k"))
    return cases


def generated(module: str, seed: int) -> Any:
    """Cases from one of the corpus scripts next to this one (``build(data, seed)``)."""

    def load(data: Path) -> list[Case]:
        if not (ROOT / "benchmarks" / f"{module}.py").is_file():
            print(f"(no benchmarks/{module}.py: skipped)")
            return []
        script = importlib.import_module(module)
        return (getattr(script, "build", None) or script.build_rows)(data, seed)

    return load


def real_cases(data: Path) -> list[Case]:
    return [json.loads(line) for line in REAL.open()] if REAL.is_file() else []


LOADERS = {
    "hand": hand_cases,
    "math500": math500_cases,
    "gsm8k": gsm8k_cases,
    "dev": generated("math_corpus", 0),
    "heldout": generated("math_heldout", 7),
    "heldout2": generated("math_heldout2", 3),
    "real": real_cases,
}


def _case(completion: str, reference: str, expected: bool, source: str) -> Case:
    return dict(completion=completion, reference=reference, expected=expected, source=source)


def group_of(case: Case) -> str:
    return f"{case['source']}/{case['tag']}" if "tag" in case else str(case["source"])


def figures(outcomes: list[Outcome]) -> str:
    n = len(outcomes)
    right = sum(o.correct == o.expected for o in outcomes)
    fp = sum(o.correct is True and not o.expected for o in outcomes)
    fn = sum(o.correct is False and o.expected for o in outcomes)
    errors = sum(o.correct is None for o in outcomes)
    return f"{right / n:>8.1%} {fp:>4} {fn:>4} {errors:>4} {sum(o.timeout for o in outcomes):>4}"


def latency(outcomes: list[Outcome]) -> str:
    ordered = sorted(o.seconds for o in outcomes)
    p50, p95 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.95)]
    return f"p50 {p50 * 1e3:.2f} ms, p95 {p95 * 1e3:.1f} ms, max {ordered[-1]:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--quick", action="store_true", help="12 cases per class (~1 minute)")
    parser.add_argument("--sources", default=",".join(SOURCES), help="comma-separated")
    args = parser.parse_args()

    cases: list[Case] = []
    for source in args.sources.split(","):
        if source not in LOADERS:
            parser.error(f"unknown source {source!r}; choose from {', '.join(SOURCES)}")
        needs_data = source not in ("hand", "real")
        if needs_data and not (args.data / "math500_test.jsonl").is_file():
            print(f"(no data in {args.data}: {source} skipped)")
            continue
        cases += LOADERS[source](args.data)
    if args.quick:
        by_group: dict[str, list[Case]] = defaultdict(list)
        for case in cases:
            by_group[group_of(case)].append(case)
        rng = random.Random(0)
        cases = [c for g in by_group.values() for c in rng.sample(g, min(12, len(g)))]

    ours_verifier, theirs_verifier = resolve_verifier("math"), resolve_verifier("math-verify")
    ours_verifier("1", "1"), theirs_verifier("1", "1")  # imports and worker start-up untimed
    ours, theirs = run(ours_verifier, cases), run(theirs_verifier, cases)

    from rlvr.verifiers import MathVerifier

    batch_start = time.perf_counter()
    MathVerifier().verify_batch([c["completion"] for c in cases], [c["reference"] for c in cases])
    batch_s = time.perf_counter() - batch_start

    groups: dict[str, list[int]] = defaultdict(list)
    for k, case in enumerate(cases):
        groups[group_of(case)].append(k)
        if "tag" in case:
            groups[f"{case['source']} (all)"].append(k)
    groups["all"] = list(range(len(cases)))
    header = f"{'acc':>8} {'FP':>4} {'FN':>4} {'err':>4} {'t/o':>4}"
    print(f"{'':32}  {'rlvr':^28}   {'math-verify':^28}")
    print(f"{'source/class':26} {'n':>5}  {header}   {header}")
    for name in sorted(groups, key=lambda g: (g == "all", g.split("/")[0], "(all)" in g, g)):
        idx = groups[name]
        print(
            f"{name:26} {len(idx):>5}  {figures([ours[k] for k in idx])}"
            f"   {figures([theirs[k] for k in idx])}"
        )
    ours_s, theirs_s = sum(o.seconds for o in ours), sum(o.seconds for o in theirs)
    n = len(cases)
    print(
        f"\nthroughput, one case at a time: rlvr {n / ours_s:,.0f} cases/s, "
        f"math-verify {n / theirs_s:,.0f} cases/s, ratio {theirs_s / ours_s:.1f}x"
    )
    print(f"latency: rlvr {latency(ours)}; math-verify {latency(theirs)}")
    print(
        f"rlvr verify_batch (all cores): {n / batch_s:,.0f} cases/s, "
        f"{theirs_s / batch_s:.1f}x math-verify"
    )


if __name__ == "__main__":
    main()
