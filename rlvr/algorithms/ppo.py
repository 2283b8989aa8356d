"""PPO (Schulman et al., 2017) with a value head, as in RLHF (Ouyang et al., 2022).

Per-token rewards carry the KL penalty (r_t = -β log(π/π_ref), plus the sequence reward on the
last token: ``losses.kl_penalized_rewards``), advantages come from GAE(γ, λ) over a value
function (``advantages.gae``), and the loss is

    ℓ = agg_t[ -min(ρ_t A_t, clip(ρ_t, 1-ε, 1+ε) A_t) ] + c_V · agg_t[ ½ max((V_t - R_t)²,
          (clip(V_t, V_old,t - ε_V, V_old,t + ε_V) - R_t)²) ]

The value function is a linear head on the policy's last hidden state (``critic``); the trainer
trains it with the policy and passes its per-token output to ``loss`` as ``values``.
``token_advantages`` turns the sequence rewards into per-token advantages and returns from the
values before the update, so with several updates per batch (``epochs``, ``mini_batches``) they
stay those of the policy that sampled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from rlvr.algorithms.advantages import gae
from rlvr.algorithms.base import PolicyGradient, Stats
from rlvr.algorithms.losses import kl_penalized_rewards, masked


@dataclass
class PPO(PolicyGradient):
    value_coef: float = 0.5
    value_clip: float = 0.2
    gamma: float = 1.0
    lam: float = 0.95
    reward_kl_coef: float = 0.0
    """β of the per-token KL penalty in the rewards (``kl_penalized_rewards``)."""

    @property
    def needs_reference(self) -> bool:  # type: ignore[override]
        return self.kl_coef != 0 or self.reward_kl_coef != 0

    def critic(self, hidden_size: int) -> torch.nn.Module:
        return torch.nn.Linear(hidden_size, 1)

    def advantages(self, rewards: Tensor, group_ids: Tensor) -> Tensor:
        """The sequence reward itself: it is the last token's reward in ``token_advantages``."""
        return rewards.float()

    def token_advantages(
        self,
        advantages: Tensor,
        old_logprobs: Tensor,
        ref_logprobs: Tensor | None,
        old_values: Tensor | None,
        mask: Tensor,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """GAE over the KL-penalised per-token rewards; ``advantages`` are the sequence rewards."""
        if old_values is None:
            raise ValueError("PPO's advantages need the critic's values before the update")
        ref = old_logprobs if ref_logprobs is None else ref_logprobs
        rewards = kl_penalized_rewards(advantages, old_logprobs, ref, mask, self.reward_kl_coef)
        token_advantages, returns = gae(rewards, old_values, mask, self.gamma, self.lam)
        return token_advantages, {"old_values": old_values, "returns": returns}

    def loss(
        self,
        logprobs: Tensor,
        old_logprobs: Tensor,
        advantages: Tensor,
        mask: Tensor,
        ref_logprobs: Tensor | None = None,
        entropy: Tensor | None = None,
        *,
        values: Tensor | None = None,
        old_values: Tensor | None = None,
        returns: Tensor | None = None,
        **extra: Any,
    ) -> tuple[Tensor, Stats]:
        loss, stats = super().loss(logprobs, old_logprobs, advantages, mask, ref_logprobs, entropy)
        if values is None:
            return loss, stats
        if old_values is None or returns is None:
            raise ValueError("the value loss needs values, old_values and returns together")
        v, v_old, ret = masked(values, mask), masked(old_values, mask), masked(returns, mask)
        clipped = v_old + (v - v_old).clamp(-self.value_clip, self.value_clip)
        value_loss = 0.5 * self._aggregate(((v - ret) ** 2).maximum((clipped - ret) ** 2), mask)
        stats["value_loss"] = value_loss.item()
        return loss + self.value_coef * value_loss, stats


def ppo(**overrides: Any) -> PPO:
    defaults = dict(
        name="ppo", loss_agg="token-mean", clip_low=0.2, clip_high=0.2, kl_coef=0.0
    )  # the KL lives in the rewards (kl_penalized_rewards)
    return PPO(**{**defaults, **overrides})
