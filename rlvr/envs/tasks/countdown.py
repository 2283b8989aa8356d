"""``rlvr/Countdown-v0``: reach a target with the given numbers and + - * /, each at most once.

The verifier reads the proposed expression with Python's ``ast`` parser (no ``eval``) and
computes it in exact sympy rationals, then checks the numbers used against those allowed and the
value against the target.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from rlvr.envs.registry import Loader, Row
from rlvr.verifiers.base import Verdict
from rlvr.verifiers.math.extract import find_boxed

if TYPE_CHECKING:  # sympy is imported on first use: `import rlvr` should not pay for it
    import sympy

PROMPT = (
    "Using the numbers {numbers}, create an equation that equals {target}. You can use "
    "+, -, * and /, and each number at most once. Think it through, then give the equation "
    "alone in <answer> </answer> tags, for example <answer> (1 + 2) * 3 </answer>."
)
_TAG_RE = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)


class CountdownVerifier:
    """Reference: ``{"numbers": [...], "target": int}``."""

    def __call__(self, completion: str, reference: dict[str, Any]) -> Verdict:
        if not isinstance(completion, str):
            return Verdict(0.0, False, None, "not-a-string")
        expression = _extract(completion)
        if expression is None:
            return Verdict(0.0, False, None, "no-answer-found")
        try:
            value, used = _evaluate(ast.parse(expression, mode="eval").body)
        except (SyntaxError, ValueError, ZeroDivisionError, RecursionError, MemoryError):
            return Verdict(0.0, False, expression, "parse-error")
        allowed = Counter(reference["numbers"])
        if Counter(used) - allowed:
            extra = sorted((Counter(used) - allowed).elements())
            reason = "number-reused" if set(extra) <= set(allowed) else "number-not-allowed"
            return Verdict(0.0, False, expression, reason, {"extra": extra})
        if value != reference["target"]:
            return Verdict(0.0, False, expression, "wrong-value", {"value": str(value)})
        return Verdict(1.0, True, expression, "reaches-target")


def _extract(completion: str) -> str | None:
    tags = _TAG_RE.findall(completion[-20_000:])
    text = tags[-1] if tags else find_boxed(completion[-20_000:])
    if text is None:
        lines = [line for line in completion.strip().splitlines() if line.strip()]
        text = lines[-1] if lines else None
    if text is None or len(text) > 200:
        return None
    text = text.replace("×", "*").replace("÷", "/").replace("\\times", "*").replace("\\div", "/")
    return text.split("=")[0].strip() or None  # "(1 + 2) * 3 = 9" -> the left side


def _evaluate(node: ast.AST) -> tuple[sympy.Rational, list[int]]:
    import sympy

    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sympy.Integer(node.value), [node.value]
    if isinstance(node, ast.BinOp) and isinstance(node.op, _OPS):
        left, used_left = _evaluate(node.left)
        right, used_right = _evaluate(node.right)
        if isinstance(node.op, ast.Add):
            value = left + right
        elif isinstance(node.op, ast.Sub):
            value = left - right
        elif isinstance(node.op, ast.Mult):
            value = left * right
        elif right == 0:
            raise ZeroDivisionError
        else:
            value = left / right
        return value, used_left + used_right
    raise ValueError(f"not allowed in a Countdown answer: {type(node).__name__}")


class CountdownSource(Loader):
    description = "procedural"
    sizes = {"train": "∞", "test": "∞"}  # noqa: RUF012

    def load(
        self, split: str, count: int = 4, max_number: int = 100, max_target: int = 1000, **kw: Any
    ) -> Callable[[np.random.Generator], Row]:
        if kw:
            raise TypeError(
                f"rlvr/Countdown-v0 takes count, max_number, max_target; not {sorted(kw)}"
            )
        if count < 2:
            raise ValueError("count must be at least 2")
        offset = 0 if split == "train" else 1 << 40  # disjoint seed streams per split
        if split not in ("train", "test"):
            raise ValueError(f"rlvr/Countdown-v0 has splits 'train' and 'test', not {split!r}")

        def make(rng: np.random.Generator) -> Row:
            import sympy

            local = np.random.default_rng(int(rng.integers(1 << 40)) + offset)
            while True:
                numbers = [int(n) for n in local.integers(1, max_number, size=count)]
                value = sympy.Integer(numbers[0])
                for n in numbers[1:]:  # a random solvable target: combine all numbers in order
                    op = int(local.integers(4))
                    if op == 3 and (value % n != 0):
                        op = int(local.integers(3))
                    value = [value + n, value - n, value * n, value / n][op]
                if 0 < value <= max_target:
                    shuffled = [int(n) for n in local.permutation(numbers)]
                    return {
                        "prompt": f"{shuffled} -> {value}",
                        "numbers": shuffled,
                        "target": int(value),
                        "reference": {"numbers": shuffled, "target": int(value)},
                    }

        return make
