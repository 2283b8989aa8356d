"""The hand-written grading table (tests/math_cases.py), one test per row."""

import pytest
from math_cases import CASES

from rlvr.verifiers import MathVerifier


def test_table_is_balanced():
    assert len(CASES) >= 300
    negatives = sum(not expected for _, _, expected in CASES)
    assert negatives >= len(CASES) // 2


@pytest.mark.parametrize(("completion", "reference", "expected"), CASES)
def test_case(math_verifier: MathVerifier, completion: str, reference: str, expected: bool):
    verdict = math_verifier(completion, reference)
    assert verdict.correct is expected, verdict
    assert verdict.score == (1.0 if expected else 0.0)
    assert verdict.reason


def test_batch_agrees_with_single_calls(math_verifier: MathVerifier):
    verdicts = math_verifier.verify_batch(
        [c for c, _, _ in CASES], [r for _, r, _ in CASES], workers=2
    )
    assert [v.correct for v in verdicts] == [e for _, _, e in CASES]
