"""The verifier contract: (completion, reference) -> Verdict, never raising on model output.

A verifier is the reward of an RL run, so it must be total: malformed, empty, huge or hostile
completions get score 0 and a `reason`, never an exception or a hang. Verifiers are looked up by
name through a small registry so the CLI, envs and benchmarks can name them in config files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one completion against its reference."""

    score: float
    """Reward in [0, 1]; 1.0 for a correct answer unless a verifier grants partial credit."""
    correct: bool
    extracted: str | None
    """The answer text taken from the completion, or None when none was found."""
    reason: str
    """Which rule decided, e.g. ``symbolic-equal``, ``not-equal``, ``no-answer-found``."""
    details: dict[str, Any] = field(default_factory=dict, compare=False)
    """Extra facts for debugging (e.g. the extracted reference); not part of equality."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "correct": self.correct,
            "extracted": self.extracted,
            "reason": self.reason,
            **({"details": self.details} if self.details else {}),
        }


@runtime_checkable
class Verifier(Protocol):
    """Anything callable as ``verifier(completion, reference) -> Verdict``.

    ``verify_batch`` is optional; :func:`verify_batch` falls back to a loop.
    """

    def __call__(self, completion: str, reference: Any) -> Verdict: ...


def verify_batch(
    verifier: Verifier,
    completions: Sequence[str],
    references: Sequence[Any],
    workers: int | None = None,
) -> list[Verdict]:
    """Score many pairs with the verifier's own batch path when it has one."""
    check_pairs(completions, references)
    batch = getattr(verifier, "verify_batch", None)
    if batch is not None:
        return list(batch(completions, references, workers=workers))
    return [verifier(c, r) for c, r in zip(completions, references)]


def check_pairs(completions: Sequence[Any], references: Sequence[Any]) -> None:
    if len(completions) != len(references):
        raise ValueError(
            f"got {len(completions)} completions but {len(references)} references; "
            "pass one reference per completion"
        )


_REGISTRY: dict[str, Callable[..., Verifier]] = {}


def register_verifier(name: str, factory: Callable[..., Verifier]) -> None:
    """Make ``get_verifier(name, **kwargs)`` build ``factory(**kwargs)``."""
    if not name or not isinstance(name, str):
        raise ValueError(f"verifier name must be a non-empty string, got {name!r}")
    _REGISTRY[name] = factory


def get_verifier(name: str, **kwargs: Any) -> Verifier:
    """Build a registered verifier by name (``"math"``, or a name you registered)."""
    try:
        factory = _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise KeyError(f"unknown verifier {name!r}; registered: {known}") from None
    return factory(**kwargs)


def registered_verifiers() -> list[str]:
    return sorted(_REGISTRY)
