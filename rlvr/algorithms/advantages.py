"""Advantage estimators. Pure tensor functions: rewards in, advantages out.

Group statistics are per prompt: ``group_ids[i]`` names the prompt sample ``i`` answers. The
group standard deviation is the unbiased (Bessel-corrected) one, as in TRL and verl; a group of
one has no spread and gets advantage 0.
"""

from __future__ import annotations

import torch
from torch import Tensor


def group_stats(rewards: Tensor, group_ids: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Per-sample group mean, unbiased group std and group size."""
    _, inverse, counts = torch.unique(group_ids, return_inverse=True, return_counts=True)
    r = rewards.float()
    sums = torch.zeros(len(counts), dtype=r.dtype, device=r.device).index_add_(0, inverse, r)
    mean = (sums / counts)[inverse]
    squares = torch.zeros_like(sums).index_add_(0, inverse, (r - mean) ** 2)
    var = squares / (counts - 1).clamp(min=1)
    return mean, var.sqrt()[inverse], counts[inverse]


def group_zscore(rewards: Tensor, group_ids: Tensor, eps: float = 1e-6) -> Tensor:
    """GRPO: ``A_i = (r_i - mean_g) / (std_g + eps)``."""
    mean, std, _ = group_stats(rewards, group_ids)
    return (rewards.float() - mean) / (std + eps)


def group_center(rewards: Tensor, group_ids: Tensor) -> Tensor:
    """Dr. GRPO: ``A_i = r_i - mean_g`` (no division by the std, which biases toward easy and
    hard prompts)."""
    mean, _, _ = group_stats(rewards, group_ids)
    return rewards.float() - mean


def leave_one_out(rewards: Tensor, group_ids: Tensor) -> Tensor:
    """RLOO: ``A_i = r_i - mean_{j != i} r_j`` over the other samples of the same prompt."""
    mean, _, counts = group_stats(rewards, group_ids)
    r = rewards.float()
    others = (mean * counts - r) / (counts - 1).clamp(min=1)
    return torch.where(counts > 1, r - others, torch.zeros_like(r))


def batch_center(rewards: Tensor, group_ids: Tensor | None = None) -> Tensor:
    """REINFORCE with a batch-mean baseline: ``A_i = r_i - mean(r)``."""
    return rewards.float() - rewards.float().mean()


def batch_normalize(advantages: Tensor, eps: float = 1e-6) -> Tensor:
    """Whiten advantages over the whole batch (unbiased std); a batch of one gives 0."""
    a = advantages.float()
    if a.numel() < 2:
        return torch.zeros_like(a)
    return (a - a.mean()) / (a.std() + eps)


def gae(
    rewards: Tensor, values: Tensor, mask: Tensor, gamma: float = 1.0, lam: float = 0.95
) -> tuple[Tensor, Tensor]:
    """Generalised advantage estimation over tokens (PPO).

    ``delta_t = r_t + gamma * V_{t+1} - V_t`` and ``A_t = delta_t + gamma * lam * A_{t+1}``, with
    ``V`` and ``A`` zero past each sequence's last real token. Returns ``(advantages, returns)``,
    both ``[N, T]``, where ``returns = A + V``.
    """
    m = mask.float()
    r, v = rewards.float() * m, values.float() * m
    advantages = torch.zeros_like(r)
    running = torch.zeros_like(r[:, 0])
    for t in reversed(range(r.shape[1])):
        next_value = v[:, t + 1] if t + 1 < r.shape[1] else torch.zeros_like(running)
        delta = r[:, t] + gamma * next_value - v[:, t]
        running = (delta + gamma * lam * running) * m[:, t]
        advantages[:, t] = running
    return advantages, advantages + v
