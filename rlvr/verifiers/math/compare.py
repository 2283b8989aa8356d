"""Stage 3 of grading: are two answer trees equal? Structure first, then scalars, cheapest first.

Structural rules: sets and bare lists are unordered multisets; tuples and intervals are ordered and
their brackets must agree; ``x = 3`` may stand for ``3``; a one-variable inequality equals the
interval it describes; equations are equal when their sides differ by a non-zero constant factor.

Scalar rules, in order: identical text (``exact-match``), exact rationals (``numeric-equal`` or
``numeric-close`` within ``rel_tol``) — both without sympy — and only then sympy, through a
:class:`ScalarComparer`. The cheap comparer raises :class:`NeedsSympy` when it cannot decide; the
verifier then re-runs the same comparison with the symbolic comparer in a worker process.
"""

from __future__ import annotations

import ast
import cmath
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

from rlvr.verifiers.math.parse import (
    Choice,
    Matrix,
    Node,
    Ratio,
    Relation,
    Scalar,
    Seq,
    SetOf,
    Text,
    Union,
)


@dataclass(frozen=True)
class Outcome:
    equal: bool
    reason: str


class NeedsSympy(Exception):
    """The cheap rules could not decide."""


class ScalarComparer(Protocol):
    def scalar(self, a: str, b: str) -> Outcome: ...

    def proportional(self, a: str, b: str) -> Outcome:
        """Whether ``a = 0`` and ``b = 0`` are one equation: ``a = c*b``, c a non-zero constant."""
        ...

    def positive_multiple(self, a: str, b: str) -> Outcome:
        """Whether ``a < 0`` and ``b < 0`` are one inequality: ``a = c*b`` with ``c > 0``."""
        ...

    def linear_root(self, text: str) -> tuple[str, str, int] | None:
        """For ``text`` = ``c*(v - r)`` with one variable ``v`` and a non-zero real constant
        ``c``: ``(v, r, sign of c)``; None for anything else."""
        ...


# ------------------------------------------------------------------------------- cheap scalars
_DECIMAL_RE = re.compile(r"(\d*)\.(\d+)")


def as_fraction(text: str) -> Fraction | None:
    """The exact value of plain arithmetic on integers and decimals, else None (no eval)."""
    if len(text) > 200 or "**" in text:
        return None
    exact = _DECIMAL_RE.sub(
        lambda m: f"({int(m[1] or '0') * 10 ** len(m[2]) + int(m[2])}/{10 ** len(m[2])})", text
    )
    if not re.fullmatch(r"[\d\s+\-*/()]+", exact):
        return None
    try:
        return _evaluate(ast.parse(exact, mode="eval").body)
    except (SyntaxError, RecursionError, MemoryError, ValueError, ZeroDivisionError):
        return None


def _evaluate(node: ast.AST) -> Fraction | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return Fraction(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand)
        if value is None:
            return None
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
        left, right = _evaluate(node.left), _evaluate(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right
    return None


def numbers_match(
    a: Fraction | float | complex, b: Fraction | float | complex, rel_tol: float
) -> Outcome:
    """Equal, or within ``rel_tol`` relative to the larger magnitude.

    An integer on either side must be matched exactly (999999 and 1000000.5 are not 10^6), as
    must infinities.
    """
    if a == b:
        return Outcome(True, "numeric-equal")
    if not (cmath.isfinite(a) and cmath.isfinite(b)) or _is_integer(a) or _is_integer(b):
        return Outcome(False, "not-equal")
    x, y = complex(a), complex(b)
    if abs(x - y) <= rel_tol * max(abs(x), abs(y)):
        return Outcome(True, "numeric-close")
    return Outcome(False, "not-equal")


_APPROXIMATE_RE = re.compile(r"\(?[-+]?(?:\d+\.\d*|\.\d+)(?:\*10\*\*\(?[-+]?\d+\)?)?\)?")


def tolerance(a: str, b: str, rel_tol: float) -> float:
    """``rel_tol`` when either side is a decimal number (``0.333``, ``2.5*10**(3)``), else 0.

    Tolerance is for rounding (``0.3333333`` for ``1/3``, ``3.1415927`` for ``\\pi``). Two exact
    forms are equal or not: ``355/113`` is not ``\\pi``, nor ``\\sqrt{2} + 10^{-9}`` ``\\sqrt{2}``.
    """
    decimal = _APPROXIMATE_RE.fullmatch(a.replace(" ", "")) or _APPROXIMATE_RE.fullmatch(
        b.replace(" ", "")
    )
    return rel_tol if decimal else 0.0


def _is_integer(x: Fraction | float | complex) -> bool:
    if isinstance(x, Fraction):
        return x.denominator == 1
    return complex(x).imag == 0 and float(complex(x).real).is_integer()


class CheapComparer:
    """Decides what plain rational arithmetic can decide; raises NeedsSympy otherwise."""

    def __init__(self, rel_tol: float) -> None:
        self.rel_tol = rel_tol

    def scalar(self, a: str, b: str) -> Outcome:
        if a.replace(" ", "") == b.replace(" ", ""):
            return Outcome(True, "exact-match")
        fa, fb = as_fraction(a), as_fraction(b)
        if fa is not None and fb is not None:
            return numbers_match(fa, fb, tolerance(a, b, self.rel_tol))
        raise NeedsSympy

    def proportional(self, a: str, b: str) -> Outcome:
        raise NeedsSympy

    def positive_multiple(self, a: str, b: str) -> Outcome:
        if a.replace(" ", "") == b.replace(" ", ""):
            return Outcome(True, "exact-match")
        raise NeedsSympy

    def linear_root(self, text: str) -> tuple[str, str, int] | None:
        raise NeedsSympy


# ------------------------------------------------------------------------------------ structure
MISMATCH = Outcome(False, "structure-mismatch")
_INTERVALS = (Relation, Seq, Union)


def nodes_equal(pred: Node, ref: Node, cmp: ScalarComparer) -> Outcome:
    """Is the predicted answer ``pred`` equal to the reference ``ref``?"""
    if isinstance(ref, SetOf) and len(ref.items) == 1 and not isinstance(pred, SetOf):
        return nodes_equal(pred, ref.items[0], cmp)
    if isinstance(pred, SetOf) and isinstance(ref, Seq) and ref.left == "(":
        labelled = _labelled_values(pred)
        if labelled is not None:  # "a = 3, b = 4, c = 5" vs (3, 4, 5), in the order written
            return _all_equal(tuple(v for _, v in labelled), ref.items, cmp)
    if isinstance(pred, SetOf) and isinstance(ref, Union) and _all_inequalities(pred):
        pred = Union(tuple(_as_interval(item, cmp) for item in pred.items))
    if isinstance(ref, SetOf) and isinstance(pred, Union) and _all_inequalities(ref):
        ref = Union(tuple(_as_interval(item, cmp) for item in ref.items))
    if isinstance(pred, SetOf) and not isinstance(ref, SetOf | Union):
        # One answer written several ways ("15\frac{39}{40}, or \frac{639}{40}"): each must hold.
        # Not an empty list (vacuously true), nor a list that repeats one form ("1, 1").
        if not pred.items or len(set(pred.items)) < len(pred.items):
            return MISMATCH
        return _all_equal(pred.items, (ref,) * len(pred.items), cmp)
    if isinstance(pred, Choice) and not isinstance(ref, Choice):
        return nodes_equal(pred.content, ref, cmp) if pred.content is not None else MISMATCH
    if isinstance(pred, Relation) and not isinstance(ref, Relation):
        value = final_value(pred)
        if value is None and _is_identity(pred, cmp):
            value = pred.parts[-1]  # "ab + 5b + 2a + 10 = (a+5)(b+2)": both sides one value
        if value is not None:
            return nodes_equal(value, ref, cmp)
        if not _is_inequality(pred) or not isinstance(ref, _INTERVALS):
            return MISMATCH
    if isinstance(ref, Relation) and not isinstance(pred, Relation):
        value = final_value(ref)
        if value is not None:
            return nodes_equal(pred, value, cmp)
        if not _is_inequality(ref) or not isinstance(pred, _INTERVALS):
            return MISMATCH
    if (
        isinstance(pred, _INTERVALS)
        and isinstance(ref, _INTERVALS)
        and isinstance(pred, Relation) != isinstance(ref, Relation)
    ):
        pred, ref = _as_interval(pred, cmp), _as_interval(ref, cmp)
    if isinstance(pred, Matrix) and isinstance(ref, Seq):
        pred, ref = ref, pred
    if isinstance(pred, Seq) and isinstance(ref, Matrix):
        vector = _vector(ref)
        if pred.left != "(" or vector is None:
            return MISMATCH
        return _all_equal(pred.items, vector, cmp)
    if isinstance(pred, Ratio) != isinstance(ref, Ratio) and Scalar in (type(pred), type(ref)):
        ratio, scalar = (pred, ref) if isinstance(pred, Ratio) else (ref, pred)
        return _ratio_value(ratio, scalar, cmp)  # type: ignore[arg-type]
    if type(pred) is not type(ref):
        return MISMATCH
    return _SAME_KIND[type(pred)](pred, ref, cmp)


def _scalars(pred: Scalar, ref: Scalar, cmp: ScalarComparer) -> Outcome:
    if pred.percent == ref.percent:
        return cmp.scalar(pred.text, ref.text)
    plain, percent = (pred.text, ref.text) if ref.percent else (ref.text, pred.text)
    outcome = cmp.scalar(plain, percent)  # "50%" and "50": the unit was dropped
    return outcome if outcome.equal else cmp.scalar(plain, f"({percent})/100")


def _texts(pred: Text, ref: Text, cmp: ScalarComparer) -> Outcome:
    return Outcome(True, "string-equal") if pred.value == ref.value else Outcome(False, "not-equal")


def _choices(pred: Choice, ref: Choice, cmp: ScalarComparer) -> Outcome:
    return (
        Outcome(True, "choice-equal") if pred.letter == ref.letter else Outcome(False, "not-equal")
    )


def _seqs(pred: Seq, ref: Seq, cmp: ScalarComparer) -> Outcome:
    if (pred.left, pred.right) != (ref.left, ref.right):
        return Outcome(False, "bracket-mismatch")
    return _all_equal(pred.items, ref.items, cmp)


def _matrices(pred: Matrix, ref: Matrix, cmp: ScalarComparer) -> Outcome:
    if [len(r) for r in pred.rows] != [len(r) for r in ref.rows]:
        return Outcome(False, "shape-mismatch")
    return _all_equal(
        tuple(c for r in pred.rows for c in r), tuple(c for r in ref.rows for c in r), cmp
    )


def _sets(pred: SetOf | Union, ref: SetOf | Union, cmp: ScalarComparer) -> Outcome:
    """Multiset equality: every reference item matched by a distinct predicted item."""
    if len(pred.items) != len(ref.items):
        return Outcome(False, "size-mismatch")
    if not pred.items:
        return Outcome(True, "exact-match")  # the empty set
    unmatched = list(pred.items)
    reasons = []
    for want in ref.items:
        for k, have in enumerate(unmatched):
            outcome = nodes_equal(have, want, cmp)
            if outcome.equal:
                reasons.append(outcome.reason)
                del unmatched[k]
                break
        else:
            return Outcome(False, "not-equal")
    return Outcome(True, _weakest(reasons))


def _ratios(pred: Ratio, ref: Ratio, cmp: ScalarComparer) -> Outcome:
    """``a:b = c:d`` when the terms are proportional: ``a*d = b*c`` for every pair of terms, and
    neither ratio is all zeros (``0:0`` is proportional to everything)."""
    if len(pred.items) != len(ref.items):
        return Outcome(False, "size-mismatch")
    if ref.clock or not all(isinstance(t, Scalar) for t in pred.items + ref.items):
        return _all_equal(pred.items, ref.items, cmp)
    p, r = [t.text for t in pred.items], [t.text for t in ref.items]  # type: ignore[union-attr]
    for terms in (p, r):
        if all(cmp.scalar(t, "0").equal for t in terms):
            return Outcome(False, "not-equal")
    pairs = [(i, j) for i in range(len(p)) for j in range(i + 1, len(p))]
    return _all_scalars([(f"({p[i]})*({r[j]})", f"({p[j]})*({r[i]})") for i, j in pairs], cmp)


def _ratio_value(ratio: Ratio, scalar: Scalar, cmp: ScalarComparer) -> Outcome:
    """``3:4`` as the number ``3/4``."""
    terms = ratio.items
    if ratio.clock or len(terms) != 2 or not all(isinstance(t, Scalar) for t in terms):
        return MISMATCH
    if scalar.percent:
        return MISMATCH
    return cmp.scalar(f"({terms[0].text})/({terms[1].text})", scalar.text)  # type: ignore[union-attr]


def _relations(pred: Relation, ref: Relation, cmp: ScalarComparer) -> Outcome:
    if _is_equation(pred) and _is_equation(ref):
        if _is_label(pred.parts[0]) and pred.parts[0] == ref.parts[0]:
            values = final_value(pred), final_value(ref)
            if values[0] is not None and values[1] is not None:
                return nodes_equal(values[0], values[1], cmp)
        if len(pred.parts) != 2 or len(ref.parts) != 2 or "≈" in pred.ops + ref.ops:
            return MISMATCH
        if not all(isinstance(p, Scalar) for p in pred.parts + ref.parts):
            return MISMATCH
        (pl, pr), (rl, rr) = pred.parts, ref.parts
        return cmp.proportional(f"({pl.text}) - ({pr.text})", f"({rl.text}) - ({rr.text})")  # type: ignore[union-attr]
    pi, ri = _as_interval(pred), _as_interval(ref)
    if isinstance(pi, Seq) and isinstance(ri, Seq):
        return _seqs(pi, ri, cmp)
    one_sided = [_one_sided(r) for r in (pred, ref)]
    if one_sided[0] is not None and one_sided[1] is not None:
        (p_op, p_expr), (r_op, r_expr) = one_sided
        if p_op != r_op:
            return Outcome(False, "not-equal")
        return cmp.positive_multiple(p_expr, r_expr)
    pred, ref = _ascending(pred), _ascending(ref)
    if pred.ops != ref.ops:
        return Outcome(False, "not-equal")
    return _all_equal(pred.parts, ref.parts, cmp)


_SAME_KIND: dict[type, Callable[[Any, Any, ScalarComparer], Outcome]] = {
    Scalar: _scalars,
    Text: _texts,
    Choice: _choices,
    Seq: _seqs,
    Matrix: _matrices,
    SetOf: _sets,
    Union: _sets,
    Ratio: _ratios,
    Relation: _relations,
}

_STRENGTH = [
    "exact-match",
    "string-equal",
    "choice-equal",
    "numeric-equal",
    "symbolic-equal",
    "numeric-close",
]


def _weakest(reasons: list[str]) -> str:
    """The least exact rule among parts, so a composite's reason says what it relied on."""
    known = [r for r in reasons if r in _STRENGTH]
    return max(known, key=_STRENGTH.index) if known else (reasons[0] if reasons else "exact-match")


def _all_equal(pred: tuple[Node, ...], ref: tuple[Node, ...], cmp: ScalarComparer) -> Outcome:
    if len(pred) != len(ref):
        return Outcome(False, "size-mismatch")
    reasons = []
    for p, r in zip(pred, ref):
        outcome = nodes_equal(p, r, cmp)
        if not outcome.equal:
            return outcome
        reasons.append(outcome.reason)
    return Outcome(True, _weakest(reasons))


def _all_scalars(pairs: list[tuple[str, str]], cmp: ScalarComparer) -> Outcome:
    reasons = []
    for a, b in pairs:
        outcome = cmp.scalar(a, b)
        if not outcome.equal:
            return outcome
        reasons.append(outcome.reason)
    return Outcome(True, _weakest(reasons))


# ------------------------------------------------------------------ equations and their values
_NAME_RE = re.compile(
    r"(?:[A-Za-z](?:_\w+)?|alpha|beta|gamma|theta|lambda|mu|phi|omega)(?:\s*\(\s*[A-Za-z]\s*\))?"
)
_KNOWN_NAMES = frozenset(
    """sqrt root sin cos tan cot sec csc asin acos atan sinh cosh tanh log exp Abs floor ceiling
    binomial factorial pi oo e i""".split()
)
_TOKEN_RE = re.compile(r"[A-Za-z_]\w*")
_CALL_RE = re.compile(r"([A-Za-z_]\w*)\s*\(([^()]*)\)")


def _is_name(node: Node) -> bool:
    return isinstance(node, Scalar) and bool(_NAME_RE.fullmatch(node.text.strip()))


def _free_names(text: str) -> set[str]:
    return {t for t in _TOKEN_RE.findall(text) if t not in _KNOWN_NAMES}


def _is_closed(node: Node) -> bool:
    """A value with no variables: ``\\sqrt{9}``, ``2+3``, ``\\binom{4}{2}``."""
    if isinstance(node, Scalar):
        return not _free_names(node.text)
    if isinstance(node, Seq | Ratio | SetOf):
        return all(_is_closed(item) for item in node.items)
    return False


def _is_label(node: Node) -> bool:
    """A name for the answer rather than a computation: ``x``, ``|PQ|``, ``a + b``, ``f(3)``,
    ``S_{10}``, ``(a, b)``, ``m:n``. Digits may appear only in exponents, subscripts and the
    arguments of unknown functions; ``2x + 1`` is an expression, not a label."""
    if isinstance(node, Text):
        return not re.search(r"\d", node.value)
    if isinstance(node, Seq | Ratio | SetOf):
        return all(_is_label(item) for item in node.items)
    if not isinstance(node, Scalar) or not _free_names(node.text):
        return False
    text = node.text
    for _ in range(10):  # innermost first; nesting deeper than this is no label
        stripped = re.sub(r"\*\*\s*(?:\([^()]*\)|\w+)|_\w+", "", text)
        stripped = _CALL_RE.sub(lambda m: m[0] if m[1] in _KNOWN_NAMES else m[1], stripped)
        if stripped == text:
            break
        text = stripped
    return not re.search(r"\d", text)


def _labelled_values(node: SetOf) -> list[tuple[str, Node]] | None:
    """``[("a", 3), ("b", 4)]`` for ``a = 3, b = 4``; None unless every item names its value."""
    out = []
    for item in node.items:
        value = final_value(item) if isinstance(item, Relation) else None
        if value is None or not isinstance(item.parts[0], Scalar):  # type: ignore[union-attr]
            return None
        out.append((item.parts[0].text, value))  # type: ignore[union-attr]
    return out if len({label for label, _ in out}) == len(out) else None


def _all_inequalities(node: SetOf) -> bool:
    return all(isinstance(i, Relation) and _is_inequality(i) for i in node.items)


def _is_identity(rel: Relation, cmp: ScalarComparer) -> bool:
    """An equation true for every value of its variables: a chain of rewritings."""
    if not _is_equation(rel) or not all(isinstance(p, Scalar) for p in rel.parts):
        return False
    first, last = rel.parts[0], rel.parts[-1]
    return cmp.scalar(first.text, last.text).equal  # type: ignore[union-attr]


def _is_equation(rel: Relation) -> bool:
    return bool(rel.ops) and all(op in ("=", "≈") for op in rel.ops)


def _is_inequality(rel: Relation) -> bool:
    return bool(rel.ops) and all(op in ("<", "<=", ">", ">=") for op in rel.ops)


def final_value(rel: Relation) -> Node | None:
    """The value an equation states, or None when it states none.

    ``x = 3``, ``3 = x``, ``|PQ| = 5``, ``(a, b) = (1, 2)``, ``f(x) = x^2+1``: the other side of a
    label. ``\\sqrt{9} = 3``, ``y = 2+3 = 5``: the last part of a chain of closed values (the
    exact part before ``≈``: ``\\frac13 \\approx 0.33`` stands for ``\\frac13``). ``2x + 1 = 7`` and
    ``7 = 11a + c`` are equations to solve and state no value.
    """
    if not _is_equation(rel):
        return None
    parts, ops = rel.parts, rel.ops
    exact = ops.index("≈") if "≈" in ops else None
    if _is_label(parts[0]):
        if exact is not None and exact >= 1 and _is_closed(parts[exact]):
            return parts[exact]
        return parts[-1]
    if len(parts) == 2 and _is_label(parts[1]):
        return parts[0]
    if all(_is_closed(part) for part in parts):
        return parts[exact] if exact is not None else parts[-1]
    return None


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _ascending(rel: Relation) -> Relation:
    """Write ``a > b > c`` as ``c < b < a``."""
    if rel.ops and all(op in (">", ">=") for op in rel.ops):
        return Relation(tuple(_FLIP[op] for op in reversed(rel.ops)), tuple(reversed(rel.parts)))
    return rel


def _one_sided(rel: Relation) -> tuple[str, str] | None:
    """``a < b`` as ``("<", "(a) - (b)")``, ``a > b`` as ``("<", "(b) - (a)")``: ``expr op 0``."""
    if len(rel.ops) != 1 or not _is_inequality(rel):
        return None
    if not all(isinstance(p, Scalar) for p in rel.parts):
        return None
    (a, b), op = (p.text for p in rel.parts), rel.ops[0]  # type: ignore[union-attr]
    if op in (">", ">="):
        a, b, op = b, a, _FLIP[op]
    return op, f"({a}) - ({b})"


def _as_interval(node: Node, cmp: ScalarComparer | None = None) -> Node:
    """``x > 3`` -> ``(3, oo)``, ``-2 <= x < 7`` -> ``[-2, 7)``; other nodes unchanged.

    With a comparer, a linear inequality in one variable is solved first: ``-x > -2`` -> ``x < 2``.
    """
    if not isinstance(node, Relation):
        return node
    rel = _ascending(node)
    if not rel.ops or not all(op in ("<", "<=") for op in rel.ops):
        return node
    bracket = {"<": ("(", ")"), "<=": ("[", "]")}
    if len(rel.parts) == 3 and _is_name(rel.parts[1]):
        lo, hi = rel.parts[0], rel.parts[2]
        return Seq(bracket[rel.ops[0]][0], bracket[rel.ops[1]][1], (lo, hi))
    if len(rel.parts) == 2 and _is_name(rel.parts[0]):
        return Seq("(", bracket[rel.ops[0]][1], (Scalar("-oo"), rel.parts[1]))
    if len(rel.parts) == 2 and _is_name(rel.parts[1]):
        return Seq(bracket[rel.ops[0]][0], ")", (rel.parts[0], Scalar("oo")))
    if cmp is not None and len(rel.parts) == 3 and all(isinstance(p, Scalar) for p in rel.parts):
        lo, mid, hi = (p.text for p in rel.parts)  # type: ignore[union-attr]
        bounds = cmp.linear_root(f"({mid}) - ({lo})"), cmp.linear_root(f"({mid}) - ({hi})")
        if bounds[0] is not None and bounds[1] is not None and bounds[0][::2] == bounds[1][::2]:
            (variable, low, sign), (_, high, _) = bounds  # "-7 <= -x <= 2": x in [-2, 7]
            ops = rel.ops if sign > 0 else rel.ops[::-1]
            low, high = (low, high) if sign > 0 else (high, low)
            return Seq(bracket[ops[0]][0], bracket[ops[1]][1], (Scalar(low), Scalar(high)))
    sided = _one_sided(rel)
    if cmp is not None and sided is not None:
        solved = cmp.linear_root(sided[1])
        if solved is not None:
            variable, root, sign = solved
            op = sided[0] if sign > 0 else _FLIP[sided[0]]
            return _as_interval(Relation((op,), (Scalar(variable), Scalar(root))))
    return node


def _vector(m: Matrix) -> tuple[Node, ...] | None:
    if all(len(r) == 1 for r in m.rows):
        return tuple(r[0] for r in m.rows)
    if len(m.rows) == 1:
        return m.rows[0]
    return None
