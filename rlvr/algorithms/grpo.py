"""GRPO (Shao et al., 2024, "DeepSeekMath", §4.1).

For each prompt, G samples with rewards r_1..r_G; the advantage of every token of sample i is

    A_i = (r_i - mean(r)) / (std(r) + eps)                      (group z-score, unbiased std)

and the objective, averaged per sequence and then over sequences, is

    ℓ = mean_i 1/|o_i| Σ_t [ -min(ρ_it A_i, clip(ρ_it, 1-ε, 1+ε) A_i) + β D_KL[π || π_ref]_t ]

with ρ_it = π(o_it) / π_old(o_it), ε = 0.2, and D_KL the k3 estimator. β = 0.04 in the paper.
"""

from typing import Any

from rlvr.algorithms.base import PolicyGradient


def grpo(**overrides: Any) -> PolicyGradient:
    defaults = dict(
        name="grpo",
        advantage="group-zscore",
        loss_agg="seq-mean-token-mean",
        clip_low=0.2,
        clip_high=0.2,
        kl_coef=0.04,
        kl_estimator="k3",
    )
    return PolicyGradient(**{**defaults, **overrides})
