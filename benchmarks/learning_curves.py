"""GRPO, Dr. GRPO, DAPO, RFT, RLOO and REINFORCE on the same env, seed and step budget.

Each algorithm trains from the same starting weights on the same prompt stream, and held-out
greedy accuracy is measured before training and every ``--eval-every`` steps. The x axis is
training wall time (sampling + verification + update; the evaluations are not counted). Writes
one PNG and prints one table.

Default: SmolLM2-135M-Instruct on two-digit addition, B=2 prompts x G=8, 48 new tokens, a short
budget that fits in about 10 minutes on a 2-core CPU (raise ``--steps`` for a real comparison).
``--quick``: the tests' tiny model on a toy task (emit digits), in seconds.

    python benchmarks/learning_curves.py [--quick] [--steps N] [--out curves.png]
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

ALGOS = {
    "grpo": {"kl_coef": 0.0},
    "dr_grpo": {},
    "dapo": {"overlong_penalty": None},
    "rft": {},
    "rloo": {},
    "reinforce": {},
}


def _digits(completion: str, reference: str) -> Verdict:
    score = sum(ch.isdigit() for ch in completion[:6]) / 6
    return Verdict(score, score == 1.0, completion[:6], "digits")


def setup(args: argparse.Namespace) -> dict[str, Any]:
    """Config fields shared by every algorithm, and how to build a fresh model."""
    if not args.quick:
        return {"env": "rlvr/Arithmetic-v0", "prompts_per_step": 2, "group_size": 8,
                "max_new_tokens": 48, "eval_n": 50}  # fmt: skip
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


def curve(name: str, args: argparse.Namespace, shared: dict[str, Any]) -> list[tuple[float, float]]:
    """(training seconds, held-out accuracy) points, from step 0."""
    policy, tokenizer = model(args)
    dr = {"norm_len": shared["max_new_tokens"]} if name == "dr_grpo" else {}
    with tempfile.TemporaryDirectory() as out:
        config = TrainConfig(
            algo=name, algo_kwargs={**ALGOS[name], **dr}, steps=args.steps,
            eval_every=args.eval_every, save_every=0, log_samples_every=0, seed=0, out=out,
            **shared,
        )  # fmt: skip
        trainer = Trainer(config, policy, tokenizer)
        points, elapsed = [(0.0, trainer.held_out()[0])], 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(args.steps):
                metrics = trainer.step()
                elapsed += metrics["seconds"]
                if "eval_accuracy" in metrics:
                    points.append((elapsed, metrics["eval_accuracy"]))
        trainer.close()
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="hub id or local path (default: SmolLM2-135M-Instruct)")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--eval-every", type=int, default=4)
    parser.add_argument("--algos", default=",".join(ALGOS), help="comma-separated subset")
    parser.add_argument("--out", type=Path, default=Path("learning_curves.png"))
    parser.add_argument("--quick", action="store_true", help="tiny model, toy task, seconds")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.eval_every = 20, 5
    shared = setup(args)
    print(f"{time.strftime('%Y-%m-%d')}  env={shared['env']}  steps={args.steps}  "
          f"B={shared['prompts_per_step']} G={shared['group_size']}  seed=0")  # fmt: skip
    curves = {name: curve(name, args, shared) for name in args.algos.split(",")}
    print(f"{'algorithm':<12}{'start':>8}{'end':>8}{'best':>8}{'train s':>10}")
    for name, points in curves.items():
        accs = [a for _, a in points]
        print(f"{name:<12}{accs[0]:>8.1%}{accs[-1]:>8.1%}{max(accs):>8.1%}{points[-1][0]:>10.0f}")
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
    ax.set(xlabel="training seconds", ylabel="held-out greedy accuracy", title=shared["env"])
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
