"""Where a GRPO step's time goes, and what the packed update saves: per phase, the tokens
processed, seconds, and achieved GFLOP/s against this CPU's measured fp32 matmul peak.

One real step of the default run (SmolLM2-135M-Instruct, fp32, two-digit addition, B=4 x G=8,
48 tokens, micro-batch 16) is sampled and verified once; then the same batch's update is run
in each layout, in turn, on the same weights (no optimizer step between them):

- ``padded``: one right-padded row per completion, logits over the vocabulary at every position
  (rlvr before the packed update, and TRL's layout)
- ``packed, own prompts``: padding-free rows, the LM head on completion positions only
- ``packed, shared prompts``: the default: each group's prompt run once

FLOPs are counted as 2 x parameters x tokens for the decoder's matmuls (embeddings excluded),
2 x hidden x vocab per position where logits are computed, and x3 for forward + backward;
attention's own matmuls are left out (under 2% here). Generation is one token per sequence per
forward pass, so its GFLOP/s shows how far decoding is from the matmul peak.

    python benchmarks/update_profile.py [--model tiny|PATH] [--repeats 3]
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

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

ENV, ENV_KWARGS = "rlvr/Arithmetic-v0", {"digits": 2, "operators": "+"}


def load(name: str) -> tuple[Any, Any]:
    if name == "tiny":
        from tiny_model import tiny_model, tiny_tokenizer

        return tiny_model(), tiny_tokenizer()
    from rlvr.training.models import load_model

    return load_model(None if name == "smollm2" else name)


def matmul_peak(size: int = 2048, repeats: int = 5) -> float:
    """Best fp32 GFLOP/s of one square matmul on all threads."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    best = float("inf")
    for _ in range(repeats + 1):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2", help="smollm2, tiny, or a local path")
    parser.add_argument("--repeats", type=int, default=3, help="timed updates per layout")
    args = parser.parse_args()

    from rlvr.rollout import HFSampler
    from rlvr.training import TrainConfig, Trainer
    from rlvr.training.trainer import _micro_batches

    torch.manual_seed(0)
    peak = matmul_peak()
    model, tokenizer = load(args.model)
    decoder_params = sum(p.numel() for p in model.get_decoder().parameters()) - sum(
        p.numel() for p in model.get_input_embeddings().parameters()
    )
    hidden, vocab = model.config.hidden_size, model.config.vocab_size
    with tempfile.TemporaryDirectory() as out, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = TrainConfig(env=ENV, env_kwargs=ENV_KWARGS, algo="grpo", sampler="hf",
                             save_every=0, log_samples_every=0, max_draws=1, out=out)  # fmt: skip
        trainer = Trainer(config, model, tokenizer, sampler=HFSampler(model, tokenizer))
        batch, _, seconds = trainer._collect()
        rows = torch.nonzero(batch.keep).flatten().tolist()
        completion_tokens = int(batch.lengths.sum())
        prompt_tokens = sum(len(c.prompt_token_ids) for c in batch.completions)
        print(f"{time.strftime('%Y-%m-%d')}  model={args.model}  {torch.get_num_threads()} "
              f"threads  fp32 matmul peak {peak:.0f} GFLOP/s  load {_load()}")  # fmt: skip
        print(f"batch: {len(batch.completions)} completions, {completion_tokens} completion "
              f"tokens, {prompt_tokens} prompt tokens ({prompt_tokens // len(batch.completions)} "
              f"per prompt), {len(rows)} kept")  # fmt: skip
        table = [
            ("generation", prompt_tokens + completion_tokens, seconds["sample"],
             2 * decoder_params * (prompt_tokens + completion_tokens)
             + 2 * hidden * vocab * completion_tokens),
            ("reward", len(batch.completions), seconds["verify"], 0.0),
        ]  # fmt: skip
        micros = _micro_batches(rows, batch.group_ids, config.micro_batch, trainer.algo)
        for name, packed, share in (("padded", False, False),
                                    ("packed, own prompts", True, False),
                                    ("packed, shared prompts", True, True)):  # fmt: skip
            trainer.packed, trainer.config.share_prompts = packed, share
            forward, backward = [], []
            for _ in range(args.repeats):
                trainer.model.train()
                trainer._update_tokens = 0
                f = b = 0.0
                for micro in micros:
                    start = time.perf_counter()
                    loss, _ = trainer._loss(batch, micro, None)
                    f += time.perf_counter() - start
                    start = time.perf_counter()
                    loss.backward()
                    b += time.perf_counter() - start
                trainer.model.zero_grad(set_to_none=True)
                forward.append(f)
                backward.append(b)
            tokens = trainer._update_tokens
            logit_rows = completion_tokens if packed else tokens
            flops = 2 * decoder_params * tokens + 2 * hidden * vocab * logit_rows
            table.append((f"update fwd: {name}", tokens, statistics.median(forward), flops))
            table.append((f"update bwd: {name}", tokens, statistics.median(backward), 2 * flops))
        params = [p for p in trainer.model.parameters()]
        for p in params:
            p.grad = torch.zeros_like(p)
        start = time.perf_counter()
        trainer.optimizer.step()
        table.append(("optimizer (AdamW)", 0, time.perf_counter() - start, 0.0))
        trainer.close()
    print(f"{'phase':<36}{'tokens':>8}{'seconds':>9}{'GFLOP/s':>9}{'of peak':>9}")
    for name, tokens, secs, flops in table:
        rate = flops / secs / 1e9 if flops else 0.0
        share = f"{rate / peak:>8.0%}" if flops else f"{'-':>8}"
        print(f"{name:<36}{tokens:>8}{secs:>9.2f}{rate:>9.1f} {share}")
    print(f"load after: {_load()}")


def _load() -> str:
    import os

    return "/".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
