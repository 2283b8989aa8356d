"""rlvr: reinforcement learning with verifiable rewards for language models.

``import rlvr`` makes the built-in environments (``gym.make("rlvr/Arithmetic-v0")``) and the task
plugins installed under the ``rlvr.tasks`` entry-point group available to Gymnasium.

It does so lazily, because ``import rlvr.verifiers`` runs this file too, and a process that only
checks answers must not pay for Gymnasium and numpy (about 0.3 s). The tasks are registered by
``import rlvr.envs``, which happens:

- at ``import rlvr`` when Gymnasium is already imported;
- otherwise right after Gymnasium gets imported, by a one-shot finder on ``sys.meta_path``
  (:class:`_AfterGymnasium`), so ``import rlvr`` then ``import gymnasium`` works as well;
- on first use of ``rlvr.register_task``, ``rlvr.registered_tasks`` or ``rlvr.envs``.

Verifier worker processes (``RLVR_WORKER`` set) skip all of this.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import warnings
from typing import Any

__version__ = "0.1.0"
__all__ = ["register_task", "registered_tasks"]


def __getattr__(name: str) -> Any:
    """``rlvr.register_task``, ``rlvr.registered_tasks``, ``rlvr.envs`` and ``rlvr.verifiers``,
    imported on first use."""
    if name in ("register_task", "registered_tasks"):
        return getattr(importlib.import_module("rlvr.envs"), name)
    if name in ("envs", "verifiers"):
        return importlib.import_module(f"rlvr.{name}")
    raise AttributeError(f"module 'rlvr' has no attribute {name!r}")


def _register_tasks() -> None:
    """Import ``rlvr.envs``, which registers the built-in tasks and the plugins."""
    try:
        importlib.import_module("rlvr.envs")
    except Exception as err:  # importing Gymnasium must not fail because of rlvr
        warnings.warn(f"rlvr could not register its environments: {err!r}", stacklevel=2)


class _AfterGymnasium:
    """A ``sys.meta_path`` finder that registers rlvr's tasks right after Gymnasium is imported.

    It finds nothing itself: on the import of ``gymnasium`` it removes itself, lets the other
    finders find the real module, and wraps that module's loader so that ``exec_module`` runs
    :func:`_register_tasks` once the module is complete. The module keeps its own loader.
    """

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "gymnasium":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _ThenRegister(spec.loader)
        return spec


class _ThenRegister:
    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def __getattr__(self, name: str) -> Any:  # create_module and the rest: the real loader's
        return getattr(self.loader, name)

    def exec_module(self, module: Any) -> None:
        module.__loader__ = module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        _register_tasks()


if not os.environ.get("RLVR_WORKER"):  # verifier worker processes need no environments
    if "gymnasium" in sys.modules:
        importlib.import_module("rlvr.envs")
    elif not any(isinstance(finder, _AfterGymnasium) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterGymnasium())
