"""Samplers: generate completions with log-probs, and take new weights in place."""

from rlvr.rollout.base import Completion, Prompt, Sampler, SamplingParams
from rlvr.rollout.hf import HFSampler

__all__ = ["Completion", "HFSampler", "Prompt", "Sampler", "SamplingParams"]
