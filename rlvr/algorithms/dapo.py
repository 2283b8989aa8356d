"""DAPO (Yu et al., 2025, "DAPO: An Open-Source LLM Reinforcement Learning System at Scale").

Four changes to GRPO:
- clip-higher: asymmetric bounds ε_low = 0.2, ε_high = 0.28, so low-probability tokens can rise;
- token-level loss: ℓ = Σ_i Σ_t ℓ_it / Σ_i |o_i|, every token weighs the same;
- dynamic sampling: drop groups whose rewards are all equal (zero advantage) and draw more;
- overlong reward shaping: a soft penalty over the last L_cache tokens before L_max (the paper's
  4096 of 20480; by default the run's ``max_new_tokens`` and its last fifth).
No KL term. Advantages are the group z-score.
"""

from typing import Any

from rlvr.algorithms.base import PolicyGradient


def dapo(**overrides: Any) -> PolicyGradient:
    defaults = dict(
        name="dapo",
        advantage="group-zscore",
        loss_agg="token-mean",
        clip_low=0.2,
        clip_high=0.28,
        kl_coef=0.0,
        dynamic_sampling=True,
        overlong_penalty="auto",
    )
    return PolicyGradient(**{**defaults, **overrides})
