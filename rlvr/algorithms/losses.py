"""The pieces of a policy objective: clipped importance ratio, KL, entropy, and aggregation.

Per token, with ``ρ = exp(logπ - logπ_old)``:

    ℓ = -min(ρ·A, clip(ρ, 1 - ε_low, 1 + ε_high)·A) + β·KL(π || π_ref)

and the batch loss aggregates ℓ over the mask ``m`` in one of three ways (``AGGREGATIONS``):
``token-mean`` = Σ_i Σ_t ℓ·m / Σ_i Σ_t m; ``seq-mean-token-mean`` = mean_i (Σ_t ℓ·m / Σ_t m);
``seq-mean-token-sum-norm`` = Σ_i Σ_t ℓ·m / (N · norm_len).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

Aggregate = Callable[[Tensor, Tensor], Tensor]


def check_finite(name: str, x: Tensor, mask: Tensor) -> None:
    """Padding may hold anything (even -inf); real tokens must be finite."""
    if not torch.isfinite(x.float()[mask.bool()]).all():
        raise ValueError(
            f"{name} has inf or nan at unmasked positions; a sampled token with probability 0 "
            "usually means the sampler and the learner disagree (check dtype and weights)"
        )


def masked(x: Tensor, mask: Tensor) -> Tensor:
    """``x`` as float32 with padding replaced by 0, so it cannot leak inf/nan into sums."""
    return torch.where(
        mask.bool(), x.float(), torch.zeros((), dtype=torch.float32, device=x.device)
    )


def token_mean(per_token: Tensor, mask: Tensor) -> Tensor:
    m = mask.float()
    return (per_token * m).sum() / m.sum().clamp(min=1)


def seq_mean_token_mean(per_token: Tensor, mask: Tensor) -> Tensor:
    m = mask.float()
    lengths = m.sum(-1)
    per_sequence = (per_token * m).sum(-1) / lengths.clamp(min=1)
    has_tokens = lengths > 0  # an empty sequence has no mean; it does not count
    return per_sequence[has_tokens].sum() / has_tokens.sum().clamp(min=1)


def seq_mean_token_sum_norm(norm_len: float) -> Aggregate:
    def aggregate(per_token: Tensor, mask: Tensor) -> Tensor:
        return (per_token * mask.float()).sum() / (per_token.shape[0] * norm_len)

    return aggregate


def aggregation(name: str, norm_len: float | None = None) -> Aggregate:
    """Pick the aggregation once, as a value."""
    if name == "token-mean":
        return token_mean
    if name == "seq-mean-token-mean":
        return seq_mean_token_mean
    if name == "seq-mean-token-sum-norm":
        if not norm_len or norm_len <= 0:
            raise ValueError("seq-mean-token-sum-norm needs norm_len > 0 (e.g. the max new tokens)")
        return seq_mean_token_sum_norm(norm_len)
    raise ValueError(f"unknown loss_agg {name!r}; choose one of {AGGREGATIONS}")


AGGREGATIONS = ("token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm")


def clipped_surrogate(
    ratio: Tensor,
    advantages: Tensor,
    clip_low: float,
    clip_high: float,
    dual_clip: float | None = None,
) -> Tensor:
    """Per-token ``-min(ρA, clip(ρ, 1-ε_low, 1+ε_high)A)``; with ``dual_clip = c > 1`` the loss
    of a negative advantage is also capped at ``-c·A`` (dual-clip PPO)."""
    unclipped = -ratio * advantages
    clipped = -ratio.clamp(1 - clip_low, 1 + clip_high) * advantages
    loss = torch.maximum(unclipped, clipped)
    if dual_clip is not None:
        if dual_clip <= 1:
            raise ValueError(f"dual_clip must exceed 1, got {dual_clip}")
        loss = torch.where(advantages < 0, torch.minimum(loss, -dual_clip * advantages), loss)
    return loss


def kl(logprobs: Tensor, ref_logprobs: Tensor, estimator: str = "k3") -> Tensor:
    """Per-token estimate of KL(π || π_ref) from the sampled tokens' log-probs.

    k1 = log π - log π_ref; k2 = ½ (log π - log π_ref)²; k3 = π_ref/π - log(π_ref/π) - 1
    (unbiased and non-negative; Schulman, "Approximating KL divergence", 2020).
    """
    log_ratio = logprobs - ref_logprobs
    if estimator == "k1":
        return log_ratio
    if estimator == "k2":
        return 0.5 * log_ratio**2
    if estimator == "k3":
        return torch.expm1(-log_ratio) + log_ratio
    raise ValueError(f"unknown kl_estimator {estimator!r}; choose 'k1', 'k2' or 'k3'")


def kl_penalized_rewards(
    rewards: Tensor, logprobs: Tensor, ref_logprobs: Tensor, mask: Tensor, beta: float
) -> Tensor:
    """PPO/RLHF style: per-token rewards ``r_t = -β log(π/π_ref)``, plus the sequence reward on
    its last real token. Returns ``[N, T]`` for :func:`~rlvr.algorithms.advantages.gae`."""
    m = mask.float()
    per_token = -beta * masked(logprobs - ref_logprobs, mask)
    last = (m.cumsum(-1) == m.sum(-1, keepdim=True)) & mask.bool()
    return per_token + torch.where(last, rewards.float()[:, None], torch.zeros_like(per_token))


def entropy_from_logits(logits: Tensor) -> Tensor:
    """Exact per-position entropy of the policy, ``[N, T]`` from ``[N, T, V]`` logits."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    return -(logp.exp() * logp).sum(-1)


def sampled_entropy(logprobs: Tensor, mask: Tensor) -> Tensor:
    """Monte-Carlo entropy from the sampled tokens alone: the mean of ``-log π(token)``."""
    return token_mean(-masked(logprobs, mask), mask)
