"""The loop, end to end, on a tiny model built in the test: the reward must rise for real."""

import json
import math
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
rlvr.register_task(
    "test/Solved-v0", source=_prompt, verifier=lambda c, r: Verdict(1.0, True, c, "yes")
)


def _config(tmp_path, algo: str, **overrides) -> TrainConfig:
    defaults = dict(
        env="test/Digits-v0", algo=algo, steps=30, prompts_per_step=4, group_size=8,
        max_new_tokens=6, lr=3e-3, out=str(tmp_path / algo), log_samples_every=10, sampler="hf",
    )  # fmt: skip
    return TrainConfig(**{**defaults, **overrides})


@pytest.mark.parametrize(
    ("algo", "overrides", "gain"),
    [
        ("grpo", {"kl_coef": 0.04}, 0.3),
        ("dr_grpo", {"norm_len": 6}, 0.3),
        ("dapo", {"overlong_penalty": None}, 0.3),
        ("rft", {"threshold": 0.3, "per_group": 8}, 0.15),
        ("rloo", {}, 0.3),
        ("reinforce", {}, 0.3),
        ("ppo", {"reward_kl_coef": 0.01}, 0.25),  # with its value head
        ("gspo", {}, 0.3),
        ("cispo", {}, 0.3),
        ("dpo", {}, 0.3),
        ("plackett_luce", {}, 0.3),
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
        "algo/clip_frac_low", "algo/clip_frac_high", "entropy", "response_len", "response_len_max",
        "truncated", "sample_s", "verify_s", "update_s", "tokens_per_s",
    }  # fmt: skip
    assert expected <= set(rows[0])
    samples = (tmp_path / "grpo" / "samples.jsonl").read_text().splitlines()
    assert samples and {"step", "completion", "score", "reason"} <= set(json.loads(samples[0]))
    checkpoint = tmp_path / "grpo" / "checkpoint"
    assert (checkpoint / "config.json").is_file()
    assert torch.load(checkpoint / "trainer_state.pt")["step"] == 2


def test_zero_variance_is_warned_loudly_with_its_cause(tmp_path):
    config = _config(tmp_path, "grpo", env="test/Constant-v0", steps=1)
    with pytest.warns(UserWarning, match=r"every group has the same reward.*4 all wrong: check"):
        Trainer(config, tiny_model(), tiny_tokenizer()).train()
    config = _config(tmp_path, "grpo", env="test/Solved-v0", steps=1)
    with pytest.warns(UserWarning, match=r"4 all right: the task is solved"):
        Trainer(config, tiny_model(), tiny_tokenizer()).train()


@pytest.mark.parametrize("algo", ["grpo", "dapo", "plackett_luce"])  # seq-, token-, group-mean
def test_micro_batches_accumulate_to_the_full_batch_gradient(tmp_path, algo: str):
    grads = []
    for micro in (32, 5):
        config = _config(tmp_path, algo, steps=1, micro_batch=micro, algo_kwargs={})
        grads.append(_first_step_gradient(config))
    assert torch.allclose(grads[0], grads[1], atol=1e-6)


def _first_step_gradient(config: TrainConfig) -> torch.Tensor:
    trainer = Trainer(config, tiny_model(), tiny_tokenizer())
    trainer.optimizer.step = lambda: None  # keep the gradients to compare them
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metrics = trainer.step()
    assert metrics["logprob_mismatch"] < 1e-4  # HF sampler and learner: same model, same maths
    return torch.cat([p.grad.flatten() for p in trainer.model.parameters()])


def test_truncated_importance_sampling_needs_a_policy_gradient(tmp_path):
    config = _config(tmp_path, "dpo", tis_cap=2.0, algo_kwargs={})
    with pytest.raises(ValueError, match="tis_cap"):
        Trainer(config, tiny_model(), tiny_tokenizer())


def test_truncated_importance_sampling_is_neutral_when_sampler_and_learner_agree(tmp_path):
    plain = _first_step_gradient(_config(tmp_path, "grpo", steps=1))
    corrected = _first_step_gradient(_config(tmp_path, "grpo", steps=1, tis_cap=2.0))
    assert torch.allclose(plain, corrected, atol=1e-5)


# ------------------------------------------------------------------ several updates per batch
def _spy_on_loss(trainer: Trainer) -> list[dict]:
    """Record every loss call, with the gradient of the loss w.r.t. the log-probs."""
    calls: list[dict] = []
    original = trainer.algo.loss

    def spy(logprobs, old, advantages, mask, ref=None, **extra):
        loss, stats = original(logprobs, old, advantages, mask, ref, **extra)
        (grad,) = torch.autograd.grad(loss, logprobs, retain_graph=True)
        calls.append(dict(logprobs=logprobs.detach(), old=old.detach(), advantages=advantages,
                          mask=mask, grad=grad, stats=stats))  # fmt: skip
        return loss, stats

    trainer.algo.loss = spy  # type: ignore[method-assign]
    return calls


@pytest.mark.parametrize("updates", [{"epochs": 2}, {"mini_batches": 4}])
def test_later_updates_clip_and_clipped_tokens_get_no_gradient(tmp_path, updates):
    """π_old is fixed before the first update, so after it the ratio moves and GRPO's clip acts:
    the gradient is autograd's of the written-out objective, and zero where it clipped."""
    config = _config(tmp_path, "grpo", steps=2, lr=0.05, **updates)
    trainer = Trainer(config, tiny_model(), tiny_tokenizer())
    calls = _spy_on_loss(trainer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metrics = trainer.train()
    # 2 steps × (2 epochs × 2 micro-batches of 16 | 4 mini-batches of one 8-sample group)
    assert len(calls) == 8
    assert metrics[-1]["algo/clip_frac_high"] + metrics[-1]["algo/clip_frac_low"] > 0
    clipped_somewhere = False
    eps = trainer.algo.clip_low, trainer.algo.clip_high
    for call in calls:
        lp = call["logprobs"].clone().requires_grad_()
        a, m = call["advantages"][:, None], call["mask"].float()
        ratio = torch.exp(lp - call["old"])
        per_token = -torch.minimum(ratio * a, ratio.clamp(1 - eps[0], 1 + eps[1]) * a)
        written = ((per_token * m).sum(1) / m.sum(1).clamp(min=1)).mean()
        (expected,) = torch.autograd.grad(written, lp)
        assert torch.allclose(call["grad"], expected, atol=1e-6)
        out = ((ratio > 1 + eps[1]) & (a > 0)) | ((ratio < 1 - eps[0]) & (a < 0))
        out &= call["mask"]
        assert (call["grad"][out] == 0).all()
        clipped_somewhere |= bool(out.any())
    assert clipped_somewhere
    first = calls[0]  # the first update is on-policy: ratio exactly 1
    assert torch.equal(first["logprobs"][first["mask"]], first["old"][first["mask"]])


def test_one_update_matches_with_pi_old_from_a_separate_pass_or_the_sampler(tmp_path):
    """One on-policy update takes π_old from its own forward pass; the same step with π_old from
    a separate pass (the sampler's log-probs, here the same model) gives the same gradient."""
    plain = _first_step_gradient(_config(tmp_path, "grpo", steps=1))
    sampler = _first_step_gradient(_config(tmp_path, "grpo", steps=1, old_logprobs="sampler"))
    assert torch.allclose(plain, sampler, atol=1e-5)


def test_ppo_keeps_its_values_from_before_the_updates(tmp_path):
    config = _config(tmp_path, "ppo", steps=2, epochs=2, lr=0.01)
    trainer = Trainer(config, tiny_model(), tiny_tokenizer())
    calls = _spy_on_loss(trainer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = trainer.train()
    assert all(math.isfinite(h["algo/value_loss"]) for h in history)
    assert trainer.critic is not None and len(calls) == 2 * 2 * 2


# ------------------------------------------------------------------------- resolved config
def test_algo_kwargs_merge_with_the_trainer_defaults(tmp_path):
    config = _config(tmp_path, "grpo", steps=1, algo_kwargs={"clip_high": 0.3})
    trainer = Trainer(config, tiny_model(), tiny_tokenizer())
    assert trainer.algo.kl_coef == 0.0 and trainer.algo.clip_high == 0.3
    assert trainer.reference is None  # no KL term: no reference model is copied
    paper = Trainer(_config(tmp_path, "grpo", steps=1, algo_kwargs={"kl_coef": 0.04}),
                    tiny_model(), tiny_tokenizer())  # fmt: skip
    assert paper.reference is not None


def test_length_fields_follow_max_new_tokens(tmp_path):
    dr = Trainer(_config(tmp_path, "dr_grpo", max_new_tokens=6), tiny_model(), tiny_tokenizer())
    assert dr.algo.norm_len == 6
    dapo = Trainer(_config(tmp_path, "dapo", max_new_tokens=10), tiny_model(), tiny_tokenizer())
    assert dapo.algo.overlong_penalty == (10, 2)


def test_resolved_config_round_trips(tmp_path):
    import argparse

    import yaml

    from rlvr.training.cli import add_arguments, config_from_args

    first = Trainer(_config(tmp_path / "a", "dapo", steps=1, algo_kwargs={"clip_high": 0.3}),
                    tiny_model(), tiny_tokenizer())  # fmt: skip
    written = yaml.safe_load((first.out / "config.yaml").read_text())
    assert written["algo_kwargs"]["overlong_penalty"] == [6, 1]
    assert written["algo_kwargs"]["clip_high"] == 0.3 and written["algo_kwargs"]["kl_coef"] == 0.0
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    again = config_from_args(parser.parse_args(["--config", str(first.out / "config.yaml")]))
    second = Trainer(again, tiny_model(), tiny_tokenizer())
    assert second.resolved == first.resolved
    assert second.algo == first.algo


# ------------------------------------------------------------------------------ rewards
def test_a_gym_reward_wrapper_reaches_the_trainer(tmp_path):
    import gymnasium as gym

    env = gym.wrappers.TransformReward(gym.make("test/Digits-v0"), lambda r: r + 10.0)
    trainer = Trainer(_config(tmp_path, "grpo", steps=1), tiny_model(), tiny_tokenizer(), env=env)
    assert trainer.step()["reward_mean"] >= 10.0


def test_a_wrapper_training_cannot_follow_is_refused(tmp_path):
    import gymnasium as gym

    class Bonus(gym.Wrapper):
        def step(self, action):
            obs, reward, *rest = self.env.step(action)
            return obs, reward + 1.0, *rest

    with pytest.raises(TypeError, match="Bonus changes step"):
        Trainer(_config(tmp_path, "grpo"), tiny_model(), tiny_tokenizer(),
                env=Bonus(gym.make("test/Digits-v0")))  # fmt: skip


def test_entropy_bonus_gets_the_entropy(tmp_path):
    config = _config(tmp_path, "grpo", steps=1, algo_kwargs={"entropy_coef": 0.01})
    trainer = Trainer(config, tiny_model(), tiny_tokenizer())
    seen = []
    original = trainer.algo.loss
    trainer.algo.loss = lambda *a, **kw: (seen.append(kw["entropy"]), original(*a, **kw))[1]
    trainer.step()
    assert seen and all(e is not None and (e > 0).any() for e in seen)


def test_rft_keeps_distinct_completions_only(tmp_path):
    """Greedy sampling makes a group's 8 completions equal: RFT keeps one of them."""
    config = _config(tmp_path, "rft", steps=1, temperature=0.0,
                     algo_kwargs={"threshold": 0.0, "per_group": 4})  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # equal completions: no spread, as intended here
        metrics = Trainer(config, tiny_model(), tiny_tokenizer()).step()
    assert metrics["kept"] == pytest.approx(1 / 8)


def test_ranking_accuracy_does_not_hide_the_task_accuracy(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metrics = Trainer(_config(tmp_path, "dpo", steps=1), tiny_model(), tiny_tokenizer()).step()
    assert {"accuracy", "algo/accuracy"} <= set(metrics)


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
        "--eval-every", "2", "--sampler", "hf", "--out", str(tmp_path / "run"),
    ]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(args) == 0
    out = capsys.readouterr().out
    assert "held-out greedy accuracy (4 test rows of test/DigitsList-v0)" in out
    assert (tmp_path / "run" / "checkpoint" / "config.json").is_file()
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").open()]
    assert [("eval_accuracy" in row) for row in rows] == [False, True, False]
    assert main(["plot", str(tmp_path / "run")]) == 0
    png = (tmp_path / "run" / "curves.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    assert main(["plot", str(tmp_path / "nowhere")]) == 2


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


# ---------------------------------------------------------------------------------- resume
def _weights(model) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_resume_reproduces_an_uninterrupted_run(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        straight = Trainer(_config(tmp_path / "a", "grpo", steps=4), tiny_model(), tiny_tokenizer())
        straight.train()
        # Stopped after step 3, one step past the checkpoint of step 2 ...
        cut = _config(tmp_path / "b", "grpo", steps=4, save_every=2)
        first = Trainer(cut, tiny_model(), tiny_tokenizer())
        for _ in range(3):
            first.step()
        # ... and resumed in a new process-like trainer built from a fresh model.
        cut.resume = True
        resumed = Trainer(cut, tiny_model(seed=1), tiny_tokenizer())
        assert resumed.step_index == 2
        resumed.train()
    assert torch.equal(_weights(resumed.model), _weights(straight.model))
    log = tmp_path / "b" / "grpo" / "metrics.jsonl"
    assert [json.loads(line)["step"] for line in log.read_text().splitlines()] == [1, 2, 3, 4]


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path):
    config = _config(tmp_path, "grpo", resume=True)
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        Trainer(config, tiny_model(), tiny_tokenizer())


def test_checkpoint_swap_survives_a_kill_between_renames(tmp_path):
    from rlvr.training import checkpoint

    def fill(step):
        def write(staging):
            staging.mkdir()
            torch.save({"step": step}, staging / checkpoint.STATE_FILE)

        return write

    checkpoint.write(tmp_path, 1, fill(1))
    (tmp_path / "checkpoint").rename(tmp_path / ".checkpoint-old")  # killed mid-swap
    (tmp_path / ".checkpoint-2").mkdir()  # and a half-written staging dir
    assert checkpoint.load_state(checkpoint.latest(tmp_path))["step"] == 1
    checkpoint.write(tmp_path, 3, fill(3))
    assert checkpoint.load_state(checkpoint.latest(tmp_path))["step"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]


def checkpoint_step(out) -> int:
    from rlvr.training import checkpoint

    try:
        return checkpoint.load_state(checkpoint.latest(out))["step"]
    except (TypeError, OSError, RuntimeError, EOFError):  # none yet, or renamed as we read
        return 0


def test_sigkill_at_any_moment_then_resume(tmp_path):
    """A real `rlvr train` process killed with SIGKILL twice, then resumed to the end."""
    import os
    import random
    import signal
    import subprocess
    import sys
    import time

    model_dir = tmp_path / "model"
    tiny_model().save_pretrained(model_dir)
    tiny_tokenizer().save_pretrained(model_dir)
    out = tmp_path / "run"
    args = [
        sys.executable, "-c", "import sys, tiny_model; from rlvr.cli import main; "
        "sys.exit(main(sys.argv[1:]))",
        "train", "--model", str(model_dir), "--env", "test/DigitsList-v0", "--steps", "40",
        "--prompts-per-step", "2", "--group-size", "4", "--max-new-tokens", "6",
        "--lr", "0.003", "--eval-n", "0", "--save-every", "1", "--sampler", "hf", "--out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    register = "import test_training;"  # registers test/DigitsList-v0 in the child
    args[2] = register + args[2]
    rng = random.Random(0)
    killed_at = []
    for attempt, after in enumerate((rng.randint(2, 10), rng.randint(15, 25))):
        proc = subprocess.Popen(args + (["--resume"] if attempt else []), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 120
        while checkpoint_step(out) < after and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.2))  # somewhere inside a step or a checkpoint write
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at.append(checkpoint_step(out))
    done = subprocess.run([*args, "--resume"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 41))
    assert 2 <= killed_at[0] < killed_at[1] < 40, killed_at
    assert torch.load(out / "checkpoint" / "trainer_state.pt")["step"] == 40


# ------------------------------------------------------------------------------------ eval
def test_pass_at_k_and_majority_vote():
    from rlvr.training.evaluate import majority_correct, pass_at_k

    assert pass_at_k(8, 0, 1) == 0.0 and pass_at_k(8, 8, 8) == 1.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)  # 1 - C(3,2)/C(4,2)
    right, wrong = Verdict(1.0, True, "7", "ok"), Verdict(0.0, False, "8", "no")
    blank = Verdict(0.0, False, None, "no-answer-found")
    assert majority_correct([wrong, right, right, blank, blank])
    assert not majority_correct([wrong, right])  # a tie goes to the first seen
    assert not majority_correct([blank, blank])


def test_eval_command_reports_greedy_pass_and_majority(tmp_path, capsys):
    from rlvr.cli import main

    model_dir = tmp_path / "model"
    tiny_model().save_pretrained(model_dir)
    tiny_tokenizer().save_pretrained(model_dir)
    report = tmp_path / "eval.json"
    args = [
        "eval", "--model", str(model_dir), "--env", "test/DigitsList-v0", "--n", "4",
        "--k", "1,4", "--max-new-tokens", "6", "--sampler", "hf", "-o", str(report),
    ]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "4 test rows, n=4" in out and "pass@4" in out and "maj@1" in out
    figures = json.loads(report.read_text())
    assert {"greedy", "pass@1", "pass@4", "maj@1", "maj@4"} <= set(figures)
    assert figures["pass@1"] <= figures["pass@4"] <= 1.0
    assert main([*args[:-2], "--k", "1,9"]) == 2
    assert "every k must be in 1..n=4" in capsys.readouterr().err


def test_tensorboard_scalars(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    config = _config(tmp_path, "grpo", steps=2, report_to="tensorboard")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Trainer(config, tiny_model(), tiny_tokenizer()).train()
    events = EventAccumulator(str(tmp_path / "grpo" / "tensorboard"))
    events.Reload()
    assert [e.step for e in events.Scalars("reward_mean")] == [1, 2]


# ------------------------------------------------------------------------------------ LoRA
def test_lora_learns_trains_only_adapters_and_resumes(tmp_path):
    pytest.importorskip("peft")
    from rlvr.training.lora import merged_weights

    # Embeddings are frozen under LoRA: at the default 0.02 init scale the tiny model's logits
    # cannot move far enough, so it starts from larger weights.
    def base():
        return tiny_model(init_range=0.3)

    config = _config(tmp_path, "grpo", algo_kwargs={"kl_coef": 0.04}, lora_rank=8, lr=1e-2,
                     save_every=10)  # fmt: skip
    trainer = Trainer(config, base(), tiny_tokenizer())
    assert trainer.reference is None  # the frozen base is the reference
    history = trainer.train()
    start = sum(h["reward_mean"] for h in history[:5]) / 5
    end = sum(h["reward_mean"] for h in history[-5:]) / 5
    assert end > start + 0.3, [round(h["reward_mean"], 2) for h in history]
    assert history[-1]["kl"] > 0
    assert (tmp_path / "grpo" / "checkpoint" / "adapter_model.safetensors").is_file()

    original = base().state_dict()
    weights = merged_weights(trainer.model)  # what a vLLM sampler receives
    assert set(weights) == set(original)
    name = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.allclose(weights[name], original[name])
    frozen = trainer.model.get_base_model().state_dict()  # merging was undone
    assert torch.allclose(frozen[name.replace(".weight", ".base_layer.weight")], original[name])

    config.resume, config.steps = True, 32
    resumed = Trainer(config, base(), tiny_tokenizer())
    assert resumed.step_index == 30
    assert all(h["reward_mean"] > start for h in resumed.train())


def test_weights_and_biases_offline_gets_the_same_scalars(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    config = _config(tmp_path, "grpo", steps=2, report_to="wandb")
    trainer = Trainer(config, tiny_model(), tiny_tokenizer())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = trainer.train()
    run = trainer.reporters[0].run
    assert run.summary["reward_mean"] == pytest.approx(history[-1]["reward_mean"])
    assert run.summary["algo/clip_frac_high"] == history[-1]["algo/clip_frac_high"]
    assert run.config["algo_kwargs"]["kl_coef"] == 0.0  # the resolved config
    trainer.close()
    runs = list((tmp_path / "grpo" / "wandb").glob("offline-run-*"))
    assert len(runs) == 1 and any(runs[0].glob("*.wandb"))
