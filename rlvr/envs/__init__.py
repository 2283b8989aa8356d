"""Gymnasium environments for verifiable-reward tasks, and the task registry."""

from rlvr.envs.env import AnyText, VerifierEnv
from rlvr.envs.registry import (
    Loader,
    Task,
    get_task,
    import_env_module,
    load_plugins,
    register_task,
    registered_tasks,
)
from rlvr.envs.wrappers import CombinedReward, FormatReward, score_batch

__all__ = [
    "AnyText",
    "CombinedReward",
    "FormatReward",
    "Loader",
    "Task",
    "VerifierEnv",
    "get_task",
    "import_env_module",
    "load_plugins",
    "register_task",
    "registered_tasks",
    "score_batch",
]
