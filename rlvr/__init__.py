"""rlvr: reinforcement learning with verifiable rewards for language models.

``import rlvr`` registers the built-in environments (``gym.make("rlvr/Arithmetic-v0")``) and
the task plugins installed under the ``rlvr.tasks`` entry-point group.
"""

import os

__version__ = "0.1.0"

if not os.environ.get("RLVR_WORKER"):  # verifier worker processes need none of this
    from rlvr.envs import load_plugins, register_task, registered_tasks
    from rlvr.envs.tasks import register_builtin_tasks

    register_builtin_tasks()
    load_plugins()

    __all__ = ["register_task", "registered_tasks"]
