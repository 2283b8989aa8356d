"""CISPO (MiniMax, 2025, "MiniMax-M1", §3.1): clip the importance weight, not the update.

PPO's clip zeroes the gradient of every token whose ratio left the trust region, and the tokens
that leave it first are the rare ones (a "However", a "Wait") that reasoning turns on. CISPO keeps
every token's REINFORCE gradient and only bounds how much it is re-weighted:

    r_it = π(o_it) / π_old(o_it),     r̂_it = clip(r_it, 1 - ε_low, 1 + ε_high)

    ℓ = -1/Σ_i|o_i| Σ_i Σ_t sg(r̂_it) A_i log π(o_it)

sg is the stop-gradient, A_i the group z-score, and the mean is over all tokens. MiniMax set no
lower bound (here ``clip_low = 1``: the weight only has to stay >= 0) and tuned only ε_high; rlvr's
default 0.28 borrows DAPO's clip-higher bound. No KL term. ``clip_frac_*`` count the tokens
whose weight was truncated; their gradient still flows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from rlvr.algorithms.base import PolicyGradient, Stats, ratio_stats
from rlvr.algorithms.losses import token_mean


@dataclass
class CISPO(PolicyGradient):
    def policy_term(
        self, logp: Tensor, old: Tensor, a: Tensor, mask: Tensor
    ) -> tuple[Tensor, Stats]:
        log_ratio = (logp - old).clamp(-20.0, 20.0)
        ratio = torch.exp(log_ratio)
        weight = ratio.clamp(1 - self.clip_low, 1 + self.clip_high).detach()
        per_token = -weight * a * logp
        with torch.no_grad():
            low = (ratio < 1 - self.clip_low).float()
            high = (ratio > 1 + self.clip_high).float()
            stats = ratio_stats(ratio, log_ratio, mask)
        return per_token, {
            **stats,
            "clip_frac_low": token_mean(low, mask).item(),
            "clip_frac_high": token_mean(high, mask).item(),
        }


def cispo(**overrides: Any) -> CISPO:
    defaults = dict(
        name="cispo",
        advantage="group-zscore",
        loss_agg="token-mean",
        clip_low=1.0,
        clip_high=0.28,
        kl_coef=0.0,
    )
    return CISPO(**{**defaults, **overrides})
