"""Dr. GRPO (Liu et al., 2025, "Understanding R1-Zero-Like Training: A Critical Perspective").

GRPO's two normalisers bias it: dividing by the group std up-weights prompts that are too easy
or too hard, and dividing by each sequence's length rewards long wrong answers. Dr. GRPO drops
both:

    A_i = r_i - mean(r)                                          (group centring, no std)
    ℓ = 1/(G · L) Σ_i Σ_t -min(ρ_it A_i, clip(ρ_it, 1-ε, 1+ε) A_i)

where L is a constant (the maximum generation length), so every token weighs the same whatever
its sequence's length. No KL term (β = 0), ε = 0.2.
"""

from typing import Any

from rlvr.algorithms.base import PolicyGradient


def dr_grpo(**overrides: Any) -> PolicyGradient:
    defaults = dict(
        name="dr_grpo",
        advantage="group-center",
        loss_agg="seq-mean-token-sum-norm",
        norm_len=None,  # the trainer sets the run's max_new_tokens
        clip_low=0.2,
        clip_high=0.2,
        kl_coef=0.0,
    )
    return PolicyGradient(**{**defaults, **overrides})
