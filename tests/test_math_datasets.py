"""Bars on real benchmark data: every solution matches its own answer, never another's.

Uses the read-only copies in ../shared/data when present (they are not part of the package).
"""

import json
from pathlib import Path

import pytest
from conftest import SHARED_DATA
from math_cases import MATH500_EQUAL_ANSWERS

from rlvr.verifiers import MathVerifier


def _rows(name: str) -> list[dict]:
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def _gsm8k_answer(solution: str) -> str:
    return solution.rsplit("####", 1)[1].strip()


def test_math500_solutions_match_their_answers(math_verifier: MathVerifier):
    rows = _rows("math500_test.jsonl")
    verdicts = math_verifier.verify_batch(
        [r["solution"] for r in rows], [r["answer"] for r in rows]
    )
    misses = [
        (r["unique_id"], r["answer"], v.reason) for r, v in zip(rows, verdicts) if not v.correct
    ]
    assert misses == []


def test_gsm8k_solutions_match_their_answers(math_verifier: MathVerifier):
    rows = _rows("gsm8k_test.jsonl")
    answers = [_gsm8k_answer(r["answer"]) for r in rows]
    verdicts = math_verifier.verify_batch([r["answer"] for r in rows], answers)
    assert [a for a, v in zip(answers, verdicts) if not v.correct] == []


@pytest.mark.parametrize("shift", [1, 7, 31, 101])
def test_math500_solutions_reject_other_answers(math_verifier: MathVerifier, shift: int):
    rows = _rows("math500_test.jsonl")
    others = [rows[(k + shift) % len(rows)] for k in range(len(rows))]
    verdicts = math_verifier.verify_batch(
        [r["solution"] for r in rows], [o["answer"] for o in others]
    )
    wrongly_accepted = [
        (r["answer"], o["answer"])
        for r, o, v in zip(rows, others, verdicts)
        if v.correct
        and r["answer"].replace(" ", "") != o["answer"].replace(" ", "")
        and frozenset({r["answer"], o["answer"]}) not in MATH500_EQUAL_ANSWERS
    ]
    assert wrongly_accepted == []


@pytest.mark.parametrize("shift", [1, 13, 257])
def test_gsm8k_solutions_reject_other_answers(math_verifier: MathVerifier, shift: int):
    rows = _rows("gsm8k_test.jsonl")
    answers = [_gsm8k_answer(r["answer"]) for r in rows]
    others = [answers[(k + shift) % len(rows)] for k in range(len(rows))]
    verdicts = math_verifier.verify_batch([r["answer"] for r in rows], others)
    wrongly_accepted = [
        (mine, other)
        for mine, other, v in zip(answers, others, verdicts)
        if v.correct and float(mine.replace(",", "")) != float(other.replace(",", ""))
    ]
    assert wrongly_accepted == []
    rejected = sum(not v.correct for v in verdicts)
    same_value = sum(
        float(a.replace(",", "")) == float(b.replace(",", "")) for a, b in zip(answers, others)
    )
    assert rejected == len(rows) - same_value
