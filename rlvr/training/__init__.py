"""Training: the RLVR loop, its config, and model loading."""

from rlvr.training.config import TrainConfig
from rlvr.training.models import DEFAULT_MODEL, default_model_path, load_model
from rlvr.training.trainer import Trainer

__all__ = ["DEFAULT_MODEL", "TrainConfig", "Trainer", "default_model_path", "load_model"]
