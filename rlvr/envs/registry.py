"""Tasks and their registration: one call makes a verifier task a Gymnasium environment.

A task is a source of rows (each with a ``prompt`` and a ``reference``), a verifier, and a prompt
format. ``register_task`` records it here and registers ``gym.make(id)`` with Gymnasium.
Third-party packages register theirs through the ``rlvr.tasks`` entry-point group: each entry
point names a function (or module) that calls ``register_task``; ``import rlvr`` loads them.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import gymnasium as gym

from rlvr.verifiers.base import Verifier

Row = Mapping[str, Any]
PromptFormat = str | Callable[[Row], str]

_ID_RE = re.compile(r"^[\w.-]+/[\w.-]+-v\d+$")


class Loader:
    """A data source that is read when an environment is made, not when it is registered.

    Subclasses implement ``load(split, **kwargs)``; the kwargs given to ``gym.make`` (say
    ``path=`` or ``data_files=``) reach it, so a user can point a built-in task at local data.
    """

    description = "data"
    sizes: Mapping[str, int | str] = {}

    def load(self, split: str, **kwargs: Any) -> Sequence[Row] | Callable[[Any], Row]:
        raise NotImplementedError


Source = Sequence[Row] | Callable[[Any], Row] | Loader
"""Rows (a list or a ``datasets.Dataset``), a procedural ``callable(rng) -> row``, or a Loader."""


@dataclass(frozen=True)
class Task:
    id: str
    source: Source
    verifier: Verifier
    prompt: PromptFormat = "{prompt}"
    system: str | None = None
    """An optional system message for chat models (``info["messages"]``)."""
    description: str = ""
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def describe_source(self) -> str:
        if isinstance(self.source, Loader):
            return self.source.description
        if callable(self.source):
            return "procedural"
        return f"{type(self.source).__name__} of {len(self.source)} rows"

    def describe_verifier(self) -> str:
        return getattr(self.verifier, "name", None) or type(self.verifier).__name__

    def describe_size(self) -> str:
        if isinstance(self.source, Loader):
            return ", ".join(f"{k} {v}" for k, v in self.source.sizes.items()) or "?"
        if callable(self.source):
            return "∞"
        return str(len(self.source))


_TASKS: dict[str, Task] = {}


def register_task(
    id: str,
    source: Source,
    verifier: Verifier,
    prompt: PromptFormat = "{prompt}",
    *,
    system: str | None = None,
    description: str = "",
    **env_kwargs: Any,
) -> Task:
    """Register a verifier task as the Gymnasium environment ``id`` (``"namespace/Name-v0"``).

    Args:
        source: rows with ``prompt`` and ``reference`` fields (a list or a ``datasets.Dataset``),
            or ``callable(rng) -> row`` for procedurally generated tasks (``rng`` is the env's
            seeded ``numpy.random.Generator``).
        verifier: any ``Verifier``: ``verifier(completion, reference) -> Verdict``.
        prompt: a format string over the row's fields, or ``callable(row) -> str``.
        system: optional system message put first in ``info["messages"]``.
        env_kwargs: defaults for the environment (e.g. ``split="test"``).
    """
    if not isinstance(id, str) or not _ID_RE.match(id):
        raise ValueError(f"task id must look like 'namespace/Name-v0', got {id!r}")
    if not callable(verifier):
        raise TypeError(f"verifier must be callable(completion, reference), got {verifier!r}")
    if not isinstance(prompt, str) and not callable(prompt):
        raise TypeError(f"prompt must be a format string or callable(row), got {prompt!r}")
    if not (callable(source) or isinstance(source, Loader) or hasattr(source, "__getitem__")):
        raise TypeError(
            "source must be a list of rows, a datasets.Dataset, or callable(rng) -> row; "
            f"got {type(source).__name__}"
        )
    if id in _TASKS:
        warnings.warn(f"task {id!r} was registered before; replacing it", stacklevel=2)
    task = Task(id, source, verifier, prompt, system, description, dict(env_kwargs))
    _TASKS[id] = task
    if id in gym.registry:
        del gym.registry[id]
    gym.register(id=id, entry_point=_creator(task), kwargs=dict(env_kwargs))
    return task


def _creator(task: Task) -> Callable[..., gym.Env]:
    def make(**kwargs: Any) -> gym.Env:
        from rlvr.envs.env import VerifierEnv

        return VerifierEnv(task, **kwargs)

    make.__name__ = f"make_{task.id.replace('/', '_').replace('-', '_')}"
    return make


def registered_tasks() -> list[Task]:
    return [task for _, task in sorted(_TASKS.items())]


def get_task(id: str) -> Task:
    if id not in _TASKS:
        gym.spec(id)  # raises Gymnasium's error, with "did you mean" suggestions
        raise KeyError(f"{id!r} is a Gymnasium environment but not an rlvr task")
    return _TASKS[id]


def import_env_module(env: str) -> str:
    """For Gymnasium's ``"module:EnvId"`` form, import ``module`` (which registers the task)
    and return ``EnvId``; any other id is returned as it is.

    A task in one short file can then be trained without installing it:
    ``rlvr train --env mytask:myorg/Reverse-v0`` from the directory that holds ``mytask.py``.
    """
    if ":" not in env:
        return env
    module, env_id = env.split(":", 1)
    if os.getcwd() not in sys.path:  # the `rlvr` script's own path does not hold "."
        sys.path.insert(0, os.getcwd())
    try:
        importlib.import_module(module)
    except ImportError as err:
        raise ValueError(
            f"cannot import module {module!r} for {env!r} ({err}); run from the directory that "
            "holds it, or add that directory to PYTHONPATH"
        ) from None
    return env_id


def load_plugins(group: str = "rlvr.tasks") -> list[str]:
    """Load the task plugins installed in this environment; returns the entry points loaded."""
    loaded = []
    for point in entry_points(group=group):
        try:
            target = point.load()
            if callable(target):
                target()
            loaded.append(point.name)
        except Exception as err:  # one broken plugin must not break `import rlvr`
            warnings.warn(f"rlvr task plugin {point.name!r} failed to load: {err}", stacklevel=2)
    return loaded
