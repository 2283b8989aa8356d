"""rlvr verifiers as TRL reward functions, so TRL users can keep their trainer.

>>> from rlvr.integrations.trl import reward_function          # doctest: +SKIP
>>> trainer = GRPOTrainer(..., reward_funcs=[reward_function("rlvr/GSM8K-v0")])  # doctest: +SKIP

TRL calls a reward function as ``f(prompts=..., completions=..., **columns)`` where ``columns``
are the data set's other columns, one value per completion; the reference must be one of them
(``reference`` by default). Completions may be plain strings or conversations (lists of
``{"role", "content"}`` messages); the last assistant message is scored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rlvr.envs.registry import get_task
from rlvr.verifiers.base import verify_batch

RewardFunction = Callable[..., list[float]]


def reward_function(
    env_id: str, reference_column: str = "reference", workers: int | None = None
) -> RewardFunction:
    """The verifier of task ``env_id`` with TRL's reward-function signature."""
    task = get_task(env_id)

    def reward(
        prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), **columns: Any
    ) -> list[float]:
        if reference_column not in columns:
            raise KeyError(
                f"{env_id}: the data set needs a {reference_column!r} column (TRL passes the "
                f"columns as keyword arguments; got {', '.join(sorted(columns)) or 'none'})"
            )
        texts = [_text(c) for c in completions]
        verdicts = verify_batch(task.verifier, texts, list(columns[reference_column]), workers)
        return [float(v.score) for v in verdicts]

    reward.__name__ = f"rlvr_{env_id.split('/', 1)[-1].split('-v')[0].lower()}"  # TRL logs this
    reward.__doc__ = f"rlvr reward for {env_id} ({task.verifier!r})"
    return reward


def _text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", ""))
    return str(completion)
