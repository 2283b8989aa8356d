"""The algorithm contract, the clipped policy-gradient family, and the registry.

An algorithm is a few values chosen once: an advantage estimator, a per-token objective with its
aggregation, a KL term, and batch filters. The trainer calls only ``shape``, ``advantages``,
``select``, ``loss`` and reads ``needs_reference``; it never asks which algorithm it runs.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import torch
from torch import Tensor

from rlvr.algorithms import advantages as adv
from rlvr.algorithms import filters
from rlvr.algorithms.losses import (
    aggregation,
    check_finite,
    clipped_surrogate,
    kl,
    masked,
    sampled_entropy,
    token_mean,
)

Stats = dict[str, float]

ESTIMATORS: dict[str, Callable[..., Tensor]] = {
    "group-zscore": adv.group_zscore,
    "group-center": adv.group_center,
    "rloo": adv.leave_one_out,
    "batch-center": adv.batch_center,
}


class Algorithm:
    """What the trainer calls. Subclasses fill in ``advantages`` and ``loss``."""

    name = "algorithm"
    needs_reference = False
    needs_values = False
    """True: the trainer keeps a value head and passes per-token ``values``/``returns`` (PPO)."""
    whole_groups = False
    """True: ``loss`` compares samples within a group, so a micro-batch must hold whole groups."""

    def shape(self, rewards: Tensor, lengths: Tensor) -> Tensor:
        """Reward shaping that depends on the sample (DAPO's overlong penalty); default none."""
        return rewards.float()

    def advantages(self, rewards: Tensor, group_ids: Tensor) -> Tensor:
        raise NotImplementedError

    def select(
        self, rewards: Tensor, group_ids: Tensor, lengths: Tensor, truncated: Tensor
    ) -> Tensor:
        """Which samples to train on; default all."""
        return torch.ones_like(rewards, dtype=torch.bool)

    def loss(
        self,
        logprobs: Tensor,
        old_logprobs: Tensor,
        advantages: Tensor,
        mask: Tensor,
        ref_logprobs: Tensor | None = None,
        **extra: Any,
    ) -> tuple[Tensor, Stats]:
        raise NotImplementedError


@dataclass
class PolicyGradient(Algorithm):
    """``ℓ_t = -min(ρ_t A, clip(ρ_t, 1-ε_low, 1+ε_high) A) + β KL_t - c_H H_t``, aggregated.

    Every field is an override name of ``get_algorithm``.
    """

    name: str = "policy-gradient"
    advantage: str = "group-zscore"
    """One of ``ESTIMATORS``."""
    loss_agg: str = "seq-mean-token-mean"
    norm_len: float | None = None
    """The constant of ``seq-mean-token-sum-norm`` (e.g. the max generation length)."""
    clip_low: float = 0.2
    clip_high: float = 0.2
    dual_clip: float | None = None
    kl_coef: float = 0.0
    kl_estimator: str = "k3"
    std_eps: float = 1e-6
    entropy_coef: float = 0.0
    """Entropy bonus weight; needs ``entropy=`` (per-token) passed to ``loss``."""
    dynamic_sampling: bool = False
    overlong_filter: bool = False
    overlong_penalty: tuple[int, int] | None = None
    """``(max_length, cache)`` for DAPO's soft overlong punishment, in tokens."""
    batch_norm: bool = False
    """Whiten advantages over the batch after the estimator."""
    _aggregate: Callable[[Tensor, Tensor], Tensor] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.advantage not in ESTIMATORS:
            raise ValueError(
                f"unknown advantage {self.advantage!r}; choose from {list(ESTIMATORS)}"
            )
        if self.clip_low < 0 or self.clip_high < 0:
            raise ValueError("clip_low and clip_high must be >= 0")
        kl(torch.zeros(1), torch.zeros(1), self.kl_estimator)  # validates the name
        self._aggregate = aggregation(self.loss_agg, self.norm_len)

    @property
    def needs_reference(self) -> bool:  # type: ignore[override]
        return self.kl_coef != 0

    def shape(self, rewards: Tensor, lengths: Tensor) -> Tensor:
        if self.overlong_penalty is None:
            return rewards.float()
        return rewards.float() + filters.soft_overlong_penalty(lengths, *self.overlong_penalty)

    def advantages(self, rewards: Tensor, group_ids: Tensor) -> Tensor:
        estimator = ESTIMATORS[self.advantage]
        a = (
            estimator(rewards, group_ids, self.std_eps)
            if self.advantage == "group-zscore"
            else estimator(rewards, group_ids)
        )
        return adv.batch_normalize(a, self.std_eps) if self.batch_norm else a

    def select(
        self, rewards: Tensor, group_ids: Tensor, lengths: Tensor, truncated: Tensor
    ) -> Tensor:
        keep = torch.ones_like(rewards, dtype=torch.bool)
        if self.dynamic_sampling:
            keep &= filters.dynamic_sampling(rewards, group_ids)
        if self.overlong_filter:
            keep &= filters.overlong_filter(truncated)
        return keep

    def loss(
        self,
        logprobs: Tensor,
        old_logprobs: Tensor,
        advantages: Tensor,
        mask: Tensor,
        ref_logprobs: Tensor | None = None,
        entropy: Tensor | None = None,
        **extra: Any,
    ) -> tuple[Tensor, Stats]:
        _check_shapes(logprobs, old_logprobs, advantages, mask, ref_logprobs)
        check_finite("logprobs", logprobs, mask)
        check_finite("old_logprobs", old_logprobs, mask)
        logp, old = masked(logprobs, mask), masked(old_logprobs, mask)
        a = advantages.float()
        a = a[:, None] if a.dim() == 1 else a
        log_ratio = (logp - old).clamp(-20.0, 20.0)  # exp() stays finite
        ratio = torch.exp(log_ratio)
        per_token = clipped_surrogate(ratio, a, self.clip_low, self.clip_high, self.dual_clip)
        stats: Stats = {}
        if self.kl_coef:
            if ref_logprobs is None:
                raise ValueError(f"{self.name} has kl_coef={self.kl_coef}: pass ref_logprobs")
            check_finite("ref_logprobs", ref_logprobs, mask)
            kl_ref = kl(logp, masked(ref_logprobs, mask), self.kl_estimator)
            per_token = per_token + self.kl_coef * kl_ref
            stats["kl_ref"] = token_mean(kl_ref, mask).item()
        if self.entropy_coef and entropy is not None:
            per_token = per_token - self.entropy_coef * masked(entropy, mask)
        loss = self._aggregate(per_token, mask)
        return loss, {**stats, **_ratio_stats(ratio, log_ratio, a, mask, self), "entropy":
                      sampled_entropy(logp, mask).item()}  # fmt: skip


def _ratio_stats(
    ratio: Tensor, log_ratio: Tensor, a: Tensor, mask: Tensor, algo: PolicyGradient
) -> Stats:
    with torch.no_grad():
        low = ((ratio < 1 - algo.clip_low) & (a < 0)).float()
        high = ((ratio > 1 + algo.clip_high) & (a > 0)).float()
        return {
            "clip_frac_low": token_mean(low, mask).item(),
            "clip_frac_high": token_mean(high, mask).item(),
            "approx_kl": token_mean((ratio - 1) - log_ratio, mask).item(),
            "ratio_mean": token_mean(ratio, mask).item(),
            "tokens": float(mask.float().sum().item()),
        }


def _check_shapes(
    logprobs: Tensor, old: Tensor, advantages: Tensor, mask: Tensor, ref: Tensor | None
) -> None:
    if logprobs.dim() != 2:
        raise ValueError(f"logprobs must be [N, T], got shape {tuple(logprobs.shape)}")
    for name, x in (("old_logprobs", old), ("mask", mask), ("ref_logprobs", ref)):
        if x is not None and x.shape != logprobs.shape:
            raise ValueError(f"{name} has shape {tuple(x.shape)}, logprobs {tuple(logprobs.shape)}")
    if advantages.shape not in (logprobs.shape[:1], logprobs.shape):
        raise ValueError(
            f"advantages must be [N] or [N, T]; got {tuple(advantages.shape)} for logprobs "
            f"{tuple(logprobs.shape)}"
        )


# ---------------------------------------------------------------------------------- registry
_REGISTRY: dict[str, Callable[..., Algorithm]] = {}


def register_algorithm(name: str, factory: Callable[..., Algorithm]) -> None:
    """Make ``get_algorithm(name, **overrides)`` return ``factory(**overrides)``."""
    _REGISTRY[name] = factory


def get_algorithm(name: str, **overrides: Any) -> Algorithm:
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, _REGISTRY, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown algorithm {name!r}{hint} (known: {', '.join(sorted(_REGISTRY))})")
    try:
        return _REGISTRY[name](**overrides)
    except TypeError as err:
        if "unexpected keyword" not in str(err):
            raise
        algo = _REGISTRY[name]()
        known: list[str] = [f.name for f in fields(algo) if f.init] if is_dataclass(algo) else []
        raise TypeError(f"{name}: {err}; its overrides are {', '.join(known)}") from None


def registered_algorithms() -> list[str]:
    return sorted(_REGISTRY)
