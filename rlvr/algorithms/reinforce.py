"""REINFORCE with a baseline, and RLOO (Ahmadian et al., 2024, "Back to Basics").

    ℓ = -A_i log π(o_it)            (as ratio·A with ρ = 1 at the sampling policy)

REINFORCE uses the batch-mean baseline A_i = r_i - mean(r); RLOO the leave-one-out baseline
A_i = r_i - mean_{j≠i, same prompt} r_j. Both are on-policy, so nothing is clipped.
"""

from typing import Any

from rlvr.algorithms.base import PolicyGradient

UNCLIPPED = 1e9  # a clip range no ratio reaches


def reinforce(**overrides: Any) -> PolicyGradient:
    defaults = dict(
        name="reinforce",
        advantage="batch-center",
        loss_agg="seq-mean-token-mean",
        clip_low=UNCLIPPED,
        clip_high=UNCLIPPED,
    )
    return PolicyGradient(**{**defaults, **overrides})


def rloo(**overrides: Any) -> PolicyGradient:
    return reinforce(**{"name": "rloo", "advantage": "rloo", **overrides})
