"""Held-out accuracy: greedy decoding over a fixed slice of a task's test split."""

from __future__ import annotations

from itertools import islice
from typing import Any

import gymnasium as gym

from rlvr.rollout import Sampler, SamplingParams


def greedy_accuracy(
    sampler: Sampler,
    env_id: str,
    n: int = 100,
    max_new_tokens: int = 96,
    split: str = "test",
    **env_kwargs: Any,
) -> tuple[float, int]:
    """``(accuracy, rows)``: greedy accuracy on the first ``n`` rows of ``split`` (or all of
    them, when the split is smaller)."""
    env = gym.make(env_id, split=split, **env_kwargs).unwrapped
    tasks = list(islice(env.epoch(), n))  # type: ignore[attr-defined]
    params = SamplingParams(max_new_tokens=max_new_tokens, temperature=0.0)
    groups = sampler.generate([info["messages"] for _, info in tasks], 1, params)
    completions = [group[0].text for group in groups]
    _, infos = env.score(completions, [info["reference"] for _, info in tasks])  # type: ignore[attr-defined]
    return sum(bool(i["verdict"].correct) for i in infos) / len(infos), len(infos)
