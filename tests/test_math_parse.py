"""The answer tree: which kind of answer a string is decides how it is compared."""

import pytest

from rlvr.verifiers.math.parse import (
    AnswerParseError,
    Choice,
    Matrix,
    Relation,
    Scalar,
    Seq,
    SetOf,
    Text,
    Union,
    parse_answer,
)


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (r"\frac{1}{2}", Scalar),
        ("(a+5)(b+2)", Scalar),  # a product, not a tuple
        ("(1, 2)", Seq),
        ("(3, 4]", Seq),
        (r"\{1, 2\}", SetOf),
        ("3, 5, 7", SetOf),
        (r"1 \pm \sqrt{2}", SetOf),
        (r"(-\infty, 2) \cup (3, \infty)", Union),
        ("y = 2x + 1", Relation),
        (r"-2 \le x < 7", Relation),
        (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", Matrix),
        (r"\text{(B)}", Choice),
        (r"\text{Evelyn}", Text),
        ("204_5", Text),
    ],
)
def test_kinds(answer: str, kind: type):
    assert isinstance(parse_answer(answer), kind)


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        (r"\frac{1}{2}", "((1)/(2))"),
        (r"\dfrac12", "((1)/(2))"),
        (r"1\frac{4}{5}", "(1+((4)/(5)))"),
        (r"2\sqrt{3}", "2 sqrt(3)"),
        (r"\sqrt[3]{x}", "root(x, 3)"),
        (r"10,\!080", "10080"),
        (r"\$1{,}000", "1000"),
        (r"30^\circ", "30"),
        (r"15\mbox{ cm}^2", "15"),
        (r"\left(x\right)", "(x)"),
        (r"2 \cdot 3", "2 * 3"),
        (r"\pi", "pi"),
        (r"\infty", "oo"),
        ("042", "42"),
    ],
)
def test_latex_to_sympy_text(answer: str, text: str):
    node = parse_answer(answer)
    assert isinstance(node, Scalar)
    assert node.text == text


def test_percent_is_remembered():
    assert parse_answer(r"12.5\%") == Scalar("12.5", percent=True)


def test_brackets_are_kept():
    assert parse_answer("(1, 2]") == Seq("(", "]", (Scalar("1"), Scalar("2")))


@pytest.mark.parametrize(
    "answer",
    [
        "}{",
        "(((1)",
        r"\frac{1}",
        "x" * 2000,
        "(" * 100 + "1" + ")" * 100,
        "\x00\x01",
        "a^",
        "2^{__a}",
    ],
)
def test_unreadable_answers_raise_parse_error(answer: str):
    with pytest.raises(AnswerParseError):
        parse_answer(answer)


@pytest.mark.parametrize("answer", ["__import__('os').system('id')", "x.__class__", "().__class__"])
def test_code_never_reaches_sympy_as_math(answer: str):
    """Words make it a Text answer (compared as a string), never text handed to parse_expr."""
    try:
        node = parse_answer(answer)
    except AnswerParseError:
        return
    assert not isinstance(node, Scalar)
