#!/usr/bin/env python3
"""Second held-out evaluation corpus for the math answer verifier ("heldout2").

Each row is ``{"completion", "reference", "expected", "source": "heldout2", "tag"}``: would a
careful human grader say that ``completion`` states the same final answer as ``reference``?

Provenance and independence
---------------------------
This file was written without reading the verifier's code, its tests, or the project's other
corpora (``math_corpus.py``, ``math_heldout.py``), and without borrowing from other projects'
verifier test suites.  Templates come from the author's own knowledge of how people and language
models (GPT-4 / Claude style markdown, Qwen and Llama boxed answers, DeepSeek-R1 ``<think>``
blocks, Minerva "Final Answer: ..." lines, GSM8K ``#### N`` solutions, small models that ramble)
write mathematical answers.  The corpus is meant to measure the verifier on data its code was not
written against.

Labels come from construction only; no grader is ever run.
* A positive writes the true answer in an equivalent form.  For forms of numbers and expressions
  the builder checks the equivalence itself with a tiny LaTeX-subset evaluator (exact fractions,
  or numeric evaluation at fixed sample points for expressions with letters); forms that fail the
  check are dropped.
* A negative either states a deliberately perturbed value (one number changed by +-1, x10 or a
  sign, two unequal tuple entries swapped, an interval bracket or endpoint changed, another
  choice letter or another word); every perturbation is checked to really change the value and
  doubtful ones are skipped -- or it is an output that must not earn a reward (hedges, negations,
  truncation, an unreadable reference, ...).

Answer pool: the ``answer`` field of MATH-500 and the final ``#### N`` number of GSM8K (the test
split and the first 2,500 train rows), read from ``--data``: a folder holding
``math500_test.jsonl``, ``gsm8k_test.jsonl`` and ``gsm8k_train.jsonl``.  The reference of a row is
the dataset answer exactly as given, except in the ``reference_forms`` class.

Classes (``tag``)
-----------------
several_boxes    answers split over several boxes; boxed intermediate results; an early box
                 overruled by a later final statement (the LAST final statement decides).
chain            ``expr = value`` chains, ``\\approx``, ``\\Rightarrow`` steps, worked arithmetic;
                 negatives change the final value or leave an equation whose right side is the
                 reference still to be solved.
labelled         ``x = ...``, ``(a,b) = ...``, ``AB = ...``, ``P(E) = ...``, ``f(x) = ...``,
                 ``S_{10} = ...``, ``a = 1, b = 2`` for an ordered pair, ratios ``m:n = 3:4``.
math_span        no box and no answer phrase: the answer is the last ``$..$``, ``\\(..\\)``,
                 ``\\[..\\]`` or ``$$..$$`` of the prose, possibly followed by words.
multilingual     13 languages / scripts with their own answer phrases and decimal commas.
number_format    thousands separators of many kinds, currency, trailing zeros, percent,
                 scientific notation, decimal commas; ``(3,100)`` is a pair, not 3100.
escaped          JSON-escaped LaTeX (doubled backslashes), whole JSON-escaped outputs, JSON objects.
notation         semicolon tuples, choice letters written many ways, intervals vs inequalities
                 (also multiplied by a positive or negative factor), equations up to a factor,
                 sets vs lists, ``\\left(``, ``\\dfrac``/``\\frac``/``a/b``, ``\\sqrt`` forms,
                 degrees, units, bases, words, matrices.
traps            all negative: digits inside words, letter-bearing equations against an expression
                 reference, hedges between candidates, "the answer is not X", restating the
                 question, empty/truncated outputs, unclosed boxes, unreadable references.
whole_output     long chain-of-thought outputs: markdown, self-corrections, ``<think>`` blocks,
                 verification paragraphs after the answer, "**Final Answer**", Minerva and GSM8K
                 endings; built on synthetic reasoning and on the datasets' own solutions.
reference_forms  the completion is a plain or boxed answer; the reference is written in another
                 author's style (``$..$``, ``\\boxed{}``, ``\\dfrac``, spacing, a full solution
                 ending in ``\\boxed{}``, a GSM8K ``#### N`` solution).

Conventions the labels follow (a grader may disagree with some; they are listed so that a
disagreement can be found by tag and read):
* the last final statement decides; a hedge between two values, or two different boxed values with
  no final choice, earns nothing; an unclosed box, a truncated or empty output, or an unreadable
  reference earns nothing;
* a number keeps its value through thousands separators (``,`` ``{,}`` ``\\,`` ``\\ `` thin and
  no-break spaces, plain spaces, ``'``), trailing zeros, currency signs, a unit word, a degree
  sign, scientific notation and a decimal comma with other than three digits after it;
  ``(3,100)`` is a pair, not 3100; ``25%`` equals a reference of 25 only for "what percent"
  questions;
* an answer may carry a label (``x = ..``, ``f(x) = ..``, ``(a, b) = ..``, ``a = 1, b = 2``) or a
  ratio ``p:q`` for the fraction p/q; an equation still to solve (``3x + 5 = 42``) or an
  expression set equal to something (``15x - 80 = 0``) is not the answer;
* an interval equals the inequality that describes it, also after multiplying through by a
  positive or (turning it around) a negative factor; a linear equation equals its multiples;
  a list of roots is unordered; ``\\approx`` after the exact value does not change the answer.

Rows: 150 per class (75 positive, 75 negative), 120 for ``traps`` (all negative): 1,620 in all.

Usage::

    python benchmarks/math_heldout2.py --data /work/shared/data --out /tmp/heldout2.jsonl --seed 3

The output is deterministic for a given seed.  Standard library only.
"""

from __future__ import annotations

import argparse
import cmath
import collections
import itertools
import json
import math
import random
import re
import sys
from fractions import Fraction
from pathlib import Path

SOURCE = "heldout2"
TAGS = (
    "several_boxes",
    "chain",
    "labelled",
    "math_span",
    "multilingual",
    "number_format",
    "escaped",
    "notation",
    "traps",
    "whole_output",
    "reference_forms",
)

# --------------------------------------------------------------------------------------------
# A tiny evaluator for the LaTeX subset used by the answers.  It is only used to check that the
# forms this script writes are (or are not) equal to the reference; it never labels a row.
# --------------------------------------------------------------------------------------------


class _EvalError(Exception):
    pass


_FUNCS = {
    "sin": cmath.sin,
    "cos": cmath.cos,
    "tan": cmath.tan,
    "cot": lambda z: 1 / cmath.tan(z),
}
_TOKEN_RE = re.compile(r"\s+|(\d+\.?\d*|\.\d+)|\\([A-Za-z]+)|([A-Za-z])|(\S)")


def _tokens(s: str) -> list[tuple[str, str]]:
    s = s.replace("\\left", "").replace("\\right", "")
    for junk in ("\\!", "\\,", "\\;", "\\ "):
        s = s.replace(junk, " ")
    s = s.replace("\\cdot", "*").replace("\\times", "*").replace("×", "*").replace("\\div", "/")
    s = s.replace("\u2212", "-").replace("π", "\\pi ").replace("\\dfrac", "\\frac")
    s = s.replace("\\tfrac", "\\frac")
    s = re.sub(r"√(\d+)", r"\\sqrt{\1}", s).replace("√", "\\sqrt")
    s = re.sub(r"(?<![\\A-Za-z])sqrt", r"\\sqrt", s)
    out = []
    for m in _TOKEN_RE.finditer(s):
        if m.group(1):
            out.append(("n", m.group(1)))
        elif m.group(2):
            out.append(("c", m.group(2)))
        elif m.group(3):
            out.append(("v", m.group(3)))
        elif m.group(4):
            out.append(("p", m.group(4)))
    return out


class _Parser:
    _STARTS = ("frac", "sqrt", "pi", *_FUNCS)

    def __init__(self, toks: list[tuple[str, str]], env: dict[str, complex]):
        self.t = toks
        self.k = 0
        self.env = env

    def peek(self) -> tuple[str, str]:
        return self.t[self.k] if self.k < len(self.t) else ("e", "")

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        self.k += 1
        return tok

    def expect(self, ch: str) -> None:
        if self.take() != ("p", ch):
            raise _EvalError(ch)

    def expr(self) -> complex:
        v = self.term()
        while self.peek() in (("p", "+"), ("p", "-")):
            op = self.take()[1]
            w = self.term()
            v = v + w if op == "+" else v - w
        return v

    def starts_factor(self) -> bool:
        kind, val = self.peek()
        if kind in ("n", "v"):
            return True
        if kind == "c":
            return val in self._STARTS
        return kind == "p" and val in "({"

    def term(self) -> complex:
        v = self.unary()
        while True:
            kind, val = self.peek()
            if kind == "p" and val in "*/":
                self.take()
                w = self.unary()
                v = v * w if val == "*" else v / w
            elif self.starts_factor():
                v = v * self.power()
            else:
                return v

    def unary(self) -> complex:
        if self.peek() == ("p", "-"):
            self.take()
            return -self.unary()
        if self.peek() == ("p", "+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> complex:
        base = self.atom()
        if self.peek() == ("p", "^"):
            self.take()
            return base ** self.arg()
        return base

    def arg(self) -> complex:
        kind, val = self.peek()
        if kind == "n" and len(val) > 1 and "." not in val:
            self.t[self.k] = ("n", val[1:])
            return complex(int(val[0]))
        if kind == "p" and val == "-":
            self.take()
            return -self.arg()
        return self.atom()

    def atom(self) -> complex:
        kind, val = self.take()
        if kind == "n":
            return complex(float(Fraction(val)))
        if kind == "v":
            if val in self.env:
                return self.env[val]
            if val == "i":
                return 1j
            raise _EvalError(val)
        if kind == "p" and val in "({":
            v = self.expr()
            self.expect(")" if val == "(" else "}")
            return v
        if kind == "c":
            if val == "frac":
                a = self.arg()
                b = self.arg()
                return a / b
            if val == "sqrt":
                return cmath.sqrt(self.arg())
            if val == "pi":
                return complex(math.pi)
            if val in _FUNCS:
                return _FUNCS[val](self.power())
        raise _EvalError(f"{kind}:{val}")


def _letters(s: str) -> list[str]:
    return sorted({v for kind, v in _tokens(s) if kind == "v" and v != "i"})


def ev(s: str, env: dict[str, complex] | None = None) -> complex | None:
    """Value of a LaTeX-subset expression, or None when it is outside the subset."""
    try:
        p = _Parser(_tokens(s), dict(env or {}))
        v = p.expr()
        if p.k != len(p.t):
            return None
        return complex(v)
    except (_EvalError, ZeroDivisionError, OverflowError, ValueError, TypeError):
        return None


_POINTS = (0.731, 1.917, -0.412, 2.283)


def _close(x: complex, y: complex) -> bool:
    return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))


def same_value(a: str, b: str) -> bool | None:
    """True/False when both sides evaluate at the sample points, None when unknown."""
    names = sorted(set(_letters(a)) | set(_letters(b)))
    for k, x in enumerate(_POINTS[: 3 if names else 1]):
        env = {n: complex(x + 0.173 * j, 0.0) for j, n in enumerate(names)}
        if k:
            env = {n: complex(x + 0.291 * j, 0.0) for j, n in enumerate(names)}
        va, vb = ev(a, env), ev(b, env)
        if va is None or vb is None:
            return None
        if not _close(va, vb):
            return False
    return True


# --------------------------------------------------------------------------------------------
# Small string helpers
# --------------------------------------------------------------------------------------------


def _uniq(xs):
    out = []
    for x in xs:
        if x is not None and x not in out:
            out.append(x)
    return out


def squeeze(s: str) -> str:
    """Drop whitespace except between two letters (``\\cot x`` keeps its space)."""
    s = re.sub(r"(?<=[A-Za-z])\s+(?=[A-Za-z])", "\x00", s)
    return re.sub(r"\s+", "", s).replace("\x00", " ")


def spaced(s: str) -> str:
    s = squeeze(s)
    return re.sub(r"(?<=[\w}])([+-]|\\pm)(?=[\w\\({])", r" \1 ", s)


def split_top(s: str, sep: str = ",") -> list[str]:
    parts, depth, cur, k = [], 0, "", 0
    while k < len(s):
        if s.startswith("\\left", k) or s.startswith("\\right", k):
            n = 5 if s.startswith("\\left", k) else 6
            cur += s[k : k + n + 1]
            depth += 1 if n == 5 else -1
            k += n + 1
            continue
        ch = s[k]
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
        k += 1
    parts.append(cur)
    return [p.strip() for p in parts]


def split_terms(s: str) -> list[tuple[str, str]]:
    """Top-level signed terms of a sum: ``[('+', '6'), ('-', '5i')]``."""
    s = s.strip()
    terms, depth, cur, sign = [], 0, "", "+"
    k = 0
    if s.startswith("-"):
        sign, k = "-", 1
    elif s.startswith("+"):
        k = 1
    while k < len(s):
        ch = s[k]
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        prev = cur.rstrip()[-1:] if cur.strip() else ""
        if ch in "+-" and depth == 0 and prev and prev not in "^_*/=(" and not cur.endswith("\\"):
            terms.append((sign, cur.strip()))
            sign, cur = ch, ""
        else:
            cur += ch
        k += 1
    terms.append((sign, cur.strip()))
    return [t for t in terms if t[1]]


def join_terms(terms: list[tuple[str, str]], tight: bool = False) -> str:
    out = ""
    for i, (sg, t) in enumerate(terms):
        if i == 0:
            out = ("-" if sg == "-" else "") + t
        else:
            out += (sg if tight else f" {sg} ") + t
    return out


def find_boxes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of every closed ``\\boxed{..}`` in text."""
    out = []
    for m in re.finditer(r"\\boxed\s*\{", text):
        depth, k = 1, m.end()
        while k < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            k += 1
        if depth == 0:
            out.append((m.start(), k, text[m.end() : k - 1]))
    return out


def dec_str(v: Fraction, max_places: int = 8) -> str | None:
    """Exact decimal string of a terminating fraction, None otherwise."""
    q = v.denominator
    places = 0
    while q % 10 == 0 or q % 2 == 0 or q % 5 == 0:
        if q == 1:
            break
        if q % 10 == 0:
            q //= 10
        elif q % 2 == 0:
            q //= 2
        else:
            q //= 5
        places += 1
    if q != 1:
        return None
    for p in range(0, max_places + 1):
        scaled = v * 10**p
        if scaled.denominator == 1:
            n = abs(scaled.numerator)
            sign = "-" if v < 0 else ""
            if p == 0:
                return sign + str(n)
            digits = str(n).rjust(p + 1, "0")
            return sign + digits[:-p] + "." + digits[-p:]
    return None


def frac_tex(v: Fraction, cmd: str = "\\frac") -> str:
    if v.denominator == 1:
        return str(v.numerator)
    sign = "-" if v < 0 else ""
    return f"{sign}{cmd}{{{abs(v.numerator)}}}{{{v.denominator}}}"


def group_digits(n: int, sep: str) -> str:
    s = str(abs(n))
    parts = []
    while len(s) > 3:
        parts.insert(0, s[-3:])
        s = s[:-3]
    parts.insert(0, s)
    return ("-" if n < 0 else "") + sep.join(parts)


# --------------------------------------------------------------------------------------------
# Answers: the reference, equivalent forms (checked) and perturbed forms (checked)
# --------------------------------------------------------------------------------------------


class Ans:
    def __init__(self, ref: str, kind: str, origin: str, problem: str = "", solution: str = ""):
        self.ref = ref
        self.kind = kind
        self.origin = origin
        self.problem = problem
        self.solution = solution
        self.tex: list[str] = []  # equivalent LaTeX forms (usable in \boxed{} and $..$)
        self.plain: list[str] = []  # equivalent forms for prose outside math mode
        self.bad: list[str] = []  # perturbed LaTeX forms
        self.bad_plain: list[str] = []
        self.num: Fraction | None = None  # exact rational value when there is one
        self.items: list[Ans] = []  # tuple / list / set items
        self.extra: dict[str, list] = {}

    def good(self, rng: random.Random) -> str:
        return rng.choice(self.tex)

    def wrong(self, rng: random.Random) -> str:
        return rng.choice(self.bad)

    def say(self, rng: random.Random, ok: bool) -> str:
        """A form for prose: plain when there is one, else inline math."""
        plain = self.plain if ok else self.bad_plain
        if plain and rng.random() < 0.6:
            return rng.choice(plain)
        return "$" + (self.good(rng) if ok else self.wrong(rng)) + "$"

    def form(self, rng: random.Random, ok: bool) -> str:
        return self.good(rng) if ok else self.wrong(rng)

    def usable(self) -> bool:
        return bool(self.tex) and bool(self.bad)


def _parse_int(s: str) -> int | None:
    s2 = re.sub(r",\\!\s*", ",", s.strip())
    if re.fullmatch(r"-?\d+", s2):
        return int(s2)
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+", s2):
        return int(s2.replace(",", ""))
    return None


def parse_rational(s: str) -> Fraction | None:
    s = s.strip().replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    n = _parse_int(s)
    if n is not None:
        return Fraction(n)
    if re.fullmatch(r"-?\d*\.\d+", s):
        return Fraction(s)
    m = re.fullmatch(r"(-?)\\frac\s*(\{\d+\}|\d)\s*(\{\d+\}|\d)", s)
    if m:
        v = Fraction(int(m[2].strip("{}")), int(m[3].strip("{}")))
        return -v if m[1] else v
    m = re.fullmatch(r"(-?\d+)\s*/\s*(\d+)", s)
    if m:
        return Fraction(int(m[1]), int(m[2]))
    m = re.fullmatch(r"(\d+)\s*\\frac\{(\d+)\}\{(\d+)\}", s)
    if m:
        return int(m[1]) + Fraction(int(m[2]), int(m[3]))
    return None


def _rational_style(ref: str) -> str:
    r = ref.strip()
    if _parse_int(r) is not None:
        return "int"
    if re.fullmatch(r"-?\d*\.\d+", r):
        return "dec"
    if re.fullmatch(r"\d+\s*\\frac.*", r):
        return "mixed"
    if "/" in r and "\\frac" not in r:
        return "slash"
    return "frac"


def render_rational(v: Fraction, style: str, rng: random.Random | None = None) -> str:
    if v.denominator == 1:
        return str(v.numerator)
    if style == "dec":
        d = dec_str(v)
        if d is not None:
            return d
    if style == "slash":
        return f"{v.numerator}/{v.denominator}"
    return frac_tex(v)


def build_rational(a: Ans, v: Fraction) -> None:
    a.num = v
    style = _rational_style(a.ref)
    tex = [a.ref]
    plain = []
    if v.denominator == 1:
        tex.append(str(v.numerator))
        plain.append(str(v.numerator))
    else:
        d = dec_str(v, 10)
        p, q = v.numerator, v.denominator
        tex += [frac_tex(v), frac_tex(v, "\\dfrac"), f"{p}/{q}"]
        plain.append(f"{p}/{q}")
        if v < 0:
            tex.append(f"\\frac{{{p}}}{{{q}}}")
            tex.append(f"-\\frac{{{-p}}}{{{q}}}")
        if d is not None and (style == "dec" or len(d) <= 6):
            tex.append(d)
            plain.append(d)
        if style == "mixed":
            whole = p // q
            rest = v - whole
            tex.append(f"{whole}\\frac{{{rest.numerator}}}{{{rest.denominator}}}")
            plain.append(f"{whole} {rest.numerator}/{rest.denominator}")
    a.tex = _uniq(t for t in tex if parse_rational(t) == v or _mixed_ok(t, v))
    a.plain = _uniq(plain)
    bad = [v + 1, v - 1, v * 10]
    if v != 0:
        bad.append(-v)
    if v.denominator != 1:
        p, q = v.numerator, v.denominator
        bad += [Fraction(p + 1, q), Fraction(p, q + 1)]
        if abs(p) != q and p != 0:
            bad.append(Fraction(q, p))
    else:
        bad += [v + 2, v - 10 if abs(v) > 20 else v + 3]
    bad = [b for b in _uniq(bad) if b != v]
    a.bad = _uniq(render_rational(b, style) for b in bad)
    a.bad_plain = _uniq(render_rational(b, "dec" if style == "dec" else "slash") for b in bad)
    a.bad = [b for b in a.bad if parse_rational(b) is not None and parse_rational(b) != v]


def _mixed_ok(t: str, v: Fraction) -> bool:
    return parse_rational(t) == v


def _tex_variants(ref: str) -> list[str]:
    out = [ref, squeeze(ref), spaced(ref)]
    if "\\frac" in ref:
        out.append(ref.replace("\\frac", "\\dfrac"))
    if "\\dfrac" in ref:
        out.append(ref.replace("\\dfrac", "\\frac"))
    braced = re.sub(r"\\sqrt\s*(\d)(?!\d)", r"\\sqrt{\1}", ref)
    braced = re.sub(r"\\frac\s*(\d)\s*(\d)", r"\\frac{\1}{\2}", braced)
    out.append(braced)
    out.append(re.sub(r"\\sqrt\{(\d)\}", r"\\sqrt\1", ref))
    out.append(re.sub(r"\^(\d)", r"^{\1}", ref))
    out.append(re.sub(r"\\left|\\right", "", ref))
    terms = split_terms(ref)
    if 1 < len(terms) <= 6:
        for r in range(1, len(terms)):
            rot = terms[r:] + terms[:r]
            out.append(join_terms(rot))
            out.append(join_terms(rot, tight=True))
    m = re.fullmatch(r"(-?)(\d*)\s*\\sqrt\s*\{?(\d+)\}?", ref.strip())
    if m:
        sign, c, n = m[1], m[2], m[3]
        out += [f"{sign}{c}\\sqrt{{{n}}}"]
        if c:
            out += [
                f"{sign}{c} \\sqrt{{{n}}}",
                f"{sign}{c}\\cdot\\sqrt{{{n}}}",
                f"{sign}\\sqrt{{{int(c) ** 2 * int(n)}}}",
            ]
    m = re.fullmatch(r"(-?)\\frac\{(\d*)\s*\\sqrt\{(\d+)\}\}\{(\d+)\}", ref.strip())
    if m:
        sign, c, n, d = m.groups()
        out += [
            f"{sign}\\frac{{{c or 1}}}{{{d}}}\\sqrt{{{n}}}",
            f"{sign}{c}\\sqrt{{{n}}}/{d}",
        ]
        if not c and int(n) == int(d):
            out.append(f"{sign}\\frac{{1}}{{\\sqrt{{{n}}}}}")
    m = re.fullmatch(r"(-?)(\d*)\s*\\pi", ref.strip())
    if m and m[2]:
        out += [f"{m[1]}{m[2]} \\pi", f"{m[1]}{m[2]}\\cdot\\pi"]
    m = re.fullmatch(r"(-?)\\frac\{\\pi\}\{(\d+)\}", ref.strip())
    if m:
        out += [
            f"{m[1]}\\pi/{m[2]}",
            f"\\frac{{{m[1]}\\pi}}{{{m[2]}}}",
            f"{m[1]}\\frac{{1}}{{{m[2]}}}\\pi",
        ]
    m = re.fullmatch(r"\\frac\{(\d+)\}\{\\pi\}", ref.strip())
    if m:
        out += [f"{m[1]}/\\pi"]
    m = re.fullmatch(r"^(\([^()]*\))(\([^()]*\))$", ref.strip())
    if m:
        out += [m[2] + m[1]]
        flipped = [join_terms(split_terms(g[1:-1])[::-1]) for g in (m[1], m[2])]
        out += ["(" + flipped[0] + ")(" + flipped[1] + ")"]
    if ref.strip() == "\\cot x":
        out += ["\\cot(x)", "\\frac{\\cos x}{\\sin x}", "\\frac{1}{\\tan x}"]
    m = re.fullmatch(r"\\frac\{([^{}]+)\}\{(\d+)\}", ref.strip())
    if m and len(split_terms(m[1])) > 1:
        out += [f"\\frac{{{join_terms(split_terms(m[1])[::-1])}}}{{{m[2]}}}", f"({m[1]})/{m[2]}"]
    return _uniq(out)


def _to_plain(tex: str) -> str | None:
    s = tex
    s = re.sub(r"\\d?frac\{([^{}]+)\}\{([^{}]+)\}", lambda m: _slash(m[1], m[2]), s)
    s = re.sub(r"\\sqrt\{(\d+)\}", r"√\1", s)
    s = re.sub(r"\\sqrt(\d)", r"√\1", s)
    s = s.replace("\\pi", "π").replace("\\cdot", "*")
    s = re.sub(r"(?<=\d)\s*π", "π", s)
    if "\\" in s or "{" in s or re.search(r"/\d+\s*[√π(a-z]", s):
        return None
    return s


def _slash(a: str, b: str) -> str:
    simple = re.compile(r"-?[\w.π]+|\\pi|\\sqrt\{\d+\}|\d*\\sqrt\{\d+\}")
    a2 = a if simple.fullmatch(a) else f"({a})"
    b2 = b if simple.fullmatch(b) else f"({b})"
    return f"{a2}/{b2}"


def _perturb_ints(s: str) -> list[str]:
    out = []
    for m in re.finditer(r"(?<![\d.^])(?<!\^\{)\d+(?![\d.])", s):
        n = int(m[0])
        for n2 in (n + 1, n - 1 if n > 2 else n + 2):
            cand = s[: m.start()] + str(n2) + s[m.end() :]
            if re.search(r"\\sqrt\{?[01](?!\d)|(?<![\d.])1(?=\\sqrt|\\pi|[a-zA-Z])", cand):
                continue
            out.append(cand)
    terms = split_terms(s)
    if len(terms) > 1:
        for i in range(len(terms)):
            t2 = list(terms)
            t2[i] = ("-" if t2[i][0] == "+" else "+", t2[i][1])
            out.append(join_terms(t2))
    out.append(s[1:] if s.startswith("-") else "-" + s if len(terms) == 1 else None)
    return _uniq(out)


def build_scalar(a: Ans) -> bool:
    """Numbers and expressions the evaluator understands (with or without letters)."""
    ref = a.ref.strip()
    if same_value(ref, ref) is not True:
        return False
    a.tex = [t for t in _tex_variants(ref) if same_value(t, ref) is True]
    plain = [_to_plain(t) for t in a.tex]
    a.plain = _uniq(p for p in plain if p and same_value(p, ref) is True)
    bad = ["\\tan x", "-\\cot x", "\\cot 2x"] if ref == "\\cot x" else _perturb_ints(ref)
    a.bad = [b for b in _uniq(bad) if same_value(b, ref) is False]
    a.bad_plain = _uniq(
        p for p in (_to_plain(b) for b in a.bad) if p and same_value(p, ref) is False
    )
    a.kind = (
        "expr" if _letters(ref) else ("complex" if "i" in ref and "\\pi" not in ref else "surd")
    )
    return a.usable()


def scalar(ref: str, origin: str = "item") -> Ans | None:
    a = Ans(ref, "scalar", origin)
    v = parse_rational(ref)
    if v is not None:
        build_rational(a, v)
        a.kind = "int" if v.denominator == 1 else "rational"
        return a if a.usable() else None
    return a if build_scalar(a) else None


def item_equal(x: str, y: str) -> bool:
    vx, vy = parse_rational(x), parse_rational(y)
    if vx is not None and vy is not None:
        return vx == vy
    return same_value(x, y) is True


def items_equal(xs: list[str], ys: list[str], ordered: bool) -> bool:
    if len(xs) != len(ys):
        return False
    if ordered:
        return all(item_equal(x, y) for x, y in zip(xs, ys))
    left = list(ys)
    for x in xs:
        hit = next((k for k, y in enumerate(left) if item_equal(x, y)), None)
        if hit is None:
            return False
        left.pop(hit)
    return True


def build_tuple(a: Ans, inner: str, rng: random.Random) -> bool:
    parts = split_top(inner)
    items = [scalar(p) for p in parts]
    if len(parts) < 2 or any(i is None for i in items):
        return False
    a.items = items
    a.kind = "tuple"
    tex, plain, semi = [a.ref], [], []
    for _ in range(10):
        chosen = [i.good(rng) for i in items]
        sep = rng.choice([", ", ",", ", "])
        body = sep.join(chosen)
        tex.append("(" + body + ")")
        tex.append("\\left(" + body + "\\right)")
        semi.append("(" + "; ".join(chosen) + ")")
        pl = [_to_plain(c) for c in chosen]
        if all(pl):
            plain.append("(" + ", ".join(pl) + ")")
    a.tex = _uniq(t for t in tex if t.count("(") == t.count(")"))
    a.plain = _uniq(plain)
    a.extra["semi"] = _uniq(semi)
    bad, bad_semi = [], []
    n = len(items)
    for _ in range(12):
        chosen = [i.ref for i in items]
        mode = rng.randrange(3)
        if mode == 0:
            i, j = rng.sample(range(n), 2)
            if item_equal(chosen[i], chosen[j]):
                continue
            chosen[i], chosen[j] = chosen[j], chosen[i]
        elif mode == 1:
            k = rng.randrange(n)
            chosen[k] = items[k].wrong(rng)
        else:
            chosen = chosen[:-1]
            if len(chosen) < 2:
                continue
        if items_equal(chosen, [i.ref for i in items], ordered=True):
            continue
        bad.append("(" + ", ".join(chosen) + ")")
        bad_semi.append("(" + "; ".join(chosen) + ")")
    a.bad = _uniq(bad)
    a.bad_plain = _uniq(p for p in (_to_plain(b) for b in a.bad) if p)
    a.extra["semi_bad"] = _uniq(bad_semi)
    a.extra["split"] = [[i.good(rng) for i in items] for _ in range(4)]
    return a.usable()


def _expand_pm(s: str) -> list[str] | None:
    if "\\pm" not in s:
        return [s]
    left, right = s.split("\\pm", 1)
    left, right = left.strip(), right.strip()
    return [f"{left}+{right}" if left else right, f"{left}-{right}" if left else "-" + right]


def build_list(a: Ans, rng: random.Random) -> bool:
    ref = a.ref.strip()
    is_set = ref.startswith("\\{")
    body = ref[2:-2] if is_set else ref
    raw = split_top(body)
    items: list[str] = []
    for r in raw:
        ex = _expand_pm(r)
        if ex is None:
            return False
        items += ex
    subs = [scalar(i) for i in items]
    if any(s is None for s in subs) or len(items) < 2:
        return False
    a.items = subs
    a.kind = "pm" if ("\\pm" in ref and not is_set) else "list"
    tex, plain, sets, prose = [ref], [], [], []
    for _ in range(10):
        order = list(range(len(subs)))
        rng.shuffle(order)
        chosen = [subs[k].good(rng) for k in order]
        sep = rng.choice([", ", ","])
        tex.append(sep.join(chosen))
        sets.append("\\{" + ", ".join(chosen) + "\\}")
        pl = [_to_plain(c) for c in chosen]
        if all(pl):
            plain.append(", ".join(pl))
            prose.append(", ".join(pl[:-1]) + (", and " if len(pl) > 2 else " and ") + pl[-1])
    if "\\pm" in ref:
        tex += [spaced(ref), squeeze(ref)]
        if not is_set:
            sets.append(ref)
    a.tex = _uniq(tex)
    a.plain = _uniq(plain)
    a.extra["set"] = _uniq(sets)
    a.extra["prose"] = _uniq(prose)
    a.extra["split"] = [[s.good(rng) for s in subs] for _ in range(4)]
    bad = []
    for _ in range(12):
        chosen = [s.ref for s in subs]
        if rng.random() < 0.55:
            k = rng.randrange(len(chosen))
            chosen[k] = subs[k].wrong(rng)
        else:
            chosen.pop(rng.randrange(len(chosen)))
        if items_equal(chosen, [s.ref for s in subs], ordered=False):
            continue
        bad.append(", ".join(chosen))
    if a.kind == "pm":
        left, right = ref.split("\\pm", 1)
        for alt in _perturb_ints(left.strip()) + _perturb_ints(right.strip()):
            cand = alt + " \\pm " + right.strip() if alt in _perturb_ints(left.strip()) else None
            if cand:
                bad.append(cand)
        for alt in _perturb_ints(right.strip())[:3]:
            bad.append(left.strip() + " \\pm " + alt)
    ok_bad = []
    for b in _uniq(bad):
        its = []
        for part in split_top(b):
            its += _expand_pm(part) or []
        if not items_equal(its, items, ordered=False):
            ok_bad.append(b)
    a.bad = ok_bad
    a.bad_plain = _uniq(p for p in (_to_plain(b) for b in a.bad) if p)
    return a.usable()


_BRACKETS = {"(": ")", "[": "]"}


def _parse_intervals(s: str) -> list[tuple[str, str, str, str]] | None:
    s = re.sub(r"\\left|\\right", "", s).strip()
    s = re.sub(r"^[a-z]\s*\\in\s*", "", s)
    out = []
    for part in s.split("\\cup"):
        part = part.strip()
        if len(part) < 5 or part[0] not in "([" or part[-1] not in ")]":
            return None
        ends = split_top(part[1:-1])
        if len(ends) != 2:
            return None
        out.append((part[0], ends[0], ends[1], part[-1]))
    return out


def _endpoint_value(e: str) -> float | None:
    if "infty" in e:
        return -math.inf if e.strip().startswith("-") else math.inf
    v = ev(e)
    return None if v is None else v.real


def intervals_equal(x: list, y: list) -> bool:
    def norm(ivs):
        out = []
        for lb, lo, hi, rb in ivs:
            out.append((lb, _endpoint_value(lo), _endpoint_value(hi), rb))
        return sorted(out, key=lambda t: (t[1], t[2], t[0], t[3]))

    nx, ny = norm(x), norm(y)
    if len(nx) != len(ny):
        return False
    for a, b in zip(nx, ny):
        if a[0] != b[0] or a[3] != b[3]:
            return False
        for u, w in ((a[1], b[1]), (a[2], b[2])):
            if u is None or w is None:
                return False
            if math.isinf(u) or math.isinf(w):
                if u != w:
                    return False
            elif abs(u - w) > 1e-9:
                return False
    return True


def _render_intervals(ivs, rng, left_right: bool | None = None) -> str:
    parts = []
    lr = rng.random() < 0.3 if left_right is None else left_right
    for lb, lo, hi, rb in ivs:
        sep = rng.choice([", ", ","])
        if lr:
            parts.append(f"\\left{lb}{lo}{sep}{hi}\\right{rb}")
        else:
            parts.append(f"{lb}{lo}{sep}{hi}{rb}")
    return rng.choice([" \\cup ", "\\cup "]).join(parts)


_INEQ_VAR = {
    "(3,4]": "\\lambda",
    "\\left(\\frac{3}{5},\\frac{8}{3}\\right]": "p",
    "(5,\\infty)": "x",
    "(-\\sqrt{3}, \\sqrt{3})": "x",
    "x \\in [-2,7]": "x",
}


def _ineq_forms(ivs, var: str, rng: random.Random) -> list[str]:
    ((lb, lo, hi, rb),) = ivs
    lo_op = "<" if lb == "(" else rng.choice(["\\le", "\\leq"])
    hi_op = "<" if rb == ")" else rng.choice(["\\le", "\\leq"])
    flip = {"<": ">", "\\le": "\\ge", "\\leq": "\\geq"}
    vlo, vhi = parse_rational(lo), parse_rational(hi)
    if "infty" in hi:
        out = [f"{var} {flip[lo_op]} {lo}", f"{lo} {lo_op} {var}"]
        if vlo is not None and vlo.denominator == 1:
            out.append(f"2{var} {flip[lo_op]} {2 * vlo}")
            out.append(f"-{var} {lo_op} {-vlo}")
        return out
    if "infty" in lo:
        return [f"{var} {hi_op} {hi}", f"{hi} {flip[hi_op]} {var}"]
    out = [
        f"{lo} {lo_op} {var} {hi_op} {hi}",
        f"{lo}{lo_op} {var}{hi_op} {hi}",
    ]
    if vlo is not None and vhi is not None and vlo.denominator == vhi.denominator == 1:
        out.append(f"{2 * vlo} {lo_op} 2{var} {hi_op} {2 * vhi}")
        out.append(f"{-vhi} {hi_op} -{var} {lo_op} {-vlo}")
    return out


_REL = {"<": "<", ">": ">", "\\le": "<=", "\\leq": "<=", "\\ge": ">=", "\\geq": ">="}


def ineq_holds(form: str, var: str, x: float) -> bool | None:
    """Whether the inequality chain ``form`` holds at ``var = x`` (None if unreadable)."""
    parts = re.split(r"\s*(\\leq|\\geq|\\le|\\ge|<|>)\s*", form.strip())
    sides, ops = parts[0::2], parts[1::2]
    if not ops:
        return None
    vals = []
    for side in sides:
        side = side.replace(var, "(X)")
        v = ev(side, {"X": complex(x, 0)})
        if v is None:
            return None
        vals.append(v.real)
    for (u, w), op in zip(itertools.pairwise(vals), ops):
        ok = {"<": u < w, ">": u > w, "<=": u <= w, ">=": u >= w}[_REL[op]]
        if not ok:
            return False
    return True


def _in_intervals(ivs, x: float) -> bool:
    for lb, lo, hi, rb in ivs:
        vlo, vhi = _endpoint_value(lo), _endpoint_value(hi)
        left = x > vlo or (lb == "[" and x == vlo)
        right = x < vhi or (rb == "]" and x == vhi)
        if left and right:
            return True
    return False


def _ineq_agrees(form: str, var: str, ivs) -> bool | None:
    points = set()
    for _, lo, hi, _ in ivs:
        for e in (lo, hi):
            v = _endpoint_value(e)
            if v is not None and not math.isinf(v):
                points |= {v, v - 0.5, v + 0.5, v - 1e-3, v + 1e-3}
    points |= {-100.0, 0.0, 100.0}
    for x in sorted(points):
        got = ineq_holds(form, var, x)
        if got is None:
            return None
        if got != _in_intervals(ivs, x):
            return False
    return True


def build_interval(a: Ans, rng: random.Random) -> bool:
    ivs = _parse_intervals(a.ref)
    if not ivs:
        return False
    a.kind = "interval"
    tex = [a.ref]
    for _ in range(8):
        order = list(ivs)
        rng.shuffle(order)
        tex.append(_render_intervals(order, rng))
    if a.ref.startswith("x \\in"):
        tex.append("x \\in " + _render_intervals(ivs, rng, False))
    a.tex = _uniq(t for t in tex if intervals_equal(_parse_intervals(t) or [], ivs))
    a.plain = _uniq(t.replace("\\infty", "∞").replace("\\cup", "∪") for t in a.tex)
    a.plain = [t for t in a.plain if "\\" not in t]
    var = _INEQ_VAR.get(a.ref)
    if var and len(ivs) == 1:
        a.extra["ineq"] = _uniq(_ineq_forms(ivs, var, rng) + _ineq_forms(ivs, var, rng))
        lb, lo, hi, rb = ivs[0]
        bad_ineq = []
        le, lt = "\\le", "<"
        if "infty" in hi:
            bad_ineq += [
                f"{var} < {lo}",
                f"{var} {le if lb == '(' else '>'} {lo}".replace(le, "\\ge"),
            ]
        else:
            lo_same, hi_same = (lt if lb == "(" else le), (lt if rb == ")" else le)
            lo_flip, hi_flip = (le if lb == "(" else lt), (le if rb == ")" else lt)
            bad_ineq += [
                f"{lo} {lo_flip} {var} {hi_same} {hi}",
                f"{lo} {lo_same} {var} {hi_flip} {hi}",
            ]
        vlo, vhi = parse_rational(lo), parse_rational(hi)
        if vlo is not None and vlo.denominator == 1 and "infty" in hi:
            # multiplied by -1 without turning the inequality around
            ge = ">" if lb == "(" else "\\ge"
            bad_ineq.append(f"-{var} {ge} {-vlo}")
        ints = vlo is not None and vhi is not None and vlo.denominator == vhi.denominator == 1
        if ints and "infty" not in hi:
            bad_ineq.append(f"{-vlo} {lo_same} -{var} {hi_same} {-vhi}")
        a.extra["ineq"] = [f for f in a.extra["ineq"] if _ineq_agrees(f, var, ivs) is True]
        a.extra["ineq_bad"] = [f for f in bad_ineq if _ineq_agrees(f, var, ivs) is False]
    bad = []
    for _ in range(16):
        new = [list(t) for t in ivs]
        k = rng.randrange(len(new))
        mode = rng.randrange(3)
        lb, lo, hi, rb = new[k]
        if mode == 0:
            if "infty" not in lo and rng.random() < 0.5:
                new[k][0] = "[" if lb == "(" else "("
            elif "infty" not in hi:
                new[k][3] = "]" if rb == ")" else ")"
            else:
                continue
        else:
            idx = 1 if mode == 1 else 2
            e = new[k][idx]
            if "infty" in e:
                continue
            sub = scalar(e)
            if sub is None:
                continue
            new[k][idx] = sub.wrong(rng)
            vlo, vhi = _endpoint_value(new[k][1]), _endpoint_value(new[k][2])
            if vlo is None or vhi is None or not vlo < vhi:
                continue
        if len(ivs) > 1 and rng.random() < 0.2:
            new = [t for j, t in enumerate(new) if j != k] or new
        cand = [tuple(t) for t in new]
        if intervals_equal(cand, ivs):
            continue
        bad.append(_render_intervals(cand, rng, False))
    a.bad = _uniq(bad)
    a.bad_plain = _uniq(b.replace("\\infty", "∞").replace("\\cup", "∪") for b in a.bad)
    a.bad_plain = [b for b in a.bad_plain if "\\" not in b]
    return a.usable()


def _parse_matrix(s: str) -> tuple[str, list[list[str]]] | None:
    m = re.fullmatch(r"\\begin\{([pb]matrix)\}(.*)\\end\{\1\}", s.strip(), re.S)
    if not m:
        return None
    rows = [r.strip() for r in m[2].split("\\\\")]
    return m[1], [[c.strip() for c in r.split("&")] for r in rows]


def _render_matrix(env: str, grid: list[list[str]], tight: bool) -> str:
    sep_c, sep_r = (" & ", " \\\\ ") if not tight else ("&", "\\\\")
    body = sep_r.join(sep_c.join(r) for r in grid)
    return (
        f"\\begin{{{env}}}{' ' if not tight else ''}{body}{' ' if not tight else ''}\\end{{{env}}}"
    )


def build_matrix(a: Ans, rng: random.Random) -> bool:
    parsed = _parse_matrix(a.ref)
    if not parsed:
        return False
    env, grid = parsed
    cells = [[scalar(c) for c in row] for row in grid]
    if any(c is None for row in cells for c in row):
        return False
    a.kind = "matrix"
    flat = [c.ref for row in cells for c in row]
    tex = [a.ref]
    for _ in range(8):
        g = [[c.good(rng) for c in row] for row in cells]
        tex.append(
            _render_matrix(rng.choice(["pmatrix", "pmatrix", "bmatrix"]), g, rng.random() < 0.3)
        )
    a.tex = _uniq(tex)
    bad = []
    for _ in range(12):
        g = [[c.ref for c in row] for row in cells]
        r = rng.randrange(len(g))
        k = rng.randrange(len(g[r]))
        g[r][k] = cells[r][k].wrong(rng)
        new_flat = [x for row in g for x in row]
        if items_equal(new_flat, flat, ordered=True):
            continue
        bad.append(_render_matrix(env, g, False))
    a.bad = _uniq(bad)
    return a.usable()


_TEXT_WRONG = {
    "Evelyn": ["Briana", "Carla", "Debra", "Angela"],
    "Navin": ["Luka", "Ian"],
    "east": ["west", "north", "south"],
    "even": ["odd", "neither"],
    "ellipse": ["hyperbola", "parabola", "circle"],
}


def build_text(a: Ans, word: str) -> bool:
    if word not in _TEXT_WRONG:
        return False
    a.kind = "text"
    a.tex = [a.ref, f"\\text{{{word}}}", f"\\textbf{{{word}}}", f"\\mathrm{{{word}}}", word]
    a.plain = [word, f"**{word}**", word.capitalize() if word.islower() else word]
    if word.islower():
        a.tex.append(f"\\text{{{word.capitalize()}}}")
    a.bad = [f"\\text{{{w}}}" for w in _TEXT_WRONG[word]] + list(_TEXT_WRONG[word])
    a.bad_plain = list(_TEXT_WRONG[word])
    return True


def build_choice(a: Ans, letter: str) -> bool:
    a.kind = "choice"
    a.extra["letter"] = [letter]
    a.tex = [a.ref, letter, f"({letter})", f"\\text{{{letter}}}", f"\\textbf{{({letter})}}"]
    a.plain = [letter, f"({letter})", f"**{letter}**", f"**({letter})**"]
    others = [c for c in "ABCDE" if c != letter]
    a.bad = [f"\\text{{({c})}}" for c in others] + others + [f"({c})" for c in others]
    a.bad_plain = others + [f"({c})" for c in others]
    return True


def build_degree(a: Ans, inner: str) -> bool:
    sub = scalar(inner)
    if sub is None or sub.num is None:
        return False
    a.kind = "degree"
    a.num = sub.num
    n = inner.strip()
    a.tex = _uniq([a.ref, f"{n}^{{\\circ}}", f"{n}^\\circ", f"{n}°", f"{n}", f"{n}\\degree"])
    a.plain = [f"{n}°", f"{n} degrees", n]
    a.bad, a.bad_plain = [], []
    for b in sub.bad_plain[:4]:
        a.bad += [f"{b}^\\circ", f"{b}^{{\\circ}}"]
        a.bad_plain += [f"{b}°", f"{b} degrees"]
    return a.usable()


def build_dollar(a: Ans, inner: str) -> bool:
    clean = re.sub(r",\\!\s*", ",", inner.strip())
    v = parse_rational(clean)
    if v is None:
        return False
    a.kind = "money"
    a.num = v
    if v.denominator == 1:
        n = v.numerator
        plain_n = str(n)
        grouped = group_digits(n, ",")
    else:
        plain_n = dec_str(v) or clean
        grouped = clean
    a.tex = _uniq([a.ref, plain_n, f"\\${plain_n}", f"\\${grouped}", clean, f"\\${clean}"])
    a.plain = _uniq([plain_n, grouped, f"{plain_n} dollars"])
    if "." in clean:
        a.tex.append(f"\\${clean.rstrip('0')}" if clean.endswith("0") else clean)
    bads = [v + 1, v - 1, v * 10] if v.denominator == 1 else [v + 1, v + Fraction(1, 10)]
    a.bad, a.bad_plain = [], []
    for b in bads:
        s = str(b.numerator) if b.denominator == 1 else f"{float(b):.2f}"
        if Fraction(s) == v:
            continue
        a.bad += [f"\\${s}", s]
        a.bad_plain += [s, f"{s} dollars"]
    return a.usable()


_UNITS = {
    "864 \\mbox{ inches}^2": (
        "864",
        ["\\text{ in}^2", "\\text{ square inches}"],
        ["square inches", "in^2"],
    ),
    "5.4 \\text{ cents}": (
        "5.4",
        ["\\text{ cents}", "\\,\\text{cents}", "\\text{¢}"],
        ["cents", "¢"],
    ),
    "15\\mbox{ cm}^2": (
        "15",
        ["\\text{ cm}^2", "\\,\\mathrm{cm}^2"],
        ["cm^2", "square centimeters", "cm²"],
    ),
    "\\frac{270}7\\text{ degrees}": (
        "\\frac{270}{7}",
        ["^\\circ", "\\text{ degrees}"],
        ["degrees"],
    ),
}


def build_unit(a: Ans) -> bool:
    if a.ref not in _UNITS:
        return False
    num, tex_units, plain_units = _UNITS[a.ref]
    sub = scalar(num)
    if sub is None:
        return False
    a.kind = "unit"
    a.num = sub.num
    a.tex = _uniq([a.ref] + sub.tex[:3] + [num + u for u in tex_units])
    sp = sub.plain[:2] or [num]
    a.plain = _uniq(sp + [f"{sp[0]} {u}" for u in plain_units])
    a.bad, a.bad_plain = [], []
    for b in sub.bad[:4]:
        a.bad += [b, b + tex_units[0]]
    for b in sub.bad_plain[:4]:
        a.bad_plain += [b, f"{b} {plain_units[0]}"]
    a.bad = _uniq(a.bad)
    return a.usable()


def build_base(a: Ans, digits: str, base: int) -> bool:
    a.kind = "base"
    a.tex = _uniq(
        [
            a.ref,
            f"{digits}_{base}" if base < 10 else None,
            f"{digits}_{{{base}}}",
            f"{digits}_{{({base})}}",
        ]
    )
    a.plain = [f"{digits}_{base}", f"{digits} (base {base})", f"{digits} in base {base}"]
    value = int(digits, base)
    bad = []
    last = int(digits[-1])
    for d in (last + 1, last - 1):
        if 0 <= d < base:
            bad.append(digits[:-1] + str(d))
    first = int(digits[0])
    if first + 1 < base:
        bad.append(str(first + 1) + digits[1:])
    a.bad = [f"{b}_{{{base}}}" for b in bad if int(b, base) != value]
    if max(int(c) for c in digits) < base + 1 and int(digits, base + 1) != value:
        a.bad.append(f"{digits}_{{{base + 1}}}")
    a.bad_plain = [f"{b}_{base}" for b in bad if int(b, base) != value]
    return a.usable()


# Equations: written by hand, then checked by proportionality at sample points.
_EQUATIONS = {
    "x=5": (["x=5", "x = 5", "5 = x"], ["x = 4", "x = -5", "x = 6"]),
    "y = 2x + 3": (
        ["y=2x+3", "y = 3 + 2x", "2x - y + 3 = 0", "y - 2x = 3", "-2x + y - 3 = 0"],
        ["y = 2x - 3", "y = 3x + 2", "y = -2x + 3"],
    ),
    "y = -2x": (["y=-2x", "2x + y = 0", "y + 2x = 0", "-2x = y"], ["y = 2x", "y = -2x + 1"]),
    "5x - 7y + 11z + 4 = 0": (
        [
            "5x-7y+11z+4=0",
            "-5x + 7y - 11z - 4 = 0",
            "10x - 14y + 22z + 8 = 0",
            "5x - 7y + 11z = -4",
        ],
        ["5x - 7y + 11z - 4 = 0", "5x + 7y + 11z + 4 = 0", "5x - 7y + 11z + 5 = 0"],
    ),
}


def equations_equivalent(e1: str, e2: str) -> bool | None:
    """Same solution set for linear equations: lhs-rhs proportional at the sample points."""
    try:
        l1, r1 = e1.split("=")
        l2, r2 = e2.split("=")
    except ValueError:
        return None
    names = sorted(set(_letters(e1)) | set(_letters(e2)))
    ratios = []
    for j in range(4):
        env = {n: complex(_POINTS[(j + k) % 4] + 0.37 * k, 0) for k, n in enumerate(names)}
        f1 = ev(f"({l1})-({r1})", env)
        f2 = ev(f"({l2})-({r2})", env)
        if f1 is None or f2 is None:
            return None
        if abs(f1) < 1e-12 or abs(f2) < 1e-12:
            if abs(f1) < 1e-12 and abs(f2) < 1e-12:
                continue
            return False
        ratios.append(f1 / f2)
    return all(_close(r, ratios[0]) for r in ratios)


def build_equation(a: Ans) -> bool:
    if a.ref not in _EQUATIONS:
        return False
    good, bad = _EQUATIONS[a.ref]
    a.kind = "equation"
    a.tex = [g for g in [a.ref, *good] if equations_equivalent(g, a.ref) is True]
    a.bad = [b for b in bad if equations_equivalent(b, a.ref) is False]
    a.plain = list(a.tex)
    a.bad_plain = list(a.bad)
    return a.usable()


def build_math_answer(ref: str, problem: str, solution: str, rng: random.Random) -> Ans | None:
    a = Ans(ref, "?", "math", problem, solution)
    r = ref.strip()
    m = re.fullmatch(r"\\text\{\(([A-E])\)\}", r)
    if m:
        return a if build_choice(a, m[1]) else None
    m = re.fullmatch(r"\\text\{([A-Za-z]+)\}", r)
    if m:
        return a if build_text(a, m[1]) else None
    if r.startswith("\\$"):
        return a if build_dollar(a, r[2:]) else None
    m = re.fullmatch(r"(.+?)\s*\^\\circ", r)
    if m:
        return a if build_degree(a, m[1]) else None
    if r in _UNITS:
        return a if build_unit(a) else None
    m = re.fullmatch(r"(\d+)_\{?(\d+)\}?", r)
    if m:
        return a if build_base(a, m[1], int(m[2])) else None
    if r.startswith("\\begin{"):
        return a if build_matrix(a, rng) else None
    if r in _EQUATIONS:
        return a if build_equation(a) else None
    v = parse_rational(r)
    if v is not None:
        build_rational(a, v)
        a.kind = "int" if v.denominator == 1 else "rational"
        return a if a.usable() else None
    looks_interval = (
        "\\infty" in r
        or "\\cup" in r
        or r.startswith("x \\in")
        or r.endswith("]")
        or r.startswith("[")
        or ("interval" in problem and r.startswith(("(", "\\left(")))
    )
    if looks_interval:
        return a if build_interval(a, rng) else None
    m = re.fullmatch(r"(?:\\left)?\(\s*(.*?)\s*(?:\\right)?\)", r)
    if m and "," in m[1] and not re.fullmatch(r"\([^()]*\)\([^()]*\)", r):
        return a if build_tuple(a, m[1], rng) else None
    if "\\pm" in r or r.startswith("\\{") or len(split_top(r)) > 1:
        return a if build_list(a, rng) else None
    a.kind = "scalar"
    if build_scalar(a):
        return a
    return None


def build_gsm_answer(final: str, question: str, solution: str) -> Ans | None:
    a = Ans(final, "int", "gsm", question, solution)
    v = parse_rational(final)
    if v is None:
        return None
    build_rational(a, v)
    a.kind = "int" if v.denominator == 1 else "rational"
    return a if a.usable() else None


# --------------------------------------------------------------------------------------------
# Data loading
# --------------------------------------------------------------------------------------------


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


class Pool:
    def __init__(self, data: Path, rng: random.Random):
        self.math: list[Ans] = []
        for row in _read_jsonl(data / "math500_test.jsonl"):
            a = build_math_answer(row["answer"], row["problem"], row["solution"], rng)
            if a is not None:
                self.math.append(a)
        self.gsm: list[Ans] = []
        for name in ("gsm8k_test.jsonl", "gsm8k_train.jsonl"):
            rows = _read_jsonl(data / name)
            if name.endswith("train.jsonl"):
                rows = rows[:2500]
            for row in rows:
                final = row["answer"].split("####")[-1].strip()
                a = build_gsm_answer(final, row["question"], row["answer"])
                if a is not None:
                    self.gsm.append(a)
        self.by_kind: dict[str, list[Ans]] = collections.defaultdict(list)
        for a in self.math:
            self.by_kind[a.kind].append(a)
        self.math_int = self.by_kind["int"]
        self.math_other = [a for a in self.math if a.kind != "int"]
        self.rational = [a for a in self.math + self.gsm if a.num is not None]

    def any(self, rng: random.Random) -> Ans:
        x = rng.random()
        if x < 0.25:
            return rng.choice(self.gsm)
        if x < 0.45:
            return rng.choice(self.math_int)
        return rng.choice(self.math_other)

    def kinds(self, rng: random.Random, *kinds: str) -> Ans:
        return rng.choice([a for k in kinds for a in self.by_kind[k]])

    def split_pool(self) -> list[Ans]:
        return [a for a in self.math if a.kind in ("list", "pm", "tuple")]


# --------------------------------------------------------------------------------------------
# Rendering helpers
# --------------------------------------------------------------------------------------------


def boxed(s: str) -> str:
    return "\\boxed{" + s + "}"


def sub(template: str, value: str) -> str:
    return template.replace("@", value)


def inline(rng: random.Random, s: str) -> str:
    return rng.choice(["$" + s + "$", "$" + s + "$", "\\(" + s + "\\)"])


def display(rng: random.Random, s: str) -> str:
    return rng.choice(
        ["\\[\n" + s + "\n\\]", "$$" + s + "$$", "\\[" + s + "\\]", "$$\n" + s + "\n$$"]
    )


BOX_FINALS = [
    "The answer is $\\boxed{@}$.",
    "Therefore, the final answer is $\\boxed{@}$.",
    "**Final Answer**\n\\[\n\\boxed{@}\n\\]",
    "Final answer: $\\boxed{@}$",
    "So the answer is \\(\\boxed{@}\\).",
    "Thus, the answer is $\\boxed{@}$.",
    "\\[\n\\boxed{@}\n\\]",
    "Answer: $\\boxed{@}$",
    "Hence the required value is $\\boxed{@}$.",
    "$\\boxed{@}$",
    "### Final Answer\n$$\\boxed{@}$$",
]
PHRASE_FINALS = [
    "The answer is @.",
    "**Answer:** @",
    "Final answer: @",
    "So the final answer is @.",
    "Answer: @",
    "Therefore, the answer is @.",
    "The final answer is @.",
    "**Final answer:** @",
]


def final_stmt(rng: random.Random, a: Ans, ok: bool, box_p: float = 0.6) -> str:
    if rng.random() < box_p:
        return sub(rng.choice(BOX_FINALS), a.form(rng, ok))
    return sub(rng.choice(PHRASE_FINALS), a.say(rng, ok))


def filler(rng: random.Random) -> str:
    a, b = rng.randint(2, 40), rng.randint(2, 40)
    return rng.choice(
        [
            f"First, note that ${a} + {b} = {a + b}$.",
            f"Multiplying gives ${a} \\times {b} = {a * b}$.",
            f"There are {a} ways to choose the first item and {b} ways to choose the second.",
            f"Substituting $t = {a}$ into the second expression gives ${a * b}$.",
            f"Since ${a * b} = {a} \\cdot {b}$, we can factor the expression.",
            f"Subtracting, ${a + b} - {b} = {a}$.",
            f"The problem gives us the two counts {a} and {b}.",
            f"We set up the equation ${a}y = {a * b}$, so $y = {b}$.",
            f"The side lengths are ${a}$ and ${b}$, so the perimeter is ${2 * (a + b)}$.",
            f"Dividing, $\\frac{{{a * b}}}{{{b}}} = {a}$.",
            f"This accounts for {a} of the {a + b} cases.",
        ]
    )


def plain_filler(rng: random.Random) -> str:
    a, b = rng.randint(2, 40), rng.randint(2, 40)
    return rng.choice(
        [
            f"First, {a} + {b} = {a + b}.",
            f"Then {a} x {b} = {a * b}.",
            f"We have {a} of the first kind and {b} of the second.",
            f"So far the running total is {a + b}.",
            f"Each group has {a} items, and there are {b} groups, so {a * b} items.",
        ]
    )


OPENERS = [
    "Let's solve this step by step.",
    "I'll work through this carefully.",
    "To solve this problem, we break it into steps.",
    "Let me think about this.",
    "We need to find the requested quantity.",
    "Okay, let's set up the problem.",
]

REASONS = [
    "I dropped a factor of 2 in the second step",
    "I forgot to subtract the overlapping case",
    "the sign in the second line is wrong",
    "I misread the question: it asks for the total, not the difference",
    "I double-counted the arrangement where both ends match",
    "the denominator should not have been simplified that way",
    "I used the wrong formula for the area",
]


def distractor(rng: random.Random, a: Ans) -> str:
    while True:
        d = str(rng.choice([rng.randint(2, 60), rng.randint(61, 999)]))
        if a.num is None or Fraction(d) != a.num:
            return d


def short_solution(rng: random.Random, a: Ans, ok: bool, box_p: float = 0.7) -> str:
    parts = [rng.choice(OPENERS)]
    parts += [filler(rng) for _ in range(rng.randint(1, 3))]
    parts.append(final_stmt(rng, a, ok, box_p))
    sep = rng.choice(["\n\n", "\n", " "])
    return sep.join(parts)


def tuple_names(a: Ans) -> list[str]:
    n = len(a.items)
    m = re.search(r"\(\s*([a-z\\theta]+(?:\s*,\s*[a-z\\theta]+)+)\s*\)", a.problem[-300:])
    if m:
        names = [x.strip() for x in m[1].split(",")]
        if len(names) == n:
            return names
    return ["x", "y", "z", "w"][:n] if n <= 4 else [f"a_{k}" for k in range(1, n + 1)]


# --------------------------------------------------------------------------------------------
# Tag generators: fn(rng, pool, pos) -> (completion, reference) or None to retry
# --------------------------------------------------------------------------------------------


def _join_boxes(rng: random.Random, items: list[str]) -> str:
    bx = ["$\\boxed{" + i + "}$" for i in items]
    if len(bx) == 2:
        return bx[0] + rng.choice([" and ", ", ", " or "]) + bx[1]
    return ", ".join(bx[:-1]) + rng.choice([", and ", " and ", ", "]) + bx[-1]


def t_several_boxes(rng: random.Random, pool: Pool, pos: bool):
    v = rng.choices(range(4), weights=[3, 3, 4, 2])[0]
    if v == 0:
        a = rng.choice(pool.split_pool())
        items = list(rng.choice(a.extra["split"]))
        if not pos:
            if a.kind == "tuple" and rng.random() < 0.5:
                i, j = rng.sample(range(len(items)), 2)
                if item_equal(items[i], items[j]):
                    return None
                items[i], items[j] = items[j], items[i]
            elif a.kind != "tuple" and rng.random() < 0.4:
                items.pop(rng.randrange(len(items)))
            else:
                k = rng.randrange(len(items))
                items[k] = a.items[k].wrong(rng)
        if a.kind == "tuple":
            names = tuple_names(a)
            if len(items) != len(names):
                return None
            if rng.random() < 0.5:
                body = ", ".join(f"$\\boxed{{{n} = {i}}}$" for n, i in zip(names, items))
            else:
                body = ", ".join(f"${n} = \\boxed{{{i}}}$" for n, i in zip(names, items))
            text = (
                rng.choice(["Therefore ", "So we get ", "Putting it together: ", ""]) + body + "."
            )
        else:
            if pos:
                rng.shuffle(items)
            if rng.random() < 0.3 and len(items) >= 2:
                text = "The solutions are:\n" + "\n".join(
                    f"- $x_{k + 1} = \\boxed{{{i}}}$" for k, i in enumerate(items)
                )
            elif rng.random() < 0.5:
                text = "Therefore " + " or ".join(f"$x = \\boxed{{{i}}}$" for i in items) + "."
            else:
                text = rng.choice(["The solutions are ", "The values are ", "So the answers are "])
                text += _join_boxes(rng, items) + "."
        return short_intro(rng) + text, a.ref
    a = pool.any(rng)
    A = a.form(rng, True)
    W = a.form(rng, False)
    if v == 1:  # boxed intermediate results, the last box is the answer
        d1, d2 = distractor(rng, a), distractor(rng, a)
        steps = [
            f"The number of cases in the first part is $\\boxed{{{d1}}}$.",
            f"For the second part we get $\\boxed{{{d2}}}$.",
        ][: rng.randint(1, 2)]
        if not pos and rng.random() < 0.5:
            steps.insert(0, f"An intermediate quantity comes out as $\\boxed{{{A}}}$.")
        fin = A if pos else W
        text = "\n\n".join(
            [rng.choice(OPENERS), *steps, filler(rng), sub(rng.choice(BOX_FINALS), fin)]
        )
        return text, a.ref
    if v == 2:  # an early box overruled by a later final statement
        early, late = (W, A) if pos else (A, W)
        late_plain = a.say(rng, pos)
        first = rng.choice(
            [
                f"So the answer is $\\boxed{{{early}}}$.",
                f"This gives $\\boxed{{{early}}}$.",
                f"\\[\\boxed{{{early}}}\\]",
            ]
        )
        reason = rng.choice(REASONS)
        ending = rng.choice(
            [
                f"So the final answer is $\\boxed{{{late}}}$.",
                f"Correcting this, the final answer is {late_plain}.",
                f"**Final Answer:** $\\boxed{{{late}}}$",
                f"Final answer: {late_plain}",
            ]
        )
        text = "\n\n".join(
            [
                rng.choice(OPENERS),
                filler(rng),
                first,
                f"Wait, {reason}. Let me redo that step. {filler(rng)}",
                ending,
            ]
        )
        return text, a.ref
    # the same value boxed twice, in two forms
    if pos:
        f1, f2 = a.form(rng, True), a.form(rng, True)
    else:
        f1 = f2 = W
    text = "\n\n".join(
        [
            short_intro(rng) + f"This simplifies to $\\boxed{{{f1}}}$.",
            rng.choice(
                ["Double-checking with a second method gives the same result.", filler(rng)]
            ),
            sub(rng.choice(BOX_FINALS), f2),
        ]
    )
    return text, a.ref


def short_intro(rng: random.Random) -> str:
    return rng.choice(OPENERS) + rng.choice([" ", "\n\n"]) + filler(rng) + rng.choice([" ", "\n\n"])


def arith_for(rng: random.Random, v: Fraction) -> tuple[str, str] | None:
    """(latex, plain) arithmetic whose value is exactly v."""
    cands: list[tuple[str, str]] = []
    if v.denominator == 1:
        n = v.numerator
        a = rng.randint(1, 60)
        b = n - a
        cands.append((f"{a} + {b}", f"{a} + {b}") if b >= 0 else (f"{a} - {-b}", f"{a} - {-b}"))
        divs = [d for d in range(2, min(abs(n), 60)) if n % d == 0 and abs(n) // d > 1]
        if divs:
            d = rng.choice(divs)
            cands.append((f"{d} \\times {n // d}", f"{d} * {n // d}"))
            c = rng.randint(1, 9)
            if n // d - c > 0:
                cands.append(
                    (f"{d} \\cdot {n // d - c} + {d * c}", f"{d} x {n // d - c} + {d * c}")
                )
        k = rng.randint(2, 6)
        cands.append((f"\\frac{{{n * k}}}{{{k}}}", f"{n * k} / {k}"))
    else:
        p, q = v.numerator, v.denominator
        cands.append((f"\\frac{{{2 * p}}}{{{2 * q}}}", f"{2 * p}/{2 * q}"))
        if p > 1:
            a = rng.randint(1, p - 1)
            cands.append(
                (f"\\frac{{{a}}}{{{q}}} + \\frac{{{p - a}}}{{{q}}}", f"{a}/{q} + {p - a}/{q}")
            )
        if 0 < p < q:
            cands.append((f"1 - \\frac{{{q - p}}}{{{q}}}", f"1 - {q - p}/{q}"))
        d = dec_str(v)
        if d is not None:
            m = rng.randint(1, 9)
            cands.append((f"{d}0 \\times {m} \\div {m}", f"{d} * {m} / {m}"))
    rng.shuffle(cands)
    for tex, plain in cands:
        vt, vp = ev(tex), ev(plain.replace(" x ", " * "))
        if vt is not None and vp is not None and _close(vt, complex(v)) and _close(vp, complex(v)):
            return tex, plain
    return None


def t_chain(rng: random.Random, pool: Pool, pos: bool):
    v = rng.choices(range(5), weights=[4, 2, 3, 2, 3])[0]
    if v == 4:  # \approx
        a = rng.choice([x for x in pool.math if x.kind in ("surd", "rational")])
        form = a.form(rng, pos)
        val = ev(form) if a.kind == "surd" else ev(form.replace("\\dfrac", "\\frac"))
        if val is None or abs(val.imag) > 1e-12:
            return None
        places = rng.choice([2, 3, 4])
        approx = f"{val.real:.{places}f}"
        if Fraction(approx) == Fraction(val.real).limit_denominator(10**9):
            return None
        approx_sym = rng.choice(["\\approx", "\\approx", "≈"])
        body = f"{form} {approx_sym} {approx}"
        text = short_intro(rng) + rng.choice(
            [
                f"The answer is $\\boxed{{{body}}}$.",
                f"So the exact value is ${body}$.",
                f"**Answer:** ${body}$",
                f"Therefore $\\boxed{{{form}}} {approx_sym} {approx}$.",
            ]
        )
        return text, a.ref
    a = rng.choice(pool.rational)
    val = a.num
    if v == 0:  # expression = value
        if pos:
            ar = arith_for(rng, val)
            fin = a.form(rng, True)
        else:
            fin = a.form(rng, False)
            wv = parse_rational(fin)
            if wv is None:
                return None
            ar = arith_for(rng, val if rng.random() < 0.5 else wv)
        if ar is None or "^" in fin or "\\circ" in fin:
            return None
        tex, plain = ar
        if rng.random() < 0.25 and parse_rational(fin) is not None:
            ar2 = arith_for(rng, val if pos else parse_rational(fin))
            if ar2 and ar2[0] != tex:
                tex = tex + " = " + ar2[0]
        body = f"{tex} = {fin}"
        text = short_intro(rng) + rng.choice(
            [
                f"The answer is $\\boxed{{{body}}}$.",
                f"Therefore, the answer is ${body}$.",
                f"**Answer:** ${body}$",
                f"\\[\n\\boxed{{{body}}}\n\\]",
                f"Answer: {plain} = {_to_plain(fin)}"
                if _to_plain(fin) and rng.random() < 0.5
                else f"So the total is ${body}$.",
            ]
        )
        return text, a.ref
    if v == 1:  # worked arithmetic lines ending in the value
        if val.denominator != 1:
            return None
        n = val if pos else value_of(rng, a, False)
        if n is None or n.denominator != 1:
            return None
        n = n.numerator
        x1, x2 = rng.randint(2, 9), rng.randint(2, 12)
        x = x1 * x2
        y = n - x
        lines = [f"{x1} \\times {x2} = {x}", f"{x} + {y} = {n}" if y >= 0 else f"{x} - {-y} = {n}"]
        if rng.random() < 0.5:
            k = rng.randint(2, 5)
            lines.insert(0, f"{x1 * k} \\div {k} = {x1}")
        if rng.random() < 0.5:
            body = "\\[\n\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n\\]"
        else:
            body = "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"
        end = rng.choice(
            [f"So the answer is $\\boxed{{{lines[-1]}}}$.", f"Hence the answer is ${lines[-1]}$."]
        )
        return short_intro(rng) + body + "\n\n" + end, a.ref
    if v == 2:  # \Rightarrow steps that end in x = value
        fin = a.form(rng, pos)
        fv = parse_rational(fin)
        if fv is None:
            return None
        c = rng.randint(2, 9)
        d = rng.randint(-20, 20) or 7
        e = c * fv + d
        arrow = rng.choice(["\\Rightarrow", "\\implies", "\\Longrightarrow", "\\therefore"])
        var = rng.choice(["x", "n", "t", "k"])
        steps = [
            f"{c}{var} {'+' if d > 0 else '-'} {abs(d)} = {frac_tex(e)}",
            f"{c}{var} = {frac_tex(c * fv)}",
            f"{var} = {fin}",
        ]
        if arrow == "\\therefore":
            body = f"{steps[0]}, \\quad {steps[1]}, \\quad \\therefore {steps[2]}"
        else:
            body = f" {arrow} ".join(steps)
        text = short_intro(rng) + rng.choice(
            [f"${body}$", f"\\[\n{body}\n\\]", f"We solve: ${body}$."]
        )
        if rng.random() < 0.5:
            text += "\n\n" + rng.choice(
                [f"So ${var} = \\boxed{{{fin}}}$.", f"Answer: ${var} = {fin}$"]
            )
        return text, a.ref
    # v == 3: an equation still to solve; its right side is the reference (negative), or the
    # solved form x = value (positive)
    if val.denominator != 1:
        return None
    c = rng.randint(2, 9)
    d = rng.randint(1, 30)
    var = rng.choice(["x", "n", "y"])
    ref_form = a.form(rng, True)
    if pos:
        sol = ref_form
        body = f"{c}{var} + {d} = {frac_tex(c * val + d)} \\Rightarrow {var} = {sol}"
        text = short_intro(rng) + f"The answer is $\\boxed{{{body}}}$."
    else:
        if Fraction(val - d, c) == val:
            return None
        body = f"{c}{var} + {d} = {ref_form}"
        text = short_intro(rng) + rng.choice(
            [
                f"The answer is $\\boxed{{{body}}}$.",
                f"**Answer:** ${body}$",
                f"\\[\\boxed{{{body}}}\\]",
            ]
        )
    return text, a.ref


RATIO_LABELS = ["m:n", "AB:BC", "x:y", "a:b", "AE:EC"]
SCALAR_LABELS = ["x", "n", "k", "m", "AB", "BC", "r", "h", "a_{20}", "S_{10}", "N", "d", "T_5"]


def t_labelled(rng: random.Random, pool: Pool, pos: bool):
    v = rng.choices(range(5), weights=[6, 3, 2, 2, 1])[0]
    if v == 1:
        a = rng.choice([x for x in pool.math if x.kind == "tuple"])
        names = tuple_names(a)
        if pos:
            vals = [i.good(rng) for i in a.items]
        elif rng.random() < 0.5:
            vals = [i.ref for i in a.items]
            i, j = rng.sample(range(len(vals)), 2)
            if item_equal(vals[i], vals[j]):
                return None
            vals[i], vals[j] = vals[j], vals[i]
        else:
            vals = [i.ref for i in a.items]
            k = rng.randrange(len(vals))
            vals[k] = a.items[k].wrong(rng)
        if rng.random() < 0.5:
            body = f"({', '.join(names)}) = ({', '.join(vals)})"
        else:
            body = rng.choice([", ", ",\\ ", ", \\quad "]).join(
                f"{n} = {x}" for n, x in zip(names, vals)
            )
        text = short_intro(rng) + rng.choice(
            [f"Therefore $\\boxed{{{body}}}$.", f"The answer is ${body}$.", f"**Answer:** ${body}$"]
        )
        return text, a.ref
    if v == 2:
        a = rng.choice([x for x in pool.math if x.kind == "expr" and _letters(x.ref) == ["x"]])
        lab = rng.choice(["f(x)", "p(x)", "r(x)", "g(x)", "q(x)"])
        body = f"{lab} = {a.form(rng, pos)}"
        text = short_intro(rng) + rng.choice(
            [
                f"Therefore $\\boxed{{{body}}}$.",
                f"So ${body}$ is the answer.",
                f"**Answer:** ${body}$",
            ]
        )
        return text, a.ref
    if v == 3:
        a = rng.choice(
            [
                x
                for x in pool.rational
                if x.num is not None and 0 < x.num < 10 and x.num.denominator != 1
            ]
        )
        p, q = a.num.numerator, a.num.denominator
        if not pos:
            p, q = (q, p) if rng.random() < 0.5 and p != q else (p + 1, q)
            if Fraction(p, q) == a.num:
                return None
        lab = rng.choice(RATIO_LABELS)
        sep = rng.choice([":", " : ", "\\colon "])
        body = f"{lab.replace(':', sep)} = {p}{sep}{q}"
        text = short_intro(rng) + rng.choice(
            [f"Therefore $\\boxed{{{body}}}$.", f"The ratio is ${body}$.", f"Answer: ${body}$"]
        )
        return text, a.ref
    if v == 4:
        a = rng.choice([x for x in pool.math if x.kind in ("list", "pm") and "\\{" not in x.ref])
        body = f"x = {a.form(rng, pos)}"
        return short_intro(rng) + f"Therefore $\\boxed{{{body}}}$.", a.ref
    kinds = ("int", "rational", "surd", "complex", "degree", "unit", "money")
    while True:
        a = pool.any(rng)
        if a.kind in kinds:
            break
    labels = list(SCALAR_LABELS)
    if a.num is not None and 0 <= a.num <= 1:
        labels += ["P(E)", "P(A \\cap B)", "p", "\\Pr[X = 2]"] * 3
    if a.kind == "degree":
        labels = ["\\angle ABC", "\\theta", "m\\angle A", "\\angle PQR"]
    if a.kind == "complex":
        labels = ["z", "w", "z_1 z_2"]
    if a.kind == "money":
        labels = ["T", "C", "\\text{Total}"]
    lab = rng.choice(labels)
    body = f"{lab} = {a.form(rng, pos)}"
    text = short_intro(rng) + rng.choice(
        [
            f"Therefore $\\boxed{{{body}}}$.",
            f"The answer is ${body}$.",
            f"**Answer:** ${body}$",
            f"\\[\n\\boxed{{{body}}}\n\\]",
            f"Final answer: ${body}$",
        ]
    )
    return text, a.ref


SPAN_ENDINGS = [
    "Putting the pieces together gives $@$.",
    "Simplifying, we obtain \\(@\\).",
    "After simplification this becomes\n\\[\n@\n\\]",
    "Combining both cases, the count comes to $$@$$",
    "So we end up with $@$, which is consistent with all the constraints.",
    "Collecting terms leaves \\[@\\] as required.",
    "which means the value we want is $@$ in total.",
    "Evaluating, we get\n$$\n@\n$$\nand we are done.",
    "Hence it equals $@$.",
]


def t_math_span(rng: random.Random, pool: Pool, pos: bool):
    a = pool.any(rng)
    parts = [filler(rng) for _ in range(rng.randint(1, 3))]
    if not pos and rng.random() < 0.4:
        parts.append(f"A first guess would be ${a.form(rng, True)}$, but that misses a case.")
    end = sub(rng.choice(SPAN_ENDINGS), a.form(rng, pos))
    if rng.random() < 0.2 and a.kind in ("int", "rational", "surd"):
        var = rng.choice(["x", "n", "k"])
        end = f"Solving for the unknown, we find ${var} = {a.form(rng, pos)}$."
    return rng.choice([" ", "\n\n"]).join([*parts, end]), a.ref


# language: (decimal comma?, step templates with {a} {b} {c}, final templates with @)
LANGS: dict[str, tuple[bool, list[str], list[str]]] = {
    "zh": (
        False,
        [
            "首先计算 ${a} + {b} = {c}$。",
            "由题意，共有 {a} 种情况和 {b} 种情况。",
            "代入得 ${a} \\times {b} = {d}$。",
        ],
        [
            "所以答案是 @。",
            "答：@",
            "因此，最终答案为 $\\boxed{@}$。",
            "综上所述，结果为 @。",
            "故答案为：$\\boxed{@}$",
        ],
    ),
    "ja": (
        False,
        ["まず、${a} + {b} = {c}$ を計算します。", "次に、${a} \\times {b} = {d}$ となります。"],
        [
            "したがって、答えは @ です。",
            "よって、求める値は @ である。",
            "答え：$\\boxed{@}$",
            "答：@",
        ],
    ),
    "ko": (
        False,
        ["먼저 ${a} + {b} = {c}$를 계산합니다.", "다음으로 ${a} \\times {b} = {d}$입니다."],
        ["따라서 답은 @입니다.", "정답: $\\boxed{@}$", "그러므로 구하는 값은 @이다.", "답: @"],
    ),
    "ar": (
        False,
        ["أولاً، نحسب ${a} + {b} = {c}$.", "ثم نضرب: ${a} \\times {b} = {d}$."],
        ["إذن الإجابة هي @.", "الجواب النهائي: $\\boxed{@}$", "وبالتالي فإن الناتج هو @."],
    ),
    "hi": (
        False,
        ["पहले ${a} + {b} = {c}$ की गणना करें।", "फिर ${a} \\times {b} = {d}$ मिलता है।"],
        ["अतः उत्तर @ है।", "इसलिए अंतिम उत्तर $\\boxed{@}$ है।", "उत्तर: @"],
    ),
    "ru": (
        True,
        ["Сначала вычислим ${a} + {b} = {c}$.", "Далее, ${a} \\cdot {b} = {d}$."],
        ["Ответ: @.", "Следовательно, искомое значение равно @.", "Итак, ответ: $\\boxed{@}$."],
    ),
    "fr": (
        True,
        ["Calculons d'abord ${a} + {b} = {c}$.", "Ensuite, ${a} \\times {b} = {d}$."],
        ["La réponse est @.", "Donc la réponse finale est $\\boxed{@}$.", "Réponse : @"],
    ),
    "de": (
        True,
        ["Zuerst berechnen wir ${a} + {b} = {c}$.", "Dann gilt ${a} \\cdot {b} = {d}$."],
        ["Die Antwort lautet @.", "Also ist das Ergebnis $\\boxed{@}$.", "Antwort: @"],
    ),
    "es": (
        True,
        ["Primero calculamos ${a} + {b} = {c}$.", "Luego, ${a} \\times {b} = {d}$."],
        ["La respuesta es @.", "Por lo tanto, la respuesta final es $\\boxed{@}$.", "Respuesta: @"],
    ),
    "pt": (
        True,
        ["Primeiro, calculamos ${a} + {b} = {c}$.", "Em seguida, ${a} \\times {b} = {d}$."],
        ["A resposta é @.", "Portanto, a resposta final é $\\boxed{@}$.", "Resposta: @"],
    ),
    "tr": (
        True,
        ["Önce ${a} + {b} = {c}$ hesaplanır.", "Sonra ${a} \\cdot {b} = {d}$ bulunur."],
        ["Cevap: @", "Dolayısıyla sonuç @ olarak bulunur.", "Sonuç olarak cevap $\\boxed{@}$."],
    ),
    "vi": (
        True,
        ["Trước hết, ta tính ${a} + {b} = {c}$.", "Tiếp theo, ${a} \\times {b} = {d}$."],
        ["Vậy đáp án là @.", "Đáp số: @", "Do đó, đáp án cuối cùng là $\\boxed{@}$."],
    ),
    "id": (
        True,
        ["Pertama, hitung ${a} + {b} = {c}$.", "Kemudian, ${a} \\times {b} = {d}$."],
        ["Jadi, jawabannya adalah @.", "Jawaban akhir: $\\boxed{@}$", "Maka hasilnya adalah @."],
    ),
}


def value_of(rng: random.Random, a: Ans, ok: bool) -> Fraction | None:
    if ok:
        return a.num
    cands = [parse_rational(b) for b in a.bad]
    cands = [c for c in cands if c is not None and c != a.num]
    return rng.choice(cands) if cands else None


def t_multilingual(rng: random.Random, pool: Pool, pos: bool):
    lang = rng.choice(sorted(LANGS))
    comma, steps, finals = LANGS[lang]
    x = rng.random()
    decimals = [
        y
        for y in pool.rational
        if y.num is not None
        and y.num.denominator != 1
        and dec_str(y.num)
        and len(dec_str(y.num)) < 9
    ]
    if x < 0.4:
        a, use_num = rng.choice(decimals), True
    elif x < 0.6:
        a, use_num = rng.choice(pool.rational), True
    else:
        a, use_num = pool.any(rng), False
    tmpl = rng.choice(finals)
    in_box = "\\boxed{@}" in tmpl
    if use_num:
        v = value_of(rng, a, pos)
        if v is None:
            return None
        s = dec_str(v) if v.denominator != 1 else str(v.numerator)
        if s is None:
            return None
        if comma and "." in s:
            s = s.replace(".", "{,}" if in_box else ",")
        elif comma and v.denominator == 1 and abs(v) >= 10000 and lang in ("fr", "ru"):
            s = group_digits(
                v.numerator, "\\," if in_box else rng.choice(["\u202f", "\u00a0", " "])
            )
        val = s
    else:
        val = a.form(rng, pos) if in_box else a.say(rng, pos)
    a1, b1 = rng.randint(2, 40), rng.randint(2, 40)
    body = [
        st.format(a=a1, b=b1, c=a1 + b1, d=a1 * b1)
        for st in sorted(rng.sample(steps, rng.randint(1, len(steps))), key=steps.index)
    ]
    sep = "" if lang in ("zh", "ja") else " "
    return sep.join(body) + rng.choice(["\n\n", sep]) + sub(tmpl, val), a.ref


MONEY_Q = re.compile(r"(?i)how much (money|did|does|will|would|is|was|do)|how many dollars")
PERCENT_RE = re.compile(r"(?i)\bwhat (is the )?percent(age)?\b")


def is_percent_question(problem: str) -> bool:
    question = re.split(r"(?<=[.!])\s+", problem.strip())[-1]
    return bool(PERCENT_RE.search(question)) and not re.search(r"(?i)how (many|much)", question)


def is_money_question(problem: str) -> bool:
    question = re.split(r"(?<=[.!])\s+(?=[A-Z])", problem.strip())[-1]
    if not MONEY_Q.search(question) or re.search(r"(?i)how many (?!dollars)", question):
        return False
    return "$" in problem or "dollar" in problem


def _sci(v: Fraction) -> tuple[str, int] | None:
    if v <= 0:
        return None
    k = math.floor(math.log10(v))
    for kk in (k - 1, k, k + 1):
        m = v / Fraction(10) ** kk
        if 1 <= m < 10:
            d = dec_str(m)
            if d is not None and len(d) <= 8:
                return d, kk
    return None


def t_number_format(rng: random.Random, pool: Pool, pos: bool):
    v = rng.choices(range(7), weights=[5, 2, 2, 1, 2, 2, 2])[0]
    if v in (0, 6):  # thousands separators; pairs without spaces
        big = [
            x
            for x in pool.rational
            if x.num is not None and x.num.denominator == 1 and abs(x.num) >= 1000
        ]
        a = rng.choice(big)
        n = a.num.numerator
        if v == 6:
            g = group_digits(n, ",")
            if pos:
                return short_intro(rng) + sub(rng.choice(BOX_FINALS), g), a.ref
            if g.count(",") != 1:
                return None
            return short_intro(rng) + sub(rng.choice(BOX_FINALS), "(" + g + ")"), a.ref
        w = n if pos else value_of(rng, a, False)
        if w is None or w.denominator != 1:
            return None
        w = int(w)
        if rng.random() < 0.5:
            sep = rng.choice([",", "{,}", "\\,", "\\ ", ",\\!", "\\;", "\u202f"])
            return short_intro(rng) + sub(rng.choice(BOX_FINALS), group_digits(w, sep)), a.ref
        sep = rng.choice([",", " ", "\u00a0", "\u202f", "\u2009", "'"])
        return (
            rng.choice(OPENERS)
            + " "
            + plain_filler(rng)
            + "\n\n"
            + sub(rng.choice(PHRASE_FINALS), group_digits(w, sep)),
            a.ref,
        )
    if v == 1:  # currency
        money = [x for x in pool.gsm if is_money_question(x.problem)]
        money += pool.by_kind["money"]
        a = rng.choice(money)
        w = value_of(rng, a, pos)
        if w is None:
            return None
        s = str(w.numerator) if w.denominator == 1 else f"{float(w):.2f}"
        if Fraction(s) != w:
            return None
        if w.denominator == 1 and abs(w) >= 1000 and rng.random() < 0.5:
            s = group_digits(w.numerator, ",")
        if rng.random() < 0.5:
            val = rng.choice([f"\\${s}", f"\\$ {s}", f"\\${s}.00" if "." not in s else f"\\${s}"])
            return short_intro(rng) + sub(rng.choice(BOX_FINALS), val), a.ref
        val = rng.choice([f"${s}", f"{s} dollars", f"USD {s}", f"${s}.00" if "." not in s else s])
        return (
            plain_filler(rng)
            + " "
            + plain_filler(rng)
            + "\n"
            + sub(rng.choice(PHRASE_FINALS), val),
            a.ref,
        )
    if v == 2:  # trailing zeros
        a = rng.choice(pool.rational)
        w = value_of(rng, a, pos)
        if w is None:
            return None
        d = dec_str(w)
        if d is None:
            return None
        s = d + rng.choice(["0", "00"]) if "." in d else d + rng.choice([".0", ".00"])
        if Fraction(s) != w or len(s.split(".")[1]) == 3:
            return None
        return short_intro(rng) + final_with(rng, s), a.ref
    if v == 3:  # percent
        cands = [x for x in pool.gsm if is_percent_question(x.problem)]
        a = rng.choice(cands)
        w = value_of(rng, a, pos)
        if w is None or w.denominator != 1:
            return None
        s = str(w.numerator)
        if rng.random() < 0.5:
            return short_intro(rng) + sub(
                rng.choice(BOX_FINALS), s + rng.choice(["\\%", "\\,\\%"])
            ), a.ref
        return (
            plain_filler(rng)
            + "\n"
            + sub(rng.choice(PHRASE_FINALS), s + rng.choice(["%", " percent"])),
            a.ref,
        )
    if v == 4:  # scientific notation
        sci_ok = [
            x
            for x in pool.rational
            if x.num is not None
            and x.num > 0
            and _sci(x.num)
            and (x.num >= 1000 or x.num < Fraction(1, 100))
        ]
        a = rng.choice(sci_ok)
        mant, k = _sci(a.num)
        if not pos:
            if rng.random() < 0.5:
                k += rng.choice([-1, 1])
            else:
                m2 = Fraction(mant) + Fraction(1, 10)
                if m2 >= 10:
                    return None
                mant = dec_str(m2)
        value = Fraction(mant) * Fraction(10) ** k
        if (value == a.num) != pos:
            return None
        if rng.random() < 0.6:
            body = rng.choice(
                [
                    f"{mant} \\times 10^{{{k}}}",
                    f"{mant}\\cdot 10^{{{k}}}",
                    f"{mant} \\times 10^{k}" if 0 <= k <= 9 else f"{mant} \\times 10^{{{k}}}",
                ]
            )
            return short_intro(rng) + sub(rng.choice(BOX_FINALS), body), a.ref
        body = rng.choice([f"{mant}e{k}", f"{mant}E{k:+03d}", f"{mant} x 10^{k}"])
        return plain_filler(rng) + "\n" + sub(rng.choice(PHRASE_FINALS), body), a.ref
    # v == 5: decimal comma that cannot be a thousands separator
    decs = [
        x
        for x in pool.rational
        if x.num is not None
        and x.num.denominator != 1
        and dec_str(x.num)
        and len(dec_str(x.num).split(".")[1]) != 3
        and len(dec_str(x.num)) < 9
    ]
    a = rng.choice(decs)
    w = value_of(rng, a, pos)
    if w is None:
        return None
    d = dec_str(w)
    if d is None or "." not in d or len(d.split(".")[1]) == 3:
        return None
    if rng.random() < 0.5:
        return short_intro(rng) + sub(rng.choice(BOX_FINALS), d.replace(".", "{,}")), a.ref
    return plain_filler(rng) + "\n" + sub(rng.choice(PHRASE_FINALS), d.replace(".", ",")), a.ref


def final_with(rng: random.Random, s: str) -> str:
    if rng.random() < 0.6:
        return sub(rng.choice(BOX_FINALS), s)
    if re.search(r"[\\^_{]", s):
        s = inline(rng, s)
    return sub(rng.choice(PHRASE_FINALS), s)


def t_escaped(rng: random.Random, pool: Pool, pos: bool):
    a = rng.choice(pool.math_other) if rng.random() < 0.75 else pool.any(rng)
    v = rng.randrange(4)
    if v == 3:
        ans = a.form(rng, pos)
        obj: dict = {}
        if rng.random() < 0.5:
            obj["reasoning"] = short_solution(rng, a, pos, box_p=1.0).rsplit("\n", 1)[0]
        key = rng.choice(["answer", "final_answer", "result"])
        obj[key] = boxed(ans) if rng.random() < 0.4 else ans
        text = json.dumps(obj, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 2]))
        return text, a.ref
    base = short_solution(rng, a, pos, box_p=0.9)
    if v == 0:
        text = base.replace("\\", "\\\\")
    elif v == 1:
        text = json.dumps(base, ensure_ascii=False)
    else:
        text = json.dumps(base, ensure_ascii=False)[1:-1]
    if "\\\\" not in text:
        return None
    return text, a.ref


CHOICE_TEXT = {
    "\\text{(C)}": {"A": "Line", "B": "Circle", "C": "Plane", "D": "Sphere", "E": "Cylinder"},
    "\\text{(E)}": {"A": "Line", "B": "Circle", "C": "Parabola", "D": "Ellipse", "E": "Hyperbola"},
}


def _choice_form(rng: random.Random, letter: str, ref: str) -> str:
    opts = CHOICE_TEXT.get(ref, {})
    forms = [
        f"$\\boxed{{{letter}}}$",
        f"$\\boxed{{\\text{{{letter}}}}}$",
        f"$\\boxed{{({letter})}}$",
        f"$\\boxed{{\\textbf{{({letter})}}}}$",
        f"The answer is ({letter}).",
        f"The correct option is **{letter}**.",
        f"**Answer: {letter}**",
        f"Answer: {letter}",
        f"The answer is $\\text{{({letter})}}$.",
        f"Option {letter} is correct.",
        f"{letter}",
    ]
    if letter in opts:
        forms += [
            f"The answer is ({letter}) {opts[letter]}.",
            f"$\\boxed{{\\text{{({letter}) {opts[letter]}}}}}$",
            f"**({letter}) {opts[letter]}**",
        ]
    return rng.choice(forms)


NOT_UNITS = {
    "more",
    "of",
    "times",
    "in",
    "the",
    "total",
    "less",
    "fewer",
    "are",
    "does",
    "did",
    "do",
    "will",
    "can",
    "would",
    "should",
    "were",
    "is",
    "was",
    "have",
    "has",
    "had",
    "other",
    "additional",
    "extra",
    "different",
    "whole",
    "full",
    "days",
    "weeks",
}


def t_notation(rng: random.Random, pool: Pool, pos: bool):
    v = rng.choices(
        [
            "semi",
            "choice",
            "ineq",
            "equation",
            "set",
            "left",
            "frac",
            "sqrt",
            "degree",
            "unit",
            "base",
            "text",
            "matrix",
            "complex",
            "expr",
            "howmany",
        ],
        weights=[2, 4, 3, 2, 2, 2, 3, 2, 2, 2, 1, 1, 1, 1, 1, 2],
    )[0]
    if v == "choice":
        letter = rng.choice("ABCDE")
        ref = f"\\text{{({letter})}}"
        real = [x.ref for x in pool.by_kind["choice"]]
        if rng.random() < 0.5:
            ref = rng.choice(real)
            letter = ref[7]
        shown = letter if pos else rng.choice([c for c in "ABCDE" if c != letter])
        return short_intro(rng) + _choice_form(rng, shown, ref), ref
    if v == "howmany":
        cands = [x for x in pool.gsm if re.search(r"[Hh]ow many ([a-z]+)", x.problem)]
        a = rng.choice(cands)
        unit = re.search(r"[Hh]ow many ([a-z]+)", a.problem)[1]
        if unit in NOT_UNITS:
            return None
        w = value_of(rng, a, pos)
        if w is None:
            return None
        s = str(w.numerator) if w.denominator == 1 else dec_str(w)
        if s is None:
            return None
        if rng.random() < 0.5:
            return plain_filler(rng) + "\n" + sub(rng.choice(PHRASE_FINALS), f"{s} {unit}"), a.ref
        return short_intro(rng) + sub(rng.choice(BOX_FINALS), f"{s}\\text{{ {unit}}}"), a.ref
    kinds = {
        "semi": ("tuple",),
        "ineq": ("interval",),
        "equation": ("equation",),
        "set": ("list", "pm"),
        "left": ("tuple", "interval"),
        "frac": ("rational",),
        "sqrt": ("surd",),
        "degree": ("degree",),
        "unit": ("unit", "money"),
        "base": ("base",),
        "text": ("text",),
        "matrix": ("matrix",),
        "complex": ("complex",),
        "expr": ("expr",),
    }[v]
    cands = [x for x in pool.math if x.kind in kinds]
    if v == "ineq":
        cands = [x for x in cands if "ineq" in x.extra]
    a = rng.choice(cands)
    if v == "semi":
        form = rng.choice(a.extra["semi"] if pos else a.extra["semi_bad"])
    elif v == "ineq":
        form = rng.choice(a.extra["ineq"] if pos else a.extra["ineq_bad"])
    elif v == "set":
        form = rng.choice(a.extra["set"]) if pos else "\\{" + a.wrong(rng) + "\\}"
    elif v == "left":
        if pos:
            want_left = "\\left" not in a.ref
            opts = [t for t in a.tex if ("\\left" in t) == want_left]
            if not opts:
                return None
            form = rng.choice(opts)
        else:
            b = a.wrong(rng)
            if "\\cup" in b:
                return None
            form = re.sub(r"^\(", "\\\\left(", b)
            form = re.sub(r"\)$", "\\\\right)", form) if form.startswith("\\left(") else form
            if form.count("\\left") != form.count("\\right"):
                return None
    elif v == "frac":
        val = a.num if pos else value_of(rng, a, False)
        if val is None or val.denominator == 1:
            return None
        p, q = val.numerator, val.denominator
        sg = "-" if p < 0 else ""
        form = rng.choice(
            [
                f"{sg}\\dfrac{{{abs(p)}}}{{{q}}}",
                f"{sg}\\tfrac{{{abs(p)}}}{{{q}}}",
                f"{p}/{q}",
                f"\\frac{{{p}}}{{{q}}}",
                f"{sg}{abs(p)}/{q}",
                f"{sg}\\frac{abs(p)}{q}"
                if abs(p) < 10 and q < 10
                else f"{sg}\\frac{{{abs(p)}}}{{{q}}}",
            ]
        )
        if parse_rational(form) != val:
            return None
    else:
        form = a.form(rng, pos)
    return short_intro(rng) + final_with(rng, form), a.ref


def t_traps(rng: random.Random, pool: Pool, pos: bool):
    v = rng.choices(range(9), weights=[2, 2, 4, 2, 2, 2, 2, 2, 2])[0]
    if v == 0:  # digits inside words only
        a = rng.choice([x for x in pool.math_int + pool.gsm if 0 < x.num < 1000])
        n = a.ref
        text = rng.choice(
            [
                f"As GPT{n} I am unable to solve this problem.",
                f"The method is in chapter{n} of the notes; I could not finish the computation.",
                f"Let me label the unknowns v{n} and w{n}. I was not able to determine them.",
                f"See reference ISBN978{n}X for details. The final value is not determined here.",
                f"Step{n}: (incomplete)",
                f"I'm sorry, model-v{n} could not parse this question.",
            ]
        )
        return text, a.ref
    if v == 1:  # an equation with letters against an expression reference
        a = rng.choice(pool.by_kind["expr"])
        e = a.good(rng)
        terms = split_terms(e)
        choice = rng.randrange(3)
        if choice == 0 or len(terms) < 2:
            body = f"{e} = 0"
        elif choice == 1:
            last_sign, last = terms[-1]
            rest = join_terms(terms[:-1])
            body = f"{rest} = {'' if last_sign == '-' else '-'}{last}"
        else:
            body = f"{e} = {rng.randint(1, 9)}"
        return short_intro(rng) + sub(rng.choice(BOX_FINALS), body), a.ref
    if v == 2:  # hedges between candidates
        a = pool.any(rng)
        if a.kind in ("list", "pm", "tuple", "interval", "matrix"):
            return None
        A, W = a.good(rng), a.wrong(rng)
        pa, pw = (_to_plain(t) or f"${t}$" for t in (A, W))
        first_right = rng.random() < 0.5
        x, y = (A, W) if first_right else (W, A)
        px, py = (pa, pw) if first_right else (pw, pa)
        text = rng.choice(
            [
                f"The answer is probably {px}, but it might be {py}.",
                f"It is either {px} or {py}.",
                f"$\\boxed{{{x}}}$ or $\\boxed{{{y}}}$",
                f"So the answer is $\\boxed{{{x}}}$ (or possibly $\\boxed{{{y}}}$).",
                f"$\\boxed{{{x} \\text{{ or }} {y}}}$",
                f"I'm torn between {px} and {py}, so I'll give both: $\\boxed{{{x}, {y}}}$.",
                f"Possible answers: {px}, {py}.",
                f"The answer is {px} or {py}, depending on how the problem is read.",
                f"My best guess is {px}; {py} is also plausible.",
            ]
        )
        return short_intro(rng) + text, a.ref
    if v == 3:  # "the answer is not X"
        a = pool.any(rng)
        pa = a.say(rng, True)
        text = rng.choice(
            [
                f"The answer is not {pa}.",
                f"It is definitely not $\\boxed{{{a.good(rng)}}}$; I cannot find the value.",
                f"We can rule out {pa}, so the answer must be something else.",
                f"{pa} is not correct, as the check above shows. I don't know the right value.",
            ]
        )
        return short_intro(rng) + text, a.ref
    if v == 4:  # restating the question only
        a = rng.choice(pool.gsm + pool.math)
        q = re.sub(r"\[asy\].*?\[/asy\]", "", a.problem, flags=re.S).strip()
        if len(q) > 600:
            return None
        nums = re.findall(r"\d+(?:\.\d+)?", q)
        if rng.random() < 0.5 or not nums:
            text = (
                "Let me restate the problem. " + q + "\n\nWe need to find the requested quantity."
            )
        else:
            text = "The numbers given in the problem are " + ", ".join(nums) + ". Let's use them."
        return text, a.ref
    if v == 5:  # empty or truncated output
        a = pool.any(rng)
        full = short_solution(rng, a, True, box_p=1.0)
        k = full.rfind("\\boxed{")
        cut = rng.choice(["empty", "before", "inside"])
        if cut == "empty":
            text = rng.choice(["", " ", "\n\n", "<think>\n", "<think>\nOkay, let me think about"])
        elif cut == "before" or k < 0:
            stop = full.rfind("\n") if "\n" in full else len(full) // 2
            text = full[: max(1, min(stop, k if k > 0 else stop))].rstrip() + rng.choice(
                ["", " So the", " Therefore the answer is", " Now, "]
            )
        else:
            text = full[: k + len("\\boxed{")]
        return text, a.ref
    if v == 6:  # a box left unclosed
        a = pool.any(rng)
        A = a.good(rng)
        text = short_intro(rng) + rng.choice(
            [
                f"The answer is $\\boxed{{{A}$.",
                f"Therefore \\boxed{{{A}",
                f"\\[\n\\boxed{{{A}\n\\]",
                f"Final answer: \\boxed{{{A}. Let me know if you need more detail.",
            ]
        )
        return text, a.ref
    if v == 7:  # unreadable reference
        a = rng.choice(pool.math_other)
        r = a.ref
        cuts = [k for k in range(1, len(r)) if r[k - 1] in "{(,^_" or r[k - 1 : k + 1] == "\\f"]
        broken = [
            r[:k]
            for k in cuts
            if r[:k].count("{") != r[:k].count("}")
            or r[:k].count("(") != r[:k].count(")")
            or r[:k].endswith((",", "^", "_"))
        ]
        broken += ["", " ", "\\frac{", "\\boxed{", "}", "{", "$", "\\text{(", "\\sqrt{"]
        ref = rng.choice(broken)
        comp = rng.choice(
            [
                short_solution(rng, a, True, box_p=1.0),
                f"The answer is $\\boxed{{{ref}}}$."
                if ref.strip()
                else "The answer is $\\boxed{}$.",
                f"The answer is {ref}",
            ]
        )
        return comp, ref
    # v == 8: several different final answers stated with equal weight
    a = pool.any(rng)
    if a.kind in ("list", "pm", "tuple", "interval", "matrix"):
        return None
    A, W = a.good(rng), a.wrong(rng)
    pair = [A, W]
    rng.shuffle(pair)
    text = (
        short_intro(rng)
        + f"Method 1 gives $\\boxed{{{pair[0]}}}$.\n\n"
        + f"Method 2 gives $\\boxed{{{pair[1]}}}$.\n\nI cannot tell which one is right."
    )
    return text, a.ref


RAMBLE = [
    "Hmm, let me reconsider.",
    "Okay, so first I should figure out what the question is really asking.",
    "Let me try a small case: with {a} items we get {b}.",
    "Wait, is that right? {a} times {b} is {c}, yes.",
    "Maybe I can use the complement instead.",
    "So that part gives {c}.",
    "Actually, hold on. Let me recount: {a} plus {b} is {d}.",
    "Alternatively, I could set up an equation with {a} on one side.",
    "That seems too big. Let me double-check the setup.",
    "Right, the constraint rules out {a} of those.",
]


def ramble(rng: random.Random, n: int) -> str:
    out = []
    for tmpl in rng.sample(RAMBLE, min(n, len(RAMBLE))):
        a, b = rng.randint(2, 30), rng.randint(2, 30)
        out.append(tmpl.format(a=a, b=b, c=a * b, d=a + b))
    return " ".join(out)


def verification(rng: random.Random) -> str:
    a, b = rng.randint(2, 30), rng.randint(2, 30)
    return rng.choice(
        [
            f"Let me verify: substituting back gives ${a} \\cdot {b} = {a * b}$, which matches. ✓",
            f"Check: {a} + {b} = {a + b} ✓, and {a + b} - {b} = {a} ✓.",
            f"**Verification.** With {a} groups of {b} we get {a * b}, consistent with the setup.",
            f"As a sanity check, the other case gives ${a + b}$, which is larger, as expected.",
        ]
    )


def problem_hook(rng: random.Random, a: Ans) -> str:
    """The first sentence of the problem, restated the way models often begin."""
    q = re.sub(r"\[asy\].*?\[/asy\]", "", a.problem, flags=re.S).strip()
    first = re.split(r"(?<=[.?!])\s", q, maxsplit=1)[0]
    if not first or len(first) > 160 or "$$" in first:
        return ""
    return rng.choice(["We are told: ", "The problem says: ", "Restating: "]) + first + " "


def _gsm_body(sol: str) -> list[str]:
    body = sol.split("####")[0]
    body = re.sub(r"<<[^>]*>>", "", body)
    return [ln.strip() for ln in body.strip().split("\n") if ln.strip()]


def t_whole_output(rng: random.Random, pool: Pool, pos: bool):
    v = rng.choices(range(5), weights=[3, 3, 3, 3, 2])[0]
    if v == 0:  # GSM8K-style solution
        a = rng.choice([x for x in pool.gsm if x.num is not None])
        lines = _gsm_body(a.solution)
        n = str(a.num.numerator)
        fin = n
        if not pos:
            w = value_of(rng, a, False)
            if w is None or w.denominator != 1:
                return None
            fin = str(w.numerator)
            hits = list(re.finditer(rf"(?<![\d.,]){n}(?![\d,])", lines[-1]))
            if hits:
                h = hits[-1]
                lines[-1] = lines[-1][: h.start()] + fin + lines[-1][h.end() :]
        if rng.random() < 0.4:
            lines = [f"{k + 1}. {ln}" for k, ln in enumerate(lines)]
        head = rng.choice(
            [
                "Let's think step by step.\n",
                "**Solution:**\n",
                "",
                "<think>\n" + ramble(rng, 4) + "\n</think>\n\n",
                "## Step-by-step\n\n",
            ]
        )
        end = rng.choice(
            [
                f"#### {fin}",
                f"The answer is {fin}.",
                f"**Final Answer:** $\\boxed{{{fin}}}$",
                f"Final Answer: The final answer is ${fin}$. I hope it is correct.",
                f"So the answer is **{fin}**.",
            ]
        )
        text = head + "\n".join(lines) + "\n\n" + end
        if rng.random() < 0.4:
            text += "\n\nLet me double-check: " + rng.choice(lines).split(". ", 1)[-1] + " ✓"
        return text, a.ref
    if v == 1:  # a MATH solution with its own box, dressed up
        a = rng.choice([x for x in pool.math if x.solution.count("\\boxed") == 1])
        boxes = find_boxes(a.solution)
        if len(boxes) != 1:
            return None
        st, en, content = boxes[0]
        if squeeze(content) != squeeze(a.ref) and not item_equal(content, a.ref):
            return None
        new = content if pos else a.wrong(rng)
        sol = a.solution[:st] + boxed(new) + a.solution[en:]
        style = rng.randrange(4)
        if style == 0:
            text = "## Solution\n\n" + sol + "\n\n**Final Answer**\n\\[\n\\boxed{" + new + "}\n\\]"
        elif style == 1:
            text = sol + f"\nFinal Answer: The final answer is ${new}$. I hope it is correct."
        elif style == 2:
            text = "<think>\n" + ramble(rng, rng.randint(3, 7)) + "\n</think>\n\n" + sol
        else:
            text = sol + "\n\n### Verification\n" + verification(rng) + " Everything is consistent."
        return text, a.ref
    a = pool.any(rng)
    A, W = a.good(rng), a.wrong(rng)
    if v == 2:  # <think> block then the answer
        sa, sw = a.say(rng, True), a.say(rng, False)
        mode = rng.randrange(3)
        if pos:
            think_end = A if mode else W
            inner = ramble(rng, rng.randint(3, 6)) + "\n\n" + ramble(rng, rng.randint(2, 5))
            if mode == 0:
                inner += f" So it's {sw}? Wait, no, I mixed up the cases. Redoing it gives {sa}."
            else:
                inner += f" So the answer should be {sa if think_end == A else sw}."
            final = A
        else:
            inner = ramble(rng, rng.randint(3, 6)) + "\n\n" + ramble(rng, rng.randint(2, 5))
            inner += f" So the answer should be {sa if mode else sw}."
            final = W
        text = (
            "<think>\n"
            + inner
            + "\n</think>\n\n"
            + problem_hook(rng, a)
            + " ".join(filler(rng) for _ in range(rng.randint(2, 4)))
            + "\n\n"
            + sub(rng.choice(BOX_FINALS), final)
        )
        if rng.random() < 0.4:
            text += "\n\n" + verification(rng)
        return text, a.ref
    if v == 3:  # markdown CoT with a self-correction and a verification section
        first, second = (W, A) if pos else (A, W)
        parts = [
            rng.choice(["## Understanding the problem", "### Step 1: Set up", "**Step 1.**"]),
            problem_hook(rng, a) + filler(rng) + " " + filler(rng),
            rng.choice(["## Computing", "### Step 2: Compute", "**Step 2.**"]),
            f"- {plain_filler(rng)}\n- {plain_filler(rng)}\n- **Key fact:** {filler(rng)}",
            rng.choice(["## Combining", "### Step 3: Combine", "**Step 3.**"]),
            " ".join(filler(rng) for _ in range(rng.randint(1, 3))),
            f"This gives ${first}$. Wait, that's not right: {rng.choice(REASONS)}. "
            f"Fixing it, we get ${second}$.",
            sub(rng.choice(BOX_FINALS[:6]), second),
        ]
        if rng.random() < 0.6:
            parts += ["### Verification", verification(rng)]
        return "\n\n".join(parts), a.ref
    # v == 4: Minerva style
    fin = A if pos else W
    body = problem_hook(rng, a) + " ".join(filler(rng) for _ in range(rng.randint(4, 8)))
    if rng.random() < 0.5:
        other = W if pos else A
        body += f" At first this looks like ${other}$, but {rng.choice(REASONS)}, so we redo it."
        body += " " + filler(rng)
    text = f"Solution: {body}\nFinal Answer: The final answer is ${fin}$. I hope it is correct."
    return text, a.ref


def t_reference_forms(rng: random.Random, pool: Pool, pos: bool):
    v = rng.choices(range(10), weights=[2, 2, 2, 1, 2, 2, 3, 3, 1, 1])[0]
    if v == 6:
        a = rng.choice([x for x in pool.math if x.solution.count("\\boxed") == 1])
        boxes = find_boxes(a.solution)
        if len(boxes) != 1 or (
            squeeze(boxes[0][2]) != squeeze(a.ref) and not item_equal(boxes[0][2], a.ref)
        ):
            return None
        ref = a.solution
    elif v == 7:
        a = rng.choice(pool.gsm)
        ref = a.solution
    else:
        a = pool.any(rng)
        r = a.ref
        if v == 0:
            ref = f"${r}$"
        elif v == 1:
            ref = boxed(r)
        elif v == 2:
            ref = f"$\\boxed{{{r}}}$"
        elif v == 3:
            if "\\frac" not in r and "\\dfrac" not in r:
                return None
            ref = (
                r.replace("\\dfrac", "\\frac") if "\\dfrac" in r else r.replace("\\frac", "\\dfrac")
            )
        elif v == 4:
            ref = spaced(r) if spaced(r) != r else squeeze(r)
            if ref == r:
                ref = " " + r + " "
        elif v == 5:
            ref = rng.choice(
                [
                    f"The answer is ${r}$.",
                    f"Answer: {r}",
                    f"\\({r}\\)",
                    f"The final answer is $\\boxed{{{r}}}$.",
                ]
            )
        elif v == 8:
            ref = r + rng.choice(["\n", " ", "\n\n"])
        else:
            ref = f"\\[{r}\\]"
    style = rng.randrange(3)
    if style == 0:
        comp = a.form(rng, pos)
    elif style == 1:
        comp = boxed(a.form(rng, pos))
    else:
        comp = rng.choice(["The answer is ", "Answer: ", ""]) + a.say(rng, pos)
    return comp, ref


GENERATORS = {
    "several_boxes": t_several_boxes,
    "chain": t_chain,
    "labelled": t_labelled,
    "math_span": t_math_span,
    "multilingual": t_multilingual,
    "number_format": t_number_format,
    "escaped": t_escaped,
    "notation": t_notation,
    "traps": t_traps,
    "whole_output": t_whole_output,
    "reference_forms": t_reference_forms,
}
COUNTS = {t: 150 for t in TAGS} | {"traps": 120}


def build_rows(data: Path, seed: int) -> list[dict]:
    pool = Pool(data, random.Random(f"{seed}:pool"))
    rows: list[dict] = []
    for tag in TAGS:
        rng = random.Random(f"{seed}:{tag}")
        fn = GENERATORS[tag]
        seen: set[tuple[str, str]] = set()
        made = attempts = 0
        while made < COUNTS[tag]:
            attempts += 1
            if attempts > COUNTS[tag] * 200:
                raise RuntimeError(f"{tag}: could not build enough rows")
            pos = tag != "traps" and made % 2 == 0
            out = fn(rng, pool, pos)
            if out is None or out in seen:
                continue
            seen.add(out)
            comp, ref = out
            rows.append(
                {
                    "completion": comp,
                    "reference": ref,
                    "expected": pos,
                    "source": SOURCE,
                    "tag": tag,
                }
            )
            made += 1
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument(
        "--data", type=Path, required=True, help="folder with the benchmark JSONL files"
    )
    ap.add_argument("--out", type=Path, required=True, help="output JSONL path")
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args(argv)
    rows = build_rows(args.data, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts = collections.Counter((r["tag"], r["expected"]) for r in rows)
    print(f"{'tag':<16} {'pos':>5} {'neg':>5}")
    for tag in TAGS:
        print(f"{tag:<16} {counts[(tag, True)]:>5} {counts[(tag, False)]:>5}")
    total_pos = sum(v for (t, e), v in counts.items() if e)
    print(f"{'total':<16} {total_pos:>5} {len(rows) - total_pos:>5}   rows={len(rows)}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
