"""Held-out evaluation: greedy accuracy, pass@k and maj@k over a fixed slice of a test split.

pass@k is the unbiased estimator of Chen et al. (2021) from ``n >= k`` samples per prompt,
``1 - C(n-c, k) / C(n, k)`` with ``c`` correct, averaged over prompts. maj@k takes the first
``k`` samples of a prompt, votes on their extracted answers (compared as whitespace-normalised
text; samples with no answer do not vote; ties go to the answer seen first), and scores the
winner.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import islice
from math import comb
from typing import Any

import gymnasium as gym
from tqdm import tqdm

from rlvr.rollout import Sampler, SamplingParams
from rlvr.verifiers import Verdict


def greedy_accuracy(
    sampler: Sampler,
    env_id: str,
    n: int = 100,
    max_new_tokens: int = 96,
    split: str = "test",
    progress: bool = False,
    **env_kwargs: Any,
) -> tuple[float, int]:
    """``(accuracy, rows)``: greedy accuracy on the first ``n`` rows of ``split`` (or all of
    them, when the split is smaller); ``progress`` shows a bar on stderr."""
    env, tasks = _tasks(env_id, n, split, env_kwargs)
    params = SamplingParams(max_new_tokens, 0.0)
    verdicts = _sample_and_score(env, tasks, sampler, 1, params, "held-out" if progress else None)
    return sum(v[0].correct for v in verdicts) / len(verdicts), len(verdicts)


def evaluate(
    sampler: Sampler,
    env_id: str,
    rows: int = 100,
    n: int = 8,
    ks: Sequence[int] = (1, 8),
    temperature: float = 1.0,
    max_new_tokens: int = 256,
    greedy: bool = True,
    split: str = "test",
    progress: bool = False,
    **env_kwargs: Any,
) -> dict[str, float]:
    """Greedy accuracy and, from ``n`` samples per prompt at ``temperature``, pass@k and maj@k
    for each ``k`` in ``ks`` (each ``k <= n``)."""
    if any(not 1 <= k <= n for k in ks):
        raise ValueError(f"every k must be in 1..n={n}, got {list(ks)}")
    env, tasks = _tasks(env_id, rows, split, env_kwargs)
    report: dict[str, float] = {"rows": float(len(tasks)), "n": float(n)}
    if greedy:
        params = SamplingParams(max_new_tokens, 0.0)
        verdicts = _sample_and_score(env, tasks, sampler, 1, params, "greedy" if progress else None)
        report["greedy"] = sum(v[0].correct for v in verdicts) / len(verdicts)
    params = SamplingParams(max_new_tokens, temperature)
    sampled = _sample_and_score(env, tasks, sampler, n, params, f"n={n}" if progress else None)
    for k in ks:
        report[f"pass@{k}"] = sum(
            pass_at_k(n, sum(v.correct for v in g), k) for g in sampled
        ) / len(sampled)
        report[f"maj@{k}"] = sum(majority_correct(g[:k]) for g in sampled) / len(sampled)
    return report


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of ``k`` samples drawn from ``n`` (``c`` correct) is."""
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def majority_correct(verdicts: Sequence[Verdict]) -> bool:
    votes = Counter(" ".join(v.extracted.split()) for v in verdicts if v.extracted is not None)
    if not votes:
        return False
    winner = max(votes, key=lambda answer: votes[answer])  # first seen wins a tie
    return next(
        v.correct
        for v in verdicts
        if v.extracted is not None and " ".join(v.extracted.split()) == winner
    )


def _tasks(
    env_id: str, rows: int, split: str, env_kwargs: dict[str, Any]
) -> tuple[Any, list[tuple[str, dict[str, Any]]]]:
    env = gym.make(env_id, split=split, **env_kwargs).unwrapped
    return env, list(islice(env.epoch(), rows))  # type: ignore[attr-defined]


def _sample_and_score(
    env: Any,
    tasks: list[tuple[str, dict[str, Any]]],
    sampler: Sampler,
    n: int,
    params: Any,
    progress: str | None = None,
    chunk: int = 16,
) -> list[list[Verdict]]:
    """Sample ``n`` per task (in chunks of prompts, with a progress bar named ``progress``)."""
    messages = [info["messages"] for _, info in tasks]
    groups = []
    with tqdm(total=len(tasks), desc=progress, unit="prompt", disable=progress is None) as bar:
        for start in range(0, len(messages), chunk):
            groups += sampler.generate(messages[start : start + chunk], n, params)
            bar.update(len(messages[start : start + chunk]))
    texts = [comp.text for group in groups for comp in group]
    references = [info["reference"] for _, info in tasks for _ in range(n)]
    _, infos = env.score(texts, references)
    verdicts = [info["verdict"] for info in infos]
    return [verdicts[i * n : (i + 1) * n] for i in range(len(tasks))]
