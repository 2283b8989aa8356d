"""`rlvr bench`: a verifier's figures on labelled cases, side by side with a second one."""

import json

import pytest

from rlvr.cli import main


def always_yes(completion: str, reference: str) -> bool:
    return True


def crashes(completion: str, reference: str) -> bool:
    raise RuntimeError("boom")


CASES = [
    {"completion": "so 7", "reference": "7", "expected": True, "source": "easy"},
    {"completion": r"\boxed{\frac12}", "reference": "0.5", "expected": True, "source": "easy"},
    {"completion": "so 8", "reference": "7", "expected": False, "source": "easy"},
    {"completion": r"\boxed{x^2}", "reference": "x*x", "expected": True, "source": "hard"},
    {"completion": r"\boxed{2x}", "reference": "x^2", "expected": False, "source": "hard"},
]


@pytest.fixture
def cases(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in CASES))
    return path


def test_bench_verifier_with_a_comparison(cases, tmp_path, capsys):
    out = tmp_path / "report"
    args = ["bench", "verifier", "--cases", str(cases), "--compare", "test_bench:always_yes",
            "-o", str(out)]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "| math | source=hard |" in printed and "throughput ratio" in printed
    report = json.loads(out.with_suffix(".json").read_text())
    ours, theirs = report["math"], report["test_bench:always_yes"]
    assert ours["all"]["accuracy"] == 1.0 and ours["all"]["cases"] == 5
    assert theirs["all"]["false_positives"] == 2 and theirs["all"]["false_negatives"] == 0
    assert theirs["source=easy"]["accuracy"] == pytest.approx(2 / 3)
    assert ours["all"]["p50_ms"] <= ours["all"]["p95_ms"] <= ours["all"]["max_ms"]
    assert out.with_suffix(".md").read_text().startswith("| verifier | group |")


def test_bench_verifier_counts_crashes_and_rejects_bad_files(cases, tmp_path, capsys):
    args = ["bench", "verifier", "--cases", str(cases), "--verifier", "test_bench:crashes",
            "-o", str(tmp_path / "r")]  # fmt: skip
    assert main(args) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["test_bench:crashes"]["all"]["errors"] == 5
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"completion": "1", "reference": "1"}\n')
    assert main(["bench", "verifier", "--cases", str(bad)]) == 2
    assert "bad.jsonl:1: missing field(s) expected" in capsys.readouterr().err
    assert main(["bench", "verifier", "--cases", str(cases), "--verifier", "nope:nothing"]) == 2


def test_bench_verifier_against_math_verify(cases, tmp_path):
    pytest.importorskip("math_verify")
    args = ["bench", "verifier", "--cases", str(cases), "--compare", "math-verify",
            "-o", str(tmp_path / "r")]  # fmt: skip
    assert main(args) == 0
    assert json.loads((tmp_path / "r.json").read_text())["math-verify"]["all"]["cases"] == 5


def test_bench_step_and_sampler_on_a_local_model(tmp_path, capsys):
    from tiny_model import tiny_model, tiny_tokenizer

    model_dir = tmp_path / "model"
    tiny_model().save_pretrained(model_dir)
    tiny_tokenizer().save_pretrained(model_dir)
    common = ["--model", str(model_dir), "--sampler", "hf", "--prompts", "2", "--n", "2",
              "--max-new-tokens", "4", "--repeats", "1"]  # fmt: skip
    assert main(["bench", "sampler", *common]) == 0
    assert json.loads(capsys.readouterr().out)["tokens_per_s"] > 0
    assert main(["bench", "step", *common]) == 0
    step = json.loads(capsys.readouterr().out)
    assert step["seconds"] >= step["update_s"] > 0
