"""Checkpoints that are damaged after they were written, and resumes that change the config.

A checkpoint carries a manifest (size and sha256 of each file, written last): a truncated file
or a flipped bit makes ``--resume`` fall back to the previous checkpoint with a warning naming
the bad one, never a traceback and never a silent resume from damaged weights. A checkpoint
whose model architecture differs from the run's is refused before any model is built from it.
On ``--resume`` the values that may change (lr, steps, ...) apply and are printed; those the
checkpoint fixes (model, algo, env, ...) are kept, and changing one explicitly is refused.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
import torch
from tiny_model import tiny_model, tiny_tokenizer

import rlvr
from rlvr.cli import main
from rlvr.training import checkpoint
from rlvr.training.config import TrainConfig
from rlvr.training.trainer import Trainer
from rlvr.verifiers import Verdict


def _digits(completion: str, reference: str) -> Verdict:
    score = sum(ch.isdigit() for ch in completion[:4]) / 4
    return Verdict(score, score == 1.0, completion[:4], "digits")


rlvr.register_task(
    "test/IntegrityDigits-v0",
    source=[{"prompt": p, "reference": ""} for p in ("abc", "xyz", "cab", "zzz")],
    verifier=_digits,
)


def _config(out: Path, **overrides: object) -> TrainConfig:
    values = dict(
        env="test/IntegrityDigits-v0", algo="grpo", steps=2, prompts_per_step=2, group_size=2,
        max_new_tokens=4, lr=3e-3, out=str(out), save_every=1, sampler="hf", eval_n=0,
        log_samples_every=0,
    )  # fmt: skip
    return TrainConfig(**{**values, **overrides})  # type: ignore[arg-type]


def _trainer(config: TrainConfig) -> Trainer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return Trainer(config, tiny_model(), tiny_tokenizer())


def _run(out: Path, **overrides: object) -> Trainer:
    """Train to ``steps`` with a checkpoint after every step: ``checkpoint`` holds the last
    step and ``checkpoint/previous`` the one before."""
    trainer = _trainer(_config(out, **overrides))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        trainer.train()
    return trainer


def _resume(out: Path, **overrides: object) -> Trainer:
    return _trainer(_config(out, resume=True, **overrides))


def _flip_a_bit(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2 if offset is None else offset] ^= 0x10
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


# ------------------------------------------------------------------------ the file format
def _fill(step: int, extra: bytes = b"weights"):
    def write(staging: Path) -> None:
        staging.mkdir()
        torch.save({"step": step}, staging / checkpoint.STATE_FILE)
        (staging / "model.bin").write_bytes(extra * 100)

    return write


def test_the_manifest_lists_every_file_with_its_checksum(tmp_path: Path) -> None:
    import hashlib

    path = checkpoint.write(tmp_path, 1, _fill(1))
    manifest = json.loads((path / checkpoint.MANIFEST).read_text())
    assert manifest["step"] == 1
    assert set(manifest["files"]) == {checkpoint.STATE_FILE, "model.bin"}
    entry = manifest["files"]["model.bin"]
    assert entry["sha256"] == hashlib.sha256((path / "model.bin").read_bytes()).hexdigest()
    assert entry["bytes"] == (path / "model.bin").stat().st_size
    assert checkpoint.verify(path) is None


def test_the_previous_checkpoint_is_kept_inside_the_newest(tmp_path: Path) -> None:
    for step in (1, 2, 3):
        checkpoint.write(tmp_path, step, _fill(step))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]
    assert checkpoint.load_state(tmp_path / "checkpoint")["step"] == 3
    assert checkpoint.load_state(tmp_path / "checkpoint" / "previous")["step"] == 2
    assert not (tmp_path / "checkpoint" / "previous" / "previous").exists()  # two, not a chain


@pytest.mark.parametrize(
    ("damage", "name"),
    [
        (lambda p: _truncate(p / checkpoint.STATE_FILE), checkpoint.STATE_FILE),
        (lambda p: _flip_a_bit(p / checkpoint.STATE_FILE), checkpoint.STATE_FILE),
        (lambda p: _truncate(p / "model.bin"), "model.bin"),
        (lambda p: _flip_a_bit(p / "model.bin", 0), "model.bin"),
        (lambda p: (p / "model.bin").unlink(), "model.bin"),
        (lambda p: _truncate(p / checkpoint.MANIFEST), checkpoint.MANIFEST),
        (lambda p: (p / checkpoint.MANIFEST).write_text("{}"), checkpoint.MANIFEST),
    ],
    ids=[
        "state truncated",
        "state bit",
        "weights truncated",
        "weights bit",
        "weights gone",
        "manifest truncated",
        "manifest empty",
    ],
)
def test_a_damaged_checkpoint_falls_back_to_the_previous_one(
    tmp_path: Path, damage, name: str
) -> None:
    checkpoint.write(tmp_path, 1, _fill(1))
    checkpoint.write(tmp_path, 2, _fill(2, b"other"))
    damage(tmp_path / "checkpoint")
    found, skipped = checkpoint.find_latest(tmp_path)
    assert found == tmp_path / "checkpoint" / "previous"
    assert checkpoint.load_state(found)["step"] == 1
    assert len(skipped) == 1 and str(tmp_path / "checkpoint") in skipped[0] and name in skipped[0]
    with pytest.warns(checkpoint.CheckpointWarning, match=name):
        assert checkpoint.latest(tmp_path) == found


def test_a_write_after_a_fallback_keeps_the_good_one_not_the_damaged(tmp_path: Path) -> None:
    checkpoint.write(tmp_path, 1, _fill(1))
    checkpoint.write(tmp_path, 2, _fill(2))
    _truncate(tmp_path / "checkpoint" / "model.bin")
    found, _ = checkpoint.find_latest(tmp_path)  # step 1, inside the damaged step 2
    checkpoint.write(tmp_path, 2, _fill(2), keep=found)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]
    assert checkpoint.verify(tmp_path / "checkpoint" / "previous") is None
    assert checkpoint.load_state(tmp_path / "checkpoint" / "previous")["step"] == 1


def test_a_kill_while_setting_the_good_one_aside_loses_nothing(tmp_path: Path) -> None:
    checkpoint.write(tmp_path, 1, _fill(1))
    checkpoint.write(tmp_path, 2, _fill(2))
    _truncate(tmp_path / "checkpoint" / "model.bin")
    (tmp_path / "checkpoint" / "previous").rename(tmp_path / checkpoint.KEPT)  # then killed
    found, _ = checkpoint.find_latest(tmp_path)
    assert found == tmp_path / checkpoint.KEPT and checkpoint.load_state(found)["step"] == 1
    checkpoint.write(tmp_path, 2, _fill(2), keep=found)
    assert checkpoint.load_state(tmp_path / "checkpoint" / "previous")["step"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]


def test_no_intact_checkpoint_is_none_with_every_problem(tmp_path: Path) -> None:
    checkpoint.write(tmp_path, 1, _fill(1))
    checkpoint.write(tmp_path, 2, _fill(2))
    _truncate(tmp_path / "checkpoint" / "model.bin")
    _flip_a_bit(tmp_path / "checkpoint" / "previous" / checkpoint.STATE_FILE)
    found, skipped = checkpoint.find_latest(tmp_path)
    assert found is None and len(skipped) == 2


def test_a_failed_write_leaves_the_last_checkpoint_and_no_staging(tmp_path: Path) -> None:
    checkpoint.write(tmp_path, 1, _fill(1))

    def full(staging: Path) -> None:
        staging.mkdir()
        (staging / "model.bin").write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        checkpoint.write(tmp_path, 2, full)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]
    assert checkpoint.load_state(checkpoint.find_latest(tmp_path)[0])["step"] == 1


def test_a_checkpoint_without_a_manifest_still_loads_unverified(tmp_path: Path) -> None:
    """Checkpoints written before manifests existed resume, with a warning."""
    legacy = tmp_path / "checkpoint"
    legacy.mkdir()
    torch.save({"step": 4}, legacy / checkpoint.STATE_FILE)
    found, skipped = checkpoint.find_latest(tmp_path)
    assert found == legacy and any("no manifest" in s for s in skipped)


def test_atomic_write_keeps_the_old_file_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    path = tmp_path / "eval.json"
    checkpoint.atomic_write_text(path, '{"before": 0.5}')

    def full(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError):
        checkpoint.atomic_write_text(path, '{"before": 0.5, "after": 0.7}')
    assert path.read_text() == '{"before": 0.5}'
    assert [p.name for p in tmp_path.iterdir()] == ["eval.json"]


# ------------------------------------------------------------------------ through Trainer
@pytest.mark.parametrize(
    "damage",
    [
        lambda c: _truncate(c / "model.safetensors"),
        lambda c: _flip_a_bit(c / "model.safetensors"),
        lambda c: _truncate(c / checkpoint.STATE_FILE),
        lambda c: _flip_a_bit(c / checkpoint.STATE_FILE),
    ],
    ids=["weights truncated", "weights bit", "state truncated", "state bit"],
)
def test_resume_skips_a_damaged_checkpoint_with_a_warning(tmp_path: Path, damage) -> None:
    _run(tmp_path, steps=2)
    damage(tmp_path / "checkpoint")
    with pytest.warns(checkpoint.CheckpointWarning, match=re.escape(str(tmp_path / "checkpoint"))):
        resumed = _resume(tmp_path, steps=2)
    assert resumed.step_index == 1
    assert torch.equal(
        next(resumed.model.parameters()),
        _weights_of(tmp_path / "checkpoint" / "previous", "model.embed_tokens.weight"),
    )


def _weights_of(path: Path, name: str) -> torch.Tensor:
    from safetensors.torch import load_file

    return load_file(path / "model.safetensors")[name]


def test_after_a_fallback_the_next_checkpoint_keeps_the_good_one(tmp_path: Path) -> None:
    _run(tmp_path, steps=2)
    _truncate(tmp_path / "checkpoint" / "model.safetensors")
    with pytest.warns(checkpoint.CheckpointWarning):
        resumed = _resume(tmp_path, steps=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        resumed.train()  # saves step 2, then step 3
    assert checkpoint.find_latest(tmp_path) == (tmp_path / "checkpoint", [])
    assert checkpoint.load_state(tmp_path / "checkpoint" / "previous")["step"] == 2
    assert checkpoint.verify(tmp_path / "checkpoint" / "previous") is None


def test_the_final_save_does_not_push_out_the_previous_step(tmp_path: Path) -> None:
    trainer = _run(tmp_path, steps=2)  # save_every=1: steps 1 and 2 are saved
    trainer.save()  # what `rlvr train` does at the end: nothing new to write
    assert checkpoint.load_state(tmp_path / "checkpoint")["step"] == 2
    assert checkpoint.load_state(tmp_path / "checkpoint" / "previous")["step"] == 1


def test_a_new_run_does_not_keep_an_old_runs_checkpoint_as_its_fallback(tmp_path: Path) -> None:
    _run(tmp_path, steps=2, lr=1e-3)
    _run(tmp_path, steps=1)  # a new run (no --resume) in the same directory
    assert checkpoint.load_state(tmp_path / "checkpoint")["step"] == 1
    assert not (tmp_path / "checkpoint" / "previous").exists()


def test_resume_with_no_intact_checkpoint_names_them(tmp_path: Path) -> None:
    _run(tmp_path, steps=2)
    _flip_a_bit(tmp_path / "checkpoint" / "model.safetensors")
    _flip_a_bit(tmp_path / "checkpoint" / "previous" / "model.safetensors")
    with (
        pytest.warns(checkpoint.CheckpointWarning),
        pytest.raises(FileNotFoundError, match="no intact checkpoint") as caught,
    ):
        _resume(tmp_path, steps=2)
    assert str(tmp_path / "checkpoint" / "previous") in str(caught.value)


def _rewrite(path: Path, name: str, text: str) -> None:
    """Replace a checkpoint file and update its manifest, as a consistent but wrong
    checkpoint would be (the manifest guards against damage, not against this)."""
    import hashlib

    (path / name).write_text(text)
    manifest = json.loads((path / checkpoint.MANIFEST).read_text())
    data = (path / name).read_bytes()
    manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (path / checkpoint.MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({}, "model_type"),
        ({"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32}, "hidden_size"),
        ("tiny-but-deeper", "num_hidden_layers"),
    ],
)
def test_a_checkpoint_of_another_architecture_is_refused_before_it_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: object, field: str
) -> None:
    from transformers import LlamaForCausalLM

    _run(tmp_path, steps=1)
    target = tmp_path / "checkpoint"
    if config == "tiny-but-deeper":
        real = json.loads((target / "config.json").read_text())
        config = {**real, "num_hidden_layers": real["num_hidden_layers"] + 1}
    _rewrite(target, "config.json", json.dumps(config))

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was built from the mismatched checkpoint config")

    monkeypatch.setattr(LlamaForCausalLM, "from_pretrained", classmethod(never))
    with pytest.raises(ValueError, match=rf"{field}.*checkpoint|checkpoint.*{field}"):
        _resume(tmp_path, steps=1)


# ---------------------------------------------------------------- what a resume may change
def test_a_changed_lr_applies_on_resume_and_is_reported(tmp_path: Path) -> None:
    _run(tmp_path, steps=1, lr=3e-3, weight_decay=0.0)
    resumed = _resume(tmp_path, steps=3, lr=1e-3, weight_decay=0.1)
    group = resumed.optimizer.param_groups[0]
    assert (group["lr"], group["initial_lr"], group["weight_decay"]) == (1e-3, 1e-3, 0.1)
    assert resumed.scheduler.base_lrs == [1e-3]
    notes = " ".join(resumed.resume_notes)
    assert "lr: 0.003 -> 0.001" in notes and "steps: 1 -> 3" in notes
    assert "weight_decay: 0.0 -> 0.1" in notes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert resumed.step()["lr"] == pytest.approx(1e-3)


def test_a_changed_lr_follows_the_schedule_on_resume(tmp_path: Path) -> None:
    _run(tmp_path, steps=2, lr=3e-3, schedule="cosine")
    resumed = _resume(tmp_path, steps=4, lr=1e-3, schedule="cosine")
    assert resumed.optimizer.param_groups[0]["lr"] == pytest.approx(
        1e-3 * resumed._lr_factor(resumed.scheduler.last_epoch)
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("algo", "rloo"),
        ("seed", 7),
        ("env_kwargs", {"x": 1}),
        ("lora_rank", 2),
        ("model", "somewhere-else"),
        ("eval_n", 3),
    ],
)
def test_changing_what_the_checkpoint_fixes_is_refused(
    tmp_path: Path, field: str, value: object
) -> None:
    _run(tmp_path, steps=1)
    with pytest.raises(ValueError, match=rf"config\.{field}\b.*checkpoint"):
        _resume(tmp_path, steps=2, **{field: value})


def test_nothing_changed_says_nothing(tmp_path: Path) -> None:
    _run(tmp_path, steps=1)
    assert _resume(tmp_path, steps=1).resume_notes == []


# ----------------------------------------------------------------------- through the CLI
def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _train_args(model_dir: Path, out: Path) -> list[str]:
    return [
        "train", "--model", str(model_dir), "--env", "test/IntegrityDigits-v0", "--sampler", "hf",
        "--prompts-per-step", "2", "--group-size", "2", "--max-new-tokens", "4", "--out", str(out),
    ]  # fmt: skip


def test_resume_prints_what_applies_and_what_the_checkpoint_keeps(
    tmp_path: Path, model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    args = _train_args(model_dir, out)
    code, _, err = _cli([*args, "--algo", "rloo", "--lr", "0.003", "--steps", "1",
                         "--eval-n", "0"], capsys)  # fmt: skip
    assert code == 0, err
    # Resumed without --algo: the checkpoint's rloo is kept, not the default grpo.
    resume = ["train", "--out", str(out), "--resume", "--steps", "2", "--lr", "0.001"]
    code, printed, err = _cli(resume, capsys)
    assert code == 0, err
    assert "lr: 0.003 -> 0.001" in printed and "steps: 1 -> 2" in printed
    assert "algo: rloo" in printed and "kept from the checkpoint" in printed
    resolved = (out / "config.yaml").read_text()
    assert "algo: rloo" in resolved and "lr: 0.001" in resolved
    assert checkpoint.load_state(out / "checkpoint")["step"] == 2


def test_resume_refuses_an_explicit_change_of_algorithm(
    tmp_path: Path, model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    code, _, err = _cli([*_train_args(model_dir, out), "--steps", "1", "--eval-n", "0"], capsys)
    assert code == 0, err
    before = (out / "config.yaml").read_text()
    code, _, err = _cli([*_train_args(model_dir, out), "--resume", "--algo", "dapo"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "config.algo" in err and "grpo" in err and len(err.strip().splitlines()) == 1
    assert (out / "config.yaml").read_text() == before, "a refused resume changes nothing"


def test_a_corrupt_eval_json_does_not_block_resume(
    tmp_path: Path, model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    args = [*_train_args(model_dir, out), "--eval-n", "2"]
    code, _, err = _cli([*args, "--steps", "1"], capsys)
    assert code == 0, err
    assert set(json.loads((out / "eval.json").read_text())) == {"before", "rows", "after"}
    (out / "eval.json").write_text('{"before": 0.5, "ro')  # torn by a kill
    code, _, err = _cli([*args, "--steps", "2", "--resume"], capsys)
    assert code == 0, err
    assert "eval.json" in err and "Traceback" not in err
    record = json.loads((out / "eval.json").read_text())
    assert "before" not in record and "final" in record  # the lost figure is not invented


def test_every_run_file_is_written_atomically(
    tmp_path: Path, model_dir: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    written: list[str] = []
    real = checkpoint.atomic_write_text

    def record(path: Path, text: str) -> None:
        written.append(Path(path).name)
        real(path, text)

    monkeypatch.setattr(checkpoint, "atomic_write_text", record)
    out = tmp_path / "run"
    code, _, err = _cli([*_train_args(model_dir, out), "--steps", "1", "--eval-n", "2"], capsys)
    assert code == 0, err
    assert {"config.yaml", "eval.json", checkpoint.CONFIG_FILE} <= set(written)
    assert not list(out.rglob("*.tmp"))
