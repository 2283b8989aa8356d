"""The sympy stage: parse plain-text math safely and decide equality symbolically, then numerically.

This module is imported by the worker process only (see ``worker.py``), where a deadline and a
memory limit guard every call: sympy can take unbounded time or memory on hostile input.

Parsing uses ``sympy.parse_expr`` with a namespace limited to math functions and no builtins; the
text was already restricted to math characters by :func:`rlvr.verifiers.math.parse.latex_to_text`.
Before evaluating, a guard rejects numbers too large to compute (``10^{10^{10}}``, ``100000!``).
"""

from __future__ import annotations

import random
import re
from functools import lru_cache

import sympy
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

from rlvr.verifiers.math.compare import CheapComparer, NeedsSympy, Outcome, tolerance

TRANSFORMATIONS = (*standard_transformations, implicit_multiplication_application, convert_xor)
# Not E and I: in an answer, E and I are names (a point, a choice); e and i are the constants.
_SAFE_NAMES = """sqrt root sin cos tan cot sec csc asin acos atan sinh cosh tanh log exp Abs floor
ceiling binomial factorial factorial2 Symbol Integer Float Rational Function Add Mul Pow pi
oo""".split()
NAMESPACE = {"__builtins__": {}, **{name: getattr(sympy, name) for name in _SAFE_NAMES}}
LOCALS = {"e": sympy.E, "i": sympy.I, "ln": sympy.log}
MAX_BITS = 100_000
_PRIMES = [p for p in range(101, 1000) if all(p % d for d in range(2, int(p**0.5) + 1))]
_PROBES = tuple(
    tuple(sympy.Rational(p, q) for p, q in row)
    for row in (
        ((7, 13), (-11, 17), (23, 19)),
        ((-5, 29), (31, 37), (3, 41)),
        ((43, 23), (2, 47), (-53, 31)),
    )
)


_RANDOM = random.SystemRandom()
_PROBES += tuple(  # two points no one can know in advance, drawn when the worker starts
    tuple(sympy.Rational(_RANDOM.randint(-3 * q, 3 * q), q) for q in _RANDOM.sample(_PRIMES, 3))
    for _ in range(2)
)


_BIG_FACTORIAL_RE = re.compile(r"\d{6,}\s*!|(?:factorial2?|binomial)\(\s*\d{6,}")


_CALL_RE = re.compile(r"\b[A-Za-z]\(\s*[A-Za-z]\s*\)")
_CALL_SYMBOL = "Q_call"


class TooComplex(ValueError):
    """The expression denotes a number too large to compute."""


@lru_cache(maxsize=8192)
def to_sympy(text: str) -> sympy.Expr:
    """Parse sympy-syntax text; raises on anything unreadable or too large to evaluate."""
    if _BIG_FACTORIAL_RE.search(text):
        raise TooComplex("factorial too large")
    _guard(_parse(text, evaluate=False))
    expr = _parse(text, evaluate=True)
    if not isinstance(expr, sympy.Expr):
        raise TypeError(f"not an expression: {type(expr).__name__}")
    return expr


def _parse(text: str, evaluate: bool) -> sympy.Basic:
    # parse_expr may add names to the dicts it is given: pass fresh copies.
    return parse_expr(
        text,
        local_dict=dict(LOCALS),
        global_dict=dict(NAMESPACE),
        transformations=TRANSFORMATIONS,
        evaluate=evaluate,
    )


def _guard(expr: sympy.Basic) -> None:
    """Refuse towers like 10^(10^10) before sympy tries to compute them."""
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Pow):
            base, exponent = node.args
            if base.is_number and exponent.is_number and base not in (0, 1, -1):
                magnitude = abs(sympy.N(base, 15))
                bits = abs(sympy.N(exponent, 15)) * max(1, sympy.log(magnitude, 2).evalf(15))
                if bits > MAX_BITS:
                    raise TooComplex("number too large")
        elif isinstance(node, sympy.Integer) and int(node).bit_length() > MAX_BITS:
            raise TooComplex("number too large")


class SympyComparer:
    """Full cascade: cheap rules, then structural identity, then simplification and numerics."""

    def __init__(self, rel_tol: float) -> None:
        self.rel_tol = rel_tol
        self._cheap = CheapComparer(rel_tol)

    def scalar(self, a: str, b: str) -> Outcome:
        try:
            return self._cheap.scalar(a, b)
        except NeedsSympy:
            pass
        parsed = _parse_pair(a, b)
        if isinstance(parsed, Outcome):
            return parsed
        return self._compare(*parsed, tolerance(a, b, self.rel_tol))

    def _compare(self, x: sympy.Expr, y: sympy.Expr, rel_tol: float) -> Outcome:
        if x == y:
            return Outcome(True, "symbolic-equal")
        if _has_infinity(x) or _has_infinity(y):
            return Outcome(False, "not-equal")
        if not x.free_symbols and not y.free_symbols:
            return self._constants(x, y, rel_tol)
        agree = self._agree_at_probes(x, y)
        if agree is False:
            return Outcome(False, "not-equal")
        difference = sympy.simplify(x - y)
        if difference == 0:
            return Outcome(True, "symbolic-equal")
        if not difference.free_symbols:  # x + 10^{-30} and x: a constant apart, agreeing at probes
            return self._constants(difference, sympy.Integer(0), 0.0)
        # simplify could not prove it; exact agreement at every probe point is strong evidence.
        return Outcome(True, "numeric-close") if agree else Outcome(False, "not-equal")

    def _constants(self, x: sympy.Expr, y: sympy.Expr, rel_tol: float) -> Outcome:
        """Two numbers, compared exactly where their difference is rational, else in sympy's
        arbitrary-precision floats (a Python float would make every number above 1.8e308 equal,
        and integers above 2^53 inexact). An integer on either side must be matched exactly;
        otherwise within ``rel_tol`` (0 unless a side is a decimal, see ``tolerance``)."""
        exact = x - y
        diff = exact if exact.is_Rational else sympy.N(exact, 50)
        if not diff.is_number or diff.has(sympy.nan, sympy.zoo):
            return Outcome(False, "not-equal")
        scale = sympy.Max(1, sympy.Abs(sympy.N(x, 50)), sympy.Abs(sympy.N(y, 50)))
        if diff == 0:
            return Outcome(True, "symbolic-equal")
        tiny = bool(sympy.Abs(diff) <= sympy.Rational(1, 10**40) * scale)
        if tiny and not exact.is_Rational and _proved_zero(exact):
            # equal to 40 digits and provably: log(8)/log(2) and 3. Digits alone are not enough
            # (pi + 10^{-50}\sqrt{2}), nor is an exact nonzero difference ever rounded away.
            return Outcome(True, "symbolic-equal")
        relative = sympy.Max(sympy.Abs(sympy.N(x, 50)), sympy.Abs(sympy.N(y, 50)))
        if not (x.is_Integer or y.is_Integer) and bool(sympy.Abs(diff) <= rel_tol * relative):
            return Outcome(True, "numeric-close")
        return Outcome(False, "not-equal")

    def _agree_at_probes(self, x: sympy.Expr, y: sympy.Expr) -> bool | None:
        """Evaluate x - y at fixed rational points with 50 digits: a quick, sound "not equal".

        None when no point could be evaluated (e.g. an undefined function ``f(x)``).

        Agreement to 1e-25 (not ``rel_tol``) is required: ``(x+1)^40`` and ``(x+1)^40 + 1`` agree
        to 1e-19 relative, and must still differ.
        """
        symbols = sorted(x.free_symbols | y.free_symbols, key=str)
        tested = 0
        for probe in _PROBES:
            point = {
                s: probe[k % len(probe)] + sympy.Rational(k // len(probe), 10)
                for k, s in enumerate(symbols)
            }
            diff = (x - y).evalf(50, subs=point)
            value = x.evalf(50, subs=point)
            if not (diff.is_number and value.is_number) or diff.has(sympy.nan, sympy.zoo):
                continue  # outside the domain, or not a number (an undefined function)
            if diff.has(sympy.oo, -sympy.oo) or value.has(sympy.oo, -sympy.oo):
                continue
            tested += 1
            # sympy floats, not Python ones: 10^400 x must not overflow into "inf == inf".
            if bool(sympy.Abs(diff) > sympy.Rational(1, 10**25) * sympy.Max(1, sympy.Abs(value))):
                return False
        return True if tested else None

    def proportional(self, a: str, b: str) -> Outcome:
        parsed = _parse_pair(a, b)
        if isinstance(parsed, Outcome):
            return parsed
        x, y = parsed
        if x == y or sympy.expand(x - y) == 0 or sympy.expand(x + y) == 0:
            return Outcome(True, "symbolic-equal")
        if y == 0:
            return Outcome(False, "not-equal")
        ratio = sympy.simplify(x / y)
        if ratio.free_symbols or ratio == 0 or _has_infinity(ratio) or ratio.has(sympy.nan):
            return Outcome(False, "not-equal")
        return Outcome(True, "symbolic-equal")

    def positive_multiple(self, a: str, b: str) -> Outcome:
        parsed = _parse_pair(a, b)
        if isinstance(parsed, Outcome):
            return parsed
        x, y = parsed
        if x == y or sympy.expand(x - y) == 0:
            return Outcome(True, "symbolic-equal")
        if y == 0:
            return Outcome(False, "not-equal")
        ratio = sympy.simplify(x / y)
        if ratio.free_symbols or _has_infinity(ratio) or ratio.has(sympy.nan):
            return Outcome(False, "not-equal")
        if ratio.is_positive:
            return Outcome(True, "symbolic-equal")
        return Outcome(False, "not-equal")

    def linear_root(self, text: str) -> tuple[str, str, int] | None:
        calls = set(_CALL_RE.findall(text))
        if len(calls) == 1:  # "-f(x) <= 3": f(x) is the variable (sympy would read f*x)
            (call,) = calls
            text = text.replace(call, _CALL_SYMBOL)
        try:
            expr = sympy.expand(to_sympy(text))
        except Exception:
            return None
        if len(expr.free_symbols) != 1:
            return None
        (variable,) = expr.free_symbols
        slope = expr.diff(variable)
        if slope.free_symbols or not slope.is_real or slope == 0:
            return None
        root = sympy.simplify(-expr.subs(variable, 0) / slope)
        if root.free_symbols or not root.is_real:
            return None
        name = str(variable).replace(_CALL_SYMBOL, call) if len(calls) == 1 else str(variable)
        return name, str(root), 1 if slope > 0 else -1


def _parse_pair(a: str, b: str) -> tuple[sympy.Expr, sympy.Expr] | Outcome:
    """Both texts as sympy expressions, or the Outcome that says why not."""
    try:
        return to_sympy(a), to_sympy(b)
    except TooComplex:
        return Outcome(False, "too-complex")
    except Exception:
        return Outcome(False, "parse-error")


def _proved_zero(expr: sympy.Expr) -> bool:
    """Is a constant expression that evaluates to about 0 provably 0 (not just small)?"""
    if sympy.simplify(expr) == 0:
        return True
    return bool(expr.equals(0))  # minimal polynomials for algebraic numbers; None when unsure


def _has_infinity(expr: sympy.Basic) -> bool:
    return expr.has(sympy.oo, -sympy.oo, sympy.zoo)
