"""Samplers: generate completions with log-probs, and take new weights in place."""

from typing import Any

from rlvr.rollout.base import Completion, Prompt, Sampler, SamplingParams
from rlvr.rollout.hf import HFSampler
from rlvr.rollout.vllm import VLLMSampler, vllm_available

SAMPLERS = ("auto", "vllm", "hf")


def make_sampler(kind: str, model: Any, tokenizer: Any, **options: Any) -> Sampler:
    """The sampler for a learner's in-memory model: ``"vllm"``, ``"hf"``, or ``"auto"`` (vLLM
    when it is installed and imports, else ``transformers``). ``options`` go to vLLM's engine
    (``hf`` takes ``batch_size`` only)."""
    if kind not in SAMPLERS:
        raise ValueError(f"unknown sampler {kind!r}; choose one of {', '.join(SAMPLERS)}")
    problem = vllm_available() if kind != "hf" else "not asked for"
    if kind == "vllm" and problem:
        raise RuntimeError(f"sampler 'vllm' cannot run: {problem}")
    if problem:
        return HFSampler(model, tokenizer, batch_size=options.get("batch_size", 16))
    options.pop("batch_size", None)
    return VLLMSampler.from_model(model, tokenizer, **options)


__all__ = [
    "SAMPLERS", "Completion", "HFSampler", "Prompt", "Sampler", "SamplingParams", "VLLMSampler",
    "make_sampler", "vllm_available",
]  # fmt: skip
