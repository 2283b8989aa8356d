"""The verifier is an RL reward: it must never raise on model output and never hang."""

import os
import random
import signal
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlvr.verifiers import MathVerifier
from rlvr.verifiers.math.parse import Scalar
from rlvr.verifiers.math.worker import GRACE_S, WorkerPool

TIMEOUT_S = 1.0
SLACK_S = 0.5

PATHOLOGICAL = {
    "power tower": r"\boxed{10^{10^{10^{10}}}}",
    "huge factorial": r"\boxed{123456789!}",
    "one megabyte": "The answer is 7. " * 60_000,
    "megabyte of digits": "9" * 1_000_000,
    "unbalanced braces": r"\boxed{\frac{1}{2}" + "{" * 1000,
    "binary garbage": bytes(range(256)).decode("latin-1") * 100,
    "nested fractions": r"\boxed{" + r"\frac{1}{1+" * 300 + "1" + "}" * 600 + "}",
    "deep parentheses": r"\boxed{" + "(" * 5000 + "1" + ")" * 5000 + "}",
    "many boxes": r"\boxed{" * 200_000,
    "long polynomial": r"\boxed{" + "+".join(f"x^{{{k}}}" for k in range(400)) + "}",
    "huge expansion": r"\boxed{(x+y+z+1)^{200}}",
    "dollar run": "$" * 1_000_000 + "x",
    "space run": " " * 1_000_000 + "x",
    "hash run": "#" * 1_000_000,
    "answer phrases": "the answer is " * 100_000,
    "open fractions": r"\frac{" * 100_000,
    "spaces after ####": "#### 6" + " " * 1_000_000 + "x",
    "unclosed answer tags": "<answer>" * 200_000 + "</answer",
    "boxed dollar run": r"\boxed{" + "$" * 100_000 + "x}",
    "unclosed inline spans": "$a " * 400_000,
    "unclosed display spans": "\\[" * 300_000,
    "answer words, no copula": "answer a b c " * 100_000,
    "phrases before unclosed spans": "The answer is $a " * 60_000,
    "boxes joined by connectives": "\\boxed{1} and " * 100_000,
    "a megabyte-long list": "1, " * 300_000,
    "think blocks": "</think>" * 200_000,
    "environments, half-escaped": "\\begin{x}" * 100_000 + "\\\\" + "\\\\\\frac",
    "spaced thousands": "1\\,000" * 100_000,
    "long ratio": ":".join(["1"] * 400),
    "approximation chain": "\\approx ".join(["1"] * 300),
}


@pytest.fixture(scope="module")
def verifier() -> MathVerifier:
    return MathVerifier(timeout_s=TIMEOUT_S)


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_input_scores_zero_within_deadline(verifier: MathVerifier, name: str):
    start = time.monotonic()
    verdict = verifier(PATHOLOGICAL[name], "5")
    elapsed = time.monotonic() - start
    assert verdict.score == 0.0 and not verdict.correct
    assert verdict.reason
    assert elapsed < TIMEOUT_S + SLACK_S, f"{name} took {elapsed:.2f}s ({verdict.reason})"


def test_non_string_completion_scores_zero(verifier: MathVerifier):
    for bad in (None, 5, b"5", ["5"]):
        verdict = verifier(bad, "5")  # type: ignore[arg-type]
        assert verdict.reason == "not-a-string" and verdict.score == 0.0


def test_bad_reference_type_is_a_clear_error(verifier: MathVerifier):
    with pytest.raises(TypeError, match="reference must be"):
        verifier("5", None)  # type: ignore[arg-type]
    assert verifier("5", 5).correct  # numbers are fine


def test_reference_without_answer_is_reported(verifier: MathVerifier):
    verdict = verifier("5", "no answer in here")
    assert verdict.reason == "bad-reference" and verdict.score == 0.0


FRAGMENTS = [
    r"\frac{",
    "}",
    "{",
    "^",
    "_",
    r"\sqrt",
    r"\sqrt[",
    "]",
    "[",
    "(",
    ")",
    "0",
    "1",
    "2",
    "9",
    "10",
    "x",
    "y",
    "e",
    "i",
    r"\pi",
    r"\infty",
    "+",
    "-",
    "*",
    "/",
    "!",
    ",",
    "=",
    "<",
    r"\le",
    r"\pm",
    r"\cup",
    r"\{",
    r"\}",
    r"\boxed{",
    r"\text{",
    r"\begin{pmatrix}",
    r"\end{pmatrix}",
    "&",
    r"\\",
    ".",
    "%",
    r"\%",
    "$",
    " ",
    "\n",
    "The answer is ",
    "#### ",
    r"\left(",
    r"\right)",
    r"\cdot",
    r"\times",
    r"\dfrac",
    r"\log_",
    r"\sin",
    "sqrt(",
    "__",
    "lambda",
    "import",
    "\x00",
]
adversarial = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    completion=st.one_of(st.text(max_size=300), adversarial),
    reference=st.sampled_from(
        ["5", r"\frac{1}{2}", "(1, 2)", "x^2+1", r"\{1, 2\}", r"[0, \infty)", "y = 2x"]
    ),
)
def test_property_never_raises_never_hangs(verifier: MathVerifier, completion: str, reference: str):
    start = time.monotonic()
    verdict = verifier(completion, reference)
    elapsed = time.monotonic() - start
    assert 0.0 <= verdict.score <= 1.0
    assert isinstance(verdict.reason, str) and verdict.reason
    assert elapsed < TIMEOUT_S + SLACK_S, f"{completion!r} took {elapsed:.2f}s"


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(completion=adversarial, reference=adversarial)
def test_property_adversarial_references(verifier: MathVerifier, completion: str, reference: str):
    start = time.monotonic()
    verdict = verifier(completion, reference)
    assert 0.0 <= verdict.score <= 1.0
    assert time.monotonic() - start < TIMEOUT_S + SLACK_S


def test_safe_to_call_from_many_threads(verifier: MathVerifier):
    cases = [(rf"\boxed{{({k}+x)^2}}", f"x^2 + {2 * k}x + {k * k}", True) for k in range(12)]
    cases += [(rf"\boxed{{({k}+x)^2}}", f"x^2 + {k}x + {k * k}", False) for k in range(1, 12)]
    random.Random(0).shuffle(cases)
    results: dict[int, bool] = {}

    def score(index: int) -> None:
        completion, reference, _ = cases[index]
        results[index] = verifier(completion, reference).correct

    threads = [threading.Thread(target=score, args=(k,)) for k in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[k] for k in range(len(cases))] == [e for _, _, e in cases]


def test_a_stuck_worker_is_killed_and_replaced():
    pool = WorkerPool(memory_mb=1024)
    try:
        warm = pool.compare([(Scalar("x+1"), Scalar("1+x"))], 1e-6, 5.0)
        assert warm.equal
        stuck = pool.processes._idle[-1]
        os.kill(stuck.proc.pid, signal.SIGSTOP)  # ignores its own timer: only a kill ends it
        start = time.monotonic()
        outcome = pool.compare([(Scalar("(x+1)^2"), Scalar("x^2+2x+1"))], 1e-6, 0.5)
        elapsed = time.monotonic() - start
        assert outcome.reason == "timeout" and not outcome.equal
        assert elapsed < 0.5 + GRACE_S + 0.2
        assert stuck.proc.wait(timeout=5) is not None
        again = pool.compare([(Scalar("(x+1)^2"), Scalar("x^2+2x+1"))], 1e-6, 5.0)
        assert again.equal and again.reason == "symbolic-equal"
    finally:
        pool.processes.close()


def test_slow_symbolic_case_times_out_cleanly():
    verifier = MathVerifier(timeout_s=0.05)
    start = time.monotonic()
    verdict = verifier(r"\boxed{(x+y+z+w+1)^{40}}", r"(1+w+z+y+x)^{40} + 1")
    assert verdict.reason in {"timeout", "not-equal"}
    assert not verdict.correct
    assert time.monotonic() - start < 0.05 + GRACE_S + SLACK_S
