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

    Two integers must match exactly (999999 is not 10^6), as must infinities.
    """
    if a == b:
        return Outcome(True, "numeric-equal")
    if not (cmath.isfinite(a) and cmath.isfinite(b)) or (_is_integer(a) and _is_integer(b)):
        return Outcome(False, "not-equal")
    x, y = complex(a), complex(b)
    if abs(x - y) <= rel_tol * max(abs(x), abs(y)):
        return Outcome(True, "numeric-close")
    return Outcome(False, "not-equal")


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
            return numbers_match(fa, fb, self.rel_tol)
        raise NeedsSympy

    def proportional(self, a: str, b: str) -> Outcome:
        raise NeedsSympy


# ------------------------------------------------------------------------------------ structure
MISMATCH = Outcome(False, "structure-mismatch")


def nodes_equal(pred: Node, ref: Node, cmp: ScalarComparer) -> Outcome:
    """Is the predicted answer ``pred`` equal to the reference ``ref``?"""
    if isinstance(ref, SetOf) and len(ref.items) == 1 and not isinstance(pred, SetOf):
        return nodes_equal(pred, ref.items[0], cmp)
    if isinstance(pred, SetOf) and len(pred.items) == 1 and not isinstance(ref, SetOf):
        return nodes_equal(pred.items[0], ref, cmp)
    if isinstance(pred, Relation) and not isinstance(ref, Relation | Seq | Union):
        value = _assigned_value(pred)
        return nodes_equal(value, ref, cmp) if value is not None else MISMATCH
    if isinstance(ref, Relation) and not isinstance(pred, Relation | Seq | Union):
        value = _assigned_value(ref)
        return nodes_equal(pred, value, cmp) if value is not None else MISMATCH
    intervals = (Relation, Seq, Union)
    if (
        isinstance(pred, intervals)
        and isinstance(ref, intervals)
        and isinstance(pred, Relation) != isinstance(ref, Relation)
    ):
        pred, ref = _as_interval(pred), _as_interval(ref)
    if isinstance(pred, Matrix) and isinstance(ref, Seq):
        pred, ref = ref, pred
    if isinstance(pred, Seq) and isinstance(ref, Matrix):
        vector = _vector(ref)
        if pred.left != "(" or vector is None:
            return MISMATCH
        return _all_equal(pred.items, vector, cmp)
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


def _relations(pred: Relation, ref: Relation, cmp: ScalarComparer) -> Outcome:
    if pred.ops == ("=",) and ref.ops == ("=",):
        (pl, pr), (rl, rr) = pred.parts, ref.parts
        if pl == rl and isinstance(pl, Scalar) and _is_name(pl):
            return nodes_equal(pr, rr, cmp)
        if pr == rr and isinstance(pr, Scalar) and _is_name(pr):
            return nodes_equal(pl, rl, cmp)
        if not all(isinstance(p, Scalar) for p in pred.parts + ref.parts):
            return MISMATCH
        return cmp.proportional(f"({pl.text}) - ({pr.text})", f"({rl.text}) - ({rr.text})")  # type: ignore[union-attr]
    pi, ri = _as_interval(pred), _as_interval(ref)
    if isinstance(pi, Seq) and isinstance(ri, Seq):
        return _seqs(pi, ri, cmp)
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


_NAME_RE = re.compile(r"[A-Za-z](?:_\w+)?|alpha|beta|gamma|theta|lambda|mu|phi|omega")


def _is_name(node: Node) -> bool:
    return isinstance(node, Scalar) and bool(_NAME_RE.fullmatch(node.text.strip()))


def _assigned_value(rel: Relation) -> Node | None:
    """``x = 3`` (or ``3 = x``) stands for ``3``; so does worked arithmetic, ``7 - 4 = 3``.

    Only a bare name or letter-free arithmetic may stand on the left: ``2x + 1 = 7`` is an
    equation to solve, not the answer 7.
    """
    if not rel.ops or any(op != "=" for op in rel.ops):
        return None
    if len(rel.parts) == 2 and _is_name(rel.parts[0]):
        return rel.parts[1]
    if len(rel.parts) == 2 and _is_name(rel.parts[1]):
        return rel.parts[0]
    if all(_is_arithmetic(part) for part in rel.parts[:-1]):
        return rel.parts[-1]
    return None


def _is_arithmetic(node: Node) -> bool:
    return isinstance(node, Scalar) and not re.search(r"[A-Za-z]", node.text)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _ascending(rel: Relation) -> Relation:
    """Write ``a > b > c`` as ``c < b < a``."""
    if rel.ops and all(op in (">", ">=") for op in rel.ops):
        return Relation(tuple(_FLIP[op] for op in reversed(rel.ops)), tuple(reversed(rel.parts)))
    return rel


def _as_interval(node: Node) -> Node:
    """``x > 3`` -> ``(3, oo)``, ``-2 <= x < 7`` -> ``[-2, 7)``; other nodes unchanged."""
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
    return node


def _vector(m: Matrix) -> tuple[Node, ...] | None:
    if all(len(r) == 1 for r in m.rows):
        return tuple(r[0] for r in m.rows)
    if len(m.rows) == 1:
        return m.rows[0]
    return None
