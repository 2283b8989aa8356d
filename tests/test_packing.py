"""The packed update (shared prompts, padding-free rows, completion-only logits) computes the same
losses and gradients as the plain padded forward pass."""

import warnings

import pytest
import torch
from test_training import _config
from tiny_model import tiny_model, tiny_tokenizer

from rlvr.algorithms import get_algorithm
from rlvr.rollout import Completion
from rlvr.training import Trainer
from rlvr.training.logprobs import build_layout, exact_on, packed_logprobs, plain_logprobs

PAD = 0
TEMPERATURE = 0.7


def _groups(seed: int = 0) -> tuple[list[Completion], torch.Tensor]:
    """Three groups of four: prompts of unequal length, completions of 1 to 11 tokens."""
    g = torch.Generator().manual_seed(seed)
    completions, group_ids = [], []
    for group, prompt_len in enumerate((5, 9, 3)):
        prompt = torch.randint(3, 40, (prompt_len,), generator=g).tolist()
        for _ in range(4):
            n = int(torch.randint(1, 12, (), generator=g))
            tokens = torch.randint(3, 40, (n,), generator=g).tolist()
            completions.append(Completion("", tokens, [0.0] * n, "stop", prompt))
            group_ids.append(group)
    return completions, torch.tensor(group_ids)


def _loss_and_grads(algo_name, model, reference, completions, group_ids, packed: bool):
    algo = get_algorithm(algo_name).with_budget(12)
    model.zero_grad(set_to_none=True)
    if packed:
        layout = build_layout(completions, PAD)
        now = packed_logprobs(model, layout, TEMPERATURE, entropy=True)
        with torch.no_grad():
            ref = packed_logprobs(reference, layout, TEMPERATURE).logprobs
    else:
        now = plain_logprobs(model, completions, PAD, TEMPERATURE, entropy=True)
        with torch.no_grad():
            ref = plain_logprobs(reference, completions, PAD, TEMPERATURE).logprobs
    rewards = torch.tensor([float(k % 3 == 0) for k in range(len(completions))])
    advantages = algo.advantages(rewards, group_ids)
    old = now.logprobs.detach() + 0.05 * torch.arange(now.where.shape[1])  # ratios != 1
    loss, _ = algo.loss(now.logprobs, old, advantages, now.where, ref, group_ids=group_ids,
                        entropy=now.entropy)  # fmt: skip
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
@pytest.mark.parametrize("algo_name", ["grpo", "dapo", "dr_grpo", "plackett_luce"])
def test_packed_update_equals_padded_update(algo_name, attention):
    model, reference = tiny_model(seed=1, layers=3, hidden=64), tiny_model(seed=2, hidden=64)
    for m in (model, reference):
        m.config._attn_implementation = attention
    completions, group_ids = _groups()
    layout = build_layout(completions, PAD)
    assert (layout.ids == PAD).any(), "the packed rows include padding"
    plain_loss, plain = _loss_and_grads(algo_name, model, reference, completions, group_ids, False)
    packed_loss, packed = _loss_and_grads(algo_name, model, reference, completions, group_ids, True)
    assert torch.allclose(packed_loss, plain_loss, atol=1e-5, rtol=0)
    for name, grad in plain.items():
        assert torch.allclose(packed[name], grad, atol=1e-5, rtol=0), name


def test_layout_runs_each_prompt_once_and_feeds_no_final_token():
    completions, _ = _groups()
    layout = build_layout(completions, PAD)
    prompts = sum(len(c.prompt_token_ids) for c in completions[::4])
    bodies = sum(len(c.token_ids) - 1 for c in completions)
    assert int((layout.ids != PAD).sum()) == prompts + bodies
    assert len(layout.targets) == sum(len(c.token_ids) for c in completions)
    unshared = build_layout(completions, PAD, share_prompts=False)
    assert int((unshared.ids != PAD).sum()) == 4 * prompts + bodies


def test_states_and_entropy_match_for_a_critic():
    model = tiny_model(seed=3, layers=2, hidden=64)
    completions, _ = _groups(seed=1)
    with torch.no_grad():
        packed = packed_logprobs(model, build_layout(completions, PAD), 1.0, True, True)
        plain = plain_logprobs(model, completions, PAD, 1.0, True, True)
    assert torch.allclose(packed.hidden, plain.hidden, atol=1e-5)
    assert torch.allclose(packed.entropy, plain.entropy, atol=1e-5)
    assert torch.equal(packed.where, plain.where)


def test_a_model_the_packing_cannot_reproduce_falls_back_to_the_padded_forward(tmp_path):
    model, tok = tiny_model(), tiny_tokenizer()
    completions, _ = _groups()
    assert exact_on(model, completions, PAD, TEMPERATURE)
    model.lm_head.register_forward_hook(lambda module, args, out: out + 0.0)  # harmless: exact
    assert exact_on(model, completions, PAD, TEMPERATURE)
    capped = tiny_model()  # a soft-capped head, as some models post-process their logits
    original = type(capped).forward

    def forward(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        out.logits = 5.0 * torch.tanh(out.logits / 5.0)
        return out

    capped.forward = forward.__get__(capped)
    assert not exact_on(capped, completions, PAD, TEMPERATURE)
    trainer = Trainer(_config(tmp_path, "grpo", steps=1), capped, tok)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.train()
    assert trainer.packed is False
    assert any("padded one" in str(w.message) for w in caught)
    other = tiny_model()
    other.config._attn_implementation = "flash_attention_2"
    assert not exact_on(other, completions, PAD, TEMPERATURE)


def test_trainer_packs_by_default_and_counts_fewer_tokens(tmp_path):
    steps = {}
    for share in (True, False):
        config = _config(tmp_path / str(share), "grpo", steps=1, share_prompts=share)
        trainer = Trainer(config, tiny_model(), tiny_tokenizer())
        steps[share] = trainer.train()[0]
        assert trainer.packed is True
    assert 0 < steps[True]["update_tokens"] < steps[False]["update_tokens"]
