"""Checkpoints that a SIGKILL at any moment cannot corrupt.

A checkpoint is written whole into a staging directory, then renamed into place: ``rename`` is
atomic, so ``out/checkpoint`` is always either the previous complete checkpoint or the new one.
Between the two renames of a replacement the previous one lives at ``out/.checkpoint-old``, and
``latest`` finds it there.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

STATE_FILE = "trainer_state.pt"


def write(out: Path, step: int, fill: Callable[[Path], None]) -> Path:
    """Call ``fill(staging_dir)``, then move the result to ``out/checkpoint`` atomically."""
    for stale in out.glob(".checkpoint-[0-9]*"):  # left by a kill during an earlier write
        shutil.rmtree(stale)
    final, old = out / "checkpoint", out / ".checkpoint-old"
    staging = out / f".checkpoint-{step}"
    fill(staging)
    if not (staging / STATE_FILE).is_file():
        raise RuntimeError(f"checkpoint writer left no {STATE_FILE} in {staging}")
    if final.exists():
        if old.exists():
            shutil.rmtree(old)
        final.rename(old)
    staging.rename(final)
    if old.exists():
        shutil.rmtree(old)
    return final


def latest(out: Path) -> Path | None:
    """The newest complete checkpoint in ``out``, or None."""
    for candidate in (out / "checkpoint", out / ".checkpoint-old"):
        if (candidate / STATE_FILE).is_file():
            return candidate
    return None


def load_state(checkpoint: Path) -> dict[str, Any]:
    return torch.load(checkpoint / STATE_FILE, weights_only=False)


def truncate_log(path: Path, step: int) -> None:
    """Drop log rows written after ``step`` (by a run killed before its next checkpoint)."""
    if not path.is_file():
        return
    rows = [line for line in path.read_text().splitlines() if _step(line) <= step]
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(row + "\n" for row in rows))
    tmp.replace(path)


def _step(line: str) -> float:
    try:
        return json.loads(line)["step"]
    except (json.JSONDecodeError, KeyError, TypeError):  # a line cut short by the kill
        return float("inf")
