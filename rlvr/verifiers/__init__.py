"""Verifiers turn (completion, reference) into a Verdict; they never raise on model output.

``MathVerifier``, ``CodeVerifier`` and ``CodeTests`` are imported on first use, so that a process
that checks code does not load the math parsers, and the other way round.
"""

import importlib
from typing import Any

from rlvr.verifiers.base import (
    Verdict,
    Verifier,
    get_verifier,
    register_verifier,
    registered_verifiers,
    verify_batch,
)

_LAZY = {
    "CodeTests": "rlvr.verifiers.code",
    "CodeVerifier": "rlvr.verifiers.code",
    "MathVerifier": "rlvr.verifiers.math",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def _math(**kwargs: Any) -> Verifier:
    return __getattr__("MathVerifier")(**kwargs)


def _code(**kwargs: Any) -> Verifier:
    return __getattr__("CodeVerifier")(**kwargs)


register_verifier("math", _math)
register_verifier("code", _code)

__all__ = [
    "CodeTests",
    "CodeVerifier",
    "MathVerifier",
    "Verdict",
    "Verifier",
    "get_verifier",
    "register_verifier",
    "registered_verifiers",
    "verify_batch",
]
