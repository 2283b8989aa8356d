"""SFT and RFT: maximum likelihood on chosen samples.

SFT:  ℓ = mean_i 1/|o_i| Σ_t -log π(o_it)             (per-sequence length-normalised NLL)
RFT (rejection-sampling fine-tuning; Yuan et al., 2023, "Scaling Relationship on Learning
Mathematical Reasoning with LLMs"): sample, keep the samples whose reward reaches a threshold,
at most k distinct per prompt, and train them with the token-level NLL

      ℓ = Σ_i Σ_t -log π(o_it) / Σ_i |o_i|.

RFT is a filter and an SFT loss: the advantages are ones (each kept sample counts once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from rlvr.algorithms import filters
from rlvr.algorithms.base import Algorithm, Stats
from rlvr.algorithms.losses import aggregation, check_finite, masked


@dataclass
class Likelihood(Algorithm):
    name: str = "sft"
    loss_agg: str = "seq-mean-token-mean"
    threshold: float | None = None
    """Keep samples with reward >= threshold (None keeps all)."""
    per_group: int = 1_000_000
    """At most this many kept samples per prompt."""
    _aggregate: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._aggregate = aggregation(self.loss_agg)

    def accumulation_weights(self, lengths: Tensor) -> Tensor:
        return lengths.float() if self.loss_agg == "token-mean" else torch.ones(len(lengths))

    def advantages(self, rewards: Tensor, group_ids: Tensor) -> Tensor:
        return torch.ones_like(rewards, dtype=torch.float32)

    def select(
        self,
        rewards: Tensor,
        group_ids: Tensor,
        lengths: Tensor,
        truncated: Tensor,
        keys: Tensor | None = None,
    ) -> Tensor:
        if self.threshold is None:
            return torch.ones_like(rewards, dtype=torch.bool)
        return filters.accept_top(rewards, group_ids, self.threshold, self.per_group, keys)

    def loss(
        self,
        logprobs: Tensor,
        old_logprobs: Tensor | None,
        advantages: Tensor,
        mask: Tensor,
        ref_logprobs: Tensor | None = None,
        **extra: Any,
    ) -> tuple[Tensor, Stats]:
        check_finite("logprobs", logprobs, mask)
        weights = advantages.float()[:, None] if advantages.dim() == 1 else advantages.float()
        loss = self._aggregate(-masked(logprobs, mask) * weights, mask)
        return loss, {"nll": loss.item(), "tokens": float(mask.float().sum().item())}


def sft(**overrides: Any) -> Likelihood:
    return Likelihood(**{"name": "sft", "loss_agg": "seq-mean-token-mean", **overrides})


def rft(**overrides: Any) -> Likelihood:
    defaults = {"name": "rft", "loss_agg": "token-mean", "threshold": 1.0, "per_group": 4}
    return Likelihood(**{**defaults, **overrides})
