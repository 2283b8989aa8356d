import copy

import pytest
import torch
from tiny_model import tiny_model, tiny_tokenizer

from rlvr.rollout import HFSampler, SamplingParams


@pytest.fixture
def sampler() -> HFSampler:
    return HFSampler(tiny_model(), tiny_tokenizer(), batch_size=2)


def test_shapes_and_prompt_kinds(sampler: HFSampler):
    prompts = ["12+7", [{"role": "user", "content": "3*4"}], "9-2"]
    out = sampler.generate(prompts, n=3, params=SamplingParams(max_new_tokens=8, seed=0))
    assert [len(group) for group in out] == [3, 3, 3]
    for group in out:
        for c in group:
            assert len(c.token_ids) == len(c.logprobs) <= 8
            assert c.finish_reason in ("stop", "length")
            assert all(lp <= 0 for lp in c.logprobs)
    assert sampler.tokenizer.decode(out[1][0].prompt_token_ids) == "3*4="  # chat template
    assert sampler.tokenizer.decode(out[0][0].prompt_token_ids) == "12+7"


def test_logprobs_match_a_recomputation(sampler: HFSampler):
    params = SamplingParams(max_new_tokens=10, temperature=0.7, seed=1)
    prompts = ["1+1", "123*45"]  # different lengths: left padding must not shift anything
    for group in sampler.generate(prompts, n=2, params=params):
        for c in group:
            ids = torch.tensor([c.prompt_token_ids + c.token_ids])
            with torch.no_grad():
                logits = sampler.model(ids).logits[0, len(c.prompt_token_ids) - 1 : -1]
            expected = torch.log_softmax(logits / 0.7, -1).gather(
                -1, torch.tensor(c.token_ids)[:, None]
            )
            assert torch.allclose(torch.tensor(c.logprobs), expected.squeeze(-1), atol=1e-4)


def test_seeded_sampling_is_reproducible_and_greedy_is_deterministic(sampler: HFSampler):
    params = SamplingParams(max_new_tokens=6, seed=7)
    first = sampler.generate(["5+5"], n=4, params=params)
    again = sampler.generate(["5+5"], n=4, params=params)
    assert [c.token_ids for c in first[0]] == [c.token_ids for c in again[0]]
    greedy = SamplingParams(max_new_tokens=6, temperature=0)
    a, b = sampler.generate(["5+5"], n=2, params=greedy)[0]
    assert a.token_ids == b.token_ids


def test_finish_reasons(sampler: HFSampler):
    bias = torch.zeros(sampler.model.config.vocab_size)
    hook = sampler.model.lm_head.register_forward_hook(lambda module, args, out: out + bias)
    bias[1] = 100.0  # the end-of-sequence token becomes certain
    (c,) = sampler.generate(["1"], params=SamplingParams(max_new_tokens=5, seed=0))[0]
    assert c.finish_reason == "stop" and c.token_ids == [1] and c.text == ""
    bias[1] = -100.0  # and now impossible
    (c,) = sampler.generate(["1"], params=SamplingParams(max_new_tokens=5, seed=0))[0]
    assert c.finish_reason == "length" and len(c.token_ids) == 5
    bias[1], bias[3 + 5] = -100.0, 100.0  # always the character "5"
    (c,) = sampler.generate(["1"], params=SamplingParams(max_new_tokens=5, stop=("55",)))[0]
    assert c.finish_reason == "stop" and c.text == "55" and c.token_ids == [8, 8]
    hook.remove()


def test_load_weights_changes_generation():
    tok = tiny_tokenizer()
    learner = tiny_model(seed=0)
    sampler = HFSampler(copy.deepcopy(learner), tok)
    greedy = SamplingParams(max_new_tokens=8, temperature=0)
    before = sampler.generate(["12+3"], params=greedy)[0][0].token_ids
    with torch.no_grad():
        for p in learner.parameters():
            p.add_(torch.randn_like(p) * 0.5)
    assert sampler.generate(["12+3"], params=greedy)[0][0].token_ids == before
    sampler.load_weights(learner.state_dict())
    after = sampler.generate(["12+3"], params=greedy)[0][0].token_ids
    assert after == HFSampler(learner, tok).generate(["12+3"], params=greedy)[0][0].token_ids
    assert after != before
    with pytest.raises(KeyError, match="no parameter"):
        sampler.load_weights({"nope": torch.zeros(1)})


def test_bad_params():
    with pytest.raises(ValueError):
        SamplingParams(max_new_tokens=0)
    with pytest.raises(ValueError):
        SamplingParams(top_p=0)


def test_a_prompt_prefilled_once_samples_as_if_prefilled_per_sample(sampler: HFSampler):
    prompts = ["1+1", "123*45", "9"]  # unequal lengths: left padding in the shared cache
    ids = torch.tensor([[0, 5, 6], [7, 8, 9]])
    assert sampler._prefill(ids, ids > 0, 4) is not None  # this model takes the shared cache
    for params in (SamplingParams(max_new_tokens=10, temperature=0.0),
                   SamplingParams(max_new_tokens=10, temperature=0.9, seed=3)):  # fmt: skip
        shared = sampler.generate(prompts, n=4, params=params)
        per_sample = copy.copy(sampler)
        per_sample._prefill = lambda *args: None  # type: ignore[method-assign]
        plain = per_sample.generate(prompts, n=4, params=params)
        flat = [[c for group in out for c in group] for out in (shared, plain)]
        for a, b in zip(*flat, strict=True):
            assert a.token_ids == b.token_ids
            assert a.prompt_token_ids == b.prompt_token_ids
            assert torch.allclose(torch.tensor(a.logprobs), torch.tensor(b.logprobs), atol=1e-5)
