"""MathVerifier: is a completion's final answer mathematically equal to the reference?

Grading is parse, then compare (the Math-Verify idea): extract the answer text (``extract.py``),
parse it into a typed tree (``parse.py``), compare trees with the cheapest rule that decides
(``compare.py``), and only when plain arithmetic cannot decide, ask sympy in a worker process
under a deadline (``symbolic.py``, ``worker.py``). Most numeric answers never reach sympy.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from rlvr.verifiers.base import Verdict, check_pairs
from rlvr.verifiers.math.compare import CheapComparer, NeedsSympy, Outcome, nodes_equal
from rlvr.verifiers.math.extract import STRATEGIES, extract_answer
from rlvr.verifiers.math.parse import (
    MAX_ANSWER_CHARS,
    AnswerParseError,
    Node,
    canonical,
    readings,
)
from rlvr.verifiers.math.worker import shared_pool

MAX_TIMEOUT_S = 3600.0
"""A deadline must be finite: it becomes a timer and a poll timeout in the worker protocol."""
REFERENCE_STRATEGIES = ("boxed", "answer_phrase", "bare")
"""A reference is an answer, or a solution that states it (a box, ``####``, an answer phrase)."""
_VALUE_WITH_UNIT_RE = re.compile(r"\s*(-?[\d.,]*\d)\s+(?:[^\W\d_]+\s*){1,3}\.?\s*")


@dataclass(frozen=True)
class _Pending:
    """A case the cheap rules could not decide, waiting for sympy: readings to compare."""

    pairs: tuple[tuple[Node, Node], ...]
    extracted: str
    details: dict[str, str]


class MathVerifier:
    """Score a completion 1.0 when its final answer equals the reference, else 0.0.

    Args:
        strategies: the answer finders the completion may be read with, any of ``"boxed"``,
            ``"answer_phrase"``, ``"bare"``, ``"math_span"``, ``"last_number"``; which answer
            wins is decided by position (the final statement), see ``extract.py``.
        timeout_s: wall-clock budget for the symbolic comparison of one case.
        rel_tol: relative tolerance of numeric comparison (``1/3`` vs ``0.3333333``).
        memory_mb: address-space limit of the sympy worker processes.
        max_chars: longest completion read; a longer one scores 0 with reason ``too-long``, so
            one verify call costs at most linear work in this bound plus ``timeout_s``.

    Example:
        >>> v = MathVerifier()
        >>> v(r"so the answer is $\\boxed{\\frac{1}{2}}$", "0.5").correct
        True
    """

    def __init__(
        self,
        strategies: Sequence[str] = STRATEGIES,
        timeout_s: float = 2.0,
        rel_tol: float = 1e-6,
        memory_mb: int = 2048,
        max_chars: int = 200_000,
    ) -> None:
        unknown = [s for s in strategies if s not in STRATEGIES]
        if unknown or not strategies:
            raise ValueError(
                f"strategies must be a non-empty subset of {STRATEGIES}, got {tuple(strategies)}"
            )
        if not 0 < timeout_s <= MAX_TIMEOUT_S:
            raise ValueError(
                f"timeout_s must be positive and at most {MAX_TIMEOUT_S:g} seconds, got {timeout_s}"
            )
        if not 0 <= rel_tol < 1:
            raise ValueError(f"rel_tol must be in [0, 1), got {rel_tol}")
        if memory_mb < 256:
            raise ValueError(f"memory_mb must be at least 256, got {memory_mb}")
        if max_chars < 1:
            raise ValueError(f"max_chars must be at least 1, got {max_chars}")
        self.strategies = tuple(strategies)
        self.timeout_s = float(timeout_s)
        self.rel_tol = float(rel_tol)
        self.memory_mb = int(memory_mb)
        self.max_chars = int(max_chars)
        self._cheap = CheapComparer(self.rel_tol)

    def __repr__(self) -> str:
        return (
            f"MathVerifier(strategies={self.strategies}, timeout_s={self.timeout_s}, "
            f"rel_tol={self.rel_tol}, memory_mb={self.memory_mb}, max_chars={self.max_chars})"
        )

    def __call__(self, completion: str, reference: str) -> Verdict:
        step = self._prepare(completion, reference)
        return step if isinstance(step, Verdict) else self._symbolic(step)

    def verify_batch(
        self,
        completions: Sequence[str],
        references: Sequence[str],
        workers: int | None = None,
    ) -> list[Verdict]:
        """Score many pairs; cases that need sympy run on ``workers`` processes at once."""
        check_pairs(completions, references)
        steps = [self._prepare(c, r) for c, r in zip(completions, references)]
        pending = [step for step in steps if isinstance(step, _Pending)]
        if not pending:
            return steps  # type: ignore[return-value]
        n = max(1, min(workers or os.cpu_count() or 1, len(pending)))
        shared_pool(self.memory_mb).processes.grow(n)
        with ThreadPoolExecutor(n) as threads:  # each thread waits on one worker process
            decided = iter(threads.map(self._symbolic, pending))
        return [next(decided) if isinstance(step, _Pending) else step for step in steps]

    # ------------------------------------------------------------------------------ stages
    def _prepare(self, completion: str, reference: str) -> Verdict | _Pending:
        """Everything short of sympy: cheap, bounded, in the calling thread."""
        if isinstance(reference, int | float) and not isinstance(reference, bool):
            reference = str(reference)  # GSM8K-style numeric references
        if not isinstance(reference, str):
            raise TypeError(f"reference must be a str or a number, got {type(reference).__name__}")
        if len(reference) > self.max_chars:
            return Verdict(0.0, False, None, "bad-reference", {"error": "reference too long"})
        ref = _reference(reference)
        if isinstance(ref, str):
            return Verdict(0.0, False, None, "bad-reference", {"error": ref})
        ref_text, ref_nodes = ref
        details = {"reference": ref_text}
        if not isinstance(completion, str):
            return Verdict(0.0, False, None, "not-a-string", details)
        if len(completion) > self.max_chars:
            return Verdict(0.0, False, None, "too-long", details)
        try:
            return self._read(completion, ref_nodes, ref_text, details)
        except Exception as err:  # a bug reading model output costs one case, never the batch
            error = f"{type(err).__name__}: {err}"[:200]
            return Verdict(0.0, False, None, "verifier-error", {**details, "error": error})

    def _read(
        self, completion: str, ref_nodes: list[Node], ref_text: str, details: dict[str, str]
    ) -> Verdict | _Pending:
        """Extract the completion's answer and compare it by the cheap rules."""
        found = extract_answer(completion, self.strategies)
        if found is None:
            return Verdict(0.0, False, None, "no-answer-found", details)
        extracted, strategy = found
        details["strategy"] = strategy
        if len(extracted) > MAX_ANSWER_CHARS:
            return Verdict(0.0, False, extracted[:100] + "…", "parse-error", details)
        try:
            if canonical(extracted) == canonical(ref_text):
                return Verdict(1.0, True, extracted, "exact-match", details)
            pred_nodes = readings(extracted)
        except AnswerParseError as err:
            return Verdict(0.0, False, extracted, "parse-error", {**details, "error": str(err)})
        undecided, first = [], None
        for pred_node in pred_nodes:
            for ref_node in ref_nodes:
                try:
                    outcome = nodes_equal(pred_node, ref_node, self._cheap)
                except NeedsSympy:
                    undecided.append((pred_node, ref_node))
                    continue
                if outcome.equal:
                    return _verdict(outcome, extracted, details)
                first = first or outcome
        if undecided:
            return _Pending(tuple(undecided), extracted, details)
        assert first is not None
        return _verdict(first, extracted, details)

    def _symbolic(self, step: _Pending) -> Verdict:
        pool = shared_pool(self.memory_mb)
        outcome = pool.compare(step.pairs, self.rel_tol, self.timeout_s)
        return _verdict(outcome, step.extracted, step.details)


def _verdict(outcome: Outcome, extracted: str, details: dict[str, str]) -> Verdict:
    return Verdict(float(outcome.equal), outcome.equal, extracted, outcome.reason, details)


@lru_cache(maxsize=8192)
def _reference(reference: str) -> tuple[str, list[Node]] | str:
    """Extract and parse a reference once; an error message when it has no readable answer.

    A reference with no box, answer phrase or bare answer is read only as a value with a unit
    ("5 marbles"), never as its last number: an unreadable reference must not match a guess.
    """
    found = extract_answer(reference, REFERENCE_STRATEGIES)
    if found is None:
        with_unit = _VALUE_WITH_UNIT_RE.fullmatch(reference)
        if with_unit is None:
            return "no answer found in the reference"
        found = with_unit[1], "bare"
    if len(found[0]) > MAX_ANSWER_CHARS:
        return f"reference answer longer than {MAX_ANSWER_CHARS} characters"
    try:
        return found[0], readings(found[0])
    except AnswerParseError as err:
        return f"unreadable reference answer {found[0][:100]!r}: {err}"
