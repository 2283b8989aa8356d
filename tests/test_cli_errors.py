"""Bad input to every ``rlvr`` subcommand ends in one line on stderr, never a traceback.

Each case is an invocation an attacker (or a tired user) might type. The contract: a nonzero
exit code, no "Traceback", and one ``error:`` line that names the field to fix. The cases run
in-process through ``rlvr.cli.main`` (an escaping exception fails the test with its traceback,
which is the reproducer); a few run as real processes to check what a shell would see.
"""

from __future__ import annotations

import errno
import math
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from rlvr.cli import main
from rlvr.training.config import TrainConfig

# ------------------------------------------------------------------------------- fixtures


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A directory of hostile inputs, named by what is wrong with them."""
    (tmp_path / "a_file").write_text("not a directory\n")
    (tmp_path / "a_dir").mkdir()
    (tmp_path / "bad_syntax.yaml").write_text("steps: [\n")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    (tmp_path / "lr_word.yaml").write_text("lr: fast\n")
    (tmp_path / "float_steps.yaml").write_text("steps: 2.5\n")
    (tmp_path / "bool_steps.yaml").write_text("steps: true\n")
    (tmp_path / "inf_lr.yaml").write_text("lr: .inf\n")
    (tmp_path / "unknown.yaml").write_text("learning_rate: 0.1\n")
    (tmp_path / "int_key.yaml").write_text("1: 2\n")
    (tmp_path / "latin1.yaml").write_bytes(b"env: caf\xe9\n")
    (tmp_path / "ok.jsonl").write_text('{"completion": "5", "reference": "5"}\n')
    (tmp_path / "latin1.jsonl").write_bytes(
        b'{"completion": "5", "reference": "5"}\n{"completion": "caf\xe9", "reference": "5"}\n'
    )
    (tmp_path / "cases.jsonl").write_text(
        '{"completion": "5", "reference": "5", "expected": true}\n'
    )
    (tmp_path / "latin1_cases.jsonl").write_bytes(
        b'{"completion": "5", "reference": "5", "expected": true}\n\xff\n'
    )
    run = tmp_path / "run_bad_metrics"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 1, "reward_mean": 0.5}\n{"step": 2, "rew')
    run = tmp_path / "run_bad_eval"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 1, "reward_mean": 0.5}\n')
    (run / "eval.json").write_text('{"before": 0.1, "af')
    run = tmp_path / "run_ok"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 1, "reward_mean": 0.5}\n')
    (tmp_path / "empty_model").mkdir()
    return tmp_path


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``(exit code, stdout, stderr)`` of ``rlvr ARGV`` in this process."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            code = main(argv)
        except SystemExit as stop:  # argparse's own errors
            code = stop.code if isinstance(stop.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, field: str) -> None:
    assert code != 0, err
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    assert field in errors[0], err


# ------------------------------------------------------------------------ the invocations
def _train(m: Path, f: Path) -> list[str]:
    """A train command that would run one tiny step, into a fresh directory."""
    return [
        "train", "--model", str(m), "--sampler", "hf", "--steps", "1", "--prompts-per-step", "1",
        "--group-size", "2", "--max-new-tokens", "4", "--eval-n", "0", "--out", str(f / "run"),
    ]  # fmt: skip


def _eval(m: Path) -> list[str]:
    return ["eval", "--model", str(m), "--sampler", "hf", "--rows", "1", "--n", "1", "--k", "1",
            "--max-new-tokens", "2"]  # fmt: skip


Invocation = Callable[[Path, Path], list[str]]
BAD: list[tuple[str, Invocation, str]] = [
    # ---- train: silent bad values (item 13)
    ("train lr inf", lambda m, f: [*_train(m, f), "--lr", "inf"], "config.lr"),
    ("train lr nan", lambda m, f: [*_train(m, f), "--lr", "nan"], "config.lr"),
    ("train lr negative", lambda m, f: [*_train(m, f), "--lr=-1e-5"], "config.lr"),
    ("train lr word", lambda m, f: [*_train(m, f), "--lr", "fast"], "--lr"),
    (
        "train grad norm negative",
        lambda m, f: [*_train(m, f), "--max-grad-norm", "-1"],
        "config.max_grad_norm",
    ),
    (
        "train grad norm inf",
        lambda m, f: [*_train(m, f), "--max-grad-norm", "inf"],
        "config.max_grad_norm",
    ),
    ("train lora alpha 0", lambda m, f: [*_train(m, f), "--lora-alpha", "0"], "config.lora_alpha"),
    (
        "train lora alpha without rank",
        lambda m, f: [*_train(m, f), "--lora-alpha", "16"],
        "config.lora_alpha",
    ),
    (
        "train lora rank negative",
        lambda m, f: [*_train(m, f), "--lora-rank", "-1"],
        "config.lora_rank",
    ),
    ("train seed negative", lambda m, f: [*_train(m, f), "--seed", "-1"], "config.seed"),
    ("train seed huge", lambda m, f: [*_train(m, f), "--seed", str(2**70)], "config.seed"),
    ("train eval-n negative", lambda m, f: [*_train(m, f), "--eval-n", "-1"], "config.eval_n"),
    (
        "train eval-every negative",
        lambda m, f: [*_train(m, f), "--eval-every", "-1"],
        "config.eval_every",
    ),
    (
        "train eval-every without rows",
        lambda m, f: [*_train(m, f), "--eval-every", "1"],
        "config.eval_every",
    ),
    (
        "train save-every negative",
        lambda m, f: [*_train(m, f), "--save-every", "-1"],
        "config.save_every",
    ),
    (
        "train log-samples negative",
        lambda m, f: [*_train(m, f), "--log-samples-every", "-2"],
        "config.log_samples_every",
    ),
    (
        "train temperature negative",
        lambda m, f: [*_train(m, f), "--temperature", "-1"],
        "config.temperature",
    ),
    (
        "train temperature nan",
        lambda m, f: [*_train(m, f), "--temperature", "nan"],
        "config.temperature",
    ),
    (
        "train weight decay negative",
        lambda m, f: [*_train(m, f), "--weight-decay", "-0.1"],
        "config.weight_decay",
    ),
    (
        "train warmup negative",
        lambda m, f: [*_train(m, f), "--warmup-steps", "-1"],
        "config.warmup_steps",
    ),
    ("train tis cap inf", lambda m, f: [*_train(m, f), "--tis-cap", "inf"], "config.tis_cap"),
    ("train steps 0", lambda m, f: [*_train(m, f), "--steps", "0"], "config.steps"),
    (
        "train micro batch 0",
        lambda m, f: [*_train(m, f), "--micro-batch", "0"],
        "config.micro_batch",
    ),
    ("train schedule", lambda m, f: [*_train(m, f), "--schedule", "linear"], "config.schedule"),
    ("train sampler", lambda m, f: [*_train(m, f), "--sampler", "gpu"], "config.sampler"),
    (
        "train report_to",
        lambda m, f: [*_train(m, f), "--report-to", "mlflow"],
        "config.report_to",
    ),
    ("train resume word", lambda m, f: [*_train(m, f), "--resume", "maybe"], "--resume"),
    ("train out empty", lambda m, f: [*_train(m, f), "--out", ""], "config.out"),
    # ---- train: tracebacks (item 14)
    ("train unknown env", lambda m, f: [*_train(m, f), "--env", "nope/Nope-v0"], "config.env"),
    (
        "train unknown env name",
        lambda m, f: [*_train(m, f), "--env", "rlvr/Arith-v0"],
        "config.env",
    ),
    ("train non-rlvr env", lambda m, f: [*_train(m, f), "--env", "CartPole-v1"], "config.env"),
    ("train unknown algo", lambda m, f: [*_train(m, f), "--algo", "grpoo"], "config.algo"),
    (
        "train algo kwarg unknown",
        lambda m, f: [*_train(m, f), "--algo-kwargs", '{"kl": 0.1}'],
        "config.algo_kwargs",
    ),
    (
        "train algo kwarg wrong type",
        lambda m, f: [*_train(m, f), "--algo-kwargs", '{"kl_coef": "x"}'],
        "config.algo_kwargs.kl_coef",
    ),
    (
        "train algo kwarg nan",
        lambda m, f: [*_train(m, f), "--algo-kwargs", '{"clip_low": NaN}'],
        "config.algo_kwargs.clip_low",
    ),
    (
        "train algo kwargs not json",
        lambda m, f: [*_train(m, f), "--algo-kwargs", "{kl"],
        "--algo-kwargs",
    ),
    (
        "train env kwarg unknown",
        lambda m, f: [*_train(m, f), "--env-kwargs", '{"digitz": 2}'],
        "config.env_kwargs",
    ),
    (
        "train env kwarg wrong type",
        lambda m, f: [*_train(m, f), "--env-kwargs", '{"digits": "two"}'],
        "config.env_kwargs",
    ),
    (
        "train env kwarg out of range",
        lambda m, f: [*_train(m, f), "--env-kwargs", '{"digits": -1}'],
        "config.env_kwargs",
    ),
    (
        "train env kwargs not json",
        lambda m, f: [*_train(m, f), "--env-kwargs", "{digits"],
        "--env-kwargs",
    ),
    (
        "train env kwargs list",
        lambda m, f: [*_train(m, f), "--env-kwargs", "[1]"],
        "--env-kwargs",
    ),
    (
        "train yaml syntax",
        lambda m, f: [*_train(m, f), "--config", str(f / "bad_syntax.yaml")],
        "bad_syntax.yaml:2",
    ),
    (
        "train yaml list",
        lambda m, f: [*_train(m, f), "--config", str(f / "list.yaml")],
        "--config",
    ),
    (
        "train yaml lr word",
        lambda m, f: [*_train(m, f), "--config", str(f / "lr_word.yaml")],
        "config.lr",
    ),
    (
        "train yaml lr inf",
        lambda m, f: [*_train(m, f), "--config", str(f / "inf_lr.yaml")],
        "config.lr",
    ),
    (
        "train yaml float steps",
        lambda m, f: ["train", "--config", str(f / "float_steps.yaml"), "--out", str(f / "r")],
        "config.steps",
    ),
    (
        "train yaml bool steps",
        lambda m, f: ["train", "--config", str(f / "bool_steps.yaml"), "--out", str(f / "r")],
        "config.steps",
    ),
    (
        "train yaml unknown field",
        lambda m, f: [*_train(m, f), "--config", str(f / "unknown.yaml")],
        "learning_rate",
    ),
    (
        "train yaml int key",
        lambda m, f: [*_train(m, f), "--config", str(f / "int_key.yaml")],
        "--config",
    ),
    (
        "train yaml not utf-8",
        lambda m, f: [*_train(m, f), "--config", str(f / "latin1.yaml")],
        "latin1.yaml:1",
    ),
    (
        "train yaml is a dir",
        lambda m, f: [*_train(m, f), "--config", str(f / "a_dir")],
        "--config",
    ),
    (
        "train yaml missing",
        lambda m, f: [*_train(m, f), "--config", str(f / "nope.yaml")],
        "--config",
    ),
    (
        "train missing model",
        lambda m, f: [*_train(m, f), "--model", str(f / "nomodel")],
        "config.model",
    ),
    (
        "train model dir without config",
        lambda m, f: [*_train(m, f), "--model", str(f / "empty_model")],
        "config.model",
    ),
    (
        "train out is a file",
        lambda m, f: [*_train(m, f), "--out", str(f / "a_file")],
        "config.out",
    ),
    (
        "train out under a file",
        lambda m, f: [*_train(m, f), "--out", str(f / "a_file" / "run")],
        "config.out",
    ),
    ("train resume nothing", lambda m, f: [*_train(m, f), "--resume"], "--resume"),
    # ---- eval
    ("eval missing model", lambda m, f: [*_eval(m), "--model", str(f / "nomodel")], "--model"),
    ("eval unknown env", lambda m, f: [*_eval(m), "--env", "nope/Nope-v0"], "--env"),
    ("eval non-rlvr env", lambda m, f: [*_eval(m), "--env", "CartPole-v1"], "--env"),
    (
        "eval env kwarg unknown",
        lambda m, f: [*_eval(m), "--env-kwargs", '{"digitz": 1}'],
        "--env-kwargs",
    ),
    ("eval k word", lambda m, f: [*_eval(m), "--k", "a"], "--k"),
    ("eval k above n", lambda m, f: [*_eval(m), "--k", "9"], "--k"),
    ("eval rows negative", lambda m, f: [*_eval(m), "--rows", "-1"], "--rows"),
    ("eval n 0", lambda m, f: [*_eval(m), "--n", "0"], "--n"),
    (
        "eval temperature negative",
        lambda m, f: [*_eval(m), "--temperature", "-1"],
        "--temperature",
    ),
    ("eval temperature inf", lambda m, f: [*_eval(m), "--temperature", "inf"], "--temperature"),
    ("eval max tokens 0", lambda m, f: [*_eval(m), "--max-new-tokens", "0"], "--max-new-tokens"),
    ("eval split", lambda m, f: [*_eval(m), "--split", "bogus"], "--split"),
    ("eval output is a dir", lambda m, f: [*_eval(m), "-o", str(f / "a_dir")], "--output"),
    (
        "eval output under a file",
        lambda m, f: [*_eval(m), "-o", str(f / "a_file" / "x.json")],
        "--output",
    ),
    # ---- verify
    (
        "verify output is a dir",
        lambda m, f: ["verify", str(f / "ok.jsonl"), "-o", str(f / "a_dir")],
        "--output",
    ),
    (
        "verify output under a file",
        lambda m, f: ["verify", str(f / "ok.jsonl"), "-o", str(f / "a_file" / "x.jsonl")],
        "--output",
    ),
    ("verify not utf-8", lambda m, f: ["verify", str(f / "latin1.jsonl")], "latin1.jsonl:2"),
    ("verify input is a dir", lambda m, f: ["verify", str(f / "a_dir")], "a_dir"),
    (
        "verify workers 0",
        lambda m, f: ["verify", str(f / "ok.jsonl"), "--workers", "0"],
        "--workers",
    ),
    (
        "verify timeout negative",
        lambda m, f: ["verify", str(f / "ok.jsonl"), "--timeout", "-1"],
        "--timeout",
    ),
    (
        "verify timeout nan",
        lambda m, f: ["verify", str(f / "ok.jsonl"), "--timeout", "nan"],
        "--timeout",
    ),
    (
        "verify show negative",
        lambda m, f: ["verify", str(f / "ok.jsonl"), "--show", "-1"],
        "--show",
    ),
    (
        "verify missing field",
        lambda m, f: ["verify", str(f / "ok.jsonl"), "--completion-field", "gen"],
        "--completion-field",
    ),
    (
        "verify unknown verifier",
        lambda m, f: ["verify", str(f / "ok.jsonl"), "--verifier", "x"],
        "--verifier",
    ),
    # ---- bench
    (
        "bench cases missing",
        lambda m, f: ["bench", "verifier", "--cases", str(f / "no.jsonl")],
        "--cases",
    ),
    (
        "bench cases is a dir",
        lambda m, f: ["bench", "verifier", "--cases", str(f / "a_dir")],
        "--cases",
    ),
    (
        "bench cases not utf-8",
        lambda m, f: ["bench", "verifier", "--cases", str(f / "latin1_cases.jsonl")],
        "latin1_cases.jsonl:2",
    ),
    (
        "bench unknown verifier",
        lambda m, f: ["bench", "verifier", "--cases", str(f / "cases.jsonl"), "--verifier", "x"],
        "--verifier",
    ),
    (
        "bench unknown compare",
        lambda m, f: ["bench", "verifier", "--cases", str(f / "cases.jsonl"), "--compare", "x"],
        "--compare",
    ),
    (
        "bench output is a dir",
        lambda m, f: [
            "bench",
            "verifier",
            "--cases",
            str(f / "cases.jsonl"),
            "-o",
            str(f / "a_dir"),
        ],
        "--output",
    ),
    (
        "bench output under a file",
        lambda m, f: [
            "bench",
            "verifier",
            "--cases",
            str(f / "cases.jsonl"),
            "-o",
            str(f / "a_file" / "b"),
        ],
        "--output",
    ),
    (
        "bench sampler prompts 0",
        lambda m, f: ["bench", "sampler", "--model", str(m), "--sampler", "hf", "--prompts", "0"],
        "--prompts",
    ),
    (
        "bench sampler repeats 0",
        lambda m, f: ["bench", "sampler", "--model", str(m), "--sampler", "hf", "--repeats", "0"],
        "--repeats",
    ),
    (
        "bench sampler n negative",
        lambda m, f: ["bench", "sampler", "--model", str(m), "--sampler", "hf", "--n", "-1"],
        "--n",
    ),
    (
        "bench sampler missing model",
        lambda m, f: ["bench", "sampler", "--model", str(f / "nomodel"), "--sampler", "hf"],
        "--model",
    ),
    (
        "bench step unknown algo",
        lambda m, f: ["bench", "step", "--model", str(m), "--sampler", "hf", "--algo", "x"],
        "--algo",
    ),
    (
        "bench step max tokens 0",
        lambda m, f: ["bench", "step", "--model", str(m), "--max-new-tokens", "0"],
        "--max-new-tokens",
    ),
    # ---- plot
    ("plot missing run", lambda m, f: ["plot", str(f / "nowhere")], "run_dir"),
    ("plot run is a file", lambda m, f: ["plot", str(f / "a_file")], "run_dir"),
    (
        "plot torn metrics line",
        lambda m, f: ["plot", str(f / "run_bad_metrics")],
        "metrics.jsonl:2",
    ),
    ("plot corrupt eval.json", lambda m, f: ["plot", str(f / "run_bad_eval")], "eval.json"),
    (
        "plot output is a dir",
        lambda m, f: ["plot", str(f / "run_ok"), "-o", str(f / "a_dir")],
        "--output",
    ),
    # ---- the command itself
    ("no command", lambda m, f: [], "COMMAND"),
    ("unknown command", lambda m, f: ["trian"], "trian"),
]


@pytest.mark.parametrize(("name", "argv", "field"), BAD, ids=[case[0] for case in BAD])
def test_bad_invocation_is_one_line_naming_the_field(
    name: str, argv: Invocation, field: str, model_dir: Path, files: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    code, _, err = run_cli(argv(model_dir, files), capsys)
    assert_one_line_error(code, err, field)


def test_the_invocation_list_covers_every_subcommand() -> None:
    argvs = [case[1](Path("m"), Path("f")) for case in BAD]
    commands = {argv[0] for argv in argvs if argv}
    assert commands >= {"train", "eval", "verify", "bench", "plot"}


# -------------------------------------------------------------------- disk full, read-only
def test_disk_full_while_checkpointing_is_one_line_and_keeps_the_last_checkpoint(
    model_dir: Path, files: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    import torch

    from rlvr.training import checkpoint

    argv = [*_train(model_dir, files), "--steps", "2", "--save-every", "1"]
    real_save = torch.save
    calls = {"n": 0}

    def save_then_fill_the_disk(obj: object, path: object, *args: object, **kw: object) -> None:
        calls["n"] += 1
        if calls["n"] >= 2:  # the first checkpoint fits; the second finds the disk full
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_save(obj, path, *args, **kw)

    monkeypatch.setattr(torch, "save", save_then_fill_the_disk)
    code, _, err = run_cli(argv, capsys)
    assert_one_line_error(code, err, "--out")
    assert "No space left on device" in err
    found, _ = checkpoint.find_latest(files / "run")
    assert found is not None and checkpoint.load_state(found)["step"] == 1
    assert not list((files / "run").glob(".checkpoint-*")), "a failed write leaves no staging dir"


def test_read_only_run_directory_is_one_line(
    model_dir: Path, files: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """chmod cannot stop root, so the run directory's first write is made to fail as a
    read-only file system would."""
    from rlvr.training import checkpoint

    def read_only(path: Path, text: str) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(checkpoint, "atomic_write_text", read_only)
    code, _, err = run_cli(_train(model_dir, files), capsys)
    assert_one_line_error(code, err, "--out")
    assert "Read-only file system" in err


@pytest.mark.skipif(sys.platform == "win32" or __import__("os").geteuid() == 0,
                    reason="root ignores file modes")  # fmt: skip
def test_read_only_run_directory_by_mode(
    model_dir: Path, files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = files / "run"
    run.mkdir()
    run.chmod(0o500)
    try:
        code, _, err = run_cli(_train(model_dir, files), capsys)
    finally:
        run.chmod(0o700)
    assert_one_line_error(code, err, "--out")


def test_disk_full_writing_verdicts_is_one_line_and_leaves_no_partial_file(
    files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    out = files / "verdicts.jsonl"
    out.write_text("previous\n")
    real_replace = os.replace

    def full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(os, "replace", full)
    code, _, err = run_cli(["verify", str(files / "ok.jsonl"), "-o", str(out)], capsys)
    monkeypatch.setattr(os, "replace", real_replace)
    assert_one_line_error(code, err, "--output")
    assert out.read_text() == "previous\n"
    assert [p.name for p in files.glob("*.tmp*")] == []


# ---------------------------------------------------------------------- TrainConfig itself
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lr": math.inf}, "lr"), ({"lr": math.nan}, "lr"), ({"lr": 0.0}, "lr"),
        ({"lr": "fast"}, "lr"), ({"lr": True}, "lr"),
        ({"max_grad_norm": -1.0}, "max_grad_norm"), ({"max_grad_norm": 0.0}, "max_grad_norm"),
        ({"weight_decay": math.nan}, "weight_decay"), ({"temperature": -0.5}, "temperature"),
        ({"tis_cap": 0.0}, "tis_cap"), ({"tis_cap": math.inf}, "tis_cap"),
        ({"lora_alpha": 0, "lora_rank": 4}, "lora_alpha"), ({"lora_alpha": 8}, "lora_alpha"),
        ({"lora_rank": 2.0}, "lora_rank"), ({"steps": 2.5}, "steps"), ({"steps": True}, "steps"),
        ({"steps": "3"}, "steps"), ({"seed": -1}, "seed"), ({"eval_n": -1}, "eval_n"),
        ({"eval_every": 2, "eval_n": 0}, "eval_every"), ({"save_every": -1}, "save_every"),
        ({"warmup_steps": -3}, "warmup_steps"), ({"resume": "yes"}, "resume"),
        ({"env": ""}, "env"), ({"algo": ""}, "algo"), ({"model": ""}, "model"),
        ({"model": 3}, "model"), ({"out": ""}, "out"), ({"report_to": 1}, "report_to"),
        ({"algo_kwargs": None}, "algo_kwargs"), ({"env_kwargs": [1]}, "env_kwargs"),
    ],
)  # fmt: skip
def test_every_field_is_validated(overrides: dict, field: str) -> None:
    with pytest.raises(ValueError, match=rf"config\.{field}\b"):
        TrainConfig(**overrides)


def test_numbers_yaml_reads_as_strings_are_parsed() -> None:
    """PyYAML reads ``lr: 1e-5`` (no dot) as the string '1e-5'."""
    config = TrainConfig(lr="1e-5", max_grad_norm="2", tis_cap="2e0")  # type: ignore[arg-type]
    assert (config.lr, config.max_grad_norm, config.tis_cap) == (1e-5, 2.0, 2.0)
    assert TrainConfig(lr=1).lr == 1.0 and isinstance(TrainConfig(lr=1).lr, float)


def test_yaml_lr_without_a_dot_trains_at_that_rate(tmp_path: Path) -> None:
    import argparse

    from rlvr.training.cli import add_arguments, config_from_args

    path = tmp_path / "run.yaml"
    path.write_text("lr: 1e-5\nweight_decay: 1e-2\n")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    config = config_from_args(parser.parse_args(["--config", str(path)]))
    assert (config.lr, config.weight_decay) == (1e-5, 1e-2)


def test_defaults_are_valid() -> None:
    TrainConfig()


# ---------------------------------------------------------------------- real processes
@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["train", "--lr", "inf"], "config.lr"),
        (["train", "--algo", "nope", "--out", "{tmp}/run"], "config.algo"),
        (["verify", "{tmp}/nope.jsonl"], "nope.jsonl"),
        (["verify", "--completion", "1", "--reference", "1", "-o", "{tmp}"], "--output"),
    ],
)
def test_a_real_process_prints_one_line(tmp_path: Path, args: list[str], field: str) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "rlvr.cli", *argv], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and field in done.stderr, done.stderr


# ----------------------------------------------------------- a task in one short file
TASK_FILE = """
import rlvr
from rlvr.verifiers import Verdict


def exact(completion, reference):
    ok = completion.strip() == reference
    return Verdict(float(ok), ok, completion.strip(), "exact" if ok else "wrong")


rows = [{"prompt": f"Reverse {w}", "reference": w[::-1]} for w in ("abc", "hello", "rlvr")]
rlvr.register_task("NAME/Reverse-v0", source=rows, verifier=exact)
"""


def test_a_task_in_one_file_trains_and_evaluates_from_the_cli(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Gymnasium's ``module:EnvId``: no package, no install, just the file in the directory."""
    (tmp_path / "reverse_task_cli.py").write_text(TASK_FILE.replace("NAME", "clitest"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".")])
    env = "reverse_task_cli:clitest/Reverse-v0"
    code, _, err = run_cli(
        ["train", "--env", env, "--model", str(model_dir), "--sampler", "hf", "--steps", "1",
         "--prompts-per-step", "1", "--group-size", "2", "--max-new-tokens", "4",
         "--eval-n", "0", "--out", str(tmp_path / "run")],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "run" / "metrics.jsonl").exists()
    code, _, err = run_cli(
        ["eval", "--env", env, "--model", str(model_dir), "--sampler", "hf", "--rows", "2",
         "--n", "1", "--k", "1", "--max-new-tokens", "4", "--split", "train"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    code, _, err = run_cli(
        ["train", "--env", "no_such_module:x/Y-v0", *_train(model_dir, tmp_path)[1:]], capsys
    )
    assert code == 2 and "no_such_module" in err and "Traceback" not in err
