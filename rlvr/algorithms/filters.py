"""Batch filters and reward shaping from DAPO, and RFT's acceptance rule.

Each filter returns a keep mask over samples; the trainer drops (or zero-weights) the rest.
"""

from __future__ import annotations

import torch
from torch import Tensor


def dynamic_sampling(rewards: Tensor, group_ids: Tensor) -> Tensor:
    """DAPO: keep only groups whose rewards differ; an all-equal group has zero advantage and
    teaches nothing. Ties are exact comparisons of the group's min and max."""
    _, inverse = torch.unique(group_ids, return_inverse=True)
    n = int(inverse.max()) + 1 if len(inverse) else 0
    r = rewards.float()
    high = torch.full((n,), -torch.inf, device=r.device).scatter_reduce(0, inverse, r, "amax")
    low = torch.full((n,), torch.inf, device=r.device).scatter_reduce(0, inverse, r, "amin")
    return (high > low)[inverse]


def groups_missing(keep: Tensor, group_ids: Tensor, wanted: int) -> int:
    """How many more groups the trainer must draw to reach ``wanted`` kept groups."""
    kept = torch.unique(group_ids[keep]).numel()
    return max(0, wanted - kept)


def overlong_filter(truncated: Tensor) -> Tensor:
    """DAPO: keep only samples that ended on their own; a cut-off answer is not a wrong one."""
    return ~truncated.bool()


def soft_overlong_penalty(lengths: Tensor, max_length: int, cache: int) -> Tensor:
    """DAPO's soft overlong punishment, added to the reward: 0 up to ``max_length - cache``
    tokens, then linear down to -1 at ``max_length``, and -1 beyond."""
    if not 0 < cache <= max_length:
        raise ValueError(f"need 0 < cache <= max_length, got {cache}, {max_length}")
    over = lengths.float() - (max_length - cache)
    return -(over / cache).clamp(min=0.0, max=1.0)


def accept_top(
    rewards: Tensor, group_ids: Tensor, threshold: float, per_group: int, keys: Tensor | None = None
) -> Tensor:
    """RFT: keep samples with ``reward >= threshold``, at most ``per_group`` per prompt, and with
    ``keys`` (e.g. hashes of the completions) only distinct ones."""
    keep = torch.zeros_like(rewards, dtype=torch.bool)
    seen: dict[int, set[int]] = {}
    for i in torch.nonzero(rewards >= threshold).flatten().tolist():
        group = seen.setdefault(int(group_ids[i]), set())
        key = int(keys[i]) if keys is not None else i
        if len(group) < per_group and key not in group:
            group.add(key)
            keep[i] = True
    return keep


__all__ = [
    "accept_top",
    "dynamic_sampling",
    "groups_missing",
    "overlong_filter",
    "soft_overlong_penalty",
]
