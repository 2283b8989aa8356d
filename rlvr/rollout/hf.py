"""HFSampler: batched ``transformers.generate``, the sampler that always works.

Prompts are left-padded into batches; each sampled token's log-probability is read from the
logits ``generate`` returns (scaled by the temperature), so the learner can compare it with its
own recomputation. A prompt's key-value cache is computed once and repeated for its ``n``
samples rather than recomputed per sample. Sampling ends at the model's end-of-sequence token, a
``stop`` string, or ``max_new_tokens`` (finish reason ``"length"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from rlvr.rollout.base import Completion, Prompt, SamplingParams, render


class HFSampler:
    """Sample from a ``transformers`` causal LM.

    Args:
        model: the policy; share the learner's model to sample from its current weights with no
            copy (``load_weights`` then does nothing), or pass a separate copy.
        tokenizer: its tokenizer (a chat template is needed for chat-message prompts).
        batch_size: prompts per ``generate`` call (each expands to ``n`` sequences).
    """

    def __init__(self, model: Any, tokenizer: Any, batch_size: int = 16) -> None:
        self.model, self.tokenizer, self.batch_size = model, tokenizer, batch_size
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token

    @torch.no_grad()
    def generate(
        self, prompts: Sequence[Prompt], n: int = 1, params: SamplingParams | None = None
    ) -> list[list[Completion]]:
        params = params or SamplingParams()
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if params.seed is not None:
            torch.manual_seed(params.seed)
        out: list[list[Completion]] = []
        for start in range(0, len(prompts), self.batch_size):
            out += self._batch(
                [render(self.tokenizer, p) for p in prompts[start : start + self.batch_size]],
                n,
                params,
            )
        return out

    def _batch(self, texts: list[str], n: int, params: SamplingParams) -> list[list[Completion]]:
        tok = self.tokenizer
        side, tok.padding_side = tok.padding_side, "left"
        try:
            enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        finally:
            tok.padding_side = side
        enc = {k: v.to(self.model.device) for k, v in enc.items()}
        cache = self._prefill(enc["input_ids"], enc["attention_mask"], n) if n > 1 else None
        # n rows per prompt (generate's num_return_sequences refuses n > 1 when greedy)
        enc = {k: v.repeat_interleave(n, dim=0) for k, v in enc.items()}
        greedy = params.temperature == 0
        result = self.model.generate(
            **enc,
            past_key_values=cache,
            max_new_tokens=params.max_new_tokens,
            do_sample=not greedy,
            temperature=None if greedy else params.temperature,
            top_p=None if greedy else params.top_p,
            top_k=None if greedy else (params.top_k or None),
            stop_strings=list(params.stop) or None,
            tokenizer=tok if params.stop else None,
            pad_token_id=tok.pad_token_id,
            return_dict_in_generate=True,
            output_logits=True,
        )
        prompt_len = enc["input_ids"].shape[1]
        new = result.sequences[:, prompt_len:]
        # Per step, chosen logit minus the log-partition: no [rows, steps, vocab] tensor.
        scale = params.temperature or 1.0
        chosen = torch.stack(
            [
                (step.float() / scale).log_softmax(-1).gather(-1, new[:, t, None]).squeeze(-1)
                for t, step in enumerate(result.logits)
            ],
            dim=1,
        )
        completions = [
            self._completion(
                new[i], chosen[i], enc["input_ids"][i], enc["attention_mask"][i], params
            )
            for i in range(new.shape[0])
        ]
        return [completions[k * n : (k + 1) * n] for k in range(len(texts))]

    def _prefill(self, ids: Tensor, mask: Tensor, n: int) -> Any:
        """The cache of each prompt but its last token, computed once and repeated ``n`` times:
        ``generate`` then runs only the last prompt token of each row. None where the model
        cannot be prefilled this way (``generate`` then runs the whole prompt per sample)."""
        from transformers import DynamicCache

        if ids.shape[1] < 2:
            return None
        try:
            cache = DynamicCache(config=self.model.config)
            positions = (mask.long().cumsum(-1) - 1).clamp(min=0)
            self.model(
                input_ids=ids[:, :-1], attention_mask=mask[:, :-1], position_ids=positions[:, :-1],
                past_key_values=cache, use_cache=True, logits_to_keep=1,
            )  # fmt: skip
            cache.batch_repeat_interleave(n)
        except (TypeError, ValueError, AttributeError, NotImplementedError):
            return None
        return cache

    def _completion(
        self,
        ids: Tensor,
        logprobs: Tensor,
        prompt: Tensor,
        prompt_mask: Tensor,
        params: SamplingParams,
    ) -> Completion:
        tok = self.tokenizer
        eos = {tok.eos_token_id} | set(
            _as_list(getattr(self.model.generation_config, "eos_token_id", None))
        )
        token_ids = ids.tolist()
        end, reason = len(token_ids), "length"
        for k, token in enumerate(token_ids):
            if token in eos:
                end, reason = k + 1, "stop"  # keep the end-of-sequence token: it is learned
                break
        text = tok.decode(token_ids[:end], skip_special_tokens=True)
        if reason == "length" and any(s in text for s in params.stop):
            # Cut after the first token that completes a stop string (a batch pads the rest).
            def stopped(k: int) -> bool:
                head = tok.decode(token_ids[:k], skip_special_tokens=True)
                return any(s in head for s in params.stop)

            end = next(k for k in range(1, end + 1) if stopped(k))
            reason = "stop"
        token_ids = token_ids[:end]
        text = tok.decode(token_ids, skip_special_tokens=True)
        return Completion(
            text=text,
            token_ids=token_ids,
            logprobs=logprobs[:end].tolist(),
            finish_reason=reason,  # type: ignore[arg-type]
            prompt_token_ids=prompt[prompt_mask.bool()].tolist(),
        )

    def load_weights(self, weights: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]]) -> None:
        """Copy new weights in place (a no-op when this sampler shares the learner's model)."""
        items = weights.items() if isinstance(weights, Mapping) else weights
        params = self.model.state_dict(keep_vars=True)  # tied weights appear under each name
        with torch.no_grad():
            for name, tensor in items:
                if name not in params:
                    raise KeyError(f"the sampler's model has no parameter {name!r}")
                if params[name].data_ptr() != tensor.data_ptr():
                    params[name].copy_(tensor)


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
