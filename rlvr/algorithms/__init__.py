"""RL algorithms for verifiable rewards as small pieces: advantages, losses, KL, filters.

    algo = get_algorithm("grpo", kl_coef=0.0)
    rewards = algo.shape(rewards, lengths)
    keep = algo.select(rewards, group_ids, lengths, truncated)
    adv = algo.advantages(rewards, group_ids)
    loss, stats = algo.loss(logprobs, old_logprobs, adv, mask, ref_logprobs)

Pure tensor code: no I/O, and nothing else of rlvr is imported.
"""

from rlvr.algorithms.base import (
    Algorithm,
    PolicyGradient,
    get_algorithm,
    register_algorithm,
    registered_algorithms,
)
from rlvr.algorithms.cispo import cispo
from rlvr.algorithms.dapo import dapo
from rlvr.algorithms.dr_grpo import dr_grpo
from rlvr.algorithms.filters import groups_missing
from rlvr.algorithms.grpo import grpo
from rlvr.algorithms.gspo import gspo
from rlvr.algorithms.ppo import ppo
from rlvr.algorithms.ranking import dpo, plackett_luce
from rlvr.algorithms.reinforce import reinforce, rloo
from rlvr.algorithms.sft import rft, sft

_ALGORITHMS = (grpo, dr_grpo, dapo, gspo, cispo, rft, sft, reinforce, rloo, ppo, dpo, plackett_luce)
for _factory in _ALGORITHMS:
    register_algorithm(_factory.__name__, _factory)

__all__ = [
    "Algorithm",
    "PolicyGradient",
    "get_algorithm",
    "groups_missing",
    "register_algorithm",
    "registered_algorithms",
]
