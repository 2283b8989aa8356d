import pytest

from rlvr.verifiers import MathVerifier
from rlvr.verifiers.math import STRATEGIES, extract_answer
from rlvr.verifiers.math.extract import find_boxed, is_bare_answer


@pytest.mark.parametrize(
    ("text", "answer", "strategy"),
    [
        # last box wins, nested braces kept whole
        (r"a \boxed{1} b \boxed{\frac{1}{2}}", r"\frac{1}{2}", "boxed"),
        (r"\fbox{x^{2}}", "x^{2}", "boxed"),
        (r"$\boxed {7}$", "7", "boxed"),
        ("work...\n#### 1,234", "1,234", "answer_phrase"),
        ("<think>2+2=4, maybe 5</think> <answer>4</answer>", "4", "answer_phrase"),
        (r"<answer>so it is $\boxed{\frac12}$</answer>", r"\frac12", "boxed"),
        ("<answer> x = 3 </answer>", "x = 3", "answer_phrase"),
        ("Final Answer: $x = 2$", "x = 2", "answer_phrase"),
        ("The answer is 12 because 5 + 7 = 12.", "12", "answer_phrase"),
        ("the answer is: (1, 2).", "(1, 2)", "answer_phrase"),
        (r"$\frac{1}{3}$", r"\frac{1}{3}", "bare"),
        ("x^2+2x+1", "x^2+2x+1", "bare"),
        ("10, 4, 2", "10, 4, 2", "bare"),
        (r"\{3, 5\}", r"\{3, 5\}", "bare"),
        ("Evelyn", "Evelyn", "bare"),
        ("We get 3 and then 4 more, so 7 apples.", "7", "last_number"),
        ("It costs $1,250.", "1,250", "last_number"),
    ],
)
def test_strategies(text: str, answer: str, strategy: str):
    assert extract_answer(text) == (answer, strategy)


# A final box that never closes: the output was cut off in its final statement.
@pytest.mark.parametrize(
    "text", ["", "   ", "no numbers here at all, sorry", r"\boxed{", r"\boxed{3} then \boxed{4"]
)
def test_nothing_found(text: str):
    assert extract_answer(text) is None


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("(a+5)(b+2)", True),
        ("2xy + 3", True),
        ("5 cm", True),
        (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", True),
        ("so it is 5", False),
        ("I think 5", False),
        ("The total is 12 dollars", False),
    ],
)
def test_bare_answer_or_prose(text: str, bare: bool):
    assert is_bare_answer(text) is bare


def test_strategy_list_is_configurable():
    prose = "There are 3 cats and 4 dogs, 7 pets."
    assert MathVerifier()(prose, "7").correct
    boxed_only = MathVerifier(strategies=["boxed"])
    verdict = boxed_only(prose, "7")
    assert verdict.reason == "no-answer-found" and verdict.extracted is None
    assert boxed_only(r"\boxed{7}", "7").details["strategy"] == "boxed"


def test_unknown_strategy_is_a_clear_error():
    with pytest.raises(ValueError, match="strategies"):
        MathVerifier(strategies=["boxed", "psychic"])
    with pytest.raises(ValueError, match="unknown extraction strategy"):
        extract_answer("1", ["psychic"])


def test_verdict_reports_extracted_answer_and_reference(math_verifier: MathVerifier):
    verdict = math_verifier(r"so $\boxed{\dfrac{3}{4}}$.", r"Thus $\boxed{0.75}$.")
    assert verdict.extracted == r"\dfrac{3}{4}"
    assert verdict.details["reference"] == "0.75"
    assert verdict.details["strategy"] == "boxed"


def test_boxed_search_is_bounded_on_many_unclosed_boxes():
    assert find_boxed(r"\boxed{" * 100_000) is None


def test_default_strategies_order():
    assert STRATEGIES == ("boxed", "answer_phrase", "bare", "math_span", "last_number")
