"""VLLMSampler: the fast sampler, a ``vllm.LLM`` engine colocated with the learner.

The engine starts once per run and stays. After each update the learner's weights go into it in
place (``reload_weights`` through ``collective_rpc``, then the prefix cache is dropped, since its
keys and values came from the old weights): no checkpoint is written and nothing restarts.

The engine runs in this process (``VLLM_ENABLE_V1_MULTIPROCESSING=0``), so weight tensors pass
by reference and scripts need no ``__main__`` guard. On a machine without CUDA, ``vllm-cpu``
runs it; its defaults are tuned for servers, so unless they are set already this module picks
fp32 (bf16 is slower on CPUs without bf16 units, and its log-probs drift far from the learner's),
eager mode (no torch.compile warm-up of minutes at every start), all cores
(``VLLM_CPU_NUM_OF_RESERVED_CPU=0``) and a 1 GiB KV cache (``VLLM_CPU_KVCACHE_SPACE``).
vLLM's own logging is cut to errors unless ``VLLM_LOGGING_LEVEL`` is set.

On a GPU, ``sleep=True`` frees the engine's memory while the learner updates: after sampling it
sleeps at level 2 (weights and KV cache dropped), and the next weight push wakes it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from torch import Tensor

from rlvr.rollout.base import Completion, Prompt, SamplingParams, render

CPU_DEFAULTS = {"VLLM_CPU_NUM_OF_RESERVED_CPU": "0", "VLLM_CPU_KVCACHE_SPACE": "1"}


def vllm_available() -> str | None:
    """None when vLLM imports and can run here, else the reason it cannot."""
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        return "vllm is not installed (pip install 'rlvr[vllm]', or 'rlvr[vllm-cpu]' on a CPU)"
    try:
        _import_vllm()
    except Exception as err:  # a broken install fails in many ways; report, don't crash
        hint = ""
        if importlib.util.find_spec("torchvision") or importlib.util.find_spec("torchcodec"):
            hint = (
                ". On a CPU machine, vllm-cpu's torchvision/torchaudio/torchcodec do not load "
                "beside the CPU torch: pip uninstall -y torchvision torchaudio torchcodec"
            )
        return f"vllm is installed but does not import: {type(err).__name__}: {err}{hint}"
    return None


def _import_vllm() -> Any:
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    # vLLM logs at INFO (and warns on every CPU generate call), which buries the progress bar.
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    import torch

    if not torch.cuda.is_available():
        for key, value in CPU_DEFAULTS.items():
            os.environ.setdefault(key, value)
    import vllm

    return vllm


class VLLMSampler:
    """Sample with vLLM; same outputs as ``HFSampler``.

    Args:
        model: a Hugging Face id or local directory, as vLLM loads it.
        tokenizer: renders chat prompts and tokenizes them (the learner's, so prompt ids match);
            default: the engine's own.
        dtype: ``"float32"`` by default, so sampler and learner log-probs agree.
        seed: the engine's sampling seed.
        max_model_len: prompt plus completion tokens; default: the model's.
        gpu_memory_utilization: share of GPU memory for the engine (GPU only); leave room for
            the learner when colocated.
        sleep: free the engine's GPU memory between sampling and the next weight push.
        engine_kwargs: any other ``vllm.LLM`` argument.
    """

    def __init__(
        self,
        model: str | Path,
        tokenizer: Any = None,
        *,
        dtype: str = "float32",
        seed: int = 0,
        max_model_len: int | None = None,
        gpu_memory_utilization: float | None = None,
        sleep: bool = False,
        **engine_kwargs: Any,
    ) -> None:
        vllm = _import_vllm()
        import torch

        on_gpu = torch.cuda.is_available()
        options: dict[str, Any] = {
            "dtype": dtype, "seed": seed, "logprobs_mode": "processed_logprobs",
            "enforce_eager": not on_gpu, "max_model_len": max_model_len,
            "enable_sleep_mode": sleep and on_gpu,
        }  # fmt: skip
        if gpu_memory_utilization is not None and on_gpu:
            options["gpu_memory_utilization"] = gpu_memory_utilization
        self.llm = vllm.LLM(model=str(model), **{**options, **engine_kwargs})
        self.tokenizer = tokenizer if tokenizer is not None else self.llm.get_tokenizer()
        self._vllm, self._sleep, self._asleep = vllm, sleep and on_gpu, False

    @classmethod
    def from_model(cls, model: Any, tokenizer: Any, **kwargs: Any) -> VLLMSampler:
        """An engine for an in-memory ``transformers`` model: saved once to a temporary
        directory for vLLM to load, then kept in step through ``load_weights``."""
        with tempfile.TemporaryDirectory(prefix="rlvr-vllm-") as tmp:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            return cls(tmp, tokenizer, **kwargs)

    def generate(
        self, prompts: Sequence[Prompt], n: int = 1, params: SamplingParams | None = None
    ) -> list[list[Completion]]:
        params = params or SamplingParams()
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self._wake()
        text = [render(self.tokenizer, p) for p in prompts]
        ids = [list(row) for row in self.tokenizer(text, add_special_tokens=False)["input_ids"]]
        request = self._vllm.SamplingParams(
            n=n, temperature=params.temperature, top_p=params.top_p, top_k=params.top_k,
            max_tokens=params.max_new_tokens, stop=list(params.stop) or None,
            include_stop_str_in_output=True, logprobs=0, seed=params.seed,
        )  # fmt: skip
        outputs = self.llm.generate([{"prompt_token_ids": p} for p in ids], request, use_tqdm=False)
        if self._sleep:
            self.llm.sleep(level=2)
            self._asleep = True
        return [
            [_completion(sample, prompt) for sample in output.outputs]
            for output, prompt in zip(outputs, ids)
        ]

    def load_weights(self, weights: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]]) -> None:
        """Push new weights into the running engine, in place."""
        items = weights.items() if isinstance(weights, Mapping) else weights
        if self._asleep:  # weights first: the KV cache is not needed to receive them
            self.llm.wake_up(tags=["weights"])
        self.llm.collective_rpc("reload_weights", kwargs={"weights_iterator": iter(items)})
        if self._asleep:
            self.llm.wake_up(tags=["kv_cache"])
            self._asleep = False
        self.llm.reset_prefix_cache()

    def close(self) -> None:
        """Shut the engine down and free its memory (for a process that starts several)."""
        import gc

        llm = self.__dict__.pop("llm", None)
        if llm is not None:
            llm.llm_engine.engine_core.shutdown()
            del llm
            gc.collect()

    def _wake(self) -> None:
        if self._asleep:  # sampling again without a weight push in between
            self.llm.wake_up()
            self._asleep = False


def _completion(sample: Any, prompt: list[int]) -> Completion:
    token_ids = list(sample.token_ids)
    return Completion(
        text=sample.text,
        token_ids=token_ids,
        logprobs=[step[token].logprob for step, token in zip(sample.logprobs, token_ids)],
        finish_reason="length" if sample.finish_reason == "length" else "stop",
        prompt_token_ids=prompt,
    )
