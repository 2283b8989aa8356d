"""Algorithms (and updates per batch) on the same env, seed and step budget.

Each variant trains from the same starting weights on the same prompt stream, and held-out
greedy accuracy is measured before training and every ``--eval-every`` steps. The x axis is
training wall time (sampling + verification + update; the evaluations are not counted). Writes
one PNG and prints one table, with each variant's mean clip fractions.

Default: SmolLM2-135M-Instruct on two-digit addition, B=2 prompts x G=8, 48 new tokens, a short
budget that fits in about 10 minutes on a 2-core CPU (raise ``--steps`` for a real comparison).
``--set ratio``: GRPO with one and with two updates per batch, GSPO and CISPO (two updates, so
their ratios act) on two-digit addition and subtraction mixed: the model starts near 0% on
subtraction and does not saturate the mix in 12 steps (addition alone it does, subtraction alone
gives almost no group a correct sample, three-digit addition none).
``--quick``: the tests' tiny model on a toy task (emit digits), in seconds.

    python benchmarks/learning_curves.py [--quick] [--set ratio] [--steps N] [--eval-n N]
                                         [--out curves.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import rlvr
from rlvr.training import TrainConfig, Trainer
from rlvr.verifiers import Verdict

# label: (algorithm, algo_kwargs, other TrainConfig fields)
VARIANTS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "grpo": ("grpo", {}, {}),
    "dr_grpo": ("dr_grpo", {}, {}),
    "dapo": ("dapo", {"overlong_penalty": None}, {}),
    "rft": ("rft", {}, {}),
    "rloo": ("rloo", {}, {}),
    "reinforce": ("reinforce", {}, {}),
    "grpo, 2 epochs": ("grpo", {}, {"epochs": 2}),
    "gspo, 2 epochs": ("gspo", {}, {"epochs": 2}),
    "cispo, 2 epochs": ("cispo", {}, {"epochs": 2}),
}
SETS = {
    "algorithms": ["grpo", "dr_grpo", "dapo", "rft", "rloo", "reinforce"],
    "ratio": ["grpo", "grpo, 2 epochs", "gspo, 2 epochs", "cispo, 2 epochs"],
}


def _digits(completion: str, reference: str) -> Verdict:
    score = sum(ch.isdigit() for ch in completion[:6]) / 6
    return Verdict(score, score == 1.0, completion[:6], "digits")


def setup(args: argparse.Namespace) -> dict[str, Any]:
    """Config fields shared by every variant."""
    if not args.quick and args.set == "ratio":
        return {"env": "rlvr/Arithmetic-v0", "env_kwargs": {"digits": 2, "operators": "+-"},
                "prompts_per_step": 4, "group_size": 8, "max_new_tokens": 48,
                "eval_n": args.eval_n or 50, "sampler": args.sampler}  # fmt: skip
    if not args.quick:
        return {"env": "rlvr/Arithmetic-v0", "prompts_per_step": 2, "group_size": 8,
                "max_new_tokens": 48, "eval_n": args.eval_n or 50,
                "sampler": args.sampler}  # fmt: skip
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    rows = [{"prompt": p, "reference": ""} for p in ("abc", "xyz", "cab", "zzz", "yay", "bat")]
    rlvr.register_task("bench/Digits-v0", source=rows, verifier=_digits)
    return {"env": "bench/Digits-v0", "prompts_per_step": 4, "group_size": 8,
            "max_new_tokens": 6, "lr": 3e-3, "eval_n": 6, "sampler": "hf"}  # fmt: skip


def model(args: argparse.Namespace) -> tuple[Any, Any]:
    if args.quick:
        from tiny_model import tiny_model, tiny_tokenizer

        return tiny_model(), tiny_tokenizer()
    from rlvr.training.models import load_model

    return load_model(args.model)


def curve(
    label: str, args: argparse.Namespace, shared: dict[str, Any]
) -> tuple[list[tuple[float, float]], float]:
    """(training seconds, held-out accuracy) points from step 0, and the mean clip fraction."""
    policy, tokenizer = model(args)
    algo, algo_kwargs, fields = VARIANTS[label]
    clipped = []
    with tempfile.TemporaryDirectory() as out:
        config = TrainConfig(
            algo=algo, algo_kwargs=algo_kwargs, steps=args.steps, eval_every=args.eval_every,
            save_every=0, log_samples_every=0, seed=0, out=out, **fields, **shared,
        )  # fmt: skip
        trainer = Trainer(config, policy, tokenizer)
        points, elapsed = [(0.0, trainer.held_out(progress=False)[0])], 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(args.steps):
                metrics = trainer.step()
                elapsed += metrics["seconds"]
                clipped.append(
                    metrics.get("algo/clip_frac_low", 0.0) + metrics.get("algo/clip_frac_high", 0.0)
                )
                if "eval_accuracy" in metrics:
                    points.append((elapsed, metrics["eval_accuracy"]))
        trainer.close()
    return points, sum(clipped) / len(clipped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="hub id or local path (default: SmolLM2-135M-Instruct)")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--eval-every", type=int, default=4)
    parser.add_argument("--eval-n", type=int, help="held-out problems per evaluation (default 50)")
    parser.add_argument("--set", choices=SETS, default="algorithms", help="which variants")
    parser.add_argument("--algos", help=f"comma-separated variants instead: {', '.join(VARIANTS)}")
    parser.add_argument("--sampler", default="auto", help="auto, vllm or hf")
    parser.add_argument("--out", type=Path, default=Path("learning_curves.png"))
    parser.add_argument("--quick", action="store_true", help="tiny model, toy task, seconds")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.eval_every = 20, 5
    shared = setup(args)
    labels = args.algos.split(",") if args.algos else SETS[args.set]
    unknown = [label for label in labels if label not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
    print(
        f"{time.strftime('%Y-%m-%d')}  env={shared['env']} {shared.get('env_kwargs', '')}  "
        f"steps={args.steps}  B={shared['prompts_per_step']} G={shared['group_size']}  seed=0"
    )
    runs = {label: curve(label, args, shared) for label in labels}
    print(f"{'variant':<18}{'start':>8}{'end':>8}{'best':>8}{'train s':>10}{'clipped':>10}")
    for label, (points, clipped) in runs.items():
        accs = [a for _, a in points]
        print(f"{label:<18}{accs[0]:>8.1%}{accs[-1]:>8.1%}{max(accs):>8.1%}"
              f"{points[-1][0]:>10.0f}{clipped:>10.2%}")  # fmt: skip
    curves = {label: points for label, (points, _) in runs.items()}
    args.out.with_suffix(".json").write_text(json.dumps(curves))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no PNG (pip install 'rlvr[plot]')")
        return
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, points in curves.items():
        ax.plot(*zip(*points), marker="o", label=name)
    title = f"{shared['env']} {shared.get('env_kwargs', '')}".strip()
    ax.set(xlabel="training seconds", ylabel="held-out greedy accuracy", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
