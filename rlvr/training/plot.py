"""``rlvr plot RUN_DIR``: the curves of ``metrics.jsonl`` as one PNG, a panel per metric."""

from __future__ import annotations

import json
from pathlib import Path

PANELS = (
    ("reward", ("reward_mean", "accuracy")),
    ("held-out greedy accuracy", ("eval_accuracy",)),
    ("loss", ("loss",)),
    ("KL to reference", ("kl",)),
    ("entropy", ("entropy",)),
    ("response length (tokens)", ("response_len", "response_len_max")),
    ("all-equal groups / truncated", ("zero_variance_groups", "truncated")),
    ("clip fraction", ("algo/clip_frac_low", "algo/clip_frac_high")),
    ("|sampler - learner| log-prob", ("logprob_mismatch",)),
    ("sampling tokens/s", ("tokens_per_s",)),
    ("seconds per step", ("sample_s", "verify_s", "update_s")),
)


def plot_run(run_dir: Path, output: Path | None = None) -> Path:
    """Write ``run_dir/curves.png`` (or ``output``) and return its path."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("rlvr plot needs matplotlib: pip install 'rlvr[plot]'") from None
    log = run_dir / "metrics.jsonl"
    if not log.is_file():
        raise FileNotFoundError(f"{log} not found: give the --out directory of a training run")
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    if not rows:
        raise ValueError(f"{log} is empty: the run has not finished a step yet")
    seen = {key for row in rows for key in row}
    panels = [(title, [k for k in keys if k in seen]) for title, keys in PANELS]
    panels = [(title, keys) for title, keys in panels if keys]
    cols = 3
    fig, axes = plt.subplots(
        -(-len(panels) // cols), cols, figsize=(4.2 * cols, 2.8 * -(-len(panels) // cols))
    )
    for ax, (title, keys) in zip(axes.flat, panels):
        for key in keys:
            points = [(r["step"], r[key]) for r in rows if key in r]
            ax.plot(*zip(*points), label=key, marker="o" if len(points) < len(rows) else None)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=8)
        if len(keys) > 1:
            ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.suptitle(_title(run_dir), fontsize=11)
    fig.tight_layout()
    output = output or run_dir / "curves.png"
    fig.savefig(output, dpi=110)
    plt.close(fig)
    return output


def _title(run_dir: Path) -> str:
    title = str(run_dir)
    record = run_dir / "eval.json"
    if record.is_file():
        held = json.loads(record.read_text())
        if "after" in held:
            title += f"  held-out greedy accuracy {held['before']:.1%} -> {held['after']:.1%}"
    return title
