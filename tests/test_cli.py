import json
from pathlib import Path

import pytest

from rlvr.cli import main


def test_verify_bundled_example(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    out = tmp_path / "verdicts.jsonl"
    assert main(["verify", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "bundled example" in printed
    assert "accuracy:" in printed and "symbolic-equal" in printed
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) > 10
    assert {"completion", "reference", "verdict"} <= set(rows[0])
    assert {"score", "correct", "extracted", "reason"} <= set(rows[0]["verdict"])


def test_verify_one_pair(capsys: pytest.CaptureFixture[str]):
    assert main(["verify", "--completion", r"so \boxed{\frac{2}{4}}", "--reference", "0.5"]) == 0
    printed = capsys.readouterr().out
    assert "accuracy: 1/1 = 100.0%" in printed
    assert "numeric-equal" in printed


def test_verify_file_with_custom_fields(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    data = tmp_path / "gen.jsonl"
    rows = [{"gen": f"The answer is {k}.", "gold": k if k % 2 else k + 1} for k in range(300)]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    args = ["verify", str(data), "--completion-field", "gen", "--reference-field", "gold"]
    assert main([*args, "--show", "3"]) == 0
    printed = capsys.readouterr().out
    assert "accuracy: 150/300 = 50.0%" in printed
    assert "297 more rows" in printed


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ('{"completion": "1"}\n', [], "no field 'reference'"),
        ("not json\n", [], ":1: not valid JSON"),
        ("[1, 2]\n", [], "expected a JSON object"),
        ('{"completion": "1", "reference": null}\n', [], "reference must be"),
        ('{"completion": "1", "reference": "1"}\n', ["--verifier", "nope"], "unknown verifier"),
    ],
)
def test_verify_input_errors_are_clear(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, args: list[str], message: str
):
    data = tmp_path / "bad.jsonl"
    data.write_text(content)
    assert main(["verify", str(data), *args]) == 2
    assert message in capsys.readouterr().err


def test_verify_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    assert main(["verify", str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_doctor_passes_here(capsys: pytest.CaptureFixture[str]):
    assert main(["doctor"]) == 0
    printed = capsys.readouterr().out
    assert "all checks passed" in printed and "✗" not in printed


def test_verify_pair_needs_both_flags(capsys: pytest.CaptureFixture[str]):
    assert main(["verify", "--completion", "5"]) == 2
    assert "together" in capsys.readouterr().err
