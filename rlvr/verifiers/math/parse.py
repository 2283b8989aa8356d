"""Stage 2 of grading: turn an answer string into a small tree of typed answer nodes.

The tree says *what kind* of answer it is (a number, an interval, a set, an equation, a matrix,
a multiple-choice letter, a word), so that comparison can follow the rules of that kind: sets are
unordered, intervals care about their brackets, an equation ``x = 3`` may stand for ``3``.
Leaves are :class:`Scalar` nodes holding plain-text math in sympy's input syntax (``sqrt(2)/2``);
turning that text into a sympy expression happens later, under a deadline, in a worker process.

Everything here is pure string work, bounded in time, and raises :class:`AnswerParseError` on
input it cannot read.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from functools import lru_cache

from rlvr.verifiers.math.extract import MATH_WORDS, UNIT_WORDS, matching_brace, unescape_latex


class AnswerParseError(ValueError):
    """The answer text is not something this grader can read."""


# --------------------------------------------------------------------------------------- nodes
@dataclass(frozen=True)
class Scalar:
    text: str
    """Plain-text math in sympy syntax."""
    percent: bool = False


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Choice:
    """A multiple-choice letter, with what the answer wrote after it (``B. 17``), if anything."""

    letter: str
    content: Node | None = None


@dataclass(frozen=True)
class Seq:
    """A bracketed, ordered sequence: a tuple or point ``(1, 2)`` or an interval ``(1, 2]``."""

    left: str
    right: str
    items: tuple[Node, ...]


@dataclass(frozen=True)
class SetOf:
    """An unordered collection: ``\\{1, 2\\}``, a bare list ``10, 4, 2``, or ``1 \\pm \\sqrt 2``."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Union:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Matrix:
    rows: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True)
class Ratio:
    """``3:4``; equal to any ratio with proportional terms. ``clock``: written like a time of
    day (``10:30``, ``5:00``), which as a reference is matched term by term (``1:3`` is not
    ``10:30``)."""

    items: tuple[Node, ...]
    clock: bool = False


@dataclass(frozen=True)
class Relation:
    """An equation, approximation or (chained) inequality: ``parts[0] ops[0] parts[1] ...``.

    ``ops`` are ``=``, ``≈``, ``<``, ``<=``, ``>``, ``>=`` or ``!=``.
    """

    ops: tuple[str, ...]
    parts: tuple[Node, ...]


Node = Scalar | Text | Choice | Seq | SetOf | Union | Matrix | Ratio | Relation

MAX_ANSWER_CHARS = 1000
MAX_NESTING = 60

# ------------------------------------------------------------------------------ normalisation
_UNICODE = {
    "−": "-",
    "–": "-",
    "×": r"\times ",
    "·": r"\cdot ",
    "÷": r"\div ",
    "√": r"\sqrt",
    "π": r"\pi ",
    "∞": r"\infty ",
    "≤": r"\le ",
    "≥": r"\ge ",
    "≠": r"\ne ",
    "≈": r"\approx ",
    "±": r"\pm ",
    "∪": r"\cup ",
    "∈": r"\in ",
    "°": r"^\circ",
    "²": "^2",
    "³": "^3",
    "\u00a0": " ",
}
_SPACING_RE = re.compile(
    r"(?<!\\)\\[,:;!> ]|\\q?quad\b|~|\\displaystyle|\\limits|\\(?:big|Big|bigg|Bigg)[lr]?"
)
_TEXT_CMD = (
    r"\\(?:text|textbf|textit|textrm|textnormal|mbox|mathrm|mathbf|mathit|mathsf|operatorname)"
)
_WRAPPED_RE = re.compile(r"^" + _TEXT_CMD + r"\s*\{(.*)\}$", re.DOTALL)
_TEXT_BLOCK_RE = re.compile(_TEXT_CMD + r"\s*\{([^{}]*)\}(\^\{?[23]\}?)?")
_DEGREE_RE = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree|\^\{\\text\{o\}\}")
_THOUSANDS_RE = re.compile(r"(?<![\d.])[1-9]\d{0,2}(?:(?:\{,\}|,)\d{3})+(?!\d)")
_DIGIT_GROUPS_RE = re.compile(r"(?<![\d.,])\d{1,3}(?:(?:\\[,;: !]|~| |\u202f|'|’)\d{3})+(?![\d.,])")
_DECIMAL_COMMA_RE = re.compile(r"(?<![\d,.}])(\d+)(?:\{,\}|,)(\d+)(?![\d,.{])")
_UNIT_TAIL_RE = re.compile(
    r"(?<=[\d}\s)])\s*\b([A-Za-z]+(?:\s+[A-Za-z]{2,})?)\s*(\^\{?[23]\}?)?\s*$"
)
_ASSIGN_IN_RE = re.compile(r"^\\?[A-Za-z]\w*(?:\([^()\d]*\))?\s*\\in\s*")
_IMPLIES_RE = re.compile(r"\\(?:Rightarrow|Longrightarrow|implies|therefore)(?![A-Za-z])|⇒|⟹|∴")
_TRAILING_TEXT_RE = re.compile(
    r"(?<=[\d}).%\s])\s*" + _TEXT_CMD + r"\s*\{([^{}]*)\}(\^\{?[23]\}?)?\s*$"
)
# Words after a value that change or deny it: never a unit.
_NOT_A_UNIT = frozenset(
    """not no wrong incorrect false invalid or maybe perhaps possibly unless either
    hundred hundreds thousand thousands million millions billion billions trillion dozen dozens
    squared cubed factorial percent times""".split()
)
_REPEATING_RE = re.compile(
    r"(?<![\d.])(\d*)\.(\d*?)(?:\\overline\{(\d+)\}|(\d)\4+\s*(?:\.\.\.|\\[lc]?dots))"
)
_CHOICE_RE = re.compile(
    r"(?:(?i:option|choice)\s*)?(?:\(([A-J])\)|([A-J])(?:[.:)]|$))(?:\s+(.+))?", re.DOTALL
)


def clean(text: str, decimal_comma: bool = False) -> str:
    """Strip LaTeX presentation that never changes the value: delimiters, spacing, units.

    Set braces ``\\{ \\}`` become ``⦃ ⦄``. A comma between digits is a thousands separator
    (``12,345``) outside brackets, or inside brackets whose items are separated by ", "; inside
    other brackets it separates items (``(3,100)`` is a pair). With ``decimal_comma``, a comma
    that cannot be a thousands separator is a decimal point (``0,5``, ``1,22``), outside brackets
    or between ``;``-separated items.
    """
    s = unescape_latex(text).strip()
    s = re.sub(r"√\s*(\d+(?:\.\d+)?)", r"\\sqrt{\1}", s)  # √768 is the root of 768
    s = re.sub(r"\\not\s*(?:=|\\approx|\\equiv|\\sim)|=/=|/=|≉", r"\\ne ", s)
    for bad, good in _UNICODE.items():
        s = s.replace(bad, good)
    s = re.sub(r"^\*\*|\*\*$|(?<=\s)\*\*|\*\*(?=\s)", "", s)  # markdown bold, not x**2
    s = re.sub(r"^\*+|\*+$", "", s).strip()
    s = re.sub(r"^\$+|\$+$", "", s).strip()
    s = re.sub(r"^\\\(|\\\)$|^\\\[|\\\]$", "", s).strip()
    s = re.sub(r"(?<=\d),\\!\s*(?=\d{3})", ",", s)  # 10,\!080
    s = _DIGIT_GROUPS_RE.sub(lambda m: re.sub(r"\D", "", m[0]), s)  # 12\,345 and 12 345
    s = _SPACING_RE.sub(" ", s)
    s = re.sub(r"\\(?:left|right)\s*(\\[{}|]|[()\[\].|])", lambda m: "" if m[1] == "." else m[1], s)
    s = re.sub(r"\\(?:lvert|rvert|vert)", "|", s)
    s = s.replace(r"\dfrac", r"\frac").replace(r"\tfrac", r"\frac").replace(r"\cfrac", r"\frac")
    s = s.replace(r"\dbinom", r"\binom").replace(r"\tbinom", r"\binom")
    s = re.sub(r"\\\$|\$", "", s)
    s = s.replace(r"\%", "%")
    s = _DEGREE_RE.sub("", s)
    s = _IMPLIES_RE.split(s)[-1].strip() or s  # "2x = 10 \Rightarrow x = 5": the last step
    # Text: the whole answer as text keeps its words; a text block after a value is its unit.
    whole = _WRAPPED_RE.match(s)
    if whole and matching_brace(s, s.index("{")) == len(s) - 1:
        s = whole.group(1).strip()
    s = _TRAILING_TEXT_RE.sub(lambda m: m[0] if _denies(m[1]) else "", s)
    s = _TEXT_BLOCK_RE.sub(_text_block, s)
    s = re.sub(r"\s+", " ", s).strip()
    s = s.replace(r"\{", "⦃").replace(r"\}", "⦄")
    s = _THOUSANDS_RE.sub(lambda m: _thousands(s, m), s)
    if decimal_comma:
        s = _DECIMAL_COMMA_RE.sub(lambda m: _decimal_comma(s, m), s)
    s = re.sub(r"\s*(?:percent|\\%)$", "%", s)
    s = _ASSIGN_IN_RE.sub("", s)
    s = _REPEATING_RE.sub(_repeating, s)
    s = re.sub(r"(?<=\d)\s*[xX]\s*(?=10\s*\^)", r" \\times ", s)  # 3.9 x 10^3
    s = re.sub(r"^(\d+)\s+(\d+)\s*/\s*(\d+)$", r"\1\\frac{\2}{\3}", s)  # 1 4/5, mixed
    s = re.sub(r"^(\w+)\s+in\s+base\s+(\d+)$", r"\1_{\2}", s)  # 40 in base 9
    unit = _UNIT_TAIL_RE.search(s)
    if unit and unit.start() > 0 and _is_unit(unit[1], s[: unit.start()]):
        s = s[: unit.start()].strip()
    return s.rstrip(".").strip()


def _denies(text: str) -> bool:
    return any(w in _NOT_A_UNIT for w in re.findall(r"[a-z]+", text.lower()))


def _is_unit(words: str, before: str) -> bool:
    """Words after a number are its unit ("5 cm", "12 marbles"); short ones only when known;
    never a word that changes or denies the value ("2 million", "5 is wrong")."""
    if _denies(words):
        return False
    after_value = re.search(r"[\d})%]\s*$", before) is not None
    return all(
        w.lower() in UNIT_WORDS
        or (after_value and len(w) >= 3 and w.lower() not in MATH_WORDS | _GREEK)
        for w in words.split()
    )


def _repeating(m: re.Match[str]) -> str:
    r"""``0.1\overline{6}`` or ``0.1666...`` as the exact fraction ``1/6``."""
    whole, fixed, period = m[1] or "0", m[2], m[3] or m[4]
    numerator = int(whole + fixed + period) - int(whole + fixed)
    denominator = 10 ** len(fixed) * (10 ** len(period) - 1)
    return f"({numerator})/({denominator})"


def has_decimal_comma(text: str) -> bool:
    """Whether ``text`` reads differently with decimal commas (``0,5``): then both are tried."""
    return "," in text and clean(text, decimal_comma=True) != clean(text)


def _thousands(s: str, m: re.Match[str]) -> str:
    inner = _enclosing(s, m.start())
    if "{,}" in m[0] or inner is None or re.search(r",\s", inner):
        return re.sub(r"\{,\}|,", "", m[0])
    return m[0]


def _decimal_comma(s: str, m: re.Match[str]) -> str:
    head, tail = m[1], m[2]
    could_be_thousands = len(tail) == 3 and len(head) <= 3 and not head.startswith("0")
    inner = _enclosing(s, m.start())
    if could_be_thousands or (inner is not None and ";" not in inner):
        return m[0]
    return f"{head}.{tail}"


def _enclosing(s: str, index: int) -> str | None:
    """The content of the innermost ``()``, ``[]`` or ``⦃⦄`` around ``index``, None at the top."""
    opens: list[int] = []
    for i, ch in enumerate(s[:index]):
        if ch in "([⦃":
            opens.append(i)
        elif ch in ")]⦄" and opens:
            opens.pop()
    if not opens:
        return None
    depth = 0
    for j in range(opens[-1], len(s)):
        depth += s[j] in "([⦃"
        depth -= s[j] in ")]⦄"
        if depth == 0:
            return s[opens[-1] + 1 : j]
    return s[opens[-1] + 1 :]


def _text_block(m: re.Match[str]) -> str:
    content = m[1].strip()
    words = content.lower().split()
    after_value = re.search(r"[\d})]\s*$", m.string[: m.start()]) is not None
    if words and after_value and all(w in UNIT_WORDS for w in words):
        return " "
    if words in (["and"], ["or"]):
        return ", "
    return content


# ----------------------------------------------------------------------------------- structure
_OPEN = "([{⦃"
_CLOSE = ")]}⦄"
_REL_RE = re.compile(r"\\(?:leq?slant|geq?slant|leq?|geq?|neq?|lt|gt|approx)\b|<=|>=|!=|=|<|>")
_REL_NAMES = {
    r"\le": "<=",
    r"\leq": "<=",
    r"\leqslant": "<=",
    r"\ge": ">=",
    r"\geq": ">=",
    r"\geqslant": ">=",
    r"\lt": "<",
    r"\gt": ">",
    r"\ne": "!=",
    r"\neq": "!=",
    r"\approx": "≈",
}


def depth_map(s: str) -> list[int]:
    """Bracket depth before each character; raises on unbalanced or too deeply nested input."""
    depths = []
    depth = 0
    for ch in s:
        if ch in _CLOSE:
            depth -= 1
            if depth < 0:
                raise AnswerParseError("unbalanced brackets")
        depths.append(depth)
        if ch in _OPEN:
            depth += 1
            if depth > MAX_NESTING:
                raise AnswerParseError("nested too deeply")
    if depth != 0:
        raise AnswerParseError("unbalanced brackets")
    return depths


def split_top(s: str, sep: str | re.Pattern[str]) -> list[str]:
    """Split on separators that sit outside every bracket."""
    depths = depth_map(s)
    pattern = sep if isinstance(sep, re.Pattern) else re.compile(re.escape(sep))
    parts, start = [], 0
    for m in pattern.finditer(s):
        if depths[m.start()] == 0:
            parts.append(s[start : m.start()])
            start = m.end()
    parts.append(s[start:])
    return parts


def _enclosed(s: str) -> bool:
    """True when the first character's bracket closes at the very end: ``(a, b]`` not ``(a)(b)``."""
    if len(s) < 2 or s[0] not in _OPEN or s[-1] not in _CLOSE:
        return False
    depths = depth_map(s)
    return all(d > 0 for d in depths[1:-1])


def parse_answer(text: str, decimal_comma: bool = False) -> Node:
    """Parse an extracted answer into a node tree. Short answers (references repeat) are cached;
    long ones are not, so that a stream of distinct long lists cannot fill memory."""
    if len(text) <= 200:
        return _parse_cached(text, decimal_comma)
    return _parse_answer(text, decimal_comma)


def _parse_answer(text: str, decimal_comma: bool) -> Node:
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerParseError(f"answer longer than {MAX_ANSWER_CHARS} characters")
    s = clean(text, decimal_comma)
    if not s:
        raise AnswerParseError("empty answer")
    return _parse(s, choice=True)


_parse_cached = lru_cache(maxsize=16384)(_parse_answer)


def readings(text: str) -> list[Node]:
    """Every way to read an answer: one, or two when a comma may be a decimal point.

    Raises AnswerParseError when no reading parses.
    """
    if not has_decimal_comma(text):
        return [parse_answer(text)]
    nodes = []
    for decimal_comma in (False, True):
        with contextlib.suppress(AnswerParseError):
            nodes.append(parse_answer(text, decimal_comma))
    return nodes or [parse_answer(text)]


def _parse(s: str, choice: bool = False) -> Node:
    """``choice``: whether a lone capital letter may be a multiple-choice answer here (at the top
    or in a list), rather than a name (``A = 5``, ``(A, B)``)."""
    s = s.strip()
    if not s:
        raise AnswerParseError("empty item")
    letter = _CHOICE_RE.fullmatch(s) if choice else None
    if letter:
        return Choice(letter[1] or letter[2], _content(letter[3]))
    if s.startswith(r"\begin{"):
        return _parse_matrix(s)
    if s.startswith("⦃") and _enclosed(s):
        return _set(split_top(s[1:-1], re.compile(r",|;")), braces=True)
    if s.startswith("{") and _enclosed(s) and len(split_top(s[1:-1], ",")) > 1:
        return _set(split_top(s[1:-1], ","))
    union = split_top(s, re.compile(r"\\cup|\bU\b"))
    if len(union) > 1:
        return Union(tuple(_parse(p) for p in union))
    items = split_top(s, re.compile(r",|;|\\text\{\s*(?:and|or)\s*\}|\s+(?:and|or)\s+"))
    if len(items) > 1:
        return _set(items)
    if _enclosed(s) and s[0] in "([" and s[-1] in ")]":
        separator = ";" if len(split_top(s[1:-1], ";")) > 1 else ","
        inner = split_top(s[1:-1], separator)
        if len(inner) > 1:
            return Seq(s[0], s[-1], tuple(_parse(p) for p in inner))
    pieces = split_top(s, _REL_RE)
    if len(pieces) > 1:
        ops = [m[0] for m in _REL_RE.finditer(s)]
        ops = [_REL_NAMES.get(op, op) for op, d in zip(ops, _rel_depths(s)) if d == 0]
        return Relation(tuple(ops), tuple(_parse(p) for p in pieces))
    terms = split_top(s, re.compile(r"\\colon|:"))
    if len(terms) > 1 and all(t.strip() for t in terms):
        clock = re.fullmatch(r"(?:1\d|2[0-4]):\d\d|\d{1,2}:0\d", s) is not None
        return Ratio(tuple(_parse(t) for t in terms), clock)
    if r"\pm" in s or r"\mp" in s:
        return _expand_pm(s)
    return _scalar_or_text(s)


def _content(text: str | None) -> Node | None:
    """What follows a choice letter (``B. 17``), when it reads as an answer."""
    if not text:
        return None
    try:
        return _parse(text)
    except AnswerParseError:
        return None


def _set(parts: list[str], braces: bool = False) -> SetOf:
    """An unordered collection; ``1 \\pm \\sqrt 5`` inside it contributes both of its values.

    Only set braces may be empty (``\\{\\}``): a bare ``,`` is no answer.
    """
    if not braces and not any(part.strip() for part in parts):
        raise AnswerParseError("an empty list")
    items: list[Node] = []
    for part in parts:
        if not part.strip():
            continue
        node = _parse(part, choice=True)
        if isinstance(node, SetOf) and (r"\pm" in part or r"\mp" in part):
            items.extend(node.items)
        else:
            items.append(node)
    return SetOf(tuple(items))


def _rel_depths(s: str) -> list[int]:
    depths = depth_map(s)
    return [depths[m.start()] for m in _REL_RE.finditer(s)]


def _expand_pm(s: str) -> Node:
    parts = split_top(s, re.compile(r"\\pm|\\mp"))
    if len(parts) != 2:
        raise AnswerParseError("more than one \\pm")
    head, tail = parts[0].strip(), parts[1].strip()
    base = head if head else "0"
    return SetOf(
        (
            _scalar_or_text(f"{base} + ({tail})" if head else tail),
            _scalar_or_text(f"{base} - ({tail})" if head else f"-({tail})"),
        )
    )


def _parse_matrix(s: str) -> Node:
    m = re.fullmatch(
        r"\\begin\{([pbBvV]?matrix|array)\}(?:\{[^}]*\})?(.*)\\end\{\1\}", s, re.DOTALL
    )
    if not m:
        raise AnswerParseError("unreadable matrix")
    rows = [r for r in re.split(r"\\\\", m[2]) if r.strip()]
    return Matrix(tuple(tuple(_parse(cell) for cell in row.split("&")) for row in rows))


def _scalar_or_text(s: str) -> Node:
    s = s.strip()
    percent = s.endswith("%")
    if percent:
        s = s[:-1].strip()
    base_n = re.fullmatch(r"([0-9A-Fa-f]*\d[0-9A-Fa-f]*)_\{?\(?(\d+)\)?\}?", s)  # 204_5
    if base_n:
        return Text(f"{base_n[1]}_{base_n[2]}")
    words = re.findall(r"[A-Za-z]{3,}", re.sub(r"\\[A-Za-z]+", " ", s))
    if any(w.lower() not in MATH_WORDS and w.lower() not in _GREEK for w in words):
        return Text(re.sub(r"[\s{}\\]+", "", s).lower())
    return Scalar(latex_to_text(s), percent)


# ------------------------------------------------------------------------ LaTeX -> sympy text
_GREEK = frozenset(
    """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu
    xi omicron rho sigma tau upsilon phi varphi chi psi omega""".split()
)
_COMMANDS = {
    r"\pi": " pi ",
    r"\lambda": " lamda ",  # sympy's spelling: lambda is a Python keyword
    r"\infty": " oo ",
    r"\infin": " oo ",
    r"\cdot": "*",
    r"\times": "*",
    r"\ast": "*",
    r"\div": "/",
    r"\ln": " log",
    r"\lfloor": " floor(",
    r"\rfloor": ")",
    r"\lceil": " ceiling(",
    r"\rceil": ")",
    r"\exp": " exp",
    r"\arcsin": " asin",
    r"\arccos": " acos",
    r"\arctan": " atan",
    r"\cdots": "...",
    r"\ldots": "...",
    r"\dots": "...",
}
_FUNCTIONS = {"sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh", "exp"}
_NAME_RE = re.compile(r"\\[A-Za-z]+")


def latex_to_text(s: str) -> str:
    """Rewrite one LaTeX scalar as sympy input: ``2\\frac{\\sqrt3}{2}`` -> ``2((sqrt(3))/(2))``."""
    try:
        out = _convert(s.replace("⦃", "{").replace("⦄", "}"))
    except RecursionError:
        raise AnswerParseError("nested too deeply") from None
    out = re.sub(r"\|([^|]*)\|", r"Abs(\1)", out)
    out = re.sub(r"\b(?:infinity|infty|inf)\b", "oo", out, flags=re.IGNORECASE)
    out = re.sub(r"(\d)\s*[eE]\s*([+-]?\d+)\b", r"\1*10**(\2)", out)
    out = re.sub(r"\s+", " ", out).strip()
    out = re.sub(r"(?<![\d.\w])0+(?=\d)", "", out)  # 042 -> 42 (Python rejects leading zeros)
    if not out or not re.fullmatch(r"[A-Za-z0-9_\s+\-*/().,^!]*", out) or "__" in out:
        raise AnswerParseError("characters that are not math")
    if re.search(r"\d_", out):  # Python would read 204_5 as 2045
        raise AnswerParseError("subscripted number")
    if re.search(r"\.\s*[A-Za-z_]", out):
        raise AnswerParseError("attribute-like syntax")
    return out


def _convert(s: str) -> str:
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "\\":
            m = _NAME_RE.match(s, i)
            if not m:  # an escaped symbol such as \{ or \|
                out.append(s[i + 1 : i + 2])
                i += 2
                continue
            name, i = m[0], m.end()
            if name == r"\frac":
                num, i = _argument(s, i)
                den, i = _argument(s, i)
                _emit_fraction(out, _convert(num), _convert(den))
            elif name == r"\sqrt":
                index = None
                j = _skip_spaces(s, i)
                if j < n and s[j] == "[":
                    close = s.find("]", j)
                    if close < 0:
                        raise AnswerParseError("unclosed \\sqrt[")
                    index, i = s[j + 1 : close], close + 1
                arg, i = _argument(s, i)
                body = _convert(arg)
                out.append(
                    f" sqrt({body})" if index is None else f" root({body}, {_convert(index)})"
                )
            elif name == r"\binom":
                top, i = _argument(s, i)
                bottom, i = _argument(s, i)
                out.append(f" binomial({_convert(top)}, {_convert(bottom)})")
            elif name in _COMMANDS:
                out.append(_COMMANDS[name])
            elif name[1:] in _FUNCTIONS:
                out.append(" " + name[1:])
            elif name == r"\log":
                j = _skip_spaces(s, i)
                if j < n and s[j] == "_":  # \log_b x = log(x) / log(b)
                    base, i = _argument(s, j + 1)
                    out.append(f" 1/log({_convert(base)})*log")
                else:
                    out.append(" log")
            elif name == r"\operatorname":
                out.append(" ")
            else:
                out.append(" " + name[1:] + " ")
        elif ch == "{":
            end = matching_brace(s, i)
            if end is None:
                raise AnswerParseError("unbalanced braces")
            out.append("(" + _convert(s[i + 1 : end]) + ")")
            i = end + 1
        elif ch == "^":
            arg, i = _argument(s, i + 1)
            out.append("**(" + _convert(arg) + ")")
        elif ch == "_":
            arg, i = _argument(s, i + 1)
            out.append("_" + re.sub(r"\W", "", _convert(arg)))
        elif ch == "}":
            raise AnswerParseError("unbalanced braces")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _skip_spaces(s: str, i: int) -> int:
    while i < len(s) and s[i] == " ":
        i += 1
    return i


def _argument(s: str, i: int) -> tuple[str, int]:
    """One TeX argument: a ``{group}``, a command such as ``\\pi``, or a single character."""
    i = _skip_spaces(s, i)
    if i >= len(s):
        raise AnswerParseError("missing argument")
    if s[i] == "{":
        end = matching_brace(s, i)
        if end is None:
            raise AnswerParseError("unbalanced braces")
        return s[i + 1 : end], end + 1
    if s[i] == "\\":
        m = _NAME_RE.match(s, i)
        if m:
            return m[0], m.end()
        return s[i : i + 2], i + 2
    return s[i], i + 1


def _emit_fraction(out: list[str], num: str, den: str) -> None:
    """Append ``num/den``; a whole number right before a numeric fraction makes a mixed number."""
    frac = f"(({num})/({den}))"
    numeric = re.fullmatch(r"\s*\d+\s*", num) and re.fullmatch(r"\s*\d+\s*", den)
    text = "".join(out)
    whole = re.search(r"(?:^|[\s(+\-=,])(\d+)\s*$", text)
    if numeric and whole:
        out[:] = [text[: whole.start(1)], f"({whole[1]}+{frac})"]
    else:
        out.append(frac)


def canonical(text: str) -> str:
    """A whitespace-free form of the cleaned answer, for the exact-match shortcut."""
    return re.sub(r"\s+", "", clean(text))
