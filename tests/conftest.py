from pathlib import Path

import pytest

from rlvr.verifiers import MathVerifier

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def math_verifier() -> MathVerifier:
    return MathVerifier()
