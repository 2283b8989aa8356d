"""Verifiers turn (completion, reference) into a Verdict; they never raise on model output."""

from rlvr.verifiers.base import (
    Verdict,
    Verifier,
    get_verifier,
    register_verifier,
    registered_verifiers,
    verify_batch,
)
from rlvr.verifiers.code import CodeTests, CodeVerifier
from rlvr.verifiers.math import MathVerifier

register_verifier("math", MathVerifier)
register_verifier("code", CodeVerifier)

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
