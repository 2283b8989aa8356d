"""LoRA through ``peft``: the learner trains low-rank adapters on a frozen base.

The frozen base is also the reference policy (adapters disabled), so a KL term costs no second
model. A sampler with its own copy of the weights (vLLM) gets the merged weights ``W + s·BA``
under the base model's own parameter names after each update.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

ADAPTER_FILE = "adapter_model.safetensors"


def wrap(model: Any, rank: int, alpha: int | None = None) -> Any:
    """The model with LoRA adapters of ``rank`` on every linear layer (the LM head excepted)."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError:
        raise ImportError("config.lora_rank needs peft: pip install 'rlvr[lora]'") from None
    config = LoraConfig(
        r=rank, lora_alpha=alpha or 2 * rank, lora_dropout=0.0, target_modules="all-linear",
        task_type="CAUSAL_LM",
    )  # fmt: skip
    return get_peft_model(model, config)


@torch.no_grad()
def merged_weights(model: Any) -> dict[str, torch.Tensor]:
    """The base model's state dict with the adapters folded in, under the base's names."""
    model.merge_adapter()
    try:
        weights = {}
        for name, tensor in model.get_base_model().state_dict().items():
            if "lora_" in name:
                continue
            weights[name.replace(".base_layer.", ".")] = tensor.clone()
        return weights
    finally:
        model.unmerge_adapter()


def load_adapter(model: Any, checkpoint: Path) -> None:
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    result = set_peft_model_state_dict(model, load_file(checkpoint / ADAPTER_FILE))
    if getattr(result, "unexpected_keys", None):
        raise ValueError(f"{checkpoint} holds adapter weights this model lacks")
