"""Preference losses on verifier-ranked samples: DPO and Plackett-Luce (SPIN-style).

Within a prompt's group, samples are ranked by reward. With sequence scores

    s_i = β (log π(o_i) - log π_ref(o_i))          (sums over each sequence's tokens)

DPO (Rafailov et al., 2023) takes every pair with r_i > r_j (chosen i, rejected j):

    ℓ_DPO = mean_pairs -log σ(s_i - s_j)

Plackett-Luce (the K-wise generalisation; Chen et al., 2024, "SPIN", uses K = 2) orders the group
by reward and scores the whole order at temperature T:

    ℓ_PL = mean_groups -Σ_{k<K} [ s_(k)/T - log Σ_{j≥k} exp(s_(j)/T) ]

With K = 2 and T = 1, Plackett-Luce is DPO on the best and worst sample. Groups whose rewards are
all equal carry no preference and are skipped. ``advantages`` are the rewards themselves (only
their order matters); ``loss`` needs ``group_ids=``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from rlvr.algorithms.base import Algorithm, Stats
from rlvr.algorithms.losses import check_finite, masked


@dataclass
class Ranking(Algorithm):
    name: str = "dpo"
    beta: float = 0.1
    top_k: int | None = 2
    """Plackett-Luce: how many leading ranks to score (None = the whole group)."""
    temperature: float = 1.0
    pairwise: bool = True
    """True: DPO over all ordered pairs; False: Plackett-Luce over each group."""

    needs_reference = True  # type: ignore[assignment]
    whole_groups = True  # type: ignore[assignment]

    def advantages(self, rewards: Tensor, group_ids: Tensor) -> Tensor:
        return rewards.float()

    def loss(
        self,
        logprobs: Tensor,
        old_logprobs: Tensor | None,
        advantages: Tensor,
        mask: Tensor,
        ref_logprobs: Tensor | None = None,
        group_ids: Tensor | None = None,
        **extra: Any,
    ) -> tuple[Tensor, Stats]:
        if ref_logprobs is None or group_ids is None:
            raise ValueError(f"{self.name} needs ref_logprobs and group_ids")
        check_finite("logprobs", logprobs, mask)
        check_finite("ref_logprobs", ref_logprobs, mask)
        scores = self.beta * (masked(logprobs, mask) - masked(ref_logprobs, mask)).sum(-1)
        losses, wins = [], []
        for g in torch.unique(group_ids):
            members = torch.nonzero(group_ids == g).flatten()
            order = members[torch.argsort(advantages[members], descending=True, stable=True)]
            r, s = advantages[order].float(), scores[order]
            if r[0] == r[-1]:
                continue  # no preference in this group
            if self.pairwise:
                better = r[:, None] > r[None, :]
                margins = (s[:, None] - s[None, :])[better]
                losses.append(-F.logsigmoid(margins))
                wins.append((margins > 0).float())
            else:
                k = len(order) if self.top_k is None else min(self.top_k, len(order))
                z = s / self.temperature
                tails = torch.stack([torch.logsumexp(z[i:], 0) for i in range(k)])
                losses.append(-(z[:k] - tails).sum()[None])
                wins.append((s[0] > s[1:]).float())
        if not losses:
            zero = (scores * 0).sum()  # keeps the graph; nothing to learn from this batch
            return zero, {"pairs": 0.0, "accuracy": 0.0, "tokens": float(mask.sum())}
        loss = torch.cat(losses).mean()
        return loss, {
            "pairs": float(sum(len(x) for x in wins)),
            "accuracy": torch.cat(wins).mean().item(),
            "tokens": float(mask.float().sum().item()),
        }


def dpo(**overrides: Any) -> Ranking:
    return Ranking(**{"name": "dpo", "beta": 0.1, "pairwise": True, **overrides})


def plackett_luce(**overrides: Any) -> Ranking:
    defaults = {"name": "plackett_luce", "beta": 0.1, "pairwise": False, "top_k": None}
    return Ranking(**{**defaults, **overrides})
