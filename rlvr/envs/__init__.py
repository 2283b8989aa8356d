"""Gymnasium environments for verifiable-reward tasks, and the task registry."""

from rlvr.envs.env import AnyText, VerifierEnv
from rlvr.envs.registry import (
    Loader,
    Task,
    get_task,
    load_plugins,
    register_task,
    registered_tasks,
)
from rlvr.envs.wrappers import CombinedReward, FormatReward, LengthPenalty

__all__ = [
    "AnyText",
    "CombinedReward",
    "FormatReward",
    "LengthPenalty",
    "Loader",
    "Task",
    "VerifierEnv",
    "get_task",
    "load_plugins",
    "register_task",
    "registered_tasks",
]
