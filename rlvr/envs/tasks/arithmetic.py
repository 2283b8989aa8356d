"""``rlvr/Arithmetic-v0``: procedurally generated integer arithmetic, offline and endless.

The default training task: small enough that a 135M model starts above zero reward and visibly
improves. ``gym.make("rlvr/Arithmetic-v0", digits=3, operators="+-*", terms=3)``. The ``test``
split is a fixed set of 500 problems (a third of all possible ones when that is fewer); the
``train`` generator never produces one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rlvr.envs.registry import Loader, Row

PROMPT = "What is {prompt}? Put the final answer in \\boxed{{}}."
TEST_SIZE = 500
TEST_SEED = 20_241_122


def evaluate(numbers: list[int], operators: list[str]) -> int:
    """Value of ``n0 op0 n1 op1 ...`` with ``*`` before ``+``/``-`` (no eval)."""
    terms, signs = [numbers[0]], []
    for op, n in zip(operators, numbers[1:]):
        if op == "*":
            terms[-1] *= n
        else:
            terms.append(n)
            signs.append(1 if op == "+" else -1)
    return terms[0] + sum(sign * term for sign, term in zip(signs, terms[1:]))


class ArithmeticSource(Loader):
    description = "procedural"
    sizes = {"train": "∞", "test": TEST_SIZE}  # noqa: RUF012

    def load(
        self, split: str, digits: int = 2, operators: str = "+-*", terms: int = 2, **kwargs: Any
    ) -> Callable[[np.random.Generator], Row] | list[Row]:
        if kwargs:
            raise TypeError(
                f"rlvr/Arithmetic-v0 takes digits, operators, terms; not {sorted(kwargs)}"
            )
        if digits < 1 or terms < 2 or not operators or set(operators) - set("+-*"):
            raise ValueError("need digits >= 1, terms >= 2 and operators drawn from '+-*'")

        def make(rng: np.random.Generator) -> Row:
            numbers = [int(rng.integers(10 ** (digits - 1), 10**digits)) for _ in range(terms)]
            ops = [str(rng.choice(list(operators))) for _ in range(terms - 1)]
            text = " ".join(f"{n} {op}" for n, op in zip(numbers, ops)) + f" {numbers[-1]}"
            return {"prompt": text, "reference": str(evaluate(numbers, ops))}

        # At most a third of all possible problems is held out, so training keeps the rest.
        space = (9 * 10 ** (digits - 1)) ** terms * len(set(operators)) ** (terms - 1)
        size = min(TEST_SIZE, space // 3)
        rng = np.random.default_rng(TEST_SEED)
        unique: dict[str, Row] = {}
        for _ in range(10 * TEST_SIZE):
            row = make(rng)
            unique.setdefault(row["prompt"], row)
            if len(unique) == size:
                break
        held_out = list(unique.values())
        if split == "test":
            return held_out
        if split != "train":
            raise ValueError(f"rlvr/Arithmetic-v0 has splits 'train' and 'test', not {split!r}")
        excluded = {row["prompt"] for row in held_out}

        def make_train(rng: np.random.Generator) -> Row:
            while True:  # at least two thirds of the problems are not held out
                row = make(rng)
                if row["prompt"] not in excluded:
                    return row

        return make_train
