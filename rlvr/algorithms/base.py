"""The algorithm contract, the clipped policy-gradient family, and the registry.

An algorithm is a few values chosen once: an advantage estimator, a per-token objective with its
aggregation, a KL term, and batch filters. The trainer calls only the methods of ``Algorithm``
(``shape``, ``advantages``, ``select``, ``token_advantages``, ``loss``, ``accumulation_weights``,
``critic``, ``with_budget``) and reads ``needs_reference``, ``needs_entropy`` and ``whole_groups``;
it never asks which algorithm it runs.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

import torch
from torch import Tensor

from rlvr.algorithms import advantages as adv
from rlvr.algorithms import filters
from rlvr.algorithms.losses import (
    AGGREGATIONS,
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
    needs_entropy = False
    """True: the trainer computes each token's entropy over the vocabulary (``entropy=``)."""
    whole_groups = False
    """True: ``loss`` compares samples within a group, so a micro-batch must hold whole groups."""

    def shape(self, rewards: Tensor, lengths: Tensor) -> Tensor:
        """Reward shaping that depends on the sample (DAPO's overlong penalty); default none."""
        return rewards.float()

    def advantages(self, rewards: Tensor, group_ids: Tensor) -> Tensor:
        raise NotImplementedError

    def select(
        self,
        rewards: Tensor,
        group_ids: Tensor,
        lengths: Tensor,
        truncated: Tensor,
        keys: Tensor | None = None,
    ) -> Tensor:
        """Which samples to train on; default all. ``keys`` identify equal completions."""
        return torch.ones_like(rewards, dtype=torch.bool)

    def token_advantages(
        self,
        advantages: Tensor,
        old_logprobs: Tensor,
        ref_logprobs: Tensor | None,
        old_values: Tensor | None,
        mask: Tensor,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """The advantages ``loss`` receives, and extra ``loss`` inputs, from the sequence
        advantages and the values before the update. Default: the sequence advantages."""
        return advantages, {}

    def critic(self, hidden_size: int) -> torch.nn.Module | None:
        """A trainable head on the policy's last hidden state (PPO's value function), or None.
        Its output, per token, reaches ``loss`` as ``values``."""
        return None

    def accumulation_weights(self, lengths: Tensor) -> Tensor:
        """How much each sample weighs when micro-batch means are combined into the batch's:
        rows for a mean over sequences (default), tokens for a mean over tokens."""
        return torch.ones(len(lengths))

    def with_budget(self, max_new_tokens: int) -> Algorithm:
        """This algorithm with its unset length-dependent fields derived from the generation
        budget (Dr. GRPO's ``norm_len``, DAPO's overlong window); default unchanged."""
        return self

    def overrides(self) -> dict[str, Any]:
        """The values of every field ``get_algorithm`` accepts: a resolved, reproducible config."""
        if not is_dataclass(self):
            return {}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init and f.name != "name"}

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
    """The constant of ``seq-mean-token-sum-norm``; unset, the trainer uses ``max_new_tokens``."""
    clip_low: float = 0.2
    clip_high: float = 0.2
    dual_clip: float | None = None
    kl_coef: float = 0.0
    kl_estimator: str = "k3"
    std_eps: float = 1e-6
    entropy_coef: float = 0.0
    """Entropy bonus weight (the trainer then computes each token's entropy)."""
    dynamic_sampling: bool = False
    overlong_filter: bool = False
    overlong_penalty: tuple[int, int] | str | None = None
    """``(max_length, cache)`` for DAPO's soft overlong punishment, in tokens; ``"auto"``: the
    generation budget and its last fifth (the paper's 20480 and 4096)."""
    batch_norm: bool = False
    """Whiten advantages over the batch after the estimator."""

    def __post_init__(self) -> None:
        if self.advantage not in ESTIMATORS:
            raise ValueError(
                f"unknown advantage {self.advantage!r}; choose from {list(ESTIMATORS)}"
            )
        if self.clip_low < 0 or self.clip_high < 0:
            raise ValueError("clip_low and clip_high must be >= 0")
        kl(torch.zeros(1), torch.zeros(1), self.kl_estimator)  # validates the name
        if self.loss_agg not in AGGREGATIONS:
            raise ValueError(f"unknown loss_agg {self.loss_agg!r}; choose one of {AGGREGATIONS}")
        if isinstance(self.overlong_penalty, list):  # from a YAML or JSON config
            self.overlong_penalty = tuple(self.overlong_penalty)  # type: ignore[assignment]
        if isinstance(self.overlong_penalty, str) and self.overlong_penalty != "auto":
            raise ValueError("overlong_penalty must be (max_length, cache), 'auto' or None")

    @property
    def needs_reference(self) -> bool:  # type: ignore[override]
        return self.kl_coef != 0

    @property
    def needs_entropy(self) -> bool:  # type: ignore[override]
        return self.entropy_coef != 0

    def _aggregate(self, per_token: Tensor, mask: Tensor) -> Tensor:
        return aggregation(self.loss_agg, self.norm_len)(per_token, mask)

    def accumulation_weights(self, lengths: Tensor) -> Tensor:
        return lengths.float() if self.loss_agg == "token-mean" else torch.ones(len(lengths))

    def with_budget(self, max_new_tokens: int) -> PolicyGradient:
        changes: dict[str, Any] = {}
        if self.loss_agg == "seq-mean-token-sum-norm" and self.norm_len is None:
            changes["norm_len"] = max_new_tokens
        if self.overlong_penalty == "auto":
            changes["overlong_penalty"] = (max_new_tokens, max(1, max_new_tokens // 5))
        return replace(self, **changes) if changes else self

    def shape(self, rewards: Tensor, lengths: Tensor) -> Tensor:
        if self.overlong_penalty is None:
            return rewards.float()
        if isinstance(self.overlong_penalty, str):
            raise ValueError(f"{self.name}: overlong_penalty='auto' needs with_budget(max tokens)")
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
        self,
        rewards: Tensor,
        group_ids: Tensor,
        lengths: Tensor,
        truncated: Tensor,
        keys: Tensor | None = None,
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
        per_token, stats = self.policy_term(logp, old, a, mask)
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
        return loss, {**stats, "entropy": sampled_entropy(logp, mask).item()}

    def policy_term(
        self, logp: Tensor, old: Tensor, a: Tensor, mask: Tensor
    ) -> tuple[Tensor, Stats]:
        """Per-token ``-min(ρA, clip(ρ)A)`` (padding already zeroed, ``a`` is ``[N, 1]`` or
        ``[N, T]``) and the ratio's statistics. GSPO and CISPO change only this."""
        log_ratio = (logp - old).clamp(-20.0, 20.0)  # exp() stays finite
        ratio = torch.exp(log_ratio)
        per_token = clipped_surrogate(ratio, a, self.clip_low, self.clip_high, self.dual_clip)
        with torch.no_grad():
            low = ((ratio < 1 - self.clip_low) & (a < 0)).float()
            high = ((ratio > 1 + self.clip_high) & (a > 0)).float()
            stats = ratio_stats(ratio, log_ratio, mask)
        return per_token, {
            "clip_frac_low": token_mean(low, mask).item(),
            "clip_frac_high": token_mean(high, mask).item(),
            **stats,
        }


def ratio_stats(ratio: Tensor, log_ratio: Tensor, mask: Tensor) -> Stats:
    """Mean ratio, the k3 estimate of KL(π_old || π) and the token count, over the mask."""
    with torch.no_grad():
        return {
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
