"""Reward shaping as Gymnasium wrappers, so the environment and the trainer stay unshaped.

Each wrapper adds one weighted term to the verifier's reward, records the term in
``info["reward_terms"]``, and applies the same shaping in ``score`` (the batch path), so
``env.get_wrapper_attr("score")`` gives a trainer shaped rewards too.

>>> env = FormatReward(gym.make("rlvr/Arithmetic-v0"), weight=0.1)   # doctest: +SKIP
>>> env = LengthPenalty(env, max_length=2048, cache=512)             # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

Term = Callable[[str, Mapping[str, Any]], float]

FORMATS: dict[str, re.Pattern[str]] = {
    "boxed": re.compile(r"\\boxed\{.*\}", re.DOTALL),
    "answer-tags": re.compile(r"<answer>.*?</answer>\s*$", re.DOTALL),
    "think-answer": re.compile(r"^\s*<think>.*?</think>\s*<answer>.*?</answer>\s*$", re.DOTALL),
    "code-block": re.compile(r"```(?:python|py)?\s*\n.*?```", re.DOTALL),
}


class CombinedReward(gym.Wrapper):
    """``reward = verifier_weight * reward + sum(weight * term(completion, info))``.

    Args:
        terms: ``{name: (term, weight)}``, where ``term(completion, info) -> float``.
        verifier_weight: the weight of the wrapped environment's reward.
    """

    def __init__(
        self,
        env: gym.Env,
        terms: Mapping[str, tuple[Term, float]],
        verifier_weight: float = 1.0,
    ) -> None:
        super().__init__(env)
        self.terms = dict(terms)
        self.verifier_weight = verifier_weight

    def step(self, action: str) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        reward, info = self._shape(float(reward), action, info)
        return obs, reward, terminated, truncated, info

    def score(
        self, completions: Sequence[str], references: Sequence[Any], workers: int | None = None
    ) -> tuple[np.ndarray, list[dict[str, Any]]]:
        rewards, infos = self.env.get_wrapper_attr("score")(completions, references, workers)
        shaped = [self._shape(float(r), c, i) for r, c, i in zip(rewards, completions, infos)]
        return np.array([r for r, _ in shaped], dtype=np.float32), [i for _, i in shaped]

    def _shape(self, reward: float, completion: str, info: dict[str, Any]) -> tuple[float, dict]:
        parts = dict(info.get("reward_terms", {"verifier": reward}))
        total = self.verifier_weight * reward
        for name, (term, weight) in self.terms.items():
            value = float(term(completion, info))
            parts[name] = value
            total += weight * value
        return total, {**info, "reward_terms": parts}


class FormatReward(CombinedReward):
    """Add ``weight`` when the completion has the requested form (a ``FORMATS`` key or a regex)."""

    def __init__(self, env: gym.Env, form: str | re.Pattern[str] = "boxed", weight: float = 0.1):
        pattern = FORMATS.get(form, form) if isinstance(form, str) else form
        if isinstance(pattern, str):
            pattern = re.compile(pattern, re.DOTALL)
        super().__init__(env, {"format": (lambda c, _: float(bool(pattern.search(c))), weight)})


class LengthPenalty(CombinedReward):
    """DAPO's soft overlong punishment: 0 up to ``max_length - cache``, then linear to -1.

    Length is ``length(completion)``: characters by default; pass a tokenizer-based function to
    count tokens, e.g. ``length=lambda text: len(tokenizer(text).input_ids)``.
    """

    def __init__(
        self,
        env: gym.Env,
        max_length: int,
        cache: int,
        weight: float = 1.0,
        length: Callable[[str], int] = len,
    ) -> None:
        if not 0 < cache <= max_length:
            raise ValueError(f"need 0 < cache <= max_length, got cache={cache}, max={max_length}")

        def penalty(completion: str, _: Mapping[str, Any]) -> float:
            over = length(completion) - (max_length - cache)
            return -min(1.0, max(0.0, over / cache))

        super().__init__(env, {"length": (penalty, weight)})
