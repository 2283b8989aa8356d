"""Training: the RLVR loop, its config, and model loading.

The loop and the model loader import torch and transformers, so they load on first use: the
``rlvr`` command line builds its ``train`` options from ``TrainConfig`` alone.
"""

from typing import Any

from rlvr.training.config import TrainConfig

_LAZY = {
    "Trainer": "rlvr.training.trainer",
    "DEFAULT_MODEL": "rlvr.training.models",
    "default_model_path": "rlvr.training.models",
    "load_model": "rlvr.training.models",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rlvr.training' has no attribute {name!r}")


__all__ = ["DEFAULT_MODEL", "TrainConfig", "Trainer", "default_model_path", "load_model"]
