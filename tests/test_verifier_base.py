import pytest

from rlvr.verifiers import (
    MathVerifier,
    Verdict,
    Verifier,
    get_verifier,
    register_verifier,
    registered_verifiers,
    verify_batch,
)


class Exact:
    def __call__(self, completion: str, reference: str) -> Verdict:
        ok = completion.strip() == reference
        return Verdict(float(ok), ok, completion.strip(), "string-equal" if ok else "not-equal")


def test_math_verifier_is_a_verifier():
    assert isinstance(MathVerifier(), Verifier)
    assert "math" in registered_verifiers()
    assert isinstance(get_verifier("math", timeout_s=1.0), MathVerifier)


def test_register_and_batch_a_plain_callable():
    register_verifier("test-exact", Exact)
    verifier = get_verifier("test-exact")
    verdicts = verify_batch(verifier, ["a", "b "], ["a", "a"])
    assert [v.correct for v in verdicts] == [True, False]


def test_unknown_verifier_lists_known_ones():
    with pytest.raises(KeyError, match=r"registered: .*math"):
        get_verifier("nope")


def test_batch_length_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="2 completions but 1 references"):
        verify_batch(MathVerifier(), ["1", "2"], ["1"])
    with pytest.raises(ValueError, match="2 completions but 1 references"):
        MathVerifier().verify_batch(["1", "2"], ["1"])


@pytest.mark.parametrize(
    "kwargs", [{"timeout_s": 0}, {"rel_tol": 2.0}, {"memory_mb": 10}, {"strategies": []}]
)
def test_bad_configuration_is_rejected(kwargs: dict):
    with pytest.raises(ValueError):
        MathVerifier(**kwargs)


def test_verdict_to_dict():
    verdict = Verdict(1.0, True, "5", "exact-match", {"reference": "5"})
    assert verdict.to_dict() == {
        "score": 1.0,
        "correct": True,
        "extracted": "5",
        "reason": "exact-match",
        "details": {"reference": "5"},
    }
