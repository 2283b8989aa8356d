"""Greedy, pass@k and maj@k accuracy of a model on GSM8K test and MATH-500, graded by rlvr.

The protocol is printed with the figures (the exact first prompt, samples per problem,
temperature, token budget), so a number can be set beside a published one with its caveats.
Data: local JSONL files (``--data``, default ``../shared/data``) or, with ``--data hub``, the
Hugging Face hub (needs network).

    python benchmarks/eval_gsm8k_math500.py [--model PATH] [--rows 50] [--n 4] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import gymnasium as gym

from rlvr.rollout import make_sampler
from rlvr.training.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[1]
FILES = {"rlvr/GSM8K-v0": "gsm8k_test.jsonl", "rlvr/MATH500-v0": "math500_test.jsonl"}


def env_kwargs(env_id: str, data: str) -> dict[str, Any]:
    return {} if data == "hub" else {"data_files": str(Path(data) / FILES[env_id])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="hub id or local path (default: SmolLM2-135M-Instruct)")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"),
                        help="directory of the JSONL files, or 'hub'")  # fmt: skip
    parser.add_argument("--rows", type=int, default=50, help="first N test problems of each")
    parser.add_argument("--n", type=int, default=4, help="samples per problem for pass@k")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--sampler", default="auto", choices=("auto", "vllm", "hf"))
    parser.add_argument("--quick", action="store_true", help="tiny test model, 4 problems")
    args = parser.parse_args()
    if args.quick:
        sys.path.insert(0, str(ROOT / "tests"))
        from tiny_model import tiny_model, tiny_tokenizer

        args.model = tempfile.mkdtemp(prefix="rlvr-tiny-")
        tiny_model().save_pretrained(args.model)
        tiny_tokenizer().save_pretrained(args.model)
        args.rows, args.n, args.max_new_tokens, args.sampler = 4, 2, 8, "hf"

    from rlvr.training.models import load_model

    model, tokenizer = load_model(args.model)
    sampler = make_sampler(args.sampler, model, tokenizer)
    ks = sorted({1, args.n})
    print(f"{time.strftime('%Y-%m-%d')}  model={args.model or 'SmolLM2-135M-Instruct'}  "
          f"sampler={type(sampler).__name__}  n={args.n}  temperature={args.temperature}  "
          f"max_new_tokens={args.max_new_tokens}  zero-shot, chat template")  # fmt: skip
    for env_id in FILES:
        kwargs = env_kwargs(env_id, args.data)
        env = gym.make(env_id, split="test", **kwargs).unwrapped
        first = next(env.epoch())[1]["messages"]  # type: ignore[attr-defined]
        print(f"\n{env_id}: first prompt (messages): {first!r}")
        report = evaluate(
            sampler, env_id, rows=args.rows, n=args.n, ks=ks, temperature=args.temperature,
            max_new_tokens=args.max_new_tokens, **kwargs,
        )  # fmt: skip
        figures = "  ".join(f"{k} {v:.1%}" for k, v in report.items() if k not in ("rows", "n"))
        print(f"{env_id} ({int(report['rows'])} problems): {figures}")


if __name__ == "__main__":
    main()
