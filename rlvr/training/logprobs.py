"""Log-probabilities of the sampled completion tokens, computed for the update at the least cost.

A group's G completions share one prompt. The padded layout runs that prompt G times and computes
logits over the whole vocabulary at every position; the update needs neither. Here each group
is one segment ``[prompt, c1, ..., cG]`` in which every completion attends to the prompt and to
itself only, with position ids restarting after the prompt for each completion (the shared-prefix
packing described for GRPO in "Prefix Grouper", 2025): every completion token sees exactly the
context it saw when sampled, so log-probs and gradients are those of the padded layout. Segments
are packed into rows without padding (first fit, longest first), the decoder's last hidden state
is read only where a completion token is predicted, and the LM head and log-softmax run on those
positions in chunks.

This needs an attention implementation that takes a custom 4D mask: ``sdpa`` (a boolean mask)
and ``eager`` (an additive one). ``exact_on`` checks a model once against the plain forward pass
and the trainer falls back to it when the two differ (another attention kernel, logit
soft-capping, a hook on the LM head).

Everything returned is in the completion layout ``[n, W]``: row k holds completion k's tokens
left-aligned, ``where`` marks them; algorithms read log-probs, advantages and values in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from torch import Tensor

from rlvr.algorithms.losses import entropy_from_logits
from rlvr.rollout import Completion
from rlvr.training.batch import pack

PACKED_ATTENTION = ("sdpa", "eager")
"""Attention implementations that honour a custom 4D mask exactly."""

CHUNK = 512
"""Completion positions per LM-head chunk: bounds the ``[chunk, vocab]`` fp32 logits."""


class TokenValues(NamedTuple):
    """Per completion token, in the completion layout ``[n, W]``."""

    logprobs: Tensor
    where: Tensor  # [n, W] bool: the slots that hold a token
    hidden: Tensor | None  # [n, W, H]: the state that predicts each token (a critic reads it)
    entropy: Tensor | None


@dataclass
class Layout:
    """Model inputs for a list of completions and where each completion token is predicted."""

    ids: Tensor  # [R, L]
    positions: Tensor  # [R, L]
    attend: Tensor  # [R, 1, L, L] bool: may the query (dim 2) read the key (dim 3)
    source: Tensor  # [M] flat index into R*L of the position predicting each completion token
    targets: Tensor  # [M] the completion tokens, completion by completion, in order
    where: Tensor  # [n, W] bool, the completion layout

    @property
    def tokens(self) -> int:
        """Positions run through the model (padding included)."""
        return self.ids.numel()


def completion_mask(completions: list[Completion]) -> Tensor:
    """The completion layout ``[n, W]``: completion k's tokens left-aligned in row k."""
    lengths = torch.tensor([len(c.token_ids) for c in completions])
    width = max(1, int(lengths.max())) if len(completions) else 1
    return torch.arange(width)[None, :] < lengths[:, None]


def build_layout(completions: list[Completion], pad_id: int, share_prompts: bool = True) -> Layout:
    """Segments (one per distinct prompt with ``share_prompts``, else one per completion) packed
    into rows. A completion's last token is a target only, so it is not fed to the model."""
    segments: dict[Any, list[int]] = {}
    for k, comp in enumerate(completions):
        key = tuple(comp.prompt_token_ids) if share_prompts else k
        segments.setdefault(key, []).append(k)

    def length(members: list[int]) -> int:
        prompt = len(completions[members[0]].prompt_token_ids)
        return prompt + sum(max(0, len(completions[k].token_ids) - 1) for k in members)

    order = sorted(segments.values(), key=length, reverse=True)
    width = length(order[0]) if order else 1
    rows: list[list[list[int]]] = []  # first fit decreasing into rows of the longest segment
    room: list[int] = []
    for members in order:
        need = length(members)
        slot = next((r for r, free in enumerate(room) if free >= need), None)
        if slot is None:
            rows.append([])
            room.append(width)
            slot = len(rows) - 1
        rows[slot].append(members)
        room[slot] -= need

    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    positions = torch.zeros((len(rows), width), dtype=torch.long)
    attend = torch.eye(width, dtype=torch.bool).repeat(len(rows), 1, 1, 1)  # padding: itself
    sources: list[list[int]] = [[] for _ in completions]
    for r, row in enumerate(rows):
        offset = 0
        for members in row:
            prompt = completions[members[0]].prompt_token_ids
            p = len(prompt)
            ids[r, offset : offset + p] = torch.tensor(prompt, dtype=torch.long)
            positions[r, offset : offset + p] = torch.arange(p)
            attend[r, 0, offset : offset + p, offset : offset + p] = _causal(p)
            start = offset + p
            for k in members:
                body = completions[k].token_ids[:-1]
                n = len(body)
                span = slice(start, start + n)
                ids[r, span] = torch.tensor(body, dtype=torch.long)
                positions[r, span] = torch.arange(p, p + n)
                attend[r, 0, span, offset : offset + p] = True
                attend[r, 0, span, span] = _causal(n)
                last_prompt = r * width + offset + p - 1
                if completions[k].token_ids:
                    sources[k] = [last_prompt] + [r * width + start + t for t in range(n)]
                start += n
            offset = start
    targets = [t for comp in completions for t in comp.token_ids]
    return Layout(
        ids=ids, positions=positions, attend=attend,
        source=torch.tensor([i for s in sources for i in s], dtype=torch.long),
        targets=torch.tensor(targets, dtype=torch.long), where=completion_mask(completions),
    )  # fmt: skip


def _causal(n: int) -> Tensor:
    return torch.ones((n, n), dtype=torch.bool).tril()


def packed_logprobs(
    model: Any, layout: Layout, temperature: float, hidden: bool = False, entropy: bool = False
) -> TokenValues:
    """Log-probs (and optionally the predicting states and entropies) of the completion tokens
    through the decoder on ``layout``, with the LM head on completion positions only."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    decoder, head = inner.get_decoder(), inner.get_output_embeddings()
    mask = layout.attend
    if inner.config._attn_implementation == "eager":
        dtype = next(decoder.parameters()).dtype
        mask = torch.zeros(mask.shape, dtype=dtype).masked_fill(~mask, torch.finfo(dtype).min)
    states = decoder(
        input_ids=layout.ids, position_ids=layout.positions, attention_mask=mask, use_cache=False
    ).last_hidden_state
    chosen = states.reshape(-1, states.shape[-1])[layout.source]  # [M, H]
    values, spreads = [], []
    for start in range(0, len(chosen), CHUNK):
        part = slice(start, start + CHUNK)
        logits = head(chosen[part]).float() / (temperature or 1.0)
        values.append(
            torch.log_softmax(logits, -1).gather(-1, layout.targets[part, None]).squeeze(-1)
        )
        if entropy:
            spreads.append(entropy_from_logits(logits))
    where = layout.where
    return TokenValues(
        logprobs=_lay_out(values, where),
        where=where,
        hidden=_lay_out([chosen], where) if hidden else None,
        entropy=_lay_out(spreads, where) if entropy else None,
    )


def plain_logprobs(
    model: Any, completions: list[Completion], pad_id: int, temperature: float,
    hidden: bool = False, entropy: bool = False,
) -> TokenValues:  # fmt: skip
    """The reference path: one right-padded row per completion through the whole model, logits
    at every position. Works for any causal LM; ``packed_logprobs`` must agree with it."""
    ids, mask, targets = pack(completions, pad_id)
    output = model(input_ids=ids, attention_mask=mask.long(), output_hidden_states=hidden)
    logits = output.logits[:, :-1].float() / (temperature or 1.0)
    chosen = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    where = completion_mask(completions)
    return TokenValues(
        logprobs=_lay_out([chosen[targets]], where),
        where=where,
        hidden=_lay_out([output.hidden_states[-1][:, :-1][targets]], where) if hidden else None,
        entropy=_lay_out([entropy_from_logits(logits)[targets]], where) if entropy else None,
    )


def _lay_out(parts: list[Tensor], where: Tensor) -> Tensor:
    """Flat per-token values (completion by completion) into the completion layout."""
    flat = torch.cat(parts) if parts else torch.zeros(0)
    out = flat.new_zeros((*where.shape, *flat.shape[1:]))
    out[where] = flat
    return out


@torch.no_grad()
def exact_on(model: Any, completions: list[Completion], pad_id: int, temperature: float) -> bool:
    """Whether shared-prefix packing reproduces the plain forward pass on this model (checked on
    real completions, eval mode): the attention implementation honours the 4D mask and position
    ids, and the LM head alone maps the last hidden state to the logits."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    if getattr(inner.config, "_attn_implementation", None) not in PACKED_ATTENTION:
        return False
    was_training = model.training
    model.eval()
    try:
        packed = packed_logprobs(model, build_layout(completions, pad_id), temperature).logprobs
        plain = plain_logprobs(model, completions, pad_id, temperature).logprobs
    except (TypeError, ValueError, RuntimeError, AttributeError, NotImplementedError):
        return False
    finally:
        model.train(was_training)
    tolerance = 1e-3 if plain.dtype == torch.float32 and _dtype(inner) == torch.float32 else 5e-2
    return bool((packed - plain).abs().max() <= tolerance)


def _dtype(model: Any) -> torch.dtype:
    return next(model.parameters()).dtype
