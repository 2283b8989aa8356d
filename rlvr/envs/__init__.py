"""Gymnasium environments for verifiable-reward tasks, and the task registry.

Importing this package registers the built-in tasks and the ``rlvr.tasks`` entry-point plugins
with Gymnasium (``import rlvr`` arranges for that to happen; see ``rlvr/__init__.py``).
"""

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
from rlvr.envs.tasks import register_builtin_tasks
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

register_builtin_tasks()
load_plugins()
