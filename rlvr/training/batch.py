"""The samples of one step as they flow from sampling to the update, and their tensor layout."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import torch
from torch import Tensor

from rlvr.rollout import Completion
from rlvr.verifiers import Verdict


@dataclass
class Rollout:
    """One step's samples: what was sampled, how it scored, and what the update will use."""

    completions: list[Completion]
    verdicts: list[Verdict]
    rewards: Tensor
    """The environment's rewards (verifier and reward wrappers), ``[N]``."""
    shaped: Tensor
    """After the algorithm's own shaping (DAPO's overlong penalty)."""
    advantages: Tensor
    """The algorithm's sequence advantages, ``[N]``."""
    group_ids: Tensor
    lengths: Tensor
    truncated: Tensor
    correct: Tensor
    keep: Tensor
    """The samples the update trains on (the algorithm's filters; never an empty completion)."""

    @staticmethod
    def concat(parts: list[Rollout]) -> Rollout:
        values: dict[str, Any] = {}
        for f in fields(Rollout):
            items = [getattr(p, f.name) for p in parts]
            values[f.name] = (
                torch.cat(items) if isinstance(items[0], Tensor) else [x for i in items for x in i]
            )
        return Rollout(**values)


def pack(completions: list[Completion], pad_id: int) -> tuple[Tensor, Tensor, Tensor]:
    """Right-padded ``prompt + completion`` ids, their attention mask, and for the targets
    ``ids[:, 1:]`` the positions that are completion tokens."""
    rows = [c.prompt_token_ids + c.token_ids for c in completions]
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.bool)
    targets = torch.zeros((len(rows), width - 1), dtype=torch.bool)
    for k, (row, comp) in enumerate(zip(rows, completions)):
        ids[k, : len(row)] = torch.tensor(row)
        mask[k, : len(row)] = True
        start = len(comp.prompt_token_ids) - 1
        targets[k, start : start + len(comp.token_ids)] = True
    return ids, mask, mask[:, 1:] & targets


def scatter(values: list[Tensor], where: Tensor) -> Tensor:
    """Per-row values of the completion tokens, laid out like the learner's ``[n, T-1]``."""
    out = torch.zeros(where.shape)
    out[where] = torch.cat(values).float() if values else torch.zeros(0)
    return out


def gather(values: Tensor, where: Tensor) -> list[Tensor]:
    """The inverse of ``scatter``: each row's values at its completion tokens."""
    return [row[keep] for row, keep in zip(values, where)]
