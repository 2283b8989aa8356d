r"""Development corpus for the math verifier: labels from construction, never from a grader.

Every case starts from a real answer (MATH-500's ``answer`` field, GSM8K's final number) and is
rendered into a completion the way models and people write answers. A *positive* renders the true
answer in an equivalent surface form; a *negative* renders a deliberately changed answer (one
number moved, a sign flipped, two tuple items swapped, a bracket changed, another choice letter)
in the same surface forms, or is a trap that must not earn the reward. No verifier is consulted.

One ``tag`` per class of the math-verifier issue, plus three baseline classes:

  boxed, phrase, bare   baseline: one box in prose, an answer phrase, a bare answer
  several_boxes         an answer split over boxes; an early box overruled by a final statement
  chain                 ``expression = value`` chains and ``\approx`` against a scalar reference
  labelled              ``(a, b) = (1, 2)``, ``|PQ| = 5``, ``m:n = 3:4``, ``f(x) = …``
  math_span             the answer in the last ``$…$`` / ``\(…\)`` / ``\[…\]`` of prose, no box
  multilingual          prose in eight languages with that language's answer phrase
  number_format         thousands ``12{,}345`` ``12\,345``, decimal commas, ``(3,100)`` pairs
  escaped               JSON-escaped LaTeX with doubled backslashes
  notation              semicolon tuples, ``B. 17`` choices, inequalities up to a negative factor
  traps                 digits inside words, letter equations, hedges, unreadable references

This is the corpus the verifier is tuned on. ``benchmarks/math_heldout.py`` (written without
seeing the verifier's code) is the one it is not; report both.

    python benchmarks/math_corpus.py --data ../shared/data --out dev.jsonl
    rlvr bench verifier --cases dev.jsonl --compare math-verify
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

Case = dict[str, object]
ROOT = Path(__file__).resolve().parents[1]

# ----------------------------------------------------------------------------------- answers
_INT_RE = re.compile(r"-?\d+")
_FRAC_RE = re.compile(r"(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}")
_DEC_RE = re.compile(r"-?\d+\.\d+")


def kind(answer: str) -> str:
    """A coarse kind, to know which rewritings keep the value."""
    a = answer.strip()
    if _INT_RE.fullmatch(a):
        return "int"
    if _FRAC_RE.fullmatch(a):
        return "frac"
    if _DEC_RE.fullmatch(a):
        return "decimal"
    if a.startswith(r"\begin"):
        return "matrix"
    if r"\text{(" in a:
        return "choice"
    if a.startswith(r"\text"):
        return "text"
    if r"\cup" in a or (re.fullmatch(r"[(\[].*,.*[)\]]", a) and r"\infty" in a):
        return "interval"
    if re.fullmatch(r"(\\left)?\(.*(\\right)?\)", a) and "," in a:
        return "tuple"
    if "=" in a:
        return "equation"
    if r"\pm" in a:
        return "pm"
    if "," in a and not re.search(r"\d,\\!\d", a) and not re.fullmatch(r"\d{1,3}(,\d{3})+", a):
        return "list"
    return "expr"


def math500_answers(data: Path) -> list[str]:
    rows = [json.loads(line) for line in (data / "math500_test.jsonl").open()]
    return [r["answer"].strip() for r in rows]


def gsm8k_answers(data: Path) -> list[str]:
    rows = [json.loads(line) for line in (data / "gsm8k_test.jsonl").open()]
    return [r["answer"].rsplit("####", 1)[1].strip().replace(",", "") for r in rows]


# ------------------------------------------------------------------------------ perturbation
_LITERAL_RE = re.compile(r"(?<![\^_{\d.])(?<!\^\{)(?<!_\{)\d+")


def perturb(answer: str, rng: random.Random) -> str | None:
    """A different value in the same notation: one number moved, a sign, a swap, a bracket."""
    k = kind(answer)
    if k == "choice":
        letter = re.search(r"\(([A-E])\)", answer)
        if letter:
            other = rng.choice([c for c in "ABCDE" if c != letter[1]])
            return answer.replace(f"({letter[1]})", f"({other})")
        return None
    if k == "text":
        words = {"even": "odd", "odd": "even", "east": "west", "yes": "no", "no": "yes"}
        inner = re.sub(r"\\text\{|\}", "", answer).strip()
        return rf"\text{{{words[inner.lower()]}}}" if inner.lower() in words else None
    if k == "tuple" and rng.random() < 0.4:
        inner = re.sub(r"^(\\left)?\(|(\\right)?\)$", "", answer)
        items = [s.strip() for s in inner.split(",")]
        pairs = [(i, j) for i in range(len(items)) for j in range(i + 1, len(items))]
        pairs = [(i, j) for i, j in pairs if _digits(items[i]) != _digits(items[j])]
        if pairs and all(re.fullmatch(r"-?\d+", s) for s in items):
            i, j = rng.choice(pairs)
            items[i], items[j] = items[j], items[i]
            return "(" + ", ".join(items) + ")"
    if k == "interval" and rng.random() < 0.5 and r"\cup" not in answer:
        swaps = {"(": "[", "[": "("}
        if answer[0] in swaps and not answer.startswith(r"(-\infty"):
            return swaps[answer[0]] + answer[1:]
    literals = [m for m in _LITERAL_RE.finditer(answer) if not _in_command_arg(answer, m.start())]
    if not literals:
        return None
    m = rng.choice(literals)
    value = int(m[0])
    new = rng.choice([value + 1, value + 2, value * 10 if value else 3, max(value - 1, 0) + 11])
    if k == "int" and rng.random() < 0.25 and value != 0:
        return answer[1:] if answer.startswith("-") else "-" + answer
    return answer[: m.start()] + str(new) + answer[m.end() :]


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _in_command_arg(text: str, index: int) -> bool:
    """Inside ``\\begin{...}`` / ``\\sqrt[...]``-like headers, where a digit is not a value."""
    head = text[max(0, index - 8) : index]
    return head.endswith(r"\begin{") or head.endswith("matrix}{")


# ------------------------------------------------------------------------------ prose pieces
_WORK = [
    "First, note that ${a} + {b} = {c}$.",
    "We compute ${a} \\cdot {b} = {ab}$, which we will need below.",
    "Let $n$ be the number of steps; after ${a}$ of them we have ${c}$ left.",
    "Substituting $x = {a}$ gives ${b}x = {ab}$.",
    "There are {a} cases, and each contributes {b}.",
    "Subtracting, ${c} - {b} = {a}$.",
    "So far the total is {c}.",
    "Since ${a}^2 = {a2}$, the square term is ${a2}$.",
]


def formulas(rng: random.Random, n: int = 2) -> str:
    """Worked arithmetic with no words, to sit inside prose of any language."""
    out = []
    for _ in range(n):
        a, b = rng.randint(2, 19), rng.randint(2, 19)
        out.append(rng.choice([f"${a} + {b} = {a + b}$", f"${a} \\cdot {b} = {a * b}$"]))
    return ", ".join(out)


def work(rng: random.Random, sentences: int = 2) -> str:
    """A few lines of worked reasoning full of distracting numbers."""
    out = []
    for _ in range(sentences):
        a, b = rng.randint(2, 19), rng.randint(2, 19)
        out.append(
            rng.choice(_WORK).format(a=a, b=b, c=a + b, ab=a * b, a2=a * a).replace("\\\\", "\\")
        )
    return " ".join(out)


# ------------------------------------------------------------------------------- renderers
# Each renderer takes (answer, rng) and returns a completion, or None when it does not apply.
Renderer = Callable[[str, random.Random], "str | None"]


def r_boxed(a: str, rng: random.Random) -> str:
    end = rng.choice(
        [
            "Therefore, the answer is $\\boxed{{{a}}}$.",
            "So we get\n$$\\boxed{{{a}}}$$",
            "**Final Answer**\n\\[\n\\boxed{{{a}}}\n\\]",
            "Hence the result is \\(\\boxed{{{a}}}\\), as required.",
            "\\boxed{{{a}}}",
        ]
    )
    return work(rng) + "\n\n" + end.format(a=a)


def r_phrase(a: str, rng: random.Random) -> str:
    end = rng.choice(
        [
            "Final Answer: The final answer is ${a}$. I hope it is correct.",
            "The answer is ${a}$.",
            "**Answer:** ${a}$",
            "Thus, the final answer is: ${a}$",
            "ANSWER: ${a}$",
            "<answer>{a}</answer>",
        ]
    )
    return work(rng) + "\n" + end.format(a=a)


def r_bare(a: str, rng: random.Random) -> str | None:
    forms = [a, f"${a}$", f"\\({a}\\)", f"{a}.", f" {a} "]
    k = kind(a)
    frac = _FRAC_RE.fullmatch(a)
    if frac:
        sign, p, q = frac.groups()
        forms += [f"{sign}{p}/{q}", f"{sign}\\dfrac{{{p}}}{{{q}}}"]
        if len(p) == 1 and len(q) == 1:
            forms.append(f"{sign}\\frac{p}{q}")
    if k == "int":
        forms += [f"{a}.0", f"+{a}" if not a.startswith("-") else a]
    if k == "tuple":
        forms.append(re.sub(r"\\left\(|\\right\)", lambda m: m[0][-1], a).replace(", ", ","))
    return rng.choice(forms)


def r_several_boxes(a: str, rng: random.Random) -> str | None:
    k = kind(a)
    if k == "list":
        items = [s.strip() for s in a.split(",")]
        joined = ", ".join(f"$\\boxed{{{s}}}$" for s in items[:-1])
        sep = rng.choice([" and ", ", ", " or ", ", and "])
        return work(rng) + " The solutions are " + joined + sep + f"$\\boxed{{{items[-1]}}}$."
    if k == "pm" and "," not in a:
        head, tail = a.split(r"\pm")
        head, tail = head.strip(), tail.strip()
        boxes = f"$x = \\boxed{{{head} + {tail}}}$ or $x = \\boxed{{{head} - {tail}}}$"
        return work(rng) + f" So {boxes}."
    # An early box, then a final statement with the answer.
    wrong = perturb(a, rng)
    if wrong is None:
        return None
    ending = rng.choice(
        [
            "Final Answer: The final answer is ${a}$. I hope it is correct.",
            "Wait, that was only the first part. Final answer: ${a}$",
            "On reflection the value is different.\n\nThe final answer is $\\boxed{{{a}}}$.",
            "Let me redo the last step.\n\n### Final Answer\n{a}",
            "That was premature.\n\n**Final Answer**\n\n${a}$",
        ]
    )
    return f"{work(rng)} This gives \\boxed{{{wrong}}} for the first part. " + ending.format(a=a)


def r_chain(a: str, rng: random.Random) -> str | None:
    k = kind(a)
    sentence = rng.choice(
        ["So ${e}$.", "Therefore ${e}$.", "Computing, we find ${e}$.", "This gives \\[{e}\\]"]
    )
    if k == "int":
        n = int(a)
        options = [f"{n - 7} + 7 = {a}", f"\\frac{{{2 * n}}}{{2}} = {a}", f"x = {n + 3} - 3 = {a}"]
        if n >= 0:
            options += [f"\\sqrt{{{n * n}}} = {a}", f"\\binom{{{n}}}{{1}} = {a}"]
        divisors = [d for d in range(2, 13) if n and n % d == 0 and abs(n) // d > 1]
        if divisors:
            d = rng.choice(divisors)
            options.append(f"{d} \\times {n // d} = {a}")
        return work(rng, 1) + " " + sentence.format(e=rng.choice(options))
    frac = _FRAC_RE.fullmatch(a)
    if frac:
        sign, p, q = frac.groups()
        options = [
            f"\\frac{{{sign}{2 * int(p)}}}{{{2 * int(q)}}} = {a}",
            f"P = \\frac{{{sign}{3 * int(p)}}}{{{3 * int(q)}}} = {a}",
            f"{a} \\approx {float(sign + p) / int(q):.4f}",
        ]
        return work(rng, 1) + " " + sentence.format(e=rng.choice(options))
    if k == "decimal":
        return work(rng, 1) + " " + sentence.format(e=f"t \\approx {a}")
    if k == "expr" and _has_variable(a) and "\\" not in a:
        return work(rng, 1) + " " + sentence.format(e=f"E = {a}")
    return None


def r_labelled(a: str, rng: random.Random) -> str | None:
    k = kind(a)
    if k in ("int", "frac", "decimal"):
        label = rng.choice(["|PQ|", "AB", "x", "a + b", "f(3)", "m\\angle ABC", "P(A)", "S_{10}"])
        if "angle" in label and not a.isdigit():
            label = "|PQ|"
        return work(rng) + f" Hence ${label} = {a}$."
    if k == "tuple":
        n = a.count(",") + 1
        names = ["a", "b", "c", "d"][:n] if rng.random() < 0.5 else ["x", "y", "z", "w"][:n]
        return work(rng) + f" Therefore $({', '.join(names)}) = {a}$."
    if k == "list":
        items = [s.strip() for s in a.split(",")]
        if rng.random() < 0.5:
            parts = [f"$x_{i + 1} = {s}$" for i, s in enumerate(items)]
            return work(rng) + " The roots are " + ", ".join(parts) + "."
        joined = " \\text{ or } ".join(f"x = {s}" for s in items)
        return work(rng) + f" So ${joined}$."
    if k == "expr" and re.search(r"[a-z]", a) and "\\" not in a:
        return work(rng) + f" Thus $f(x) = {a}$."
    return None


def r_math_span(a: str, rng: random.Random) -> str:
    span = rng.choice([f"${a}$", f"\\({a}\\)", f"\\[{a}\\]", f"$${a}$$"])
    tail = rng.choice(
        [
            "So the value we want is {s}.",
            "Putting everything together, we obtain {s}",
            "The quantity in question equals {s} for every valid choice.",
            "It follows that {s} holds in all cases.",
            "Hence {s}.",
        ]
    )
    return work(rng, 3) + "\n\n" + tail.format(s=span)


_LANGUAGES = {
    "zh": ("我们先计算：{w}", ["因此，答案是 ${a}$。", "最终答案：${a}$", "所以结果为 ${a}$。"]),
    "ja": ("まず計算します。{w}", ["したがって、答えは ${a}$ です。", "答え：${a}$"]),
    "ar": ("أولاً نحسب: {w}", ["إذن الإجابة هي ${a}$.", "الجواب: ${a}$"]),
    "hi": ("पहले हम गणना करते हैं: {w}", ["अतः उत्तर ${a}$ है।", "उत्तर: ${a}$"]),
    "fr": ("Calculons d'abord : {w}", ["Donc la réponse est ${a}$.", "Réponse : ${a}$"]),
    "de": ("Zuerst rechnen wir: {w}", ["Die Antwort lautet ${a}$.", "Antwort: ${a}$"]),
    "es": ("Primero calculamos: {w}", ["Por lo tanto, la respuesta es ${a}$.", "Respuesta: ${a}$"]),
    "ru": ("Сначала вычислим: {w}", ["Ответ: ${a}$.", "Итак, ответ равен ${a}$."]),
    "ko": ("먼저 계산합니다: {w}", ["따라서 정답은 ${a}$입니다.", "답: ${a}$"]),
    "pt": ("Primeiro calculamos: {w}", ["Portanto, a resposta é ${a}$.", "Resposta: ${a}$"]),
    "hi2": ("हम गणना करते हैं: {w}", ["अतः उत्तर है {a}।"]),
}


def r_multilingual(a: str, rng: random.Random) -> str:
    head, endings = _LANGUAGES[rng.choice(sorted(_LANGUAGES))]
    ending = rng.choice([*endings, "$\\boxed{{{a}}}$"])
    if kind(a) == "int" and rng.random() < 0.5:
        ending = ending.replace("${a}$", "{a}")
    if "{a}" in ending and "$" not in ending and kind(a) != "int":
        ending = ending.replace("{a}", "${a}$")
    return head.format(w=formulas(rng)) + "\n" + ending.format(a=a)


def r_number_format(a: str, rng: random.Random) -> str | None:
    k = kind(a)
    if k == "int" and abs(int(a)) >= 1000:
        digits = f"{abs(int(a)):,}"
        sign = "-" if a.startswith("-") else ""
        form = rng.choice(
            [
                digits,
                digits.replace(",", "{,}"),
                digits.replace(",", "\\,"),
                digits.replace(",", "\\ "),
                f"\\${digits}.00",
                f"{digits}.0",
            ]
        )
        return work(rng) + f" The total is ${sign}{form}$."
    if k == "int" and abs(int(a)) >= 1000 and rng.random() < 0.3:
        return work(rng) + f" In all, {int(a):,} items.".replace(",", rng.choice([" ", "\u202f"]))
    if k == "decimal":
        whole, frac = a.lstrip("-").split(".")
        if len(frac) != 3:
            sign = "-" if a.startswith("-") else ""
            comma = rng.choice([",", "{,}"])
            return f"Le résultat est donc ${sign}{whole or '0'}{comma}{frac}$."
    if k == "tuple" and re.fullmatch(r"\(-?\d+, ?-?\d+\)", a):
        return work(rng) + f" The point is ${a.replace(' ', '')}$."
    return None


def r_escaped(a: str, rng: random.Random) -> str | None:
    if "\\" not in a and rng.random() < 0.5:
        return None
    text = rng.choice([r_boxed, r_phrase, r_math_span])(a, rng)
    return text.replace("\\", "\\\\")


def r_notation(a: str, rng: random.Random) -> str | None:
    k = kind(a)
    if k == "tuple" and "\\" not in a:
        inner = a[1:-1].replace(",", ";")
        return work(rng) + f" The ordered triple is $({inner})$."
    if k == "choice":
        letter = re.search(r"\(([A-E])\)", a)[1]  # type: ignore[index]
        n = rng.randint(2, 99)
        return work(rng) + rng.choice(
            [f"\n\nThe answer is {letter}. {n}", f"\n\n{letter}) {n}", f"\n\n**{letter}**"]
        )
    return None


# ----------------------------------------------------------------- constructed extra references
def notation_extras(rng: random.Random, n: int) -> Iterator[Case]:
    """Cases whose reference is built here: choices, inequalities, ratios, pairs."""
    for _ in range(n):
        letter = rng.choice("ABCDE")
        other = rng.choice([c for c in "ABCDE" if c != letter])
        value = rng.randint(2, 99)
        form = rng.choice(
            [
                "{l}. {v}",
                "{l}) {v}",
                "({l}) {v}",
                "The correct option is ({l}).",
                "So the answer is option **{l}**.",
                "Checking each option:\n\nOption {l}",
            ]
        )
        ref = rng.choice([letter, f"\\text{{({letter})}}", f"({letter})"])
        yield _case(form.format(l=letter, v=value), ref, True, "notation")
        yield _case(form.format(l=other, v=value), ref, False, "notation")
        # inequalities equal up to a constant factor of either sign
        b = rng.randint(-9, 9)
        op, flipped = rng.choice([("<", ">"), ("\\le", "\\ge"), (">", "<"), ("\\ge", "\\le")])
        c = rng.randint(2, 5)
        forms = [f"-x {flipped} {-b}", f"{c}x {op} {c * b}", f"-{c}x {flipped} {-c * b}"]
        pred = rng.choice(forms)
        yield _case(f"So ${pred}$.", f"x {op} {b}", True, "notation")
        yield _case(f"So ${pred}$.", f"x {flipped} {b}", False, "notation")
        yield _case(f"So ${pred}$.", f"x {op} {b + 1}", False, "notation")
        lo, hi = sorted(rng.sample(range(-9, 10), 2))
        chain = rng.choice([f"-{hi} \\le -x \\le {-lo}", f"{2 * lo} \\le 2x \\le {2 * hi}"])
        yield _case(f"Therefore ${chain}$.", f"[{lo}, {hi}]", True, "notation")
        yield _case(f"Therefore ${chain}$.", f"({lo}, {hi}]", False, "notation")
        union = f"(-\\infty, {lo}) \\cup ({hi}, \\infty)"
        yield _case(f"The solution set is $x < {lo}$ or $x > {hi}$.", union, True, "notation")
        yield _case(f"The solution set is $x < {lo}$ or $x > {hi + 1}$.", union, False, "notation")


def labelled_extras(rng: random.Random, n: int) -> Iterator[Case]:
    for _ in range(n):
        p, q = rng.sample(range(1, 12), 2)
        yield _case(f"The ratio is $m:n = {p}:{q}$.", f"{p}:{q}", True, "labelled")
        yield _case(f"The ratio is $m:n = {q}:{p}$.", f"{p}:{q}", False, "labelled")
        a, b = rng.sample(range(-9, 20), 2)
        yield _case(f"We find a = {a} and b = {b}.", f"{a}, {b}", True, "labelled")
        yield _case(f"We find a = {a} and b = {b + 1}.", f"{a}, {b}", False, "labelled")


def number_extras(rng: random.Random, n: int) -> Iterator[Case]:
    for _ in range(n):
        a, b = rng.randint(1, 9), rng.randint(100, 999)
        yield _case(f"The point is $({a},{b})$.", f"({a}, {b})", True, "number_format")
        yield _case(f"The point is $({a},{b})$.", f"{a}{b}", False, "number_format")
        whole, frac = rng.randint(0, 99), rng.choice([rng.randint(1, 9), rng.randint(10, 99)])
        yield _case(f"Il reste {whole},{frac} litres.", f"{whole}.{frac}", True, "number_format")
        yield _case(f"Il reste {whole},{frac} litres.", f"{whole}.{frac}1", False, "number_format")


def trap_cases(rng: random.Random, answers: list[str], n: int) -> Iterator[Case]:
    """Inputs that must not earn the reward."""
    letters = [a for a in answers if kind(a) == "expr" and _has_variable(a)]
    for _ in range(n):
        v = rng.randint(1, 9)
        w = rng.choice([v + 1, v + 2])
        yield _case(f"The code on the box reads XJ{v}Q, nothing else.", str(v), False, "traps")
        yield _case(f"It is ABC{v}D.", str(v), False, "traps")
        yield _case(f"$\\boxed{{{v}}}$ or $\\boxed{{{w}}}$", str(v), False, "traps")
        yield _case(f"The answer is either {v} or {w}.", str(v), False, "traps")
        yield _case(f"It could be {w}, {v} or {v + 5}.", str(v), False, "traps")
        yield _case(f"$2x + {v} = {v + 6}$", str(v + 6), False, "traps")
        yield _case(f"The answer is probably ${v}$, but it might be ${w}$.", str(v), False, "traps")
        yield _case(f"The answer is not ${v}$; I could not finish.", str(v), False, "traps")
        if letters:
            ref = rng.choice(letters)
            yield _case(f"So ${v} = {ref}$.", ref, False, "traps")
        yield _case(str(v), rng.choice([f"x^{v} + \\frac{{", f"ABC{v}D", "}{", ""]), False, "traps")


def _has_variable(answer: str) -> bool:
    """A letter that names a variable: not ``i``, not a command, not a unit in ``\\text{}``."""
    bare = re.sub(r"\\(?:text|mbox)\{[^}]*\}|\\[a-zA-Z]+", "", answer)
    return re.search(r"[a-hj-zA-Z]", bare) is not None


def _case(completion: str, reference: str, expected: bool, tag: str) -> Case:
    return {"completion": completion, "reference": reference, "expected": expected, "tag": tag}


# ----------------------------------------------------------------------------------- corpus
RENDERERS: dict[str, Renderer] = {
    "boxed": r_boxed,
    "phrase": r_phrase,
    "bare": r_bare,
    "several_boxes": r_several_boxes,
    "chain": r_chain,
    "labelled": r_labelled,
    "math_span": r_math_span,
    "multilingual": r_multilingual,
    "number_format": r_number_format,
    "escaped": r_escaped,
    "notation": r_notation,
}


def build(data: Path, seed: int = 0, per_tag: int = 160) -> list[Case]:
    """About ``per_tag`` positives and as many negatives per class, from shuffled answers."""
    rng = random.Random(seed)
    answers = math500_answers(data) + gsm8k_answers(data)[:300]
    cases: list[Case] = []
    for tag, render in RENDERERS.items():
        made = 0
        for answer in rng.sample(answers, len(answers)):
            if made >= per_tag:
                break
            good = render(answer, rng)
            wrong = perturb(answer, rng)
            bad = render(wrong, rng) if wrong is not None and wrong != answer else None
            if good is not None:
                cases.append(_case(good, answer, True, tag))
                made += 1
            if bad is not None:
                cases.append(_case(bad, answer, False, tag))
    cases += notation_extras(rng, 60)
    cases += labelled_extras(rng, 60)
    cases += number_extras(rng, 60)
    cases += trap_cases(rng, math500_answers(data), 40)
    for case in cases:
        case["source"] = "dev"
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cases = build(args.data, args.seed)
    with args.out.open("w") as f:
        for case in cases:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    counts = Counter((c["tag"], c["expected"]) for c in cases)
    for tag in sorted({t for t, _ in counts}):
        print(f"{tag:14} {counts[tag, True]:5} positive {counts[tag, False]:5} negative")
    print(f"{'all':14} {len(cases):5} cases -> {args.out}")


if __name__ == "__main__":
    main()
