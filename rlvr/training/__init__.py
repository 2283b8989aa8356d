"""Training: model loading now; the RL loop, config and checkpoints come with the trainer."""

from rlvr.training.models import DEFAULT_MODEL, default_model_path, load_model

__all__ = ["DEFAULT_MODEL", "default_model_path", "load_model"]
