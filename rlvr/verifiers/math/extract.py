r"""Stage 1 of grading: find the final answer in a completion (or in a reference solution).

The answer is the completion's *final statement*, chosen by position, not by a fixed order of
strategies:

1. Final statements: ``boxed`` (the last ``\boxed{}``, joined with the boxes just before it that
   only a connective separates: ``$\boxed{3}$ and $\boxed{7}$``) and ``answer_phrase``
   (``<answer>`` tags, GSM8K's ``####``, "the answer is …" in a dozen languages). The one that
   comes last wins, so an early box is overruled by a later "Final Answer: …". After a
   ``</think>`` block, only what follows it counts when it holds an answer.
2. ``bare``: the whole text, when it is itself an answer (``\frac{1}{3}``, ``(1, 2)``, ``x = 3``)
   rather than prose.
3. Otherwise, the last answer-like thing of the text's end: ``math_span`` (the last
   ``$…$``, ``\(…\)``, ``\[…\]`` that is not a lone variable) or ``last_number`` (the last
   number of prose, with the numbers listed with it: "2 or 3"), whichever ends later.

Every function here is linear in the input length: completions may be megabytes of garbage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

STRATEGIES: tuple[str, ...] = ("boxed", "answer_phrase", "bare", "math_span", "last_number")

TAIL_CHARS = 4000
"""Math spans and numbers are looked for in the text's last characters only."""
MAX_BARE_CHARS = 300

_BOX_RE = re.compile(r"\\(?:boxed|fbox)")
_WHITESPACE_RUN_RE = re.compile(r"\s{9,}")
_GSM8K_RE = re.compile(r"####[ \t]*([^\n]*)")
_ANSWER_WORDS = (
    r"answer|réponse|reponse|antwort|respuesta|resposta|risposta|ответ|答案|答え|解答|"
    r"الإجابة|الاجابة|الجواب|उत्तर|정답|cevap|jawaban|odpowiedź"
)
_CHOICE_WORDS = r"option|choice"
_ANSWER_WORD_RE = re.compile(_ANSWER_WORDS, re.IGNORECASE)
_COPULAS = (
    r"\b(?:is|are|was|est|ist|lautet|es|é|è|equals|равен|равна|равно)(?![^\W\d_])"
    r"|是|为|為|は|هي|هو|है|:|：|="
)
_KEYWORDS = tuple(f"{_ANSWER_WORDS}|{_CHOICE_WORDS}".split("|"))
# "the answer (to the question) is", "Réponse :", "答案是", "the correct option is"; not "is not".
_PHRASE_RE = re.compile(
    rf"(?:(?:{_ANSWER_WORDS})s?(?:\*\*)?(?:\s+[^\W\d_]+){{0,3}}?|(?:{_CHOICE_WORDS})s?)"
    rf"\s*(?:\*\*\s*)?(?:{_COPULAS})(?!\s*not\b)\s*(?:\*\*\s*)?:?",
    re.IGNORECASE,
)
# "### Final Answer" or "**Réponse finale :**" alone on its line, the answer on the next ones.
_HEADING_HEAD_RE = re.compile(r"[ \t#*>]*(?:[^\W\d_]+\s+){0,2}", re.IGNORECASE)
_HEADING_TAIL_RE = re.compile(r"s?(?:\s+[^\W\d_]+)?[ \t*:#：]*\n")
_HEDGE_RE = re.compile(
    r"[\s,;.:$()—–-]*(?:but|or|however|though|although|maybe|perhaps|possibly|alternatively"
    r"|unless|otherwise)\b",
    re.IGNORECASE,
)
# Math spans. Inline $...$ follows Pandoc's rule, so that prices ("$5 and $7") are not math: the
# opening $ has a non-space right after it, the closing one a non-space right before it and no
# digit after it.
_SPAN_RE = re.compile(
    r"\$\$(?P<display>[^$]{1,2000}?)\$\$"
    r"|(?<![\\$])\$(?![\s$])(?P<inline>(?:\\.|[^$\\\n]){1,1000}?)(?<![\s\\])\$(?!\d)"
    r"|\\\((?P<paren>.{1,2000}?)\\\)"
    r"|\\\[(?P<bracket>.{1,2000}?)\\\]",
    re.DOTALL,
)
_NUMBER_RE = re.compile(
    r"(?<![A-Za-z\d.\\_^])(?:(?<![\w)])-)?"
    r"(?:\\[dt]?frac\{-?\d+\}\{\d+\}"
    r"|(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?:[ \u00a0\u202f'’]\d{3})+(?![\d,.])|\d+)"
    r"(?:\.\d+|,\d+(?![,\d]))?(?:/\d+)?(?:\s?%)?)"
)
# What may stand between two boxes, spans or numbers of one answer: punctuation, math delimiters,
# "and"/"or", a spacing command, a variable name being assigned ("x = ").
_CONNECTOR_RE = re.compile(
    r"(?:\s|\$|\\[()\[\]]|[,;&()]|[-*•](?=\s)|\\q?quad|\\text\{\s*(?:and|or|,)?\s*\}"
    r"|\b(?:and|or|possibly|maybe|perhaps|alternatively)\b|[A-Za-z](?:_\{?\w+\}?)?\s*=)*",
    re.IGNORECASE,
)
_LABEL_BEFORE_RE = re.compile(r"\b([A-Za-z](?:_\{?\w+\}?)?)\s*=\s*$")
_BOX_LABEL_RE = re.compile(r"\b([A-Za-z](?:_\{?\w+\}?)?)\s*=\s*\$?\s*$")
_LIST_GAP_RE = re.compile(r"\s*(?:,\s*(?:(?:and|or)\s+)?|(?:and|or)\s+)(?:[A-Za-z]\s*=\s*)?")
_LATEX_CMD_RE = re.compile(r"\\(?:begin|end)\{[a-zA-Z*]*\}|\\[a-zA-Z]+")
_TEXT_BLOCK_RE = re.compile(r"\\(?:text|textbf|textit|mbox|mathrm|textnormal)\s*\{[^{}]*\}")
_WORD_RE = re.compile(r"[A-Za-z]{2,}")
_MATHY_RE = re.compile(r"[\d\\=<>()\[\]{}^+*/-]")
_LINE_LABEL_RE = re.compile(r"[^\W\d_][ \t]*[:：][ \t]*(?=\S)")  # a word, then a colon
_CHOICE_STATEMENT_RE = re.compile(
    r"\b(?:option|choice|answer)\s+\(?([A-J])\)?\s+is\s+(?:the\s+)?(?:correct|right)\b",
    re.IGNORECASE,
)
_CHOICE_LINE_RE = re.compile(
    r"(?:(?i:option|choice)\s+)?\(?[A-J]\)?|(?:\([A-J]\)|[A-J][.:)])\s.{0,200}"
)
# "the answer is not 5": nothing in that sentence may be taken for the answer.
_NEGATED_RE = re.compile(
    rf"(?:{_ANSWER_WORDS})s?(?:\s+[^\W\d_]+){{0,3}}?\s+(?:(?:is|are|was)\s+not\b|isn't|wasn't)"
    r"[^.;\n]*",
    re.IGNORECASE,
)
_NEGATION_BEFORE_RE = re.compile(
    r"(?:\bnot|n't|\brule[sd]?\s+out|\bruling\s+out|\bexclud(?:e|es|ed|ing))[\s$(]*"
    r"(?:\w+\s+){0,1}[\s$(]*$",
    re.IGNORECASE,
)
_NEGATION_AFTER_RE = re.compile(
    r"[\s$)]*(?:is|was|would\s+be)\s+(?:not|n't|wrong|incorrect|ruled\s+out)\b", re.IGNORECASE
)
_MULTIPLIER_AFTER_RE = re.compile(
    r"\s*(?:hundred|thousand|million|billion|trillion|dozen|squared|cubed|factorial)s?\b",
    re.IGNORECASE,
)
# "11. Determine the cost": the number of a list item, not a result.
_LIST_MARKER_RE = re.compile(r"(?<![^\n])\d+[.)][ \t]+\S")
_LONE_VARIABLE_RE = re.compile(r"\s*[A-Za-z](?:_\{?\w+\}?)?\s*")
_ENVIRONMENT_RE = re.compile(r"\\(begin|end)\{[a-zA-Z*]+\}")

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


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    text: str
    strategy: str


def extract_answer(text: str, strategies: Sequence[str] = STRATEGIES) -> tuple[str, str] | None:
    """``(answer_text, strategy)`` of the final answer, or None when there is none.

    ``strategies`` says which finders may be used; which answer wins is decided by position
    (see the module docstring), not by their order.
    """
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(
            f"unknown extraction strategy {unknown[0]!r}; choose from {', '.join(STRATEGIES)}"
        )
    # Long whitespace runs are cut to 8 characters: nothing is lost, and no pattern can
    # backtrack quadratically over them.
    text = _WHITESPACE_RUN_RE.sub(lambda m: m[0][:8], unescape_latex(_unwrap_json(text)))
    if _ends_in_open_box(text):
        return None  # the final statement was cut off: whatever precedes it is not the answer
    think = text.rfind("</think>")
    if think >= 0:
        after = _find(text[think + len("</think>") :], strategies)
        if after is not None:
            return after.text, after.strategy
    found = _find(text, strategies)
    return (found.text, found.strategy) if found is not None else None


def _unwrap_json(text: str) -> str:
    """A completion that is a JSON string or object (``{"answer": "…"}``): its answer text."""
    stripped = text.strip()
    if len(stripped) > 100_000 or stripped[:1] not in ('"', "{") or stripped[-1:] not in ('"', "}"):
        return text
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):  # deep nesting is not an answer
        return text
    if isinstance(value, dict):
        keys = [k for k in value if re.search("answer|result|solution", str(k), re.I)]
        value = value[keys[-1]] if keys else next(iter(value.values()), None)
    return value if isinstance(value, str) else text


def _ends_in_open_box(text: str) -> bool:
    """The last ``\\boxed{`` never closes: the output was truncated in its final statement."""
    last = text.rfind("\\boxed{")
    return last >= 0 and matching_brace(text, last + len("\\boxed")) is None


def _find(text: str, strategies: Sequence[str]) -> _Found | None:
    finals = []
    if "boxed" in strategies:
        finals.append(_last_box_chain(text))
    if "answer_phrase" in strategies:
        finals.append(_last_phrase(text, strategies))
    finals = sorted((f for f in finals if f), key=lambda f: f.start)
    if len(finals) > 1 and not _MATHY_RE.search(finals[-1].text):
        finals.pop()  # "… \boxed{44}. So our answer is correct": a word does not overrule a box
    if finals:
        return finals[-1]
    if "bare" in strategies:
        bare = find_bare(text)
        if bare:
            return _Found(0, len(text), bare, "bare")
    offset = max(0, len(text) - TAIL_CHARS)
    tail = _NEGATED_RE.sub(lambda m: " " * len(m[0]), text[offset:])
    if "bare" in strategies:
        line = _last_line_answer(tail)
        if line is not None:
            return line
    spans = _spans(tail)
    late = []
    if "math_span" in strategies:
        late.append(_last_span_chain(tail, spans))
    if "last_number" in strategies:
        masked = _mask(tail, spans)
        late.append(_last_number_group(masked))
    return max((f for f in late if f), key=lambda f: f.end, default=None)


# ------------------------------------------------------------------------------------ escaping
def unescape_latex(text: str) -> str:
    r"""Undo JSON-style doubled backslashes: ``\\frac{1}{2}`` -> ``\frac{1}{2}``.

    When every backslash of the text is doubled, all are halved. Otherwise only a doubled
    backslash right before a command name is, outside environments (where ``\\`` ends a row).
    """
    if "\\\\" not in text:
        return text
    runs = re.findall(r"\\+", text)
    if all(len(run) % 2 == 0 for run in runs):
        return re.sub(r"\\+", lambda m: m[0][: len(m[0]) // 2], text)
    pieces, last = [], 0
    for start, end in _environments(text):
        pieces += [_unescape_commands(text[last:start]), text[start:end]]
        last = end
    pieces.append(_unescape_commands(text[last:]))
    return "".join(pieces)


def _environments(text: str) -> list[tuple[int, int]]:
    """Outermost ``\\begin{…} … \\end{…}`` spans, matched with a stack in one pass."""
    spans, stack = [], []
    for m in _ENVIRONMENT_RE.finditer(text):
        if m[1] == "begin":
            stack.append(m.start())
        elif stack:
            start = stack.pop()
            if not stack:
                spans.append((start, m.end()))
    return spans


def _unescape_commands(text: str) -> str:
    return re.sub(r"(?<!\\)\\\\(?=[A-Za-z])", r"\\", text)


# --------------------------------------------------------------------------------------- boxes
@dataclass(frozen=True)
class _Box:
    start: int
    end: int
    """Index just past the box."""
    content: str


def _boxes(text: str) -> list[_Box]:
    """The last complete boxes (at most 16, bounded work on hostile input), in text order."""
    found: list[_Box] = []
    for match in list(_BOX_RE.finditer(text))[-16:]:
        start = match.end()
        while start < len(text) and text[start] == " ":
            start += 1
        if start < len(text) and text[start] == "{":
            end = matching_brace(text, start)
            if end is not None:
                found.append(_Box(match.start(), end + 1, text[start + 1 : end]))
        elif start > match.end() or (start < len(text) and not text[start].isalpha()):
            token = re.match(r"[^\s$]+", text[start:])
            if token:
                found.append(_Box(match.start(), start + token.end(), token[0]))
    return [b for k, b in enumerate(found) if k == len(found) - 1 or b.end <= found[k + 1].start]


def find_boxed(text: str) -> str | None:
    """The content of the last complete ``\\boxed{...}``; ``\\boxed 5`` is accepted too."""
    boxes = _boxes(text)
    return boxes[-1].content if boxes else None


def _last_box_chain(text: str) -> _Found | None:
    boxes = [b for b in _boxes(text) if b.content.strip() and not _negated(text, b.start, b.end)]
    if not boxes:
        return None
    first = len(boxes) - 1
    while first > 0 and _connects(text[boxes[first - 1].end : boxes[first].start]):
        first -= 1
    return _join_boxes(boxes[first:], text)


def _box_chain_from(text: str, start: int) -> _Found | None:
    """The box starting at ``start`` and the boxes that follow it, joined by connectives only."""
    boxes = [b for b in _boxes(text) if b.start >= start and b.content.strip()]
    if not boxes or boxes[0].start != start:
        return None
    last = 0
    while last + 1 < len(boxes) and _connects(text[boxes[last].end : boxes[last + 1].start]):
        last += 1
    return _join_boxes(boxes[: last + 1], text)


def _join_boxes(boxes: list[_Box], text: str) -> _Found:
    """One answer from boxes listed together; "x = \\boxed{2}, y = \\boxed{4}" keeps its labels."""
    labels = [_BOX_LABEL_RE.search(text, max(0, b.start - 20), b.start) for b in boxes]
    if len(boxes) > 1 and all(labels):
        items = [f"{label[1]} = {b.content.strip()}" for label, b in zip(labels, boxes)]  # type: ignore[index]
    else:
        items = [b.content.strip() for b in boxes]
    return _Found(boxes[0].start, boxes[-1].end, ", ".join(items), "boxed")


def _negated(text: str, start: int, end: int) -> bool:
    """A value the text rules out ("not \\boxed{6}", "rule out 40", "$\\frac14$ is not correct"),
    or that a word after it changes ("2 million", "5 squared")."""
    before = text[max(0, start - 24) : start]
    after = text[end : end + 40]
    return bool(
        _NEGATION_BEFORE_RE.search(before)
        or _NEGATION_AFTER_RE.match(after)
        or _MULTIPLIER_AFTER_RE.match(after)
    )


def _connects(gap: str) -> bool:
    """Whether two pieces of an answer are listed together: a connective, not just a space."""
    return (
        len(gap) <= 40
        and _CONNECTOR_RE.fullmatch(gap) is not None
        and re.search(r"[,;&]|\\q?quad|\band\b|\bor\b|=", gap, re.IGNORECASE) is not None
    )


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


# ------------------------------------------------------------------------------ answer phrases
def _last_phrase(text: str, strategies: Sequence[str]) -> _Found | None:
    """The last answer tag, ``####`` line or answer phrase that is followed by an answer."""
    found: list[_Found] = []
    tag = _last_answer_tag(text)
    if tag is not None:
        start, inner = tag
        value = extract_answer(inner, [s for s in strategies if s != "answer_phrase"] or ["bare"])
        if value is not None:
            found.append(_Found(start, start + len(inner), value[0], "answer_phrase"))
    statement = _last_match(_CHOICE_STATEMENT_RE, text)
    if statement is not None:  # "Option C is correct."
        found.append(_Found(statement.start(), statement.end(), statement[1], "answer_phrase"))
    gsm = _last_match(_GSM8K_RE, text)
    if gsm is not None and gsm.group(1).strip():
        found.append(_Found(gsm.start(), gsm.end(), _first_clause(gsm.group(1)), "answer_phrase"))
    for phrase in _last_phrases(text):
        value = _phrase_value(text, phrase.end())
        if value is not None:
            found.append(value)
            break
    return max(found, key=lambda f: f.start, default=None)


def _last_phrases(text: str, per_keyword: int = 32, limit: int = 8) -> list[re.Match[str]]:
    """The last answer phrases, latest first. Keywords are found with ``rfind`` from the end
    (a regex over every position of a megabyte is slow); at most ``per_keyword`` of each."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lowered
        return list(_PHRASE_RE.finditer(text))[-limit:][::-1]
    starts = set()
    for keyword in _KEYWORDS:
        end = len(lowered)
        for _ in range(per_keyword):
            end = lowered.rfind(keyword, 0, end)
            if end < 0:
                break
            starts.add(end)
    phrases = []
    for start in sorted(starts, reverse=True):
        match = _PHRASE_RE.match(text, start) or _heading(text, start)
        if match:
            phrases.append(match)
            if len(phrases) == limit:
                break
    return phrases


def _heading(text: str, start: int) -> re.Match[str] | None:
    """A keyword alone on its line ("## Final Answer"); the match ends at the line break."""
    line_start = text.rfind("\n", 0, start) + 1
    if start - line_start > 80 or not _HEADING_HEAD_RE.fullmatch(text, line_start, start):
        return None
    keyword = _ANSWER_WORD_RE.match(text, start)
    return _HEADING_TAIL_RE.match(text, keyword.end()) if keyword else None


def _phrase_value(text: str, end: int) -> _Found | None:
    """The answer right after an answer phrase: a box, math spans, a bare clause or a number."""
    lead = re.match(r"[\s*:：]*", text[end : end + 200])
    start = end + (lead.end() if lead else 0)
    rest = text[start : start + 2000]
    opener = re.match(r"(?:\$\$?|\\\(|\\\[)?\s*(?=\\(?:boxed|fbox))", rest)
    if opener:
        return _box_chain_from(text, start + opener.end())
    first = _SPAN_RE.match(rest)
    if first:
        chain = [first]
        while True:  # spans listed right after it: "$3$ and $7$"
            after = _SPAN_RE.search(rest, chain[-1].end(), chain[-1].end() + 2040)
            if after is None or not _connects(rest[chain[-1].end() : after.start()]):
                break
            chain.append(after)
        value = ", ".join(_span_content(m) for m in chain)
        return _Found(
            start,
            start + chain[-1].end(),
            value + _hedged(rest[chain[-1].end() :]),
            "answer_phrase",
        )
    clause = _first_clause(rest)
    foreign = next((k for k, ch in enumerate(clause) if _is_foreign_letter(ch)), None)
    if foreign:  # "2 √5 です", "42 है": the answer ends where the other script's words begin
        clause = clause[:foreign].strip()
    offset = max(rest.find(clause), 0)
    if clause and is_bare_answer(clause):
        hedge = _hedged(rest[offset + len(clause) :])
        return _Found(start, start + len(clause), clause + hedge, "answer_phrase")
    group = _first_number_group(clause)
    if group is not None:
        value, end = group
        return _Found(
            start, start + len(clause), value + _hedged(rest[offset + end :]), "answer_phrase"
        )
    return None


def _hedged(after: str) -> str:
    """``", 40"`` when the text right after the answer offers another value ("$4$, but it might
    be $40$", "4; maybe 40", "4\nAlternatively: 40"): the answer is then both, which equals no
    single reference."""
    hedge = _HEDGE_RE.match(after)
    if not hedge:
        return ""
    sentence = _first_clause(after[hedge.end() :])
    other = _SPAN_RE.search(sentence) or _NUMBER_RE.search(sentence)
    if other is None:
        return ""
    return ", " + (_span_content(other) if other.re is _SPAN_RE else other[0])


def _first_number_group(clause: str) -> tuple[str, int] | None:
    """The first number of a clause and those listed with it, if only a few words precede it;
    with the index where the group ends."""
    numbers = [n for n in _NUMBER_RE.finditer(clause) if not _negated(clause, n.start(), n.end())]
    if not numbers or len(clause[: numbers[0].start()].split()) > 3:
        return None
    group = [numbers[0]]
    for number in numbers[1:]:
        if not _LIST_GAP_RE.fullmatch(clause[group[-1].end() : number.start()]):
            break
        group.append(number)
    return ", ".join(n[0] for n in group), group[-1].end()


def _last_answer_tag(text: str) -> tuple[int, str] | None:
    """Start and content of the last ``<answer>...</answer>``; two ``rfind`` calls, linear."""
    end = text.rfind("</answer>")
    start = text.rfind("<answer>", 0, end)
    if end < 0 or start < 0:
        return None
    return start, text[start + len("<answer>") : end]


def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    last = None
    for last in pattern.finditer(text):  # noqa: B007 - keep the last one
        pass
    return last


def _first_clause(text: str) -> str:
    """Cut at the end of the line or sentence (a period not inside a number)."""
    line = text[:2000].split("\n", 1)[0]
    match = re.search(r"\.(?!\d)|;|[。；，！？।॥۔]|\s+(?:because|since|so|which)\s", line)
    clause = line[: match.start()] if match else line
    return clause.strip().strip("*\"'").strip()


# ------------------------------------------------------------------------- spans and numbers
def _spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, content)`` of every math span, in order."""
    return [(m.start(), m.end(), _span_content(m)) for m in _SPAN_RE.finditer(text)]


def _span_content(match: re.Match[str]) -> str:
    return next(g for g in match.groups() if g is not None).strip()


def _last_span_chain(text: str, spans: list[tuple[int, int, str]]) -> _Found | None:
    """The last span that is not a lone variable, joined with spans listed right before it."""
    answers = [
        s
        for s in spans
        if s[2] and not _LONE_VARIABLE_RE.fullmatch(s[2]) and not _negated(text, s[0], s[1])
    ]
    if not answers:
        return None
    chain = [answers[-1]]
    for span in reversed(answers[:-1]):
        if not _connects(text[span[1] : chain[0][0]]):
            break
        chain.insert(0, span)
    value = ", ".join(s[2] for s in chain)
    return _Found(chain[0][0], chain[-1][1], value, "math_span")


def _mask(text: str, spans: list[tuple[int, int, str]]) -> str:
    """The text with its math spans blanked out, positions kept."""
    pieces, last = [], 0
    for start, end, _ in spans:
        pieces += [text[last:start], " " * (end - start)]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _last_number_group(text: str) -> _Found | None:
    """The last number and those listed with it ("2, 3 or 5"), with their labels if every one
    has one ("a = 1 and b = 2")."""
    numbers = [
        n
        for n in _NUMBER_RE.finditer(text)
        if not _negated(text, n.start(), n.end()) and not _LIST_MARKER_RE.match(text, n.start())
    ]
    if not numbers:
        return None
    group = [numbers[-1]]
    for number in reversed(numbers[:-1]):
        if not _LIST_GAP_RE.fullmatch(text[number.end() : group[0].start()]):
            break
        group.insert(0, number)
    labels = [_LABEL_BEFORE_RE.search(text, max(0, n.start() - 16), n.start()) for n in group]
    if all(labels):
        items = [f"{label[1]} = {n[0]}" for label, n in zip(labels, group)]  # type: ignore[index]
        start = labels[0].start()  # type: ignore[union-attr]
    else:
        items, start = [n[0].rstrip(",") for n in group], group[0].start()
    return _Found(start, group[-1].end(), ", ".join(items), "last_number")


# ---------------------------------------------------------------------------------------- bare
def is_bare_answer(text: str) -> bool:
    """True when ``text`` is an answer by itself rather than a sentence around one."""
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_BARE_CHARS or "\n\n" in stripped:
        return False
    if _BOX_RE.search(stripped):  # a box that did not close is not an answer
        return False
    without_text = _TEXT_BLOCK_RE.sub(" ", stripped)
    without_cmds = _LATEX_CMD_RE.sub(" ", without_text)
    if _has_foreign_words(without_cmds):
        return False
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


def _has_foreign_words(text: str) -> bool:
    """Letters of a script other than Latin and Greek: prose in another language."""
    return any(_is_foreign_letter(ch) for ch in text)


def _is_foreign_letter(ch: str) -> bool:
    return ch.isalpha() and ord(ch) > 0x24F and not 0x370 <= ord(ch) <= 0x3FF


def _last_line_answer(text: str) -> _Found | None:
    """A last line that is an answer by itself ("E) 94", "**B**", "x = 5"), not a word."""
    stripped = text.rstrip()
    start = stripped.rfind("\n") + 1
    line = stripped[start:].strip().strip("*").strip()
    if start and _CHOICE_LINE_RE.fullmatch(line):
        return _Found(start, len(stripped), line, "bare")
    label = _last_match(_LINE_LABEL_RE, line[-300:])
    value = find_bare(line[-300:][label.end() :]) if label else None
    if value and _MATHY_RE.search(value):  # "…. Đáp số: p - q", in any language
        return _Found(len(stripped) - len(value), len(stripped), value, "bare")
    if not start or not re.search(r"[\dA-Za-z]", line) or not _MATHY_RE.search(line):
        return None
    answer = find_bare(line)
    return _Found(start, len(stripped), answer, "bare") if answer else None


def find_bare(text: str) -> str | None:
    if len(text) > 2 * MAX_BARE_CHARS:  # cheap exit before any regex sees megabytes
        return None
    candidate = text.strip()
    candidate = re.sub(r"^\$+|\$+$", "", candidate).strip()
    candidate = re.sub(r"^\\\(|\\\)$|^\\\[|\\\]$", "", candidate).strip()
    candidate = candidate.rstrip(".。।").strip()
    return candidate if is_bare_answer(candidate) else None
