"""Math answer verification: extraction, parsing, and symbolic equivalence with sympy."""

from rlvr.verifiers.math.extract import STRATEGIES, extract_answer
from rlvr.verifiers.math.verifier import MathVerifier

__all__ = ["STRATEGIES", "MathVerifier", "extract_answer"]
