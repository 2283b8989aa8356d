"""The sampler contract: n completions per prompt, with token ids, log-probs and finish reason.

A trainer samples with one of these and pushes new weights into it after each update; which
engine does the work (``transformers.generate`` or vLLM) is a detail behind this protocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from torch import Tensor

Messages = list[dict[str, str]]
Prompt = str | Messages
"""Raw text, or chat messages that the sampler renders with the model's chat template."""


def render(tokenizer: Any, prompt: Prompt) -> str:
    """The prompt as text: raw text as is, chat messages through the tokenizer's template."""
    if isinstance(prompt, str):
        return prompt
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError("chat-message prompts need a tokenizer with a chat template")
    return tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)


@dataclass(frozen=True)
class SamplingParams:
    max_new_tokens: int = 256
    temperature: float = 1.0
    """0 means greedy decoding."""
    top_p: float = 1.0
    top_k: int = 0
    """0 means no top-k cut."""
    stop: tuple[str, ...] = ()
    """Extra strings that end a completion (the model's end-of-sequence token always does)."""
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0 or not 0 < self.top_p <= 1 or self.top_k < 0:
            raise ValueError("need temperature >= 0, 0 < top_p <= 1 and top_k >= 0")


@dataclass
class Completion:
    text: str
    token_ids: list[int]
    """The sampled tokens, the end-of-sequence token included when the model emitted it."""
    logprobs: list[float]
    """Log-probability of each sampled token under the sampling temperature."""
    finish_reason: Literal["stop", "length"]
    prompt_token_ids: list[int] = field(default_factory=list)


class Sampler(Protocol):
    def generate(
        self, prompts: Sequence[Prompt], n: int = 1, params: SamplingParams | None = None
    ) -> list[list[Completion]]:
        """``n`` completions for each prompt, grouped by prompt."""
        ...

    def load_weights(self, weights: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]]) -> None:
        """Take the learner's new weights in place."""
        ...
