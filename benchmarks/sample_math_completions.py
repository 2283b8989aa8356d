"""Sample real completions from the default model on MATH-500 and GSM8K, for labelling by hand.

This is how ``benchmarks/data/math_real_completions.jsonl`` was made: 60 MATH-500 and 60 GSM8K
test problems (seed 2026), three prompt styles in turn (ask for a box, ask for steps, the bare
problem), two samples each at temperature 0.7, up to 320 new tokens, SmolLM2-135M-Instruct in
fp32 on the CPU (about 90 minutes on 2 cores). Each row was then labelled by a person who read it
(``expected``, ``final_answer``, ``note``) without any grader; the labels are not written here.

    python benchmarks/sample_math_completions.py --data ../shared/data --out completions.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from tqdm import tqdm

from rlvr.rollout.base import SamplingParams
from rlvr.rollout.hf import HFSampler
from rlvr.training.models import load_model

STYLES = [
    "Solve the problem. Put the final answer in \\boxed{{}}.\n\n{p}",
    "{p}\nThink step by step, then give the final answer.",
    "{p}",
]


def problems(data: Path, per_set: int, seed: int) -> list[tuple[str, str, str, str]]:
    """``(source, id, problem, reference)`` rows drawn from both test sets."""
    rng = random.Random(seed)
    math = [json.loads(line) for line in (data / "math500_test.jsonl").open()]
    gsm = [json.loads(line) for line in (data / "gsm8k_test.jsonl").open()]
    rows = [
        ("math500", r["unique_id"], r["problem"], r["answer"]) for r in rng.sample(math, per_set)
    ]
    for k, r in enumerate(rng.sample(gsm, per_set)):
        rows.append(
            ("gsm8k", f"gsm8k/{k}", r["question"], r["answer"].rsplit("####", 1)[1].strip())
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[2] / "shared" / "data")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--per-set", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rows = problems(args.data, args.per_set, args.seed)
    model, tokenizer = load_model(None)
    sampler = HFSampler(model, tokenizer, batch_size=8)
    with args.out.open("w") as out:
        for start in tqdm(range(0, len(rows), 8), unit="batch"):
            chunk = rows[start : start + 8]
            prompts = [
                [{"role": "user", "content": STYLES[(start // 8 + k) % 3].format(p=row[2])}]
                for k, row in enumerate(chunk)
            ]
            params = SamplingParams(max_new_tokens=320, temperature=0.7, seed=start)
            for row, prompt, group in zip(chunk, prompts, sampler.generate(prompts, 2, params)):
                for completion in group:
                    record = {"source": row[0], "id": row[1], "prompt": prompt[0]["content"]}
                    record.update(reference=row[3], completion=completion.text)
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
