"""The loop, end to end, on a tiny model built in the test: the reward must rise for real."""

import json
import warnings

import pytest
import torch
from tiny_model import tiny_model, tiny_tokenizer

import rlvr
from rlvr.training.config import TrainConfig
from rlvr.training.trainer import Trainer
from rlvr.verifiers import Verdict


def _digits(completion: str, reference: str) -> Verdict:
    """Dense reward: the share of digits among the first 6 characters."""
    head = completion[:6]
    score = sum(ch.isdigit() for ch in head) / 6
    return Verdict(score, score == 1.0, head, "digits")


def _prompt(rng) -> dict:
    return {"prompt": "".join(rng.choice(list("abcxyz"), size=3)), "reference": ""}


rlvr.register_task("test/Digits-v0", source=_prompt, verifier=_digits)
rlvr.register_task(
    "test/Constant-v0", source=_prompt, verifier=lambda c, r: Verdict(0.0, False, c, "no")
)


def _config(tmp_path, algo: str, **overrides) -> TrainConfig:
    defaults = dict(
        env="test/Digits-v0", algo=algo, steps=30, prompts_per_step=4, group_size=8,
        max_new_tokens=6, lr=3e-3, out=str(tmp_path / algo), log_samples_every=10,
    )  # fmt: skip
    return TrainConfig(**{**defaults, **overrides})


@pytest.mark.parametrize(
    ("algo", "overrides", "gain"),
    [
        ("grpo", {"kl_coef": 0.04}, 0.3),
        ("dr_grpo", {"norm_len": 6}, 0.3),
        ("dapo", {"overlong_penalty": None}, 0.3),
        ("rft", {"threshold": 0.3, "per_group": 8}, 0.15),
    ],
)
def test_reward_rises(tmp_path, algo: str, overrides: dict, gain: float):
    trainer = Trainer(
        _config(tmp_path, algo, algo_kwargs=overrides), tiny_model(), tiny_tokenizer()
    )
    assert (trainer.reference is not None) == trainer.algo.needs_reference
    history = trainer.train()
    start = sum(h["reward_mean"] for h in history[:5]) / 5
    end = sum(h["reward_mean"] for h in history[-5:]) / 5
    assert end > start + gain, [round(h["reward_mean"], 2) for h in history]


def test_metrics_samples_and_checkpoint(tmp_path):
    config = _config(tmp_path, "grpo", steps=3, save_every=2)
    trainer = Trainer(config, tiny_model(), tiny_tokenizer())
    trainer.train()
    rows = [
        json.loads(line) for line in (tmp_path / "grpo" / "metrics.jsonl").read_text().splitlines()
    ]
    assert [r["step"] for r in rows] == [1, 2, 3]
    expected = {
        "reward_mean", "reward_std", "accuracy", "zero_variance_groups", "loss", "kl",
        "clip_frac_low", "clip_frac_high", "entropy", "response_len", "response_len_max",
        "truncated", "sample_s", "verify_s", "update_s", "tokens_per_s",
    }  # fmt: skip
    assert expected <= set(rows[0])
    samples = (tmp_path / "grpo" / "samples.jsonl").read_text().splitlines()
    assert samples and {"step", "completion", "score", "reason"} <= set(json.loads(samples[0]))
    checkpoint = tmp_path / "grpo" / "checkpoint"
    assert (checkpoint / "config.json").is_file()
    assert torch.load(checkpoint / "trainer_state.pt")["step"] == 2


def test_zero_variance_is_warned_loudly(tmp_path):
    config = _config(tmp_path, "grpo", env="test/Constant-v0", steps=1)
    with pytest.warns(UserWarning, match="every group has the same reward"):
        Trainer(config, tiny_model(), tiny_tokenizer()).train()


def test_micro_batches_accumulate_to_the_full_batch_gradient(tmp_path):
    grads = []
    for micro in (32, 5):
        config = _config(tmp_path, "grpo", steps=1, micro_batch=micro, algo_kwargs={"kl_coef": 0.0})
        trainer = Trainer(config, tiny_model(), tiny_tokenizer())
        trainer.optimizer.step = lambda: None  # keep the gradients to compare them
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer.step()
        grads.append(torch.cat([p.grad.flatten() for p in trainer.model.parameters()]))
    assert torch.allclose(grads[0], grads[1], atol=1e-6)


def test_bad_config_names_the_field():
    with pytest.raises(ValueError, match=r"config\.group_size"):
        TrainConfig(group_size=0)
    with pytest.raises(ValueError, match=r"config\.schedule"):
        TrainConfig(schedule="linear")


# ------------------------------------------------------------------------------- rlvr train
rlvr.register_task(
    "test/DigitsList-v0",
    source=[{"prompt": p, "reference": ""} for p in ("abc", "xyz", "cab", "zzz")],
    verifier=_digits,
)


def test_train_command_end_to_end(tmp_path, capsys):
    from rlvr.cli import main

    model_dir = tmp_path / "model"
    tiny_model().save_pretrained(model_dir)
    tiny_tokenizer().save_pretrained(model_dir)
    args = [
        "train", "--model", str(model_dir), "--env", "test/DigitsList-v0", "--algo", "grpo",
        "--algo-kwargs", '{"kl_coef": 0.0}', "--steps", "3", "--prompts-per-step", "2",
        "--group-size", "4", "--max-new-tokens", "6", "--lr", "0.003", "--eval-n", "4",
        "--out", str(tmp_path / "run"),
    ]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(args) == 0
    out = capsys.readouterr().out
    assert "held-out greedy accuracy (4 test rows of test/DigitsList-v0)" in out
    assert (tmp_path / "run" / "checkpoint" / "config.json").is_file()
    assert len((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()) == 3


def test_train_help_documents_every_field(capsys):
    from rlvr.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["train", "--help"])
    assert stop.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "G: completions sampled per prompt. (default: 8)" in help_text
    assert "--algo-kwargs JSON" in help_text


def test_train_config_errors_are_clear(tmp_path, capsys):
    from rlvr.cli import main

    assert main(["train", "--group-size", "0"]) == 2
    assert "config.group_size must be >= 1" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: 3\nlearning_rate: 0.1\n")
    assert main(["train", "--config", str(bad)]) == 2
    assert "unknown config field(s) learning_rate" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--algo-kwargs", "not json"])


def test_yaml_and_flags_combine(tmp_path):
    import argparse

    from rlvr.training.cli import add_arguments, config_from_args

    path = tmp_path / "run.yaml"
    path.write_text("algo: dapo\nsteps: 7\nalgo_kwargs: {clip_high: 0.3}\n")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    config = config_from_args(parser.parse_args(["--config", str(path), "--steps", "9"]))
    assert (config.algo, config.steps, config.algo_kwargs) == ("dapo", 9, {"clip_high": 0.3})
    flags = parser.parse_args(["--env-kwargs", '{"digits": 2}', "--model", "m"])
    assert config_from_args(flags).env_kwargs == {"digits": 2}
    with pytest.raises(ValueError, match=r"config\.env_kwargs must be a mapping"):
        TrainConfig(env_kwargs="digits=2")  # type: ignore[arg-type]
