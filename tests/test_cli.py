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


# ------------------------------------------------------------- hostile input to the terminal
HOSTILE = [
    "\x1b[2J\x1b[H",  # clear the screen, cursor home
    "\x1b]52;c;cm0gLXJmIH4K\x07",  # OSC 52: write the clipboard
    "\x1b]0;pwned\x07",  # retitle the window
    "\x9b31m",  # C1 CSI: an escape in one byte on some terminals
    "\u202eevil\u202c",  # bidi override: reorder what is shown
    "\x08\x08\x7fok\r",  # backspaces, DEL, carriage return
]


def _assert_inert(text: str) -> None:
    for char in ("\x1b", "\x07", "\x9b", "\u202e", "\x08", "\x7f", "\r"):
        assert char not in text, repr(text)


@pytest.mark.parametrize("payload", HOSTILE)
def test_verify_escapes_control_characters_from_the_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, payload: str
):
    data = tmp_path / "gen.jsonl"
    rows = [
        {"completion": rf"so \boxed{{{payload}5}}", "reference": f"5{payload}"},
        {"completion": f"{payload} the answer is 7", "reference": "7"},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "verdicts.jsonl"
    assert main(["verify", str(data), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    _assert_inert(captured.out + captured.err)
    assert "\\x" in captured.out or "\\u" in captured.out  # shown, escaped, not dropped
    saved = [json.loads(line) for line in out.read_text().splitlines()]
    assert saved[0]["reference"] == f"5{payload}"  # the JSONL output keeps the exact text


def test_verify_shows_an_escape_as_backslash_x1b(capsys: pytest.CaptureFixture[str]):
    assert main(["verify", "--completion", "x", "--reference", "\x1b[2J"]) == 0
    assert "\\x1b[2J" in capsys.readouterr().out


def test_verify_escapes_input_quoted_in_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    data = tmp_path / "gen.jsonl"
    data.write_text(json.dumps({"\x1b]52;c;eA==\x07completion": "1", "reference": "1"}) + "\n")
    assert main(["verify", str(data)]) == 2
    err = capsys.readouterr().err
    _assert_inert(err)
    assert "\\x1b]52" in err and "no field 'completion'" in err


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"\xff\n", 1),
        (b'{"completion": "1", "reference": "1"}\n{"completion": "caf\xe9"}\n', 2),
        (b'{"completion": "1", "reference": "1"}\n\n\n{"completion": "\xc3("}\n', 4),
    ],
)
def test_verify_names_the_line_that_is_not_utf8(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, line: int
):
    data = tmp_path / "latin1.jsonl"
    data.write_bytes(content)
    assert main(["verify", str(data)]) == 2
    err = capsys.readouterr().err
    assert f"latin1.jsonl:{line}: not valid UTF-8" in err and "Traceback" not in err
