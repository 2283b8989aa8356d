"""GSPO (Zheng et al., 2025, "Group Sequence Policy Optimization").

The importance ratio is taken per sequence, not per token, and normalised by the length, so that
one token's ratio cannot dominate a sequence's update:

    s_i = (π(o_i) / π_old(o_i))^(1/|o_i|) = exp( 1/|o_i| Σ_t log(π(o_it) / π_old(o_it)) )

    ℓ = mean_i -min(s_i A_i, clip(s_i, 1 - ε_low, 1 + ε_high) A_i)

with A_i the group z-score, as in GRPO. The whole sequence is clipped or kept together. Because
s_i averages over tokens, it stays close to 1 and the paper's clip range is tiny: ε_low = 3e-4,
ε_high = 4e-4. No KL term.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from rlvr.algorithms.base import PolicyGradient, Stats, ratio_stats


@dataclass
class GSPO(PolicyGradient):
    def policy_term(
        self, logp: Tensor, old: Tensor, a: Tensor, mask: Tensor
    ) -> tuple[Tensor, Stats]:
        m = mask.float()
        lengths = m.sum(-1).clamp(min=1)
        seq_log_ratio = (((logp - old) * m).sum(-1) / lengths).clamp(-20.0, 20.0)
        s = torch.exp(seq_log_ratio)  # [N]
        a_seq = (a * m).sum(-1) / lengths if a.shape[1] > 1 else a[:, 0]
        clipped = s.clamp(1 - self.clip_low, 1 + self.clip_high)
        per_sequence = -torch.minimum(s * a_seq, clipped * a_seq)
        # Each token carries its sequence's loss, so a mean over a sequence's tokens returns it.
        per_token = per_sequence[:, None].expand_as(logp)
        with torch.no_grad():
            s = s.detach()
            has_tokens = (m.sum(-1) > 0).float()
            n = has_tokens.sum().clamp(min=1)
            low = ((s < 1 - self.clip_low) & (a_seq < 0)).float()
            high = ((s > 1 + self.clip_high) & (a_seq > 0)).float()
            token_ratio = torch.exp((logp - old).clamp(-20.0, 20.0))
            stats = ratio_stats(token_ratio, (logp - old).clamp(-20.0, 20.0), mask)
        return per_token, {
            **stats,
            "clip_frac_low": float((low * has_tokens).sum() / n),
            "clip_frac_high": float((high * has_tokens).sum() / n),
            "seq_ratio_mean": float((s * has_tokens).sum() / n),
        }


def gspo(**overrides: Any) -> GSPO:
    defaults = dict(
        name="gspo",
        advantage="group-zscore",
        loss_agg="seq-mean-token-mean",
        clip_low=3e-4,
        clip_high=4e-4,
        kl_coef=0.0,
    )
    return GSPO(**{**defaults, **overrides})
