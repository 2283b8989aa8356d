"""One GRPO step in rlvr and in TRL's GRPOTrainer on the same work, timed by phase, in one run.

Same model (fp32, CPU), same prompts (two-digit addition from rlvr/Arithmetic-v0, chat format),
same reward (rlvr's verifier, through ``rlvr.integrations.trl`` for TRL), same B prompts x G
completions, completion length, temperature, micro-batch, AdamW learning rate and clipping.
The loss is matched: TRL ``loss_type="grpo"`` (sequence mean of token means) = rlvr ``grpo``;
``beta=0`` = ``kl_coef=0`` (no reference model); ``scale_rewards="group"`` = group z-score;
``num_iterations=1`` (one update per batch); ``epsilon=0.2`` both sides. Both sample with
``transformers.generate`` here (TRL's vLLM mode needs a server or colocated CUDA; rlvr's vLLM
figure is ``benchmarks/sampling.py``), so the step figures compare the loops, not the engines.

Phases: generation (TRL: time inside ``model.generate``), reward (inside the reward function),
and the rest of the step (log-probs, loss, backward, optimizer: "update"). The first step of each
is a warm-up and is not timed. After the timed steps, both print their mean reward, which shows
the learning side on equal steps (a handful of steps: a sanity check, not a learning curve).

    pip install -e '.[bench]'      # installs trl
    python benchmarks/grpo_step_vs_trl.py [--quick] [--model tiny|PATH] [--steps N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

ENV, ENV_KWARGS = "rlvr/Arithmetic-v0", {"digits": 2, "operators": "+"}


def load(name: str) -> tuple[Any, Any]:
    if name == "tiny":
        from tiny_model import tiny_model, tiny_tokenizer

        return tiny_model(), tiny_tokenizer()
    from rlvr.training.models import load_model

    return load_model(None if name == "smollm2" else name)


def prompts(count: int, seed: int = 0) -> list[dict[str, Any]]:
    env = gym.make(ENV, **ENV_KWARGS).unwrapped
    env.reset(seed=seed)
    return [
        {"prompt": info["messages"], "reference": info["reference"]}
        for _, info in env.sample(count)  # type: ignore[attr-defined]
    ]


def run_rlvr(args: argparse.Namespace) -> dict[str, Any]:
    from rlvr.rollout import HFSampler
    from rlvr.training import TrainConfig, Trainer

    model, tokenizer = load(args.model)
    with tempfile.TemporaryDirectory() as out:
        config = TrainConfig(
            env=ENV, env_kwargs=ENV_KWARGS, algo="grpo", algo_kwargs={"kl_coef": 0.0},
            prompts_per_step=args.prompts, group_size=args.group, max_new_tokens=args.tokens,
            temperature=args.temperature, lr=args.lr, micro_batch=args.micro_batch,
            steps=args.steps + 1, save_every=0, log_samples_every=0, max_draws=1, out=out,
        )  # fmt: skip
        sampler = HFSampler(model, tokenizer, batch_size=args.prompts)
        trainer = Trainer(config, model, tokenizer, sampler=sampler)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            steps = [trainer.step() for _ in range(args.steps + 1)]
    timed = steps[1:]
    return {
        "step": statistics.median(s["seconds"] for s in timed),
        "generation": statistics.median(s["sample_s"] for s in timed),
        "reward": statistics.median(s["verify_s"] for s in timed),
        "update": statistics.median(s["update_s"] for s in timed),
        "mean_reward": statistics.mean(s["reward_mean"] for s in steps),
    }


def run_trl(args: argparse.Namespace) -> dict[str, Any]:
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from rlvr.integrations.trl import reward_function

    model, tokenizer = load(args.model)
    clock: dict[str, float] = {"generation": 0.0, "reward": 0.0}
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

    steps: list[dict[str, float]] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, *_: Any, **__: Any) -> None:
            clock.update(generation=0.0, reward=0.0, start=time.perf_counter())

        def on_step_end(self, *_: Any, **__: Any) -> None:
            total = time.perf_counter() - clock["start"]
            steps.append({"step": total, "generation": clock["generation"],
                          "reward": clock["reward"],
                          "update": total - clock["generation"] - clock["reward"]})  # fmt: skip

    batch = args.prompts * args.group
    with tempfile.TemporaryDirectory() as out:
        config = GRPOConfig(
            output_dir=out, use_cpu=True, bf16=False, max_steps=args.steps + 1,
            per_device_train_batch_size=args.micro_batch,
            gradient_accumulation_steps=batch // args.micro_batch,
            num_generations=args.group, max_completion_length=args.tokens,
            temperature=args.temperature, learning_rate=args.lr, lr_scheduler_type="constant",
            warmup_steps=0, weight_decay=0.0, max_grad_norm=1.0, loss_type="grpo", beta=0.0,
            scale_rewards="group", num_iterations=1, epsilon=0.2, report_to="none",
            logging_steps=1, save_strategy="no", disable_dropout=True, seed=0,
            dataloader_num_workers=0,
        )  # fmt: skip
        data = Dataset.from_list(prompts(batch * (args.steps + 2)))
        trainer = GRPOTrainer(
            model=model, reward_funcs=[reward], args=config, train_dataset=data,
            processing_class=tokenizer, callbacks=[Clock()],
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer.train()
    timed = steps[1:]
    return {
        **{key: statistics.median(s[key] for s in timed) for key in timed[0]},
        "mean_reward": statistics.mean(rewards),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2", help="smollm2, tiny, or a local path")
    parser.add_argument("--steps", type=int, default=3, help="timed steps after the warm-up")
    parser.add_argument("--quick", action="store_true", help="tiny model, 1 timed step")
    args = parser.parse_args()
    args.prompts, args.group, args.tokens, args.temperature = 4, 8, 48, 0.7
    args.lr, args.micro_batch = 2e-5, 16
    if args.quick:
        args.model, args.steps = "tiny", 1
    torch.manual_seed(0)
    print(f"{time.strftime('%Y-%m-%d')}  model={args.model}  B={args.prompts} G={args.group} "
          f"max_new_tokens={args.tokens} T={args.temperature} lr={args.lr} "
          f"micro_batch={args.micro_batch} timed steps={args.steps}")  # fmt: skip
    print(
        "matched: loss_type=grpo (seq-mean-token-mean), beta=0, scale_rewards=group, "
        "num_iterations=1, epsilon=0.2, AdamW, max_grad_norm=1, fp32, transformers.generate"
    )
    ours, theirs = run_rlvr(args), run_trl(args)
    print(f"{'seconds (median)':<18}{'rlvr':>9}{'trl':>9}{'trl/rlvr':>10}")
    for key in ("step", "generation", "reward", "update"):
        ratio = theirs[key] / ours[key] if ours[key] > 0 else float("nan")
        print(f"{key:<18}{ours[key]:>9.3f}{theirs[key]:>9.3f}{ratio:>9.2f}x")
    print(f"{'mean reward':<18}{ours['mean_reward']:>9.3f}{theirs['mean_reward']:>9.3f}")


if __name__ == "__main__":
    main()
