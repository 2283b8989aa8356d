"""Held-out evaluation corpus for the math answer verifier.

This script writes a JSONL corpus of (completion, reference, expected) rows that measures a math
answer verifier on data it was not developed against.  It was written WITHOUT reading the
verifier's code, its tests, or the project's development corpus, and without copying cases from
other projects' verifier test suites: every template below is our own.

Labels come from construction, never from a grader:

* a POSITIVE row renders the dataset's true answer in an equivalent surface form (different
  spacing, \\frac vs \\dfrac vs a/b, thousands separators, a labelled or chained form, ...);
* a NEGATIVE row renders a deliberately changed value (one number moved by +-1, x10 or a sign
  flip, two unequal tuple elements swapped, an interval bracket or endpoint changed, another
  choice letter, another word) in the same surface forms, or a completion that gives no single
  answer at all (the ``traps`` class).

The answer pool is the ``answer`` field of MATH-500 and the final ``#### N`` number of GSM8K
(test split).  The ``reference`` of a row is the dataset answer exactly as given; only the
``traps`` class also uses a few deliberately unreadable references.

Classes (the ``tag`` of a row):

 1. several_boxes  answers split over several \\boxed{} (lists, sets, +- roots), and an early
                   \\boxed{} followed by a later final-answer statement (the last statement wins).
 2. chain          ``expression = value`` chains inside math; the final value is graded.  An
                   unsolved equation whose right side is the reference is a negative.
 3. labelled       labelled answers: ``(a, b) = (1, 2)``, ``AB = 5``, ``f(x) = ...``,
                   ``x_1 = 3, x_2 = 5`` for a list, ``a + b = 7`` for a scalar.
 4. math_span      the answer is the last math span of prose with no box and no answer phrase.
 5. multilingual   prose and answer phrases in eleven languages (decimal commas where natural).
 6. number_format  thousands separators, currency, trailing zeros, decimal commas, scientific
                   notation; pairs such as ``(3,100)`` are pairs, never the number 3100.
 7. escaped        JSON-style doubled backslashes (``\\\\frac``, ``\\\\boxed``, ``\\\\(``).
 8. notation       semicolon tuples, multiple-choice letter styles, inequalities and equations
                   equal up to scaling by a constant, intervals written as inequalities.
 9. traps          inputs that must not earn the reward (digits inside words, equations with
                   letters, several candidates, hedging, restated question numbers, no answer,
                   unreadable references).  All expected false.
10. whole_output   realistic multi-paragraph chain-of-thought outputs with varied endings
                   (<think> blocks, markdown, Minerva/Qwen/Llama/DeepSeek-like endings).

Usage::

    python benchmarks/math_heldout.py --data /work/shared/data --out /tmp/heldout.jsonl --seed 7
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# Answer model: parse a reference into a kind, its equivalent renderings, and perturbations.
# ---------------------------------------------------------------------------------------------


@dataclass
class Ans:
    """A parsed answer: its kind, equivalent LaTeX renderings, and kind-specific details."""

    ref: str
    kind: str
    forms: list[str]
    value: Fraction | None = None
    parts: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


INT_RE = re.compile(r"-?\d+")
GROUPED_RE = re.compile(r"-?\d{1,3}(?:,(?:\\!)?\s?\d{3})+")
DEC_RE = re.compile(r"-?\d*\.\d+")
FRAC_RE = re.compile(r"(-?)\\[dt]?frac\s*(\{\d+\}|\d)\s*(\{\d+\}|\d)")
MIXED_RE = re.compile(r"(\d+)\s*\\frac\{(\d+)\}\{(\d+)\}")
DEGREE_RE = re.compile(r"(-?\d+)\s*\^\s*\{?\\circ\}?")
BASE_RE = re.compile(r"(\d+)_\{?(\d+)\}?")
CHOICE_RE = re.compile(r"\\text\{\(([A-Z])\)\}")
TEXT_RE = re.compile(r"\\text\{([A-Za-z]+)\}")
UNIT_RE = re.compile(r"(.+?)\s*\\(?:mbox|text)\{\s*([A-Za-z ]+?)\s*\}(\^2)?")

# Words offered by the problem statement as the other possible text answers.
TEXT_ALTERNATIVES = {
    "even": ["odd", "neither"],
    "ellipse": ["parabola", "hyperbola", "circle"],
    "east": ["north", "south", "west"],
    "Navin": ["Luka", "Ian"],
    "Evelyn": ["Briana", "Carla", "Debra", "Angela"],
}

# Interval answers and the variable the problem uses (None: no variable is named).
INTERVAL_VARS = {
    "(5,\\infty)": "x",
    "(2,\\infty)": None,
    "(-\\infty, 0]": "y",
    "x \\in [-2,7]": "x",
    "(3,4]": "\\lambda",
    "(-\\sqrt{3}, \\sqrt{3})": "x",
    "\\left(\\frac{3}{5},\\frac{8}{3}\\right]": "p",
    "(0,9) \\cup (9,36)": "x",
    "(-\\infty, 2) \\cup (3, \\infty)": "x",
    "(2,12) \\cup (12,102)": "x",
    "\\left[ \\frac{\\pi^2}{8}, \\frac{5 \\pi^2}{4} \\right]": "f(x)",
}

# Tuple answers and the names the problem gives their components.
TUPLE_LABELS = {
    "\\left( 3, \\frac{\\pi}{2} \\right)": ["r", "\\theta"],
    "(6,31,-1)": ["p", "q", "r"],
    "(-2,1)": ["a", "b"],
    "(15,-29)": ["x", "y"],
    "\\left( \\frac{3}{2}, -13 \\right)": ["m", "b"],
    "(-1,6)": ["x", "y"],
    "(1,-16,-4,43)": ["a", "b", "c", "d"],
    "(8,-2)": ["a", "b"],
    "(2,4)": ["x", "y"],
}

# Equation answers: equivalent equations (same solution set / same line or plane).
EQUATION_EQUIVS = {
    "y = 2x + 3": ["y = 3 + 2x", "2y = 4x + 6", "-y = -2x - 3", "3y = 6x + 9"],
    "y = -2x": ["2y = -4x", "-y = 2x", "y = -2 x", "3y = -6x"],
    "x=5": ["-x = -5", "2x = 10", "5 = x", "3x = 15"],
    "5x - 7y + 11z + 4 = 0": [
        "-5x + 7y - 11z - 4 = 0",
        "10x - 14y + 22z + 8 = 0",
        "5x - 7y + 11z = -4",
    ],
}

# Polynomial / symbolic answers and the name under which a solution would label them.
EXPR_LABELS = {
    "x^3+3x-6": "f(x)",
    "15x - 80": "E(x)",
    "-13x+3": "r(x)",
    "x^5 - x^4 + x^3 - x^2 + x - 1": "q(x)",
    "x^8 + x^7 + x^6 + x^5 + x^4 + x^3 + x^2 + x + 1": "q(x)",
    "6r^2-4r-24": "P(r)",
    "8n^2 + 4n + 1": "f(n)",
    "2k+2": "E",
    "2k": "a+b+c+d+e+f",
    "3R^2": "AF^2 + BF^2 + CF^2",
    "5r^5": "E",
    "(a+5)(b+2)": "ab+5b+2a+10",
    "p - q": "S",
    "\\frac{11+9a}{20}": "E",
    "\\cot x": "E",
}

# Symbolic answers with no digit to perturb: hand-made changed values.
EXPR_WRONG = {"\\cot x": ["\\tan x", "\\csc x"], "p - q": ["q - p", "p + q"], "\\pi": ["2\\pi"]}

# Commuted but equal renderings of some symbolic answers.
EXPR_EQUIVS = {
    "(a+5)(b+2)": ["(b+2)(a+5)", "(a + 5)(b + 2)"],
    "18+2\\pi": ["2\\pi + 18", "18 + 2\\pi"],
    "11 \\sqrt{5} + 11": ["11 + 11\\sqrt{5}", "11(\\sqrt{5} + 1)"],
    "1+2\\sqrt{3}": ["2\\sqrt{3} + 1", "1 + 2 \\sqrt{3}"],
    "p - q": ["-q + p"],
    "2k+2": ["2(k+1)", "2 + 2k"],
    "15x - 80": ["5(3x - 16)", "-80 + 15x"],
}

# Variable used when a list answer is written out as labelled values.
LIST_VARS = {"1,-2": "n", "\\{1\\pm\\sqrt{5},-2\\}": "s"}


def dedupe(items: list[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def group_digits(n: int, sep: str = ",") -> str:
    text = f"{abs(n):,}".replace(",", sep)
    return ("-" if n < 0 else "") + text


def exact_decimal(x: Fraction) -> str | None:
    """The terminating decimal expansion of x, or None."""
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d != 1:
        return None
    text = format(Decimal(x.numerator) / Decimal(x.denominator), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def frac_latex(x: Fraction, cmd: str = "\\frac") -> str:
    if x.denominator == 1:
        return str(x.numerator)
    sign = "-" if x < 0 else ""
    return f"{sign}{cmd}{{{abs(x.numerator)}}}{{{x.denominator}}}"


def neg_latex(s: str) -> str:
    """Negate a single-term LaTeX expression."""
    s = s.strip()
    if s == "0":
        return s
    return s[1:].strip() if s.startswith("-") else "-" + s


def split_top(s: str, sep: str = ",") -> list[str]:
    """Split on sep at brace/paren depth 0."""
    depth, cur, out = 0, "", []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        if ch == sep and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
        i += 1
    out.append(cur.strip())
    return out


def normalise_expr(s: str) -> list[str]:
    """Equivalent spellings of a symbolic LaTeX expression."""
    forms = [s]
    t = s.replace("\\dfrac", "\\frac")
    t = re.sub(r"\\sqrt(\d)", r"\\sqrt{\1}", t)
    t = re.sub(r"\\frac\s*(\d)(\d)", r"\\frac{\1}{\2}", t)
    t = re.sub(r"\\frac\{(\d+)\}(\d)", r"\\frac{\1}{\2}", t)
    t = re.sub(r"\\frac(\d)\{", r"\\frac{\1}{", t)
    forms.append(t)
    if not re.search(r"\\[a-zA-Z]+\s+[a-zA-Z]", t):
        forms.append(re.sub(r"\s+", "", t))
    spaced = re.sub(r"(?<=[\w}])\s*([+\-])\s*", r" \1 ", t)
    forms.append(re.sub(r"\s+", " ", spaced).strip())
    forms.extend(EXPR_EQUIVS.get(s, []))
    return dedupe(forms)


def parse_interval(ref: str) -> list[tuple[str, str, str, str]]:
    body = re.sub(r"^[a-z]\s*\\in\s*", "", ref)
    pieces = []
    for piece in body.split("\\cup"):
        p = piece.strip().replace("\\left", "").replace("\\right", "").strip()
        lb, rb = p[0], p[-1]
        lo, hi = split_top(p[1:-1])
        pieces.append((lb, lo.strip(), hi.strip(), rb))
    return pieces


def render_interval(pieces, style: int = 0) -> str:
    out = []
    for lb, lo, hi, rb in pieces:
        if style == 1:
            out.append(f"{lb}{lo},{hi}{rb}")
        elif style == 2:
            out.append(f"\\left{lb} {lo}, {hi} \\right{rb}")
        elif style == 3:
            hi2 = "+\\infty" if hi == "\\infty" else hi
            out.append(f"{lb}{lo}, {hi2}{rb}")
        else:
            out.append(f"{lb}{lo}, {hi}{rb}")
    joiner = " \\cup " if style != 1 else "\\cup"
    return joiner.join(out)


def inequality_forms(pieces, var: str) -> list[str]:
    """Inequality renderings of an interval union in the variable var."""
    singles: list[list[str]] = []
    for lb, lo, hi, rb in pieces:
        lo_op = "<" if lb == "(" else "\\le"
        hi_op = "<" if rb == ")" else "\\le"
        rev = {"<": ">", "\\le": "\\ge"}
        forms = []
        if lo == "-\\infty":
            forms += [f"{var} {hi_op} {hi}", f"{hi} {rev[hi_op]} {var}"]
            forms.append(f"-{var} {rev[hi_op]} {neg_latex(hi)}")
            if re.fullmatch(r"-?\d+", hi):
                forms.append(f"2{var} {hi_op} {2 * int(hi)}")
        elif hi == "\\infty":
            forms += [f"{var} {rev[lo_op]} {lo}", f"{lo} {lo_op} {var}"]
            forms.append(f"-{var} {lo_op} {neg_latex(lo)}")
            if re.fullmatch(r"-?\d+", lo):
                forms.append(f"3{var} {rev[lo_op]} {3 * int(lo)}")
        else:
            forms.append(f"{lo} {lo_op} {var} {hi_op} {hi}")
            forms.append(f"{neg_latex(hi)} {hi_op} -{var} {lo_op} {neg_latex(lo)}")
            if re.fullmatch(r"-?\d+", lo) and re.fullmatch(r"-?\d+", hi):
                forms.append(f"{2 * int(lo)} {lo_op} 2{var} {hi_op} {2 * int(hi)}")
        singles.append(forms)
    if len(singles) == 1:
        return singles[0]
    return [" \\text{ or } ".join(f[0] for f in singles), " or ".join(f[0] for f in singles)]


def parse(ref: str) -> Ans | None:
    """Parse a dataset answer into an Ans; None for answers we do not model."""
    s = ref.strip()
    if m := CHOICE_RE.fullmatch(s):
        letter = m.group(1)
        forms = [s, f"({letter})", letter, f"\\text{{{letter}}}", f"\\textbf{{({letter})}}"]
        return Ans(ref, "choice", forms, extra={"letter": letter})
    if m := TEXT_RE.fullmatch(s):
        w = m.group(1)
        forms = [s, f"\\textbf{{{w}}}", f"\\mathrm{{{w}}}", f"\\text{{ {w} }}"]
        return Ans(ref, "text", dedupe(forms), extra={"word": w})
    if s.startswith("\\$"):
        inner = s[2:].strip()
        num = parse(inner)
        if num is None or num.kind not in ("int", "dec"):
            return None
        plain = inner.replace("\\!", "").replace(" ", "")
        forms = [s, f"\\${plain}", plain]
        if num.kind == "dec":
            forms += [f"\\${exact_decimal(num.value)}", exact_decimal(num.value)]
        else:
            forms += [f"\\${num.value}", str(num.value)]
        return Ans(ref, "dollar", dedupe(forms), num.value, extra={"inner": num})
    if m := DEGREE_RE.fullmatch(s):
        n = int(m.group(1))
        forms = [s, f"{n}^\\circ", f"{n}^{{\\circ}}", f"{n}°", str(n), f"{n}\\text{{ degrees}}"]
        return Ans(ref, "degree", dedupe(forms), Fraction(n))
    if m := BASE_RE.fullmatch(s):
        digits, base = m.group(1), int(m.group(2))
        if any(int(c) >= base for c in digits):
            return None
        forms = [s, f"{digits}_{{{base}}}"] + ([f"{digits}_{base}"] if base < 10 else [])
        return Ans(ref, "base", dedupe(forms), Fraction(int(digits, base)), extra={"base": base})
    if s.startswith("\\begin{pmatrix}"):
        body = s[len("\\begin{pmatrix}") : -len("\\end{pmatrix}")]
        rows = [[c.strip() for c in r.split("&")] for r in body.split("\\\\")]
        return Ans(
            ref,
            "matrix",
            matrix_forms(rows),
            parts=[c for r in rows for c in r],
            extra={"rows": rows},
        )
    if s in INTERVAL_VARS:
        pieces = parse_interval(s)
        forms = [s] + [render_interval(pieces, k) for k in range(4)]
        if s.startswith("x \\in"):
            forms += ["x \\in " + render_interval(pieces, 0)]
        return Ans(
            ref, "interval", dedupe(forms), extra={"pieces": pieces, "var": INTERVAL_VARS[s]}
        )
    if "=" in s:
        lhs, rhs = (t.strip() for t in s.split("=", 1))
        forms = [s, f"{lhs} = {rhs}", f"{lhs}={rhs}".replace(" ", "")]
        return Ans(ref, "equation", dedupe(forms), extra={"lhs": lhs, "rhs": rhs})
    if m := UNIT_RE.fullmatch(s):
        num = parse(m.group(1).strip())
        if num is None:
            return None
        unit, sq = m.group(2), m.group(3) or ""
        forms = [*num.forms[:3], f"{num.forms[0]}\\text{{ {unit}}}{sq}", s]
        return Ans(
            ref, "unit", dedupe(forms), num.value, extra={"num": num, "unit": unit, "sq": sq}
        )
    inner = s.replace("\\left", "").replace("\\right", "").strip()
    # One parenthesised group with top-level commas (not "(a+5)(b+2)").
    if (
        inner.startswith("(")
        and inner.endswith(")")
        and len(split_top(inner[1:-1])) > 1
        and split_top(inner)[0] == inner
    ):
        elems = split_top(inner[1:-1])
        forms = [*tuple_forms(elems), s]
        return Ans(ref, "tuple", dedupe(forms), parts=elems, extra={"labels": TUPLE_LABELS.get(s)})
    if s.startswith("\\{") and s.endswith("\\}"):
        elems = split_top(s[2:-2])
        expanded = [e for el in elems for e in expand_pm(el)]
        forms = [
            s,
            "\\{" + ", ".join(elems) + "\\}",
            ", ".join(elems),
            ", ".join(expanded),
            "\\{" + ", ".join(expanded) + "\\}",
        ]
        return Ans(ref, "set", dedupe(forms), parts=expanded, extra={"elems": elems})
    if len(split_top(s)) > 1 and not GROUPED_RE.fullmatch(s):
        elems = split_top(s)
        forms = [s, ", ".join(elems), ",".join(elems), ",\\ ".join(elems)]
        return Ans(ref, "list", dedupe(forms), parts=elems)
    if "\\pm" in s:
        parts = expand_pm(s)
        base, term = (t.strip() for t in s.split("\\pm"))
        forms = [s, f"{base} \\pm {term}", f"{base}\\pm{term}".replace(" ", ""), ", ".join(parts)]
        return Ans(ref, "pm", dedupe(forms), parts=parts)
    if INT_RE.fullmatch(s) or GROUPED_RE.fullmatch(s):
        n = int(re.sub(r"[^\d-]", "", s))
        return Ans(ref, "int", dedupe([str(n), s]), Fraction(n))
    if DEC_RE.fullmatch(s):
        x = Fraction(Decimal(s))
        lead = ("-0" + s[1:]) if s.startswith("-.") else ("0" + s if s.startswith(".") else s)
        return Ans(ref, "dec", dedupe([s, lead]), x, extra={"text": lead})
    if m := FRAC_RE.fullmatch(s):
        sign, p, q = m.group(1), int(m.group(2).strip("{}")), int(m.group(3).strip("{}"))
        x = Fraction(p, q) * (-1 if sign else 1)
        forms = [s, f"{sign}\\frac{{{p}}}{{{q}}}", f"{sign}\\dfrac{{{p}}}{{{q}}}", f"{sign}{p}/{q}"]
        if sign:
            forms.append(f"\\frac{{-{p}}}{{{q}}}")
        return Ans(ref, "frac", dedupe(forms), x, extra={"p": p, "q": q, "sign": sign})
    if m := MIXED_RE.fullmatch(s):
        w, a, b = (int(g) for g in m.groups())
        x = w + Fraction(a, b)
        forms = [s, f"{w}\\frac{{{a}}}{{{b}}}", f"{w} \\tfrac{{{a}}}{{{b}}}", frac_latex(x)]
        if exact_decimal(x):
            forms.append(exact_decimal(x))
        return Ans(ref, "mixed", dedupe(forms), x)
    if re.fullmatch(r"-?\d+\s*[+-]\s*\d*i", s):
        m2 = re.fullmatch(r"(-?\d+)\s*([+-])\s*(\d*)i", s)
        a, op, b = m2.groups()
        swapped = f"{op if op == '-' else ''}{b}i + {a}".replace("+ -", "- ")
        forms = [*normalise_expr(s), swapped]
        return Ans(ref, "complex", dedupe(forms))
    if m := re.fullmatch(r"(\d*)\s*\\sqrt\{?(\d+)\}?", s):
        k, r = int(m.group(1) or 1), int(m.group(2))
        return Ans(ref, "radical", normalise_expr(s), extra={"k": k, "r": r})
    if m := re.fullmatch(r"(\d*)\s*\\pi", s):
        return Ans(ref, "pi", normalise_expr(s), extra={"k": int(m.group(1) or 1)})
    return Ans(ref, "expr", normalise_expr(s))


def expand_pm(s: str) -> list[str]:
    if "\\pm" not in s:
        return [s.strip()]
    base, term = (t.strip() for t in s.split("\\pm"))
    return [f"{base} + {term}", f"{base} - {term}"]


def alt_form(e: str) -> str:
    """Another spelling of a single tuple element."""
    if "\\frac" in e and "\\dfrac" not in e:
        return e.replace("\\frac", "\\dfrac")
    forms = normalise_expr(e)
    return forms[1] if len(forms) > 1 else e


def tuple_forms(elems: list[str]) -> list[str]:
    alt = [alt_form(e) for e in elems]
    return dedupe(
        [
            "(" + ", ".join(elems) + ")",
            "(" + ",".join(elems) + ")",
            "\\left( " + ", ".join(alt) + " \\right)",
            "(" + ", ".join(alt) + ")",
        ]
    )


def matrix_forms(rows: list[list[str]]) -> list[str]:
    def render(rws, env, sep_row=" \\\\ ", sep_col=" & "):
        body = sep_row.join(sep_col.join(r) for r in rws)
        return f"\\begin{{{env}}} {body} \\end{{{env}}}"

    fracs = [[re.sub(r"^(-?)(\d+)/(\d+)$", r"\1\\frac{\2}{\3}", c) for c in r] for r in rows]
    return dedupe(
        [
            render(rows, "pmatrix"),
            render(rows, "pmatrix", "\\\\", "&").replace(" ", ""),
            render(fracs, "pmatrix"),
            render(rows, "bmatrix"),
        ]
    )


# ---------------------------------------------------------------------------------------------
# Perturbations: a changed value of the same kind.
# ---------------------------------------------------------------------------------------------


def bump_literals(s: str) -> list[tuple[int, int]]:
    """Spans of integer literals that may be changed (not exponents, subscripts, decimals)."""
    spans = []
    for m in re.finditer(r"\d+", s):
        before, after = s[: m.start()].rstrip(), s[m.end() :]
        if before.endswith(("^", "_", "^{", "_{", ".")) or after.startswith("."):
            continue
        if re.search(r"\\text\{[^}]*$", before):
            continue
        spans.append((m.start(), m.end()))
    return spans


def bump(s: str, rng: random.Random) -> str | None:
    spans = bump_literals(s)
    if not spans:
        return None
    a, b = rng.choice(spans)
    n = int(s[a:b])
    return s[:a] + str(n + rng.choice([1, 1, 2])) + s[b:]


def int_wrong(n: int, rng: random.Random) -> int:
    options = [n + 1, n - 1, n + 2, n + 10]
    if n != 0:
        options += [10 * n, -n]
    return rng.choice([m for m in options if m != n])


def perturb(ans: Ans, rng: random.Random) -> Ans | None:
    """A deliberately changed answer of the same kind (None if we cannot safely change it)."""
    for _ in range(10):
        new = _perturb_once(ans, rng)
        if new is None:
            continue
        if ans.value is not None and new.value is not None and new.value == ans.value:
            continue
        canon_old = {re.sub(r"\s+", "", f) for f in ans.forms}
        if any(re.sub(r"\s+", "", f) in canon_old for f in new.forms):
            continue
        return new
    return None


def _perturb_once(ans: Ans, rng: random.Random) -> Ans | None:
    k, s = ans.kind, ans.ref
    if k == "int":
        m = int_wrong(int(ans.value), rng)
        text = group_digits(m) if "," in s else str(m)
        return Ans(text, "int", dedupe([str(m), text]), Fraction(m))
    if k == "dec":
        text = ans.extra["text"]
        if rng.random() < 0.7:
            last = int(text[-1])
            new = text[:-1] + str(last + 1 if last < 9 else last - 1)
        else:
            new = exact_decimal(ans.value * 10)
        return parse(new)
    if k == "frac":
        p, q, sign = ans.extra["p"], ans.extra["q"], ans.extra["sign"]
        choice = rng.randrange(3)
        if choice == 0 and p + 1 != q:
            p += 1
        elif choice == 1 and p != q + 1:
            q += 1
        else:
            sign = "" if sign else "-"
        return parse(f"{sign}\\frac{{{p}}}{{{q}}}")
    if k == "mixed":
        whole = re.match(r"\d+", s).group()
        return parse(str(int(whole) + rng.choice([1, 2])) + s[len(whole) :])
    if k in ("degree", "dollar", "unit", "base"):
        if k == "base":
            digits, base = ans.ref.split("_", 1)
            base_n = ans.extra["base"]
            last = int(digits[-1])
            new_last = last + 1 if last + 1 < base_n else last - 1
            return parse(f"{digits[:-1]}{new_last}_{base}")
        if k == "unit":
            num = perturb(ans.extra["num"], rng)
            if num is None:
                return None
            return parse(ans.ref.replace(ans.extra["num"].ref, num.ref, 1))
        if k == "dollar":
            inner = perturb(ans.extra["inner"], rng)
            if inner is None or inner.value < 0:
                return None
            text = str(int(inner.value))
            if inner.kind == "dec":
                places = len(ans.ref.split(".")[1])
                exact = Decimal(inner.value.numerator) / Decimal(inner.value.denominator)
                text = format(exact, f".{places}f")
            return parse("\\$" + text)
        new = bump(s, rng)
        return parse(new) if new else None
    if k in ("text", "choice"):
        if k == "text":
            w = ans.extra["word"]
            return parse(f"\\text{{{rng.choice(TEXT_ALTERNATIVES[w])}}}")
        letters = [c for c in ans.extra.get("letters", "ABCDE") if c != ans.extra["letter"]]
        return parse(f"\\text{{({rng.choice(letters)})}}")
    if k == "tuple":
        elems = list(ans.parts)
        if rng.random() < 0.4:
            pairs = [
                (i, j)
                for i in range(len(elems))
                for j in range(i + 1, len(elems))
                if elems[i].replace(" ", "") != elems[j].replace(" ", "")
            ]
            if pairs:
                i, j = rng.choice(pairs)
                elems[i], elems[j] = elems[j], elems[i]
                new = parse("(" + ", ".join(elems) + ")")
                if new:
                    new.extra["labels"] = ans.extra.get("labels")
                return new
        i = rng.randrange(len(elems))
        changed = bump(elems[i], rng)
        if changed is None:
            return None
        elems[i] = changed
        new = parse("(" + ", ".join(elems) + ")")
        if new:
            new.extra["labels"] = ans.extra.get("labels")
        return new
    if k == "interval":
        pieces = [list(p) for p in ans.extra["pieces"]]
        i = rng.randrange(len(pieces))
        lb, lo, hi, rb = pieces[i]
        if rng.random() < 0.5:
            if lo != "-\\infty" and (hi == "\\infty" or rng.random() < 0.5):
                pieces[i][0] = "[" if lb == "(" else "("
            elif hi != "\\infty":
                pieces[i][3] = "]" if rb == ")" else ")"
        else:
            j = 1 if lo != "-\\infty" and (hi == "\\infty" or rng.random() < 0.5) else 2
            changed = bump(pieces[i][j], rng)
            if changed is None:
                return None
            pieces[i][j] = changed
        pieces_t = [tuple(p) for p in pieces]
        for _, lo2, hi2, _ in pieces_t:
            if INT_RE.fullmatch(lo2) and INT_RE.fullmatch(hi2) and int(lo2) >= int(hi2):
                return None
        forms = dedupe([render_interval(pieces_t, st) for st in range(4)])
        return Ans(forms[0], "interval", forms, extra={"pieces": pieces_t, "var": ans.extra["var"]})
    if k == "matrix":
        rows = [list(r) for r in ans.extra["rows"]]
        cells = [(i, j) for i, r in enumerate(rows) for j in range(len(r))]
        i, j = rng.choice(cells)
        changed = bump(rows[i][j], rng)
        if changed is None:
            return None
        rows[i][j] = changed
        return Ans(
            "",
            "matrix",
            matrix_forms(rows),
            parts=[c for r in rows for c in r],
            extra={"rows": rows},
        )
    if k in ("list", "set"):
        elems = list(ans.extra.get("elems", ans.parts))
        i = rng.randrange(len(elems))
        changed = bump(elems[i], rng)
        if changed is None:
            return None
        elems[i] = changed
        return parse("\\{" + ", ".join(elems) + "\\}" if k == "set" else ", ".join(elems))
    if s in EXPR_WRONG:
        return parse(rng.choice(EXPR_WRONG[s]))
    new = bump(s, rng)
    if new is None:
        return None
    return parse(new)


# ---------------------------------------------------------------------------------------------
# Pool of dataset answers.
# ---------------------------------------------------------------------------------------------


@dataclass
class Item:
    ref: str
    ans: Ans
    problem: str
    solution: str
    source: str  # "math" or "gsm8k"


def load_pool(data: Path) -> list[Item]:
    items: list[Item] = []
    with open(data / "math500_test.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            ans = parse(row["answer"])
            if ans is not None:
                if ans.kind == "choice":
                    ans.extra["options"] = choice_options(row["problem"])
                    ans.extra["letters"] = "".join(sorted(ans.extra["options"]))
                items.append(Item(row["answer"], ans, row["problem"], row["solution"], "math"))
    with open(data / "gsm8k_test.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            body, final = row["answer"].rsplit("####", 1)
            ref = final.strip()
            ans = parse(ref)
            if ans is not None:
                items.append(Item(ref, ans, row["question"], body.strip(), "gsm8k"))
    return items


def choice_options(problem: str) -> dict[str, str]:
    """Letter -> option text of a multiple-choice problem."""
    marks = list(re.finditer(r"\(([A-F])\)\}?", problem))
    opts = {}
    for i, m in enumerate(marks):
        stop = marks[i + 1].start() if i + 1 < len(marks) else len(problem)
        text = problem[m.end() : stop]
        text = re.split(r"\\qquad|\\textbf\{|Enter|\n", text)[0]
        text = text.replace("\\ ", " ").strip("$ ")
        if text:
            opts[m.group(1)] = text
    return opts


# ---------------------------------------------------------------------------------------------
# Text helpers.
# ---------------------------------------------------------------------------------------------


def is_plain(form: str) -> bool:
    """True if the form reads correctly as plain text without math delimiters."""
    return bool(re.fullmatch(r"-?[\d.,]+|[A-Za-z]+", form))


def plain_of(form: str) -> str | None:
    """The form as plain text (a number or a bare word), or None."""
    if is_plain(form):
        return form
    m = re.fullmatch(r"\\(?:text|textbf|mathrm)\{\s*([A-Za-z]+)\s*\}", form)
    return m.group(1) if m else None


def inline(x: str, rng: random.Random) -> str:
    return rng.choice([f"${x}$", f"${x}$", f"\\({x}\\)"])


def display(x: str, rng: random.Random) -> str:
    return rng.choice([f"\\[{x}\\]", f"\\[ {x} \\]", f"$${x}$$", f"\\[\n{x}\n\\]", f"$$\n{x}\n$$"])


def any_span(x: str, rng: random.Random) -> str:
    return inline(x, rng) if rng.random() < 0.6 else display(x, rng)


def boxed(x: str) -> str:
    return f"\\boxed{{{x}}}"


def other_ints(rng: random.Random, avoid: set[int], k: int, lo: int = 2, hi: int = 60):
    out: list[int] = []
    while len(out) < k:
        n = rng.randint(lo, hi)
        if n not in avoid and n not in out:
            out.append(n)
    return out


def avoid_set(ans: Ans) -> set[int]:
    """Integers that must not appear as distractors (they could be read as the answer)."""
    out = set()
    for m in re.finditer(r"\d+", ans.ref):
        out.add(int(m.group()))
    if ans.value is not None and ans.value.denominator == 1:
        out.add(int(ans.value))
    return out


def filler(rng: random.Random, ans: Ans, n: int = 2) -> str:
    """Some neutral reasoning sentences whose numbers differ from the answer."""
    a, b, c = other_ints(rng, avoid_set(ans), 3)
    sentences = [
        "Let's work through this carefully.",
        "First, we write down what is given.",
        f"We start from the relation ${a} + {b} = {a + b}$."
        if a + b not in avoid_set(ans)
        else "We start from the given relation.",
        f"Note that ${a} \\cdot {b} = {a * b}$."
        if a * b not in avoid_set(ans)
        else "Note the symmetry of the setup.",
        "Rearranging the terms makes the structure clearer.",
        f"There are ${c}$ cases to consider, but most of them collapse.",
        "We simplify step by step.",
        "Substituting back into the original equation is straightforward.",
        f"Set $u = {a}$ for convenience.",
        "The key observation is that the expression factors nicely.",
    ]
    return " ".join(rng.sample(sentences, n))


def en_join(parts: list[str], conj: str = "and") -> str:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return f"{parts[0]} {conj} {parts[1]}"
    return ", ".join(parts[:-1]) + f", {conj} {parts[-1]}"


FINAL_STATEMENTS = [
    "Final Answer: The final answer is ${x}$. I hope it is correct.",
    "**Final answer:** {p}",
    "**Final Answer:** ${x}$",
    "Final answer: ${x}$",
    "The final answer is ${x}$.",
    "**Final Answer**\n\n${x}$",
    "Therefore, the final answer is: ${x}$.",
    "Final answer: \\({x}\\)",
    "### Final Answer\n{p}",
    "**Answer:** ${x}$",
]


def final_statement(x: str, rng: random.Random) -> str:
    tpl = rng.choice(FINAL_STATEMENTS)
    return tpl.replace("{x}", x).replace("{p}", plain_of(x) or f"${x}$")


class Builder:
    """Collects rows and keeps them unique."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.seen: set[tuple[str, str]] = set()

    def add(self, completion: str, ref: str, expected: bool, tag: str) -> bool:
        key = (completion, ref)
        if key in self.seen:
            return False
        self.seen.add(key)
        self.rows.append(
            {
                "completion": completion,
                "reference": ref,
                "expected": expected,
                "source": "heldout",
                "tag": tag,
            }
        )
        return True

    def pair(self, pos: str, neg: str, ref: str, tag: str) -> bool:
        """Add a positive and a negative together (neither if either is a duplicate)."""
        if (pos, ref) in self.seen or (neg, ref) in self.seen or pos == neg:
            return False
        self.add(pos, ref, True, tag)
        self.add(neg, ref, False, tag)
        return True


def pick(items: list[Item], pred, n: int, rng: random.Random) -> list[Item]:
    """n items satisfying pred, cycling through a shuffled pool so each is reused evenly."""
    pool = [it for it in items if pred(it)]
    out: list[Item] = []
    while pool and len(out) < n:
        batch = pool[:]
        rng.shuffle(batch)
        out.extend(batch)
    return out[:n]


def mixed_pick(items, pred, n, rng, math_share: float = 0.6) -> list[Item]:
    n_math = round(n * math_share)
    chosen = pick(items, lambda it: it.source == "math" and pred(it), n_math, rng)
    chosen += pick(items, lambda it: it.source == "gsm8k" and pred(it), n - len(chosen), rng)
    rng.shuffle(chosen)
    return chosen


SCALAR_KINDS = ("int", "dec", "frac", "radical", "pi", "degree")


# ---------------------------------------------------------------------------------------------
# 1. several_boxes
# ---------------------------------------------------------------------------------------------

SLIP_SENTENCES = [
    "Wait, I dropped a sign in the second step. Redoing that computation carefully changes the "
    "result.",
    "Hmm, let me re-check the arithmetic. The earlier step used the wrong coefficient; "
    "correcting it gives a different value.",
    "Actually, that box was premature: I misread what the question asks for.",
    "Let me verify this by substituting back... it does not check out, so I must have made an "
    "error. Going through the steps again:",
]
CHECK_SENTENCES = [
    "Let me double-check by substituting back. Everything is consistent.",
    "A quick sanity check confirms this value.",
    "Verifying with a second method gives the same thing.",
    "Let me make sure I answered the question that was asked. Yes, this is the requested quantity.",
]


def split_boxes(parts: list[str], var: str, rng: random.Random) -> str:
    boxes = [boxed(rng.choice(normalise_expr(p))) for p in parts]
    style = rng.randrange(7)
    if style == 0:
        return "The solutions are " + en_join([f"${bx}$" for bx in boxes]) + "."
    if style == 1:
        return "So " + en_join([f"${var} = {bx}$" for bx in boxes], "or") + "."
    if style == 2:
        return ", ".join(boxes)
    if style == 3:
        return "\n".join(f"${var}_{i + 1} = {bx}$" for i, bx in enumerate(boxes))
    if style == 4:
        return "\\[" + " \\quad ".join(boxes) + "\\]"
    if style == 5:
        return "Therefore the values are " + en_join([f"\\({bx}\\)" for bx in boxes]) + "."
    return "**Answer:** " + ", ".join(f"${bx}$" for bx in boxes)


def gen_several_boxes(b: Builder, items: list[Item], rng: random.Random, n: int) -> None:
    tag = "several_boxes"
    split = [it for it in items if it.ans.kind in ("list", "set", "pm")]
    made = 0
    for it in pick(split, lambda it: True, 6 * n, rng):
        if made >= n * 0.45:
            break
        parts = list(it.ans.parts)
        var = LIST_VARS.get(it.ref, "x")
        pos_parts = parts[:]
        if rng.random() < 0.3:
            pos_parts = parts[::-1]
        mode = rng.randrange(3)
        neg_parts = parts[:]
        if mode == 0 or len(parts) < 2:
            i = rng.randrange(len(parts))
            changed = bump(parts[i], rng)
            if changed is None or changed in parts:
                continue
            neg_parts[i] = changed
        elif mode == 1:
            del neg_parts[rng.randrange(len(parts))]
        else:
            extra = bump(rng.choice(parts), rng)
            if extra is None or extra in parts:
                continue
            neg_parts.insert(rng.randrange(len(parts) + 1), extra)
        pre = filler(rng, it.ans, rng.randint(1, 2)) + rng.choice(["\n\n", " ", "\n"])
        seed = rng.random()
        pos = pre + split_boxes(pos_parts, var, random.Random(seed))
        neg = pre + split_boxes(neg_parts, var, random.Random(seed))
        made += b.pair(pos, neg, it.ref, tag)
    for it in mixed_pick(items, lambda it: True, 3 * n, rng):
        if made >= n:
            break
        ans, wrong = it.ans, perturb(it.ans, rng)
        if wrong is None:
            continue
        t1, t2 = rng.choice(ans.forms), rng.choice(ans.forms)
        w1, w2 = rng.choice(wrong.forms), rng.choice(wrong.forms)
        pre = filler(rng, ans, rng.randint(1, 3))
        early_tpl = rng.choice(
            [
                "This gives $\\boxed{{{e}}}$.",
                "So we get \\(x = \\boxed{{{e}}}\\).",
                "$$\\boxed{{{e}}}$$",
                "Tentatively, the result is \\boxed{{{e}}}.",
            ]
        )
        final_rng = random.Random(rng.random())
        if rng.random() < 0.6:
            pos_parts = (w1, rng.choice(SLIP_SENTENCES), t1)
            neg_parts = (t1, rng.choice(SLIP_SENTENCES), w1)
        else:
            pos_parts = (t1, rng.choice(CHECK_SENTENCES), t2)
            neg_parts = (w1, rng.choice(CHECK_SENTENCES), w2)

        seed = final_rng.random()
        pos, neg = (
            f"{pre}\n\n{early_tpl.format(e=early)}\n\n{middle}\n\n"
            + final_statement(final, random.Random(seed))
            for early, middle, final in (pos_parts, neg_parts)
        )
        made += b.pair(pos, neg, it.ref, tag)


# ---------------------------------------------------------------------------------------------
# 2. chain
# ---------------------------------------------------------------------------------------------


def binomial_table() -> dict[int, tuple[int, int]]:
    table: dict[int, tuple[int, int]] = {}
    for m in range(4, 31):
        c = 1
        for k in range(1, m // 2 + 1):
            c = c * (m - k + 1) // k
            if k >= 2 and c <= 10**6 and c not in table:
                table[c] = (m, k)
    return table


BINOMS = binomial_table()


def chain_lhs(ans: Ans, rng: random.Random) -> str | None:
    """An expression whose exact value is the answer."""
    k = ans.kind
    if k == "int":
        n = int(ans.value)
        opts = []
        a = rng.randint(1, max(2, abs(n) // 2 + 1))
        opts.append(f"{a} + {n - a}" if n - a >= 0 else f"{a} - {a - n}")
        factors = [d for d in range(2, int(abs(n) ** 0.5) + 1) if n % d == 0]
        if factors and n > 0:
            d = rng.choice(factors)
            opts += [f"{d} \\times {n // d}", f"{d} \\cdot {n // d}"]
        m = rng.randint(2, 6)
        opts.append(f"\\frac{{{m * n}}}{{{m}}}")
        if 0 <= n <= 3000:
            opts.append(f"\\sqrt{{{n * n}}}")
        if n in BINOMS:
            opts += [f"\\binom{{{BINOMS[n][0]}}}{{{BINOMS[n][1]}}}"] * 2
        if n > 2 and n & (n - 1) == 0:
            opts.append(f"2^{{{n.bit_length() - 1}}}")
        if n >= 0:
            c = rng.randint(2, 9)
            opts.append(f"{n + c} - {c}")
        return rng.choice(opts)
    if k == "dec":
        x = ans.value
        opts = [frac_latex(x)] if x.denominator != 1 else []
        whole = int(x)
        rest = exact_decimal(x - whole)
        if whole > 0 and rest:
            opts.append(f"{whole} + {rest}")
        opts.append(f"2 \\times {exact_decimal(x / 2)}")
        return rng.choice(opts)
    if k == "frac":
        p, q, sign = ans.extra["p"], ans.extra["q"], ans.extra["sign"]
        m = rng.randint(2, 5)
        opts = [f"{sign}\\frac{{{m * p}}}{{{m * q}}}"]
        if not sign and p > 0:
            opts.append(f"{p} \\div {q}")
            if p < q:
                opts.append(f"1 - \\frac{{{q - p}}}{{{q}}}")
        return rng.choice(opts)
    if k == "radical":
        c, r = ans.extra["k"], ans.extra["r"]
        opts = [f"\\sqrt{{{c * c * r}}}", f"\\sqrt{{{c * c} \\cdot {r}}}"]
        if c > 1:
            opts.append(f"\\sqrt{{{c * c}}} \\cdot \\sqrt{{{r}}}")
        a = rng.randint(1, c * c * r - 1) if c * c * r > 1 else 0
        if a:
            opts.append(f"\\sqrt{{{a} + {c * c * r - a}}}")
        return rng.choice(opts)
    if k == "pi":
        c = ans.extra["k"]
        opts = [f"\\frac{{{2 * c}\\pi}}{{2}}", f"\\pi \\cdot {c}"]
        divs = [d for d in range(2, c) if c % d == 0]
        if divs:
            d = rng.choice(divs)
            opts.append(f"{d} \\cdot {c // d}\\pi")
        return rng.choice(opts)
    if k == "degree":
        n = int(ans.value)
        opts = [f"{n + 20}^\\circ - 20^\\circ"]
        if 0 < n < 180:
            opts.append(f"180^\\circ - {180 - n}^\\circ")
        if n > 10:
            a = rng.randint(1, n - 1)
            opts.append(f"{a}^\\circ + {n - a}^\\circ")
        return rng.choice(opts)
    return None


def value_form(ans: Ans, rng: random.Random) -> str:
    if ans.kind == "degree":
        return rng.choice([f for f in ans.forms if "circ" in f or "°" in f])
    return rng.choice(ans.forms)


CHAIN_TEMPLATES = [
    "{pre} So ${L} = {F}$.",
    "{pre} Hence \\({V} = {L} = {F}\\).",
    "{pre}\n\n$$\\boxed{{{L} = {F}}}$$",
    "{pre} Therefore the answer is ${L} = {F}$.",
    "{pre}\n\\[ {V} = {L} = {F} \\]",
    "{pre} Computing, ${V} = {L} = {F}$, which is what we wanted.",
    "{pre} The result is $\\boxed{{{V} = {L} = {F}}}$.",
    "{pre} Evaluating: ${L} = {F}$",
]


def gen_chain(b: Builder, items: list[Item], rng: random.Random, n: int) -> None:
    tag = "chain"
    made = 0
    for it in mixed_pick(items, lambda it: it.ans.kind in SCALAR_KINDS, 3 * n, rng, 0.55):
        if made >= n:
            break
        ans, wrong = it.ans, perturb(it.ans, rng)
        if wrong is None or wrong.kind != ans.kind:
            continue
        lhs_true = chain_lhs(ans, rng)
        lhs_wrong = chain_lhs(wrong, rng)
        if lhs_true is None or lhs_wrong is None:
            continue
        pre = filler(rng, ans, rng.randint(1, 2))
        var = rng.choice(["x", "y", "N", "t", "S", "A", "P", "k"])
        tpl = rng.choice(CHAIN_TEMPLATES)
        if ans.kind == "dec" and rng.random() < 0.3:
            tpl = "{pre} Numerically, ${V} \\approx {F}$."
        pos = tpl.format(pre=pre, L=lhs_true, F=value_form(ans, rng), V=var)
        r = rng.random()
        if r < 0.2 and ans.kind == "int":
            n_ref = int(ans.value)
            a, c = rng.randint(2, 9), rng.randint(1, 12)
            eq = rng.choice(
                [
                    f"{a}{var} + {c} = {n_ref}",
                    f"{a}{var} - {c} = {n_ref}",
                    f"{var}^2 + {c} = {n_ref}",
                    f"\\frac{{{var}}}{{{a}}} = {n_ref}",
                ]
            )
            neg = rng.choice(
                [
                    f"{pre} This leads to the equation ${eq}$.",
                    f"{pre}\n\n$$\\boxed{{{eq}}}$$",
                    f"{pre} So we need to solve \\({eq}\\).",
                    f"{pre} Setting up the condition gives ${eq}$",
                ]
            )
        else:
            lhs = lhs_wrong if r < 0.6 else lhs_true
            neg = tpl.format(pre=pre, L=lhs, F=value_form(wrong, rng), V=var)
        made += b.pair(pos, neg, it.ref, tag)


# ---------------------------------------------------------------------------------------------
# 3. labelled
# ---------------------------------------------------------------------------------------------

SCALAR_LABELS = [
    "|PQ|",
    "AB",
    "BC",
    "x",
    "n",
    "k",
    "f(3)",
    "a + b",
    "m + n",
    "S",
    "d",
    "r",
    "\\text{Area}",
    "N",
    "p + q",
    "h",
]


def labelled_tuple(ans: Ans, labels: list[str], rng: random.Random, order: list[int]) -> str:
    elems = [rng.choice([e, alt_form(e)]) for e in ans.parts]
    tup = "(" + ", ".join(elems) + ")"
    lab = "(" + ", ".join(labels) + ")"
    style = rng.randrange(6)
    if style == 0:
        return f"Therefore ${lab} = {tup}$."
    if style == 1:
        return f"$${lab.replace(' ', '')}=({','.join(elems)})$$"
    if style == 2:
        pieces = [f"${labels[i]} = {elems[i]}$" for i in order]
        return "So " + en_join(pieces) + "."
    if style == 3:
        return f"The ordered tuple is $\\boxed{{{lab} = {tup}}}$."
    if style == 4:
        pieces = [f"{labels[i]} = {elems[i]}" for i in order]
        return f"We find \\({', '.join(pieces)}\\)."
    return f"**Answer:** ${lab} = {tup}$"


def gen_labelled(b: Builder, items: list[Item], rng: random.Random, n: int) -> None:
    tag = "labelled"
    made = 0
    tuples = [it for it in items if it.ans.kind == "tuple" and it.ans.extra.get("labels")]
    for it in pick(tuples, lambda it: True, 6 * n, rng):
        if made >= 0.3 * n:
            break
        ans, wrong = it.ans, perturb(it.ans, rng)
        if wrong is None or len(wrong.parts) != len(ans.parts):
            continue
        labels = ans.extra["labels"]
        order = list(range(len(labels)))
        if rng.random() < 0.15:
            order = order[::-1]
        pre = filler(rng, ans, rng.randint(1, 2)) + " "
        seed = rng.random()
        pos = pre + labelled_tuple(ans, labels, random.Random(seed), order)
        neg = pre + labelled_tuple(wrong, labels, random.Random(seed), order)
        made += b.pair(pos, neg, it.ref, tag)
    others = [
        it
        for it in items
        if it.ans.kind in ("expr", "list", "pm", "set", "interval", "equation", "matrix")
    ]
    for it in pick(others, lambda it: True, 6 * n, rng):
        if made >= 0.6 * n:
            break
        ans, wrong = it.ans, perturb(it.ans, rng)
        if wrong is None:
            continue
        seed = rng.random()
        pos = labelled_other(it, ans, random.Random(seed))
        neg = labelled_other(it, wrong, random.Random(seed))
        if pos is None or neg is None:
            continue
        pre = filler(rng, ans, rng.randint(1, 2)) + rng.choice([" ", "\n\n"])
        made += b.pair(pre + pos, pre + neg, it.ref, tag)
    for it in mixed_pick(
        items, lambda it: it.ans.kind in (*SCALAR_KINDS, "mixed", "complex"), 4 * n, rng, 0.6
    ):
        if made >= n:
            break
        ans, wrong = it.ans, perturb(it.ans, rng)
        if wrong is None:
            continue
        label = "\\angle ABC" if ans.kind == "degree" else rng.choice(SCALAR_LABELS)
        if ans.kind == "complex":
            label = rng.choice(["z", "w", "z_1 z_2"])
        tpl = rng.choice(
            [
                "Therefore ${L} = {F}$.",
                "$$\\boxed{{{L} = {F}}}$$",
                "We conclude that \\({L} = {F}\\).",
                "**Answer:** ${L} = {F}$",
                "The answer is ${L} = {F}$.",
                "Thus\n\\[\n{L} = {F}.\n\\]",
            ]
        )
        pre = filler(rng, ans, rng.randint(1, 2)) + " "
        pos = pre + tpl.format(L=label, F=value_form(ans, rng))
        neg = pre + tpl.format(L=label, F=value_form(wrong, rng))
        made += b.pair(pos, neg, it.ref, tag)


def labelled_other(it: Item, ans: Ans, rng: random.Random) -> str | None:
    """A labelled rendering of a non-scalar answer (ans may be a changed value)."""
    k = ans.kind
    form = rng.choice(ans.forms)
    if k == "expr":
        label = EXPR_LABELS.get(it.ref)
        if label is None:
            return None
        return rng.choice(
            [
                f"Therefore ${label} = {form}$.",
                f"$$\\boxed{{{label} = {form}}}$$",
                f"So the simplified form is \\({label} = {form}\\).",
                f"**Answer:** ${label} = {form}$",
            ]
        )
    if k in ("list", "pm", "set"):
        var = LIST_VARS.get(it.ref, "x")
        parts = ans.parts
        if k == "set":
            return rng.choice([f"Hence $S = {ans.forms[0]}$.", f"The set is $S = {form}$."])
        if k == "pm" and rng.random() < 0.5:
            base_form = ans.forms[0]
            return rng.choice(
                [f"Therefore ${var} = {base_form}$.", f"So $${var}_{{1,2}} = {base_form}$$"]
            )
        style = rng.randrange(4)
        if style == 0:
            return ", ".join(f"${var}_{i + 1} = {p}$" for i, p in enumerate(parts))
        if style == 1:
            return "So " + en_join([f"${var} = {p}$" for p in parts], "or") + "."
        if style == 2:
            return f"The solutions are ${var} = {', '.join(parts)}$."
        return f"Hence ${var} \\in \\{{{', '.join(parts)}\\}}$."
    if k == "interval":
        var = ans.extra["var"] or "t"
        if var == "f(x)":
            return f"The range is ${var} \\in {rng.choice(ans.forms[1:] or ans.forms)}$."
        body = render_interval(ans.extra["pieces"], rng.randrange(4))
        return rng.choice([f"Therefore ${var} \\in {body}$.", f"$$\\boxed{{{var} \\in {body}}}$$"])
    if k == "equation":
        if ans.extra["lhs"] == "x" and rng.random() < 0.6:
            return rng.choice(
                [
                    f"The only solution is ${ans.extra['rhs']}$.",
                    f"So $\\boxed{{{ans.extra['rhs']}}}$ is the solution.",
                ]
            )
        return rng.choice([f"The equation is ${form}$.", f"Therefore $\\boxed{{{form}}}$."])
    if k == "matrix":
        label = rng.choice(["\\mathbf{v}", "\\mathbf{M}", "\\mathbf{p}"])
        return rng.choice([f"Therefore ${label} = {form}$.", f"$${label} = {form}$$"])
    return None


# ---------------------------------------------------------------------------------------------
# 4. math_span
# ---------------------------------------------------------------------------------------------

SPAN_FINALS = [
    "Putting everything together, we obtain {S}.",
    "This simplifies to {S}.",
    "After simplifying, the expression becomes {S}",
    "Hence the quantity we are after is {S}.",
    "So we end up with {S} here.",
    "{S}",
    "Combining the two cases yields {S}, as claimed.",
    "Collecting terms, we arrive at {S} in total.",
    "The computation therefore produces {S} for all valid inputs.",
    "In the end we get {S}, and no other value survives the checks.",
]


def distractor_sentences(rng: random.Random, ans: Ans, k: int) -> list[str]:
    a, c = other_ints(rng, avoid_set(ans), 2)
    return rng.sample(
        [
            f"We have ${a}$ choices for the first step.",
            f"Let $m = {a}$ and $k = {c}$.",
            f"Since \\({a} > {min(a, c) - 1}\\), the first case is impossible.",
            f"Multiplying by ${c}$ clears the denominators.",
            f"The intermediate total is ${a} + {c} = {a + c}$."
            if a + c not in avoid_set(ans)
            else f"The intermediate sum uses ${a}$ and ${c}$.",
        ],
        k,
    )


def gen_math_span(b: Builder, items: list[Item], rng: random.Random, n: int) -> None:
    tag = "math_span"
    made = 0
    for it in mixed_pick(items, lambda it: True, 3 * n, rng, 0.6):
        if made >= n:
            break
        ans, wrong = it.ans, perturb(it.ans, rng)
        if wrong is None:
            continue
        pre = " ".join(distractor_sentences(rng, ans, rng.randint(1, 3)))
        tpl = rng.choice(SPAN_FINALS)
        t, w = rng.choice(ans.forms), rng.choice(wrong.forms)
        seed = rng.random()
        r = rng.random()
        mid_pos = mid_neg = ""
        if r < 0.4:
            mid_pos = (
                f" A first attempt gave {inline(rng.choice(wrong.forms), rng)}, which fails "
                "the check."
            )
            mid_neg = f" One might guess {inline(t, rng)}, but that ignores a constraint."
        elif r < 0.6:
            mid_pos = mid_neg = " " + filler(rng, ans, 1)
        sep = rng.choice([" ", "\n\n", "\n"])
        pos = pre + mid_pos + sep + tpl.format(S=any_span(t, random.Random(seed)))
        neg = pre + mid_neg + sep + tpl.format(S=any_span(w, random.Random(seed)))
        made += b.pair(pos, neg, it.ref, tag)


# ---------------------------------------------------------------------------------------------
# 5. multilingual
# ---------------------------------------------------------------------------------------------

# Each language: (intro sentences, answer phrases, uses decimal comma).
# In answer phrases {X} is a math span or plain number, {x} is the bare LaTeX answer.
LANGS: dict[str, tuple[list[str], list[str], bool]] = {
    "zh": (
        [
            "我们先整理题目中的已知条件。",
            "由题意可知 ${a} + {b} = {c}$。",
            "接下来逐步化简。",
            "代入后可以得到一个更简单的式子。",
        ],
        [
            "所以答案是 {X}。",
            "最终答案：{X}",
            "因此，答案为 {X}。",
            "答案是{X}。",
            "综上所述，所求的值为 $\\boxed{{{x}}}$。",
        ],
        False,
    ),
    "ja": (
        [
            "まず、与えられた条件を整理します。",
            "${a} \\times {b} = {c}$ であることに注意します。",
            "式を順番に簡単にしていきます。",
        ],
        [
            "よって、答えは {X} です。",
            "答え：{X}",
            "したがって、求める値は $\\boxed{{{x}}}$ となります。",
            "最終的な答えは {X} です。",
        ],
        False,
    ),
    "ar": (
        [
            "أولاً، نكتب المعطيات في المسألة.",
            "نلاحظ أن ${a} + {b} = {c}$.",
            "نبسّط العبارة خطوة بخطوة.",
        ],
        [
            "إذن الإجابة هي {X}.",
            "الإجابة النهائية: {X}",
            "وبالتالي فإن الجواب هو $\\boxed{{{x}}}$.",
            "الجواب: {X}",
        ],
        False,
    ),
    "hi": (
        [
            "पहले हम प्रश्न में दी गई जानकारी लिखते हैं।",
            "ध्यान दें कि ${a} + {b} = {c}$ है।",
            "अब हम व्यंजक को सरल करते हैं।",
        ],
        ["अतः उत्तर है {X}।", "अंतिम उत्तर: {X}", "इसलिए उत्तर $\\boxed{{{x}}}$ है।", "उत्तर: {X}"],
        False,
    ),
    "fr": (
        [
            "Commençons par rassembler les données de l'énoncé.",
            "On remarque que ${a} + {b} = {c}$.",
            "On simplifie ensuite l'expression étape par étape.",
        ],
        [
            "Réponse : {X}",
            "La réponse est {X}.",
            "Donc le résultat final est $\\boxed{{{x}}}$.",
            "La réponse finale est donc {X}.",
        ],
        True,
    ),
    "de": (
        [
            "Zuerst notieren wir die gegebenen Größen.",
            "Es gilt ${a} + {b} = {c}$.",
            "Nun vereinfachen wir den Ausdruck schrittweise.",
        ],
        [
            "Antwort: {X}",
            "Die Antwort lautet {X}.",
            "Das Ergebnis ist also $\\boxed{{{x}}}$.",
            "Somit ist die gesuchte Größe {X}.",
        ],
        True,
    ),
    "es": (
        [
            "Primero, organizamos los datos del problema.",
            "Observamos que ${a} + {b} = {c}$.",
            "Ahora simplificamos la expresión paso a paso.",
        ],
        [
            "La respuesta es {X}.",
            "Respuesta: {X}",
            "Por lo tanto, la respuesta final es $\\boxed{{{x}}}$.",
            "Así que el resultado es {X}.",
        ],
        True,
    ),
    "ru": (
        [
            "Сначала запишем условие задачи.",
            "Заметим, что ${a} + {b} = {c}$.",
            "Далее упростим выражение по шагам.",
        ],
        [
            "Ответ: {X}.",
            "Итак, ответ равен {X}.",
            "Окончательный ответ: $\\boxed{{{x}}}$.",
            "Следовательно, искомое значение равно {X}.",
        ],
        True,
    ),
    "pt": (
        [
            "Primeiro, organizamos os dados do problema.",
            "Observe que ${a} + {b} = {c}$.",
            "Agora simplificamos a expressão passo a passo.",
        ],
        [
            "A resposta é {X}.",
            "Resposta: {X}",
            "Portanto, a resposta final é $\\boxed{{{x}}}$.",
            "Logo, o resultado é {X}.",
        ],
        True,
    ),
    "it": (
        [
            "Per prima cosa riassumiamo i dati del problema.",
            "Notiamo che ${a} + {b} = {c}$.",
            "Semplifichiamo l'espressione passo dopo passo.",
        ],
        ["La risposta è {X}.", "Risposta: {X}", "Quindi il risultato finale è $\\boxed{{{x}}}$."],
        True,
    ),
    "ko": (
        [
            "먼저 주어진 조건을 정리합니다.",
            "${a} + {b} = {c}$ 임을 알 수 있습니다.",
            "이제 식을 차례로 간단히 합니다.",
        ],
        ["따라서 답은 {X}입니다.", "정답: {X}", "최종 답은 $\\boxed{{{x}}}$ 입니다."],
        False,
    ),
}


def comma_decimal(form: str) -> str:
    return form.replace(".", ",")


def multilingual_text(lang: str, ans: Ans, form: str, rng: random.Random, avoid: set[int]) -> str:
    intros, answers, dec_comma = LANGS[lang]
    a, b2 = other_ints(rng, avoid, 2, 2, 40)
    while a + b2 in avoid:
        a += 1
    sentences = [
        s.format(a=a, b=b2, c=a + b2 if "+" in s else a * b2)
        for s in rng.sample(intros, rng.randint(1, len(intros)))
    ]
    if dec_comma and ans.kind == "dec" and rng.random() < 0.8:
        comma = comma_decimal(form)
        x_bare = rng.choice([comma, comma.replace(",", "{,}")])
        x_span = rng.choice([comma, f"${x_bare}$"])
    else:
        x_bare = form
        x_span = plain_of(form) if plain_of(form) and rng.random() < 0.5 else f"${form}$"
    tpl = rng.choice(answers).replace("{{", "{").replace("}}", "}")
    return (
        " ".join(sentences)
        + rng.choice(["\n\n", " ", "\n"])
        + tpl.replace("{X}", x_span).replace("{x}", x_bare)
    )


def gen_multilingual(b: Builder, items: list[Item], rng: random.Random, n: int) -> None:
    tag = "multilingual"
    made = 0
    langs = sorted(LANGS)
    decs = [it for it in items if it.ans.kind == "dec"]
    pool = pick(decs, lambda it: True, n // 6, rng)
    pool += mixed_pick(items, lambda it: it.ans.kind != "dec", 3 * n, rng, 0.5)
    for it in pool:
        if made >= n:
            break
        ans, wrong = it.ans, perturb(it.ans, rng)
        if wrong is None:
            continue
        lang = rng.choice(langs)
        if ans.kind == "dec":
            lang = rng.choice([k for k in langs if LANGS[k][2]] + ["zh"])
        seed = rng.random()
        avoid = avoid_set(ans) | avoid_set(wrong)
        pos = multilingual_text(lang, ans, rng.choice(ans.forms), random.Random(seed), avoid)
        neg = multilingual_text(lang, wrong, rng.choice(wrong.forms), random.Random(seed), avoid)
        made += b.pair(pos, neg, it.ref, tag)


# ---------------------------------------------------------------------------------------------
# 6. number_format
# ---------------------------------------------------------------------------------------------


def int_formats(n: int, money: bool) -> list[str]:
    """Other spellings of the integer n (inside or outside math)."""
    out = [f"{n}.0", f"{n}.00"]
    if abs(n) >= 1000:
        out += [
            group_digits(n, ","),
            group_digits(n, "{,}"),
            group_digits(n, "\\,"),
            group_digits(n, "\\ "),
            group_digits(n, " "),
            group_digits(n, ",\\!"),
            group_digits(n, ",") + ".00",
        ]
        digits = str(abs(n)).rstrip("0")
        if 1 < len(digits) <= 4 and n > 0:
            exp = len(str(n)) - 1
            mant = digits[0] + "." + digits[1:]
            out += [f"{mant} \\times 10^{{{exp}}}", f"{mant} \\cdot 10^{exp}"]
    if money and n >= 0:
        out += [f"\\${group_digits(n)}", f"\\${group_digits(n)}.00", f"\\${n}.00"]
    return out


def dec_formats(ans: Ans) -> list[str]:
    text = ans.extra["text"]
    frac_part = text.split(".")[1]
    out = [text + "0", text + "00"]
    if len(frac_part) != 3:
        out += [comma_decimal(text), comma_decimal(text).replace(",", "{,}")]
    x = ans.value
    if 0 < x < Fraction(1, 100):
        digits = text.split(".")[1].lstrip("0")
        exp = len(text.split(".")[1]) - len(digits) + 1
        out.append(f"{digits[0]}.{digits[1:]} \\times 10^{{-{exp}}}")
    return out


def format_context(form: str, rng: random.Random) -> str:
    plain_ok = "\\" not in form and "{" not in form
    options = [
        f"The total is ${form}$.",
        f"$\\boxed{{{form}}}$",
        f"So the result is \\({form}\\).",
        f"Final answer: ${form}$",
    ]
    if plain_ok:
        options += [f"The answer is {form}.", f"Answer: {form}", f"**{form}**"]
    return rng.choice(options)


def gen_number_format(b: Builder, items: list[Item], rng: random.Random, n: int) -> None:
    tag = "number_format"
    made = 0

    def emit(it: Item, pos_form: str, neg_form: str, seed: float) -> int:
        pre = filler(random.Random(seed), it.ans, 1) + rng.choice([" ", "\n\n"])
        pos = pre + format_context(pos_form, random.Random(seed))
        neg = pre + format_context(neg_form, random.Random(seed))
        return b.pair(pos, neg, it.ref, tag)

    big = mixed_pick(
        items, lambda it: it.ans.kind == "int" and abs(it.ans.value) >= 1000, 2 * n, rng, 0.3
    )
    for it in big:
        if made >= 0.4 * n:
            break
        v = int(it.ans.value)
        m = int_wrong(v, rng)
        if abs(m) < 1000:
            continue
        money = it.source == "gsm8k" and "$" in it.problem
        i = rng.randrange(len(int_formats(v, money)))
        fv, fm = int_formats(v, money), int_formats(m, money)
        if i >= len(fm) or fv[i] == fm[i]:
            continue
        made += emit(it, fv[i], fm[i], rng.random())
    small = mixed_pick(
        items, lambda it: it.ans.kind == "int" and abs(it.ans.value) < 1000, n, rng, 0.4
    )
    for it in small:
        if made >= 0.55 * n:
            break
        v = int(it.ans.value)
        m = int_wrong(v, rng)
        money = it.source == "gsm8k" and "$" in it.problem
        fv, fm = int_formats(v, money), int_formats(m, money)
        i = rng.randrange(min(len(fv), len(fm)))
        made += emit(it, fv[i], fm[i], rng.random())
    decs = [it for it in items if it.ans.kind in ("dec", "dollar")]
    for it in pick(decs, lambda it: True, 8 * n, rng):
        if made >= 0.75 * n:
            break
        ans, wrong = it.ans, perturb(it.ans, rng)
        if wrong is None:
            continue
        if ans.kind == "dec":
            if wrong.kind != "dec":
                continue
            fa, fw = dec_formats(ans), dec_formats(wrong)
            i = rng.randrange(min(len(fa), len(fw)))
            made += emit(it, fa[i], fw[i], rng.random())
        else:
            i = rng.randrange(min(len(ans.forms), len(wrong.forms)))
            made += emit(it, ans.forms[i], wrong.forms[i], rng.random())
    # Pairs written without spaces are pairs.  Positives: tuple references written compactly.
    tuples = [it for it in items if it.ans.kind in ("tuple", "interval")]
    pair_tpls = [
        "So the point is ${t}$.",
        "$\\boxed{{{t}}}$",
        "The ordered pair is \\({t}\\).",
        "Final answer: ${t}$",
    ]
    for it in pick(tuples, lambda it: True, 8 * n, rng):
        if made >= 0.88 * n:
            break
        ans, wrong = it.ans, perturb(it.ans, rng)
        if wrong is None:
            continue
        compact = [f for f in ans.forms if ", " not in f and " " not in f.strip()]
        wcompact = [f for f in wrong.forms if ", " not in f and " " not in f.strip()]
        if not compact or not wcompact:
            continue
        tpl = rng.choice(pair_tpls if ans.kind == "tuple" else pair_tpls[1:2] + pair_tpls[3:])
        made += b.pair(
            tpl.format(t=rng.choice(compact)), tpl.format(t=rng.choice(wcompact)), it.ref, tag
        )
    # Negatives: a pair (a,bcd) against the number abcd; positives: the number grouped.
    for it in mixed_pick(
        items, lambda it: it.ans.kind == "int" and it.ans.value >= 1000, 4 * n, rng, 0.3
    ):
        if made >= n:
            break
        v = int(it.ans.value)
        head, tail = divmod(v, 1000)
        if head >= 1000 or tail < 100:
            continue
        pair_text = f"({head},{tail:03d})"
        tpl = rng.choice(pair_tpls)
        grouped = rng.choice([group_digits(v), group_digits(v, "{,}")])
        pos = tpl.replace("point is", "total is").replace("ordered pair is", "total is")
        pos = pos.format(t=grouped)
        made += b.pair(pos, tpl.format(t=pair_text), it.ref, tag)


# ---------------------------------------------------------------------------------------------
# 7. escaped
# ---------------------------------------------------------------------------------------------

ESCAPED_TEMPLATES = [
    "The answer is $\\boxed{<X>}$.",
    "<PRE>\n\nTherefore, the final answer is \\(\\boxed{<X>}\\).",
    "<PRE> So the answer is \\(<X>\\).",
    "Final Answer: The final answer is $<X>$. I hope it is correct.",
    "<PRE>\n\\[\n\\boxed{<X>}\n\\]",
    "<PRE>\n\n**Final Answer**\n\\[ \\boxed{<X>} \\]",
    "\\boxed{<X>}",
    "<PRE> Hence the result is $<X>$.",
]


def gen_escaped(b: Builder, items: list[Item], rng: random.Random, n: int) -> None:
    tag = "escaped"
    made = 0
    for it in mixed_pick(items, lambda it: True, 3 * n, rng, 0.75):
        if made >= n:
            break
        ans, wrong = it.ans, perturb(it.ans, rng)
        if wrong is None:
            continue
        tpl = rng.choice(ESCAPED_TEMPLATES)
        pre = filler(rng, ans, rng.randint(1, 2))
        t, w = rng.choice(ans.forms), rng.choice(wrong.forms)
        pos = tpl.replace("<X>", t).replace("<PRE>", pre)
        neg = tpl.replace("<X>", w).replace("<PRE>", pre)
        if "\\" not in pos or "\\" not in neg:
            pos = tpl.replace("<X>", boxed(t)).replace("<PRE>", pre)
            neg = tpl.replace("<X>", boxed(w)).replace("<PRE>", pre)
        made += b.pair(pos.replace("\\", "\\\\"), neg.replace("\\", "\\\\"), it.ref, tag)


# ---------------------------------------------------------------------------------------------
# 8. notation
# ---------------------------------------------------------------------------------------------

CHOICE_TEMPLATES = [
    "{L}. {O}",
    "{L}) {O}",
    "({L}) {O}",
    "**{L}**",
    "Option {L}",
    "$\\boxed{{{L}}}$",
    "$\\boxed{{\\text{{({L})}}}}$",
    "The correct option is ({L}).",
    "**({L}) {O}**",
    "Answer: {L}",
    "$\\textbf{{({L})}}$ {O}",
    "The answer is {L}.",
    "So the answer is option **{L}**.",
]
NOTATION_CONTEXTS = [
    "Therefore ${I}$.",
    "The solution set is ${I}$.",
    "$\\boxed{{{I}}}$",
    "So the answer is \\({I}\\).",
    "All solutions satisfy ${I}$.",
    "**Answer:** ${I}$",
]


def option_text(text: str) -> str:
    return f"${text}$" if re.search(r"[\\^=]", text) else text


def flip_direction(pieces):
    """The opposite ray of a single one-sided interval: (5, oo) -> (-oo, 5)."""
    ((lb, lo, hi, rb),) = pieces
    if hi == "\\infty":
        return [("(", "-\\infty", lo, ")" if lb == "(" else "]")]
    if lo == "-\\infty":
        return [("(" if rb == ")" else "[", hi, "\\infty", ")")]
    return None


def gen_notation(b: Builder, items: list[Item], rng: random.Random, n: int) -> None:
    tag = "notation"
    made = 0
    tuples = [it for it in items if it.ans.kind == "tuple"]
    for it in pick(tuples, lambda it: True, 8 * n, rng):
        if made >= 0.3 * n:
            break
        ans, wrong = it.ans, perturb(it.ans, rng)
        if wrong is None:
            continue
        sep = rng.choice(["; ", ";", " ; "])
        tpl = rng.choice(
            [
                "The point is ${t}$.",
                "$\\boxed{{{t}}}$",
                "Answer: ${t}$",
                "Hence the ordered tuple is \\({t}\\).",
            ]
        )
        pos = tpl.format(t="(" + sep.join(ans.parts) + ")")
        neg = tpl.format(t="(" + sep.join(wrong.parts) + ")")
        made += b.pair(pos, neg, it.ref, tag)
    choices = [it for it in items if it.ans.kind == "choice"]
    for it in pick(choices, lambda it: True, 10 * n, rng):
        if made >= 0.55 * n:
            break
        opts = it.ans.extra["options"]
        letter = it.ans.extra["letter"]
        other = rng.choice([c for c in sorted(opts) if c != letter])
        tpl = rng.choice(CHOICE_TEMPLATES)
        pre = rng.choice(
            [
                "Comparing the options one by one, only one fits.",
                "Checking each option against the equation:",
                "Let's eliminate the options that cannot work.",
                "",
            ]
        )
        sep = "\n\n" if pre else ""
        pos = pre + sep + tpl.format(L=letter, O=option_text(opts[letter]))
        neg = pre + sep + tpl.format(L=other, O=option_text(opts[other]))
        made += b.pair(pos, neg, it.ref, tag)
    rels = [
        it
        for it in items
        if (it.ans.kind == "interval" and it.ans.extra["var"]) or it.ans.kind == "equation"
    ]
    for it in pick(rels, lambda it: True, 20 * n, rng):
        if made >= n:
            break
        ans = it.ans
        ctx = rng.choice(NOTATION_CONTEXTS)
        if ans.kind == "equation":
            pos_form = rng.choice(EQUATION_EQUIVS[it.ref])
            neg_form = bump(pos_form, rng)
            if neg_form is None:
                continue
            made += b.pair(ctx.format(I=pos_form), ctx.format(I=neg_form), it.ref, tag)
            continue
        var = ans.extra["var"]
        pieces = ans.extra["pieces"]
        pos_forms = inequality_forms(pieces, var)
        if rng.random() < 0.3 and len(pieces) == 1 and flip_direction(pieces):
            wrong_pieces = flip_direction(pieces)
        else:
            wrong = perturb(ans, rng)
            if wrong is None:
                continue
            wrong_pieces = wrong.extra["pieces"]
        neg_forms = inequality_forms(wrong_pieces, var)
        i = rng.randrange(len(pos_forms))
        made += b.pair(
            ctx.format(I=pos_forms[i]), ctx.format(I=neg_forms[i % len(neg_forms)]), it.ref, tag
        )


# ---------------------------------------------------------------------------------------------
# 9. traps (all expected false)
# ---------------------------------------------------------------------------------------------


def gen_traps(b: Builder, items: list[Item], rng: random.Random, n: int) -> None:
    tag = "traps"
    per = n // 8
    start = len(b.rows)

    def add(completion: str, ref: str) -> int:
        return int(b.add(completion, ref, False, tag))

    # Digits inside words.
    small = mixed_pick(
        items, lambda it: it.ans.kind == "int" and 0 <= it.ans.value < 100, 4 * per, rng, 0.5
    )
    made = 0
    for it in small:
        if made >= per:
            break
        d = int(it.ans.value)
        word = rng.choice([f"ABC{d}D", f"X{d}Y", f"model{d}b", f"B{d}C", f"ID{d}X", f"QK{d}Z"])
        tpl = rng.choice(
            [
                "The code is {w}.",
                "The answer is \\boxed{{{w}}}.",
                "Answer: {w}",
                "$\\boxed{{\\text{{{w}}}}}$",
                "The final password is **{w}**.",
                "So the label on the box is {w}.",
            ]
        )
        made += add(tpl.format(w=word), it.ref)
    # Equations with letters against an expression reference.
    made = 0
    exprs = [it for it in items if it.ref in EXPR_LABELS and re.search(r"[a-z]", it.ref)]
    for it in pick(exprs, lambda it: True, 6 * per, rng):
        if made >= per * 0.6:
            break
        c = rng.randint(0, 20)
        form = rng.choice(it.ans.forms)
        tpl = rng.choice(
            [
                "Setting the expression equal to the target, ${c} = {F}$.",
                "$$\\boxed{{{c} = {F}}}$$",
                "So we need ${F} = {c}$.",
                "The condition becomes \\({c} = {F}\\).",
            ]
        )
        made += add(tpl.format(c=c, F=form), it.ref)
    singles = mixed_pick(
        items, lambda it: it.ans.kind not in ("list", "set", "pm"), 12 * per, rng, 0.6
    )
    # Several candidates.
    made = 0
    for it in singles[: 3 * per]:
        if made >= per:
            break
        w1, w2 = perturb(it.ans, rng), perturb(it.ans, rng)
        if w1 is None or w2 is None:
            continue
        cands = [rng.choice(it.ans.forms), rng.choice(w1.forms), rng.choice(w2.forms)]
        if len(set(cands)) < 3:
            cands = cands[:2]
        rng.shuffle(cands)
        spans = [f"${c}$" for c in cands]
        text = [
            " or ".join(f"$\\boxed{{{c}}}$" for c in cands),
            "It is " + en_join(spans, "or") + ".",
            "The answer could be " + en_join(spans, "or") + ".",
            "Possible answers: " + ", ".join(spans) + ".",
            ", ".join(f"\\boxed{{{c}}}" for c in cands),
            f"$\\boxed{{{', '.join(cands)}}}$",
        ][rng.randrange(6)]
        made += add(filler(rng, it.ans, 1) + " " + text, it.ref)
    # Hedged between two values.
    made = 0
    for it in singles[3 * per : 6 * per]:
        if made >= per:
            break
        w = perturb(it.ans, rng)
        if w is None:
            continue
        t, f = rng.choice(it.ans.forms), rng.choice(w.forms)
        tpl = rng.choice(
            [
                "The answer is probably ${t}$, but it might be ${f}$.",
                "I think it's either ${t}$ or ${f}$; I can't decide.",
                "I think it's either ${f}$ or ${t}$; I can't decide.",
                "${t}$ (or possibly ${f}$)",
                "$\\boxed{{{t} \\text{{ or }} {f}}}$",
                "I'm torn between ${f}$ and ${t}$.",
                "Final answer: ${t}$ or ${f}$",
            ]
        )
        made += add(filler(rng, it.ans, 1) + " " + tpl.format(t=t, f=f), it.ref)
    # Prose with no answer.
    made = 0
    for it in singles[6 * per : 9 * per]:
        if made >= per:
            break
        t = rng.choice(it.ans.forms)
        text = rng.choice(
            [
                "I'm not sure how to proceed with this problem.",
                "Let's think step by step.",
                "This problem cannot be solved with the given information.",
                "I need more time to work this out. Let me start by rereading the question.",
                filler(rng, it.ans, 3),
                f"The answer is not ${t}$; I could not determine the actual value.",
                "\\boxed{}",
                "Final Answer: The final answer is . I hope it is correct.",
                "I don't know.",
            ]
        )
        made += add(text, it.ref)
    # Only restating the question's numbers.
    made = 0
    gsm = [it for it in items if it.source == "gsm8k"]
    for it in pick(gsm, lambda it: True, 10 * per, rng):
        if made >= per:
            break
        nums = re.findall(r"\d+(?:\.\d+)?", it.problem.replace(",", ""))
        if len(nums) < 2 or any(Fraction(x) == it.ans.value for x in nums):
            continue
        style = rng.randrange(4)
        if style == 0:
            text = f"We are given {en_join(nums)}."
        elif style == 1:
            text = f"The problem gives us the numbers {', '.join(nums)}. Let's see how they relate."
        elif style == 2:
            text = it.problem + "\n\nLet's solve this step by step."
        else:
            text = "Known quantities: " + "; ".join(f"${x}$" for x in nums)
        made += add(text, it.ref)
    # Unreadable references.
    made = 0
    cut_refs = [
        it for it in items if it.source == "math" and "\\" in it.ref and re.search(r"\d", it.ref)
    ]
    for it in pick(cut_refs, lambda it: True, 6 * per, rng):
        if made >= per:
            break
        ref = it.ref
        pos = [m.end() for m in re.finditer(r"\{", ref)]
        if not pos:
            continue
        cut = ref[: rng.choice(pos[1:] or pos)]
        digits = re.findall(r"\d+", cut)
        if not digits:
            continue
        d = rng.choice(digits)
        completion = rng.choice([f"\\boxed{{{d}}}", f"The answer is {d}.", f"${d}$", d])
        made += add(completion, cut)
    for _ in range(per):
        d = rng.randint(0, 20)
        bad = rng.choice(
            [
                f"ABC{d}D",
                f"x^2 + \\frac{{{d}",
                f"\\boxed{{{d}",
                f"{d}}}",
                f"\\text{{{d}",
                f"\\frac{{{d}}}{{",
                f"\\sqrt{{{d}",
            ]
        )
        completion = rng.choice([f"\\boxed{{{d}}}", f"The answer is {d}.", f"${d}$", str(d)])
        add(completion, bad)
    assert all(not r["expected"] for r in b.rows[start:])


# ---------------------------------------------------------------------------------------------
# 10. whole_output
# ---------------------------------------------------------------------------------------------


def unbox(text: str) -> str:
    out, i = "", 0
    while True:
        j = min(
            (k for k in (text.find("\\boxed{", i), text.find("\\fbox{", i)) if k >= 0), default=-1
        )
        if j < 0:
            return out + text[i:]
        out += text[i:j]
        k = text.index("{", j) + 1
        start, depth = k, 1
        while k < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            k += 1
        out += text[start : k - 1]
        i = k


def balanced(text: str) -> bool:
    plain = text.replace("\\$", "")
    return (
        plain.count("$") % 2 == 0
        and text.count("\\[") == text.count("\\]")
        and text.count("{") == text.count("}")
        and text.count("\\(") == text.count("\\)")
        and text.count("\\begin{") == text.count("\\end{")
        and text.count("\\left") == text.count("\\right")
    )


def solution_body(it: Item, rng: random.Random) -> str | None:
    """The dataset solution without its final sentence (which states the answer)."""
    if it.source == "gsm8k":
        lines = [re.sub(r"<<[^>]*>>", "", ln).strip() for ln in it.solution.splitlines()]
        lines = [ln for ln in lines if ln]
        body = "\n".join(lines[:-1])
        if "$" in body and rng.random() < 0.5:
            body = body.replace("$", "\\$")
        return body if len(lines) >= 2 else None
    sol = re.sub(r"\[asy\].*?\[/asy\]", "", it.solution, flags=re.S)
    p = max(sol.rfind("\\boxed"), sol.rfind("\\fbox"))
    if p < 0:
        return None
    cut = max(sol.rfind(". ", 0, p), sol.rfind("\n", 0, p), sol.rfind(".$", 0, p) + 1)
    body = unbox(sol[: cut + 1]).strip()
    if len(body) < 60 or len(body) > 1800 or not balanced(body):
        return None
    return body


LLAMA_TITLES = [
    "Understand the problem",
    "Set up the computation",
    "Carry out the calculation",
    "Simplify the result",
    "Check the result",
]


def whole_output(style: int, body: str, x: str, mention: str, rng: random.Random) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", body) if p.strip()]
    if style == 0:
        return (
            "To solve this problem, we proceed step by step.\n\n"
            + body
            + f"\n\nTherefore, the final answer is $\\boxed{{{x}}}$."
        )
    if style == 1:
        return body + f"\n\nThus, the answer is \\(\\boxed{{{x}}}\\)."
    if style == 2:
        steps = [f"## Step {i + 1}: {LLAMA_TITLES[i]}\n{p}" for i, p in enumerate(paragraphs[:4])]
        if len(paragraphs) > 4:
            steps[-1] += "\n\n" + "\n\n".join(paragraphs[4:])
        return "\n\n".join(steps) + f"\n\nThe final answer is: $\\boxed{{{x}}}$"
    if style == 3:
        return (
            "<think>\nOkay, let me work through this carefully.\n\n"
            + body
            + (f"\n\n{mention}" if mention else "")
            + "\n</think>\n\n"
            + "Following the steps above and simplifying gives the result.\n\n"
            + f"**Final Answer**\n\\[\n\\boxed{{{x}}}\n\\]"
        )
    if style == 4:
        return body + f"\nFinal Answer: The final answer is ${x}$. I hope it is correct."
    if style == 5:
        return f"### Solution\n\n{body}\n\n---\n\n**Answer:** ${x}$"
    if style == 6:
        return f"**Step-by-step solution**\n\n{body}\n\n### Final Answer\n\n$$\n{x}\n$$"
    if style == 7:
        return f"{body}\n#### {x}"
    if style == 8:
        return body + f"\n\nThe answer is {plain_of(x) or f'${x}$'}."
    return (
        f"<think>\n{body}"
        + (f"\n{mention}" if mention else "")
        + f"\n</think>\n\nThe answer is $\\boxed{{{x}}}$."
    )


def gen_whole_output(b: Builder, items: list[Item], rng: random.Random, n: int) -> None:
    tag = "whole_output"
    made = 0
    probe = random.Random(0)

    def usable(it: Item) -> bool:
        return solution_body(it, probe) is not None

    for it in mixed_pick(items, usable, 3 * n, rng, 0.6):
        if made >= n:
            break
        ans, wrong = it.ans, perturb(it.ans, rng)
        if wrong is None:
            continue
        body = solution_body(it, rng)
        if rng.random() < 0.15:
            body = filler(rng, ans, 2) + "\n\n" + body
        plain = all(is_plain(f) for f in (ans.forms[0], wrong.forms[0]))
        styles = list(range(10)) if plain and ans.kind == "int" else [0, 1, 2, 3, 4, 5, 6, 8, 9]
        style = rng.choice(styles)
        i = rng.randrange(min(len(ans.forms), len(wrong.forms)))
        t, w = ans.forms[i], wrong.forms[i]
        if style == 7:
            t, w = ans.forms[0], wrong.forms[0]
        mention_pos = mention_neg = ""
        if style in (3, 9) and rng.random() < 0.6:
            mention_pos = (
                f"Hmm, at first I got ${w}$, but I dropped a term there. "
                "Redoing it gives the value below."
            )
            mention_neg = f"So is it ${t}$? Wait, let me recompute that last step once more."
        seed = rng.random()
        pos = whole_output(style, body, t, mention_pos, random.Random(seed))
        neg = whole_output(style, body, w, mention_neg, random.Random(seed))
        made += b.pair(pos, neg, it.ref, tag)


# ---------------------------------------------------------------------------------------------
# Main.
# ---------------------------------------------------------------------------------------------

GENERATORS = [
    ("several_boxes", gen_several_boxes, 100),
    ("chain", gen_chain, 100),
    ("labelled", gen_labelled, 100),
    ("math_span", gen_math_span, 100),
    ("multilingual", gen_multilingual, 110),
    ("number_format", gen_number_format, 100),
    ("escaped", gen_escaped, 90),
    ("notation", gen_notation, 100),
    ("traps", gen_traps, 200),
    ("whole_output", gen_whole_output, 110),
]


def build(data: Path, seed: int) -> list[dict]:
    items = load_pool(data)
    b = Builder()
    for offset, (_, gen, n) in enumerate(GENERATORS):
        gen(b, items, random.Random(seed * 1000 + offset), n)
    return b.rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rows = build(args.data, args.seed)
    with open(args.out, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts = Counter((r["tag"], r["expected"]) for r in rows)
    print(f"wrote {len(rows)} rows to {args.out}")
    print(f"{'tag':<16}{'true':>6}{'false':>7}{'total':>7}")
    for tag, _, _ in GENERATORS:
        t, f = counts[(tag, True)], counts[(tag, False)]
        print(f"{tag:<16}{t:>6}{f:>7}{t + f:>7}")
    labels = Counter(r["expected"] for r in rows)
    print(f"{'all':<16}{labels[True]:>6}{labels[False]:>7}{len(rows):>7}")


if __name__ == "__main__":
    main()
