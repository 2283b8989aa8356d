"""Loss forward + backward time of every algorithm at N = 512 sequences, T = 1024 tokens (CPU).

Not a comparison with a peer: a regression guard, so a slow change to the shared loss code
shows. Prints milliseconds per call (median of --repeats).

    python benchmarks/algorithms.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from rlvr.algorithms import get_algorithm, registered_algorithms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 64, T = 256, 3 repeats")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n, t, repeats = (64, 256, 3) if args.quick else (512, 1024, args.repeats)

    torch.manual_seed(0)
    lengths = torch.randint(t // 4, t + 1, (n,))
    mask = torch.arange(t)[None, :] < lengths[:, None]
    old = -torch.rand(n, t) * 3
    ref = old - torch.rand(n, t) * 0.1
    rewards = torch.randint(0, 2, (n,)).float()
    group_ids = torch.arange(n) // 8
    print(f"N = {n}, T = {t}, {int(mask.sum())} real tokens, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print(f"{'algorithm':15} {'ms (median)':>12}")
    for name in registered_algorithms():
        algo = get_algorithm(name).with_budget(max_new_tokens=t)  # length fields: Dr. GRPO, DAPO
        extra: dict = {"group_ids": group_ids}
        if name == "ppo":
            advantages = torch.randn(n, t)
            extra = {"values": torch.randn(n, t), "old_values": torch.randn(n, t),
                     "returns": torch.randn(n, t)}  # fmt: skip
        else:
            advantages = algo.advantages(rewards, group_ids)
        times = []
        for _ in range(repeats):
            logp = (old + torch.randn(n, t) * 0.01).requires_grad_()
            start = time.perf_counter()
            loss, _ = algo.loss(logp, old, advantages, mask, ref, **extra)
            loss.backward()
            times.append(time.perf_counter() - start)
        print(f"{name:15} {1000 * statistics.median(times):12.1f}")


if __name__ == "__main__":
    main()
