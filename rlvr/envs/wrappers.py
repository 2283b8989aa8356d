"""Reward shaping as Gymnasium wrappers, and the batch path that applies every wrapper.

Each rlvr wrapper adds one weighted term to the verifier's reward and records the term in
``info["reward_terms"]``. ``score_batch(env, completions, references)`` scores a batch exactly as
``step`` would score each completion: through rlvr's wrappers, any ``gym.RewardWrapper``
(``TransformReward``, ``ClipReward``, …) and the reward-neutral wrappers ``gym.make`` adds. A
wrapper that changes ``step`` in another way is refused, so training never sees rewards that
differ from ``step``'s.

>>> env = FormatReward(gym.make("rlvr/Arithmetic-v0"), weight=0.1)        # doctest: +SKIP
>>> env = gym.wrappers.TransformReward(env, lambda r: 2 * r - 1)          # doctest: +SKIP
>>> rewards, infos = score_batch(env, completions, references)            # doctest: +SKIP

DAPO's overlong penalty counts tokens, which only the trainer knows: it is the algorithm's
``overlong_penalty``, not a wrapper.
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


Scores = tuple[np.ndarray, list[dict[str, Any]]]

# Wrappers that leave step()'s reward alone (gym.make adds the first two to every env).
NEUTRAL_WRAPPERS: tuple[type, ...] = (
    gym.wrappers.OrderEnforcing,
    gym.wrappers.PassiveEnvChecker,
    gym.wrappers.TimeLimit,
    gym.wrappers.RecordEpisodeStatistics,
)


def score_batch(
    env: gym.Env, completions: Sequence[str], references: Sequence[Any], workers: int | None = None
) -> Scores:
    """Rewards and infos for many completions, as ``step`` would give them one at a time."""
    if not isinstance(env, gym.Wrapper):
        score = getattr(env, "score", None)
        if score is None:
            raise TypeError(f"{type(env).__name__} is not an rlvr environment (no score method)")
        return score(completions, references, workers)
    inner = score_batch(env.env, completions, references, workers)
    if isinstance(env, CombinedReward):
        return env.shape_batch(*inner, completions)
    if isinstance(env, gym.RewardWrapper):
        rewards, infos = inner
        return np.array([env.reward(float(r)) for r in rewards], dtype=np.float32), infos
    if isinstance(env, NEUTRAL_WRAPPERS) or type(env).step is gym.Wrapper.step:
        return inner
    raise TypeError(
        f"{type(env).__name__} changes step() in a way batch scoring cannot repeat, so training "
        "would see other rewards than step(): subclass gym.RewardWrapper (reward(r) -> float) "
        "or rlvr.envs.CombinedReward (terms of the completion) instead"
    )


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
    ) -> Scores:
        """The batch path through this wrapper and everything under it (``score_batch``)."""
        return score_batch(self, completions, references, workers)

    def shape_batch(
        self, rewards: np.ndarray, infos: list[dict[str, Any]], completions: Sequence[str]
    ) -> Scores:
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
