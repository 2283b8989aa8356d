"""Attacks on the math reward: values no solution states, yet which a loose comparison accepts.

Each property draws references and attacking answers at random, so a fix has to close the
mechanism (float overflow, float rounding of integers, tolerance, separators) rather than one
example. Plus the bounds that keep one call cheap: input length, deadlines, pool slots.
"""

from __future__ import annotations

import math
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlvr.verifiers.math import MathVerifier
from rlvr.verifiers.math.worker import shared_pool

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def v() -> MathVerifier:
    return MathVerifier()


# ------------------------------------------------------------------- references with a variable
coefficients = st.integers(-9, 9).filter(bool)
variable = st.sampled_from(["x", "n", "t", "a"])


@st.composite
def expression(draw: st.DrawFn) -> str:
    """A small expression in one variable, in the forms MATH answers take."""
    name, a, b = draw(variable), draw(coefficients), draw(coefficients)
    form = draw(st.sampled_from(range(6)))
    return [
        f"{a}{name}+{b}",
        f"{a}{name}^2+{b}",
        rf"\frac{{{a}}}{{{name}}}",
        rf"{a}\sqrt{{{name}}}",
        rf"{name}^{{{abs(b) + 1}}}",
        rf"\frac{{{name}+{abs(a)}}}{{{name}-{abs(b)}}}",
    ][form]


@st.composite
def huge(draw: st.DrawFn) -> str:
    """A value beyond float range, or one that overflows at every probe point."""
    k = draw(st.integers(309, 5000))
    name = draw(variable)
    return draw(
        st.sampled_from(
            [
                f"10^{{{k}}}",
                f"-10^{{{k}}}",
                f"2^{{{4 * k}}}",
                rf"e^{{{k}}}",
                f"1e{k}",
                f"10^{{{k}}}{name}",
                f"{name}^{{{k}}}",
                f"10^{{{k}}}+{name}",
                rf"\frac{{1}}{{10^{{{k}}}}}",
                rf"{name}\cdot 10^{{{k}}}",
                f"({k})!",
                r"\infty",
                r"-\infty",
            ]
        )
    )


@SETTINGS
@given(reference=expression(), answer=huge())
def test_overflowing_answers_never_match_a_variable_reference(v, reference, answer):
    verdict = v(rf"\boxed{{{answer}}}", reference)
    assert not verdict.correct, (answer, reference, verdict)


@SETTINGS
@given(reference=huge().filter(lambda h: "infty" not in h), delta=st.integers(1, 9))
def test_huge_references_need_the_exact_value(v, reference, delta):
    assert not v(rf"\boxed{{{reference}+{delta}}}", reference).correct


# ------------------------------------------------------------------------------ integers exact
integers = st.one_of(st.integers(-(10**6), 10**6), st.integers(-(10**40), 10**40))


@SETTINGS
@given(n=integers)
def test_an_integer_reference_needs_that_integer(v, n):
    assert v(rf"\boxed{{{n}}}", str(n)).correct
    assert v(rf"\boxed{{{n}.0}}", str(n)).correct
    assert not v(rf"\boxed{{{n + 1}}}", str(n)).correct
    assert not v(rf"\boxed{{{n - 1}}}", str(n)).correct
    assert not v(rf"\boxed{{{n}.5}}", str(n)).correct
    assert not v(rf"\boxed{{{n - 1}.5}}", str(n)).correct


@SETTINGS
@given(k=st.integers(53, 400), delta=st.integers(1, 1000))
def test_powers_are_compared_exactly(v, k, delta):
    assert not v(rf"\boxed{{2^{{{k}}}+{delta}}}", f"2^{{{k}}}").correct
    assert not v(rf"\boxed{{{2**k + delta}}}", f"2^{{{k}}}").correct
    assert v(rf"\boxed{{{2**k}}}", f"2^{{{k}}}").correct


# --------------------------------------------------------------------- separators in brackets
@SETTINGS
@given(a=st.integers(1, 999), b=st.integers(0, 999))
def test_a_comma_in_brackets_separates_items(v, a, b):
    pair, number = f"({a},{b:03d})", f"{a}{b:03d}"
    assert not v(rf"\boxed{{{pair}}}", number).correct
    assert v(rf"\boxed{{{pair}}}", f"({a}, {b:03d})").correct
    assert v(rf"\boxed{{{a},{b:03d}}}", number).correct  # a bare 1,234 is a thousand-number


# ------------------------------------------------------------------------------------ bounds
def test_deadlines_must_be_finite():
    for bad in (math.inf, math.nan, 0, -1.0, 1e9):
        with pytest.raises(ValueError, match="timeout_s"):
            MathVerifier(timeout_s=bad)


@pytest.mark.parametrize(
    "padding",
    [
        "a " * 150_000,
        r"\boxed{1}" * 30_000,
        "{" * 300_000,
        ("$\\boxed{1+" + "1+" * 40 + "}$ ") * 3000,
    ],
)
def test_overlong_completions_are_refused_before_any_parsing(v, padding):
    verdict = v(padding + r"\boxed{5}", "5")
    assert verdict.reason == "too-long" and not verdict.correct
    assert MathVerifier(max_chars=10**6)(padding + r"\boxed{5}", "5").correct


def test_an_interrupt_mid_case_gives_the_worker_slot_back(v, monkeypatch):
    """A KeyboardInterrupt between acquire and release must not shrink the pool for good."""
    pool = shared_pool(v.memory_mb)
    v(r"\boxed{\sqrt{12}}", r"2\sqrt{3}")  # a sympy case: a worker exists
    before = pool.processes._count
    from rlvr.verifiers.math import worker as worker_module

    real_poll = worker_module.Connection.poll
    calls = {"n": 0}

    def interrupted(self, timeout=0.0):
        calls["n"] += 1
        raise KeyboardInterrupt

    monkeypatch.setattr(worker_module.Connection, "poll", interrupted)
    for _ in range(pool.processes.max_size + 2):
        with pytest.raises(KeyboardInterrupt):
            v(r"\boxed{\sqrt{8}}", r"2\sqrt{2}")
    monkeypatch.setattr(worker_module.Connection, "poll", real_poll)
    assert calls["n"] == pool.processes.max_size + 2
    assert pool.processes._count <= before

    done: list[bool] = []
    thread = threading.Thread(
        target=lambda: done.append(v(r"\boxed{\sqrt{8}}", r"2\sqrt{2}").correct)
    )
    thread.start()
    thread.join(timeout=60)
    assert done == [True], "the verifier hangs after interrupts: a worker slot leaked"


# ------------------------------------------------- second red-team pass (reproducers, then fixes)
@pytest.mark.parametrize(
    ("answer", "reference"),
    [
        # rel_tol is relative, also below 1 (it was absolute there)
        ("0.0000000001", r"\frac{1}{2^{30}}"),
        ("0.0000001", r"\frac{1}{2^{30}}"),
        ("0.0000009", r"\frac{1}{10^{7}}"),
        (r"10^{-20}", "0.0000001"),
        # agreeing to 40 digits is not equality without a proof
        (r"5 + 10^{-50}\sqrt{2}", "5"),
        (r"10^{100} + \sqrt{2}", "10^{100}"),
        (r"2^{200} + 10^{19}\pi", "2^{200}"),
        (r"\pi + \frac{\sqrt{2}}{10^{50}}", r"\pi"),
        # a polynomial vanishing at the fixed probe points
        (r"x^2+1+(x-\frac{7}{13})(x+\frac{5}{29})(x-\frac{43}{23})", "x^2+1"),
        # a decimal somewhere inside an exact form does not turn tolerance on
        (r"\frac{355}{113} \cdot 1.0", r"\pi"),
        (r"\frac{355}{113} + 0.0", r"\pi"),
    ],
)
def test_second_red_team_forgeries_are_rejected(v, answer, reference):
    verdict = v(rf"\boxed{{{answer}}}", reference)
    assert not verdict.correct, verdict


@pytest.mark.parametrize(
    ("answer", "reference"),
    [
        (r"\frac{\log 8}{\log 2}", "3"),
        ("0.3333333", r"\frac13"),
        ("3.1415927", r"\pi"),
        ("9.31322575e-10", r"\frac{1}{2^{30}}"),
        (r"\sqrt{5+2\sqrt6}", r"\sqrt2+\sqrt3"),
        (r"\cos\frac{\pi}{12}", r"\frac{\sqrt6+\sqrt2}{4}"),
        (r"0.5\pi", r"\frac{\pi}{2}"),
        (r"\tan\frac{\pi}{8}", r"\sqrt2-1"),
    ],
)
def test_equal_values_that_need_a_proof_still_pass(v, answer, reference):
    verdict = v(rf"\boxed{{{answer}}}", reference)
    assert verdict.correct, verdict


def test_deeply_nested_json_is_no_answer_not_an_exception(v):
    completion = '{"answer": ' + "[" * 1000 + "]" * 1000 + "}"
    assert v(completion, "5").reason == "no-answer-found"
    verdicts = v.verify_batch([completion, r"\boxed{5}"], ["5", "5"])
    assert [x.correct for x in verdicts] == [False, True]


def test_an_unexpected_error_reading_output_costs_one_case(v, monkeypatch):
    from rlvr.verifiers.math import verifier as verifier_module

    def broken(*args, **kwargs):
        raise IndexError("a bug")

    v.verify_batch(["5", "6"], ["5", "6"])  # references are read (and cached) before the bug
    monkeypatch.setattr(verifier_module, "extract_answer", broken)
    verdicts = v.verify_batch(["anything", "else"], ["5", "6"])
    assert [x.reason for x in verdicts] == ["verifier-error", "verifier-error"]
