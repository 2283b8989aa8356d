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
