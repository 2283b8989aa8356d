from pathlib import Path

import pytest
from tiny_model import tiny_model, tiny_tokenizer

from rlvr.verifiers import MathVerifier

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def math_verifier() -> MathVerifier:
    return MathVerifier()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny test model saved as a local model directory, for ``--model``."""
    path = tmp_path_factory.mktemp("model")
    tiny_model().save_pretrained(path)
    tiny_tokenizer().save_pretrained(path)
    return path
