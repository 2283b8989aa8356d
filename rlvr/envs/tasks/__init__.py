"""The built-in tasks, registered by ``import rlvr``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rlvr.envs.registry import register_task
from rlvr.envs.tasks.arithmetic import PROMPT as ARITHMETIC_PROMPT
from rlvr.envs.tasks.arithmetic import ArithmeticSource
from rlvr.envs.tasks.countdown import PROMPT as COUNTDOWN_PROMPT
from rlvr.envs.tasks.countdown import CountdownSource, CountdownVerifier
from rlvr.envs.tasks.datasets import (
    HubDataset,
    HumanEvalSource,
    gsm8k_row,
    math500_row,
    mbpp_row,
)
from rlvr.envs.tasks.reasoning_gym import PROMPT as REASONING_GYM_PROMPT
from rlvr.envs.tasks.reasoning_gym import ReasoningGymSource, ReasoningGymVerifier
from rlvr.verifiers.base import Verdict, Verifier, verify_batch
from rlvr.verifiers.code import CodeVerifier
from rlvr.verifiers.math import MathVerifier

MATH_PROMPT = (
    "{prompt}\n\nPlease reason step by step, and put your final answer within \\boxed{{}}."
)
CODE_PROMPT = "{prompt}\n\nWrite the Python solution in a ```python code block."
HUMANEVAL_PROMPT = (
    "Complete the following Python function. Write the whole function, with its signature, "
    "in a ```python code block.\n\n```python\n{prompt}```"
)


class LazyVerifier:
    """Builds its verifier on first use: a code sandbox should not start at ``import rlvr``."""

    def __init__(self, factory: Callable[[], Verifier], name: str) -> None:
        self.factory, self.name = factory, name
        self._verifier: Verifier | None = None

    def get(self) -> Verifier:
        if self._verifier is None:
            self._verifier = self.factory()
        return self._verifier

    def __call__(self, completion: str, reference: Any) -> Verdict:
        return self.get()(completion, reference)

    def verify_batch(
        self, completions: Sequence[str], references: Sequence[Any], workers: int | None = None
    ) -> list[Verdict]:
        return verify_batch(self.get(), completions, references, workers)

    def __repr__(self) -> str:
        return self.name


def register_builtin_tasks() -> None:
    math = MathVerifier()
    code = LazyVerifier(CodeVerifier, "CodeVerifier")
    register_task(
        "rlvr/Arithmetic-v0",
        ArithmeticSource(),
        math,
        ARITHMETIC_PROMPT,
        description="integer arithmetic, generated (digits=, operators=, terms=)",
    )
    register_task(
        "rlvr/Countdown-v0",
        CountdownSource(),
        CountdownVerifier(),
        COUNTDOWN_PROMPT,
        description="reach a target with + - * / (count=, max_number=, max_target=)",
    )
    register_task(
        "rlvr/GSM8K-v0",
        HubDataset(
            "rlvr/GSM8K-v0",
            "openai/gsm8k",
            ("question", "answer"),
            gsm8k_row,
            config="main",
            sizes={"train": 7473, "test": 1319},
        ),
        math,
        MATH_PROMPT,
        description="grade-school math word problems",
    )
    register_task(
        "rlvr/MATH500-v0",
        HubDataset(
            "rlvr/MATH500-v0",
            "HuggingFaceH4/MATH-500",
            ("problem", "answer"),
            math500_row,
            splits={"test": "test"},
            sizes={"test": 500},
        ),
        math,
        MATH_PROMPT,
        description="competition math (MATH, PRM800K test subset)",
        split="test",
    )
    register_task(
        "rlvr/HumanEval-v0",
        HumanEvalSource(),
        code,
        HUMANEVAL_PROMPT,
        description="Python functions checked by their tests",
        split="test",
    )
    register_task(
        "rlvr/MBPP-v0",
        HubDataset(
            "rlvr/MBPP-v0",
            "google-research-datasets/mbpp",
            ("task_id", "test_list"),
            mbpp_row,
            config="sanitized",
            splits={
                "train": "train",
                "test": "test",
                "validation": "validation",
                "prompt": "prompt",
            },
            sizes={"train": 120, "test": 257, "validation": 43, "prompt": 7},
        ),
        code,
        CODE_PROMPT,
        description="basic Python problems checked by asserts",
        split="test",
    )
    register_task(
        "rlvr/ReasoningGym-v0",
        ReasoningGymSource(),
        ReasoningGymVerifier(),
        REASONING_GYM_PROMPT,
        description="any reasoning-gym data set (dataset=, size=, seed=, **config)",
    )
