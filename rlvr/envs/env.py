"""The verifier environment: a single-step (contextual-bandit) Gymnasium environment.

``reset()`` draws one task row and returns its prompt; ``step(completion)`` verifies the
completion against the row's reference and ends the episode. ``info`` carries what a trainer
needs: ``task_id``, ``reference``, ``messages`` (chat format) and, after a step, the ``verdict``.
``sample``/``score`` are the batch path for trainers, and ``epoch`` walks a data set once, in
order, for evaluation.
"""

from __future__ import annotations

import copy
import hashlib
import string
from collections.abc import Iterator, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import error, spaces

from rlvr.envs.registry import Loader, Row, Task
from rlvr.verifiers.base import Verdict, verify_batch

MAX_PROMPT_CHARS = 1_000_000
MAX_COMPLETION_CHARS = 10_000_000


class AnyText(spaces.Text):
    """A Text space that contains every string up to ``max_length``, whatever its characters.

    Gymnasium's ``Text`` checks each character against a fixed charset (alphanumerics by
    default), but prompts and completions hold LaTeX, code, unicode and emoji. Membership here is
    any ``str`` of the right length; ``sample()`` draws from printable ASCII.
    """

    def __init__(self, max_length: int, min_length: int = 0) -> None:
        super().__init__(max_length, min_length=min_length, charset=string.printable)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length


class VerifierEnv(gym.Env[str, str]):
    """A registered task as an environment. Make it with ``gym.make(task_id, **kwargs)``.

    Args:
        task: the registered task.
        split: which split to draw from (for data sets that have several).
        source_kwargs: passed to the task's data loader, e.g. ``path=``, ``data_files=``.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 - Gymnasium's convention

    def __init__(self, task: Task, split: str = "train", **source_kwargs: Any) -> None:
        self.task = task
        self.split = split
        self.observation_space = AnyText(MAX_PROMPT_CHARS)
        self.action_space = AnyText(MAX_COMPLETION_CHARS)
        source: Any = task.source
        if isinstance(source, Loader):
            source = source.load(split, **source_kwargs)
        elif source_kwargs:
            raise TypeError(f"{task.id} takes no options, got {', '.join(sorted(source_kwargs))}")
        procedural = callable(source) and not hasattr(source, "__getitem__")
        self._generate = source if procedural else None
        self._rows: Sequence[Row] | None = None if procedural else source
        if self._rows is not None and len(self._rows) == 0:
            raise ValueError(f"{task.id}: the {split!r} split has no rows")
        if self._rows is not None:
            _check_columns(task.id, self._rows[0])
        self._current: dict[str, Any] | None = None

    # ------------------------------------------------------------------------ Gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = options or {}
        if "index" in options:
            index: int | None = self._check_index(int(options["index"]))
        elif "task_id" in options:
            index = self._index_of_id(str(options["task_id"]))
        else:
            index = self._draw_index()
        prompt, info = self._observe(index)
        self._current = info
        return prompt, info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._current is None:
            raise error.ResetNeeded(
                "step() needs a task: call reset() first (each episode is one step)"
            )
        if not isinstance(action, str):
            raise error.InvalidAction(
                f"the action is the completion text (str), got {type(action).__name__}"
            )
        info, self._current = copy.deepcopy(self._current), None  # callers keep reset's info
        verdict = self.task.verifier(action, info["reference"])
        return info["prompt"], float(verdict.score), True, False, {**info, "verdict": verdict}

    # ----------------------------------------------------------------------- trainer helpers
    def sample(self, n: int) -> list[tuple[str, dict[str, Any]]]:
        """Draw ``n`` tasks with the env's seeded generator (like ``n`` resets)."""
        return [self._observe(self._draw_index()) for _ in range(n)]

    def score(
        self,
        completions: Sequence[str],
        references: Sequence[Any],
        workers: int | None = None,
    ) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """Verify many completions at once (in parallel processes where the verifier can)."""
        verdicts: list[Verdict] = verify_batch(self.task.verifier, completions, references, workers)
        rewards = np.array([v.score for v in verdicts], dtype=np.float32)
        return rewards, [{"verdict": v} for v in verdicts]

    def epoch(self, shuffle: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every row once (for evaluation), in order unless ``shuffle`` (seeded by ``reset``)."""
        if self._rows is None:
            raise TypeError(f"{self.task.id} is procedural: it has no epoch; use sample(n)")
        order = np.arange(len(self._rows))
        if shuffle:
            order = self.np_random.permutation(order)
        for index in order:
            yield self._observe(int(index))

    def __len__(self) -> int:
        if self._rows is None:
            raise TypeError(f"{self.task.id} is procedural: it has no length")
        return len(self._rows)

    # ------------------------------------------------------------------------------ helpers
    def _draw_index(self) -> int | None:
        """A random row index; None for procedural tasks (their row is made in _observe)."""
        if self._rows is None:
            return None
        return int(self.np_random.integers(len(self._rows)))

    def _check_index(self, index: int) -> int:
        if self._rows is None:
            raise TypeError(f"{self.task.id} is procedural: select tasks with a seed instead")
        if not -len(self._rows) <= index < len(self._rows):
            raise IndexError(f"index {index} out of range for {len(self._rows)} rows")
        return index % len(self._rows)

    def _index_of_id(self, task_id: str) -> int:
        if self._rows is None:
            raise TypeError(f"{self.task.id} is procedural: select tasks with a seed instead")
        for index in range(len(self._rows)):
            if _row_id(self.task.id, self._rows[index], index) == task_id:
                return index
        raise KeyError(f"{self.task.id} has no task_id {task_id!r}")

    def _observe(self, index: int | None) -> tuple[str, dict[str, Any]]:
        # A procedural row is made here, from the env's seeded generator.
        row = self._generate(self.np_random) if index is None else self._rows[index]  # type: ignore[misc,index]
        prompt = self._format(row)
        messages = [{"role": "user", "content": prompt}]
        if self.task.system:
            messages.insert(0, {"role": "system", "content": self.task.system})
        info = {
            "task_id": _row_id(self.task.id, row, index),
            "reference": copy.deepcopy(row["reference"]),  # callers may keep and change it
            "messages": messages,
            "prompt": prompt,
        }
        return prompt, info

    def _format(self, row: Row) -> str:
        fmt = self.task.prompt
        if callable(fmt):
            return fmt(row)
        try:
            return fmt.format(**row)
        except KeyError as err:
            raise KeyError(
                f"{self.task.id}: prompt format {fmt!r} uses {err}, which rows lack "
                f"(row fields: {', '.join(row)})"
            ) from None


def _check_columns(task_id: str, row: Row) -> None:
    missing = [name for name in ("prompt", "reference") if name not in row]
    if missing:
        raise ValueError(
            f"{task_id}: rows need the columns 'prompt' and 'reference'; missing "
            f"{', '.join(map(repr, missing))} (columns: {', '.join(row) or 'none'})"
        )


def _row_id(task_id: str, row: Row, index: int | None) -> str:
    name = task_id.split("/", 1)[1]
    if "task_id" in row:
        return str(row["task_id"])
    if index is not None:
        return f"{name}/{index}"
    digest = hashlib.sha1(repr((row["prompt"], row["reference"])).encode()).hexdigest()[:12]
    return f"{name}/{digest}"
