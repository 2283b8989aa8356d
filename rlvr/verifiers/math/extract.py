"""Stage 1 of grading: find the answer text in a completion (or in a reference solution).

Strategies are tried in order and the first that finds something wins:

- ``boxed``: the last ``\\boxed{...}`` / ``\\fbox{...}`` (nested braces matched).
- ``answer_phrase``: the last ``<answer>...</answer>`` tag, "#### N" (GSM8K), "Final Answer:",
  "the answer is ...".
- ``bare``: the whole text, when it is itself an answer (``\\frac{1}{3}``, ``(1, 2)``, ``10, 4, 2``)
  rather than prose.
- ``last_number``: the last number of free prose.

Every function here is linear in the input length: completions may be megabytes of garbage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

STRATEGIES: tuple[str, ...] = ("boxed", "answer_phrase", "bare", "last_number")

_BOX_RE = re.compile(r"\\(?:boxed|fbox)")
_GSM8K_RE = re.compile(r"####[ \t]*([^\n]*)")
_PHRASE_RE = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:|=)\s*:?",
    re.IGNORECASE,
)
_MATH_SPAN_RE = re.compile(r"\$\$(.+?)\$\$|\$(.+?)(?<!\\)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_NUMBER_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?|-?\.\d+")
_LATEX_CMD_RE = re.compile(r"\\(?:begin|end)\{[a-zA-Z*]*\}|\\[a-zA-Z]+")
_TEXT_BLOCK_RE = re.compile(r"\\(?:text|textbf|textit|mbox|mathrm|textnormal)\s*\{[^{}]*\}")
_WORD_RE = re.compile(r"[A-Za-z]{2,}")

# Words that may appear in an answer without making it prose.
MATH_WORDS = frozenset(
    """sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh log ln exp sqrt pi
    inf infty infinity oo and or no none undefined dne floor ceil ceiling abs binom
    binomial root""".split()
)
UNIT_WORDS = frozenset(
    """cm m km mm in inch inches ft feet foot yd yard yards mi mile miles mph kph kg g gram grams
    mg lb lbs pound pounds oz ounce ounces s sec secs second seconds min mins minute minutes h hr
    hrs hour hours day days week weeks month months year years dollar dollars cent cents degree
    degrees deg unit units sq square cubic meter meters metre metres centimeter centimeters liter
    liters litre litres ml cups cup gallon gallons percent rad radians people students apples
    cookies""".split()
)

# Two-letter words that mark a sentence; other two-letter runs are products such as "ab" or "xy".
_SHORT_PROSE = frozenset("is so we it an of to at be by if as on my me do go he up us am".split())

MAX_BARE_CHARS = 300


def extract_answer(text: str, strategies: Sequence[str] = STRATEGIES) -> tuple[str, str] | None:
    """Return ``(answer_text, strategy)`` for the first strategy that finds an answer."""
    for name in strategies:
        try:
            finder = _FINDERS[name]
        except KeyError:
            raise ValueError(
                f"unknown extraction strategy {name!r}; choose from {', '.join(_FINDERS)}"
            ) from None
        found = finder(text)
        if found is not None and found.strip():
            return found.strip(), name
    return None


def find_boxed(text: str) -> str | None:
    """The content of the last complete ``\\boxed{...}``; ``\\boxed 5`` is accepted too."""
    for match in list(_BOX_RE.finditer(text))[-16:][::-1]:  # bounded work on hostile input
        start = match.end()
        while start < len(text) and text[start] == " ":
            start += 1
        if start < len(text) and text[start] == "{":
            end = matching_brace(text, start)
            if end is not None:
                return text[start + 1 : end]
        elif start > match.end() or (start < len(text) and not text[start].isalpha()):
            token = re.match(r"[^\s$]+", text[start:])
            if token:
                return token.group(0)
    return None


def matching_brace(text: str, open_index: int, limit: int = 20_000) -> int | None:
    """Index of the ``}`` closing the ``{`` at ``open_index`` (escaped ``\\{`` ``\\}`` skipped).

    Gives up after ``limit`` characters so that many unclosed boxes stay linear.
    """
    depth = 0
    i = open_index
    n = min(len(text), open_index + limit)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def find_answer_phrase(text: str) -> str | None:
    """The answer in the last ``<answer>`` tag, else the text after the last GSM8K ``####`` or
    "the answer is" phrase, up to the sentence end."""
    tag = _last_answer_tag(text)
    if tag is not None:
        inner = extract_answer(tag, ("boxed", "bare", "last_number"))
        return inner[0] if inner else None
    gsm = _last_match(_GSM8K_RE, text)
    if gsm is not None and gsm.group(1).strip():
        return _first_clause(gsm.group(1))
    last = _last_match(_PHRASE_RE, text)
    if last is None:
        return None
    rest = text[last.end() : last.end() + 2000].lstrip()
    span = _MATH_SPAN_RE.match(rest)
    if span:
        return next(g for g in span.groups() if g is not None)
    clause = _first_clause(rest)
    if clause and is_bare_answer(clause):
        return clause
    numbers = _NUMBER_RE.findall(clause or "")
    return numbers[0] if numbers else None


def _last_answer_tag(text: str) -> str | None:
    """Content of the last ``<answer>...</answer>``; two ``rfind`` calls, so linear time."""
    end = text.rfind("</answer>")
    start = text.rfind("<answer>", 0, end)
    return text[start + len("<answer>") : end] if end >= 0 and start >= 0 else None


def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    last = None
    for last in pattern.finditer(text):  # noqa: B007 - keep the last one
        pass
    return last


def _first_clause(text: str) -> str:
    """Cut at the end of the line or sentence (a period not inside a number)."""
    line = text[:2000].split("\n", 1)[0]
    match = re.search(r"\.(?!\d)|;|\s+(?:because|since|so|which)\s", line)
    clause = line[: match.start()] if match else line
    return clause.strip().strip("*").strip()


def is_bare_answer(text: str) -> bool:
    """True when ``text`` is an answer by itself rather than a sentence around one."""
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_BARE_CHARS or "\n\n" in stripped:
        return False
    if _BOX_RE.search(stripped):  # a box that did not close is not an answer
        return False
    without_text = _TEXT_BLOCK_RE.sub(" ", stripped)
    without_cmds = _LATEX_CMD_RE.sub(" ", without_text)
    words = [w.lower() for w in _WORD_RE.findall(without_cmds)]
    unknown = [
        w
        for w in words
        if w not in MATH_WORDS and w not in UNIT_WORDS and (len(w) > 2 or w in _SHORT_PROSE)
    ]
    if not unknown:
        return True
    # A one-word answer such as "Evelyn" or "east" (no digits, no sentence).
    return len(words) == 1 and not re.search(r"[\d.!?]", without_cmds.rstrip("."))


def find_bare(text: str) -> str | None:
    if len(text) > 2 * MAX_BARE_CHARS:  # cheap exit before any regex sees megabytes
        return None
    candidate = text.strip()
    candidate = re.sub(r"^\$+|\$+$", "", candidate).strip()
    candidate = re.sub(r"^\\\(|\\\)$|^\\\[|\\\]$", "", candidate).strip()
    candidate = candidate.rstrip(".").strip()
    return candidate if is_bare_answer(candidate) else None


def find_last_number(text: str) -> str | None:
    numbers = _NUMBER_RE.findall(text)
    if not numbers:
        return None
    return numbers[-1].rstrip(",")


_FINDERS = {
    "boxed": find_boxed,
    "answer_phrase": find_answer_phrase,
    "bare": find_bare,
    "last_number": find_last_number,
}
