"""The RLVR loop. One step reads top to bottom:

draw B prompts -> sample G completions each -> verify -> shape, select, advantages
-> policy update (micro-batches, accumulation, clipping) -> push weights -> log -> checkpoint
"""

from __future__ import annotations

import copy
import json
import math
import time
import warnings
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch

from rlvr.algorithms import get_algorithm
from rlvr.algorithms.advantages import gae
from rlvr.algorithms.losses import kl_penalized_rewards
from rlvr.rollout import Completion, Sampler, SamplingParams, make_sampler
from rlvr.training import checkpoint, lora
from rlvr.training.config import TrainConfig
from rlvr.training.evaluate import greedy_accuracy


class Trainer:
    """The RLVR loop for any registered algorithm, env and sampler.

    Everything is built from ``config`` unless given: ``model``/``tokenizer`` (else
    ``load_model(config.model)``), ``sampler`` (else ``make_sampler(config.sampler, ...)``) and
    ``env`` (else ``gym.make(config.env)``, so wrappers passed in shape the rewards).
    ``step()`` runs one step and returns its metrics; ``train()`` runs to ``config.steps``.
    """

    def __init__(
        self,
        config: TrainConfig,
        model: Any = None,
        tokenizer: Any = None,
        sampler: Sampler | None = None,
        env: gym.Env | None = None,
    ) -> None:
        self.config = config
        torch.manual_seed(config.seed)
        if model is None:
            from rlvr.training.models import load_model

            model, tokenizer = load_model(config.model)
        self.tokenizer = tokenizer
        self.algo = get_algorithm(config.algo, **config.algo_kwargs)
        if config.tis_cap is not None and self.algo.whole_groups:
            raise ValueError(f"config.tis_cap weights advantages; {config.algo} ranks samples")
        # The sampler starts from the plain weights (vLLM loads them from a saved copy).
        self.sampler = sampler or make_sampler(
            config.sampler, model, tokenizer, batch_size=config.prompts_per_step, seed=config.seed
        )
        # An HF sampler on the learner's own model needs no weight pushes.
        self.shares_model = getattr(self.sampler, "model", None) is model
        self.model = (
            lora.wrap(model, config.lora_rank, config.lora_alpha) if config.lora_rank else model
        )
        # The reference policy exists only when the algorithm has a KL term; with LoRA it is
        # the frozen base (adapters disabled), so there is no copy.
        needs_copy = self.algo.needs_reference and not config.lora_rank
        self.reference = copy.deepcopy(model).eval() if needs_copy else None
        # Reward-shaping wrappers (FormatReward, ...) apply: score/sample come from the outside.
        self.env = env if env is not None else gym.make(config.env, **(config.env_kwargs or {}))
        try:
            self.sample_tasks = self.env.get_wrapper_attr("sample")
            self.score = self.env.get_wrapper_attr("score")
        except AttributeError:
            raise TypeError(f"{config.env} is not an rlvr environment (no sample/score)") from None
        self.env.reset(seed=config.seed)
        # PPO's critic: a linear value head on the policy's last hidden state.
        self.value_head = (
            torch.nn.Linear(model.config.hidden_size, 1) if self.algo.needs_values else None
        )
        parameters = [p for p in self.model.parameters() if p.requires_grad]
        if self.value_head is not None:
            parameters += list(self.value_head.parameters())
        self.optimizer = torch.optim.AdamW(
            parameters, lr=config.lr, weight_decay=config.weight_decay
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr_factor)
        self.step_index = 0
        self.out = Path(config.out)
        self.out.mkdir(parents=True, exist_ok=True)
        if config.resume:
            self._resume()
        else:  # a new run in an old directory starts its logs afresh
            for log in ("metrics.jsonl", "samples.jsonl"):
                checkpoint.truncate_log(self.out / log, 0)
        self.tensorboard = _tensorboard(self.out) if config.tensorboard else None

    def _resume(self) -> None:
        found = checkpoint.latest(self.out)
        if found is None:
            raise FileNotFoundError(
                f"nothing to resume: {self.out} has no checkpoint (config.resume=True)"
            )
        if self.config.lora_rank:
            lora.load_adapter(self.model, found)
        else:
            weights = type(self.model).from_pretrained(found, dtype=self.model.dtype).state_dict()
            self.model.load_state_dict(weights)
        self.push_weights()
        state = checkpoint.load_state(found)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        self.env.unwrapped.np_random.bit_generator.state = state["env_rng"]  # data position
        self.step_index = state["step"]
        if self.value_head is not None:
            self.value_head.load_state_dict(state["value_head"])
        for log in ("metrics.jsonl", "samples.jsonl"):  # steps after the checkpoint are redone
            checkpoint.truncate_log(self.out / log, self.step_index)

    # --------------------------------------------------------------------------- the loop
    def train(self) -> list[dict[str, float]]:
        history = []
        while self.step_index < self.config.steps:
            history.append(self.step())
        return history

    def step(self) -> dict[str, float]:
        c = self.config
        t0 = time.perf_counter()
        batch, draws, seconds = self._collect()  # sample + verify + select
        t1 = time.perf_counter()
        stats = self._update(batch) if batch["keep"].any() else {}  # policy update
        self.push_weights()
        self.step_index += 1
        metrics = {
            "step": self.step_index, **self._metrics(batch, stats), "draws": draws,
            "sample_s": seconds["sample"], "verify_s": seconds["verify"],
            "update_s": time.perf_counter() - t1, "seconds": time.perf_counter() - t0,
        }  # fmt: skip
        metrics["tokens_per_s"] = metrics["response_tokens"] / max(seconds["sample"], 1e-9)
        if c.eval_every and self.step_index % c.eval_every == 0:
            metrics["eval_accuracy"] = self.held_out()[0]
        self._log(metrics, batch)
        if c.save_every and self.step_index % c.save_every == 0:
            self.save()
        return metrics

    def close(self) -> None:
        """Free the sampler's engine (vLLM holds gigabytes until it is shut down)."""
        close = getattr(self.sampler, "close", None)
        if close is not None:
            close()

    def held_out(self) -> tuple[float, int]:
        """Greedy accuracy on the first ``eval_n`` rows of the task's test split, and the rows."""
        c = self.config
        return greedy_accuracy(
            self.sampler, c.env, c.eval_n, c.max_new_tokens, **(c.env_kwargs or {})
        )

    def push_weights(self) -> None:
        """Give the sampler the learner's current weights (merged, with LoRA)."""
        if self.shares_model:
            return
        if self.config.lora_rank:
            self.sampler.load_weights(lora.merged_weights(self.model))
        else:
            self.sampler.load_weights(self.model.state_dict())

    # ------------------------------------------------------------------------------ stages
    def _collect(self) -> tuple[dict[str, Any], int, dict[str, float]]:
        """Draw prompt groups until B of them pass the algorithm's filter (or max_draws)."""
        c = self.config
        params = SamplingParams(max_new_tokens=c.max_new_tokens, temperature=c.temperature)
        parts: list[dict[str, Any]] = []
        seconds = {"sample": 0.0, "verify": 0.0}
        kept_groups, draws = 0, 0
        while kept_groups < c.prompts_per_step and draws < c.max_draws:
            draws += 1
            tasks = self.sample_tasks(c.prompts_per_step)
            start = time.perf_counter()
            groups = self.sampler.generate(
                [info["messages"] for _, info in tasks], c.group_size, params
            )
            seconds["sample"] += time.perf_counter() - start
            completions = [comp for group in groups for comp in group]
            references = [info["reference"] for _, info in tasks for _ in range(c.group_size)]
            start = time.perf_counter()
            rewards, infos = self.score([comp.text for comp in completions], references)
            seconds["verify"] += time.perf_counter() - start
            part = self._tensors(
                completions, rewards, infos, offset=len(parts) * c.prompts_per_step
            )
            parts.append(part)
            kept_groups += int(torch.unique(part["group_ids"][part["keep"]]).numel())
        return _concat(parts), draws, seconds

    def _tensors(
        self, completions: list[Completion], rewards: Any, infos: list[dict], offset: int
    ) -> dict[str, Any]:
        c = self.config
        group_ids = torch.arange(len(completions)) // c.group_size + offset
        lengths = torch.tensor([len(comp.token_ids) for comp in completions])
        truncated = torch.tensor([comp.finish_reason == "length" for comp in completions])
        raw = torch.as_tensor(rewards, dtype=torch.float32)
        shaped = self.algo.shape(raw, lengths)
        # PPO's advantages are per token, from its critic, at update time (``_gae``)
        advantages = shaped if self.algo.needs_values else self.algo.advantages(shaped, group_ids)
        keep = self.algo.select(shaped, group_ids, lengths, truncated) & (lengths > 0)
        return {
            "completions": completions, "rewards": raw, "shaped": shaped, "group_ids": group_ids,
            "lengths": lengths, "truncated": truncated, "keep": keep,
            "advantages": advantages,
            "correct": torch.tensor([bool(i["verdict"].correct) for i in infos]),
            "verdicts": [i["verdict"] for i in infos],
        }  # fmt: skip

    def _update(self, batch: dict[str, Any]) -> dict[str, float]:
        """One optimizer step over the kept samples, in micro-batches."""
        c = self.config
        index = torch.nonzero(batch["keep"]).flatten().tolist()
        # Each micro-batch's mean is weighted by its share of the batch, so the accumulated
        # gradient equals the full batch's: a share of tokens for a token mean, else of rows.
        by_tokens = getattr(self.algo, "loss_agg", None) == "token-mean"
        sizes = batch["lengths"].float() if by_tokens else torch.ones(len(batch["lengths"]))
        total = float(sizes[index].sum())
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        totals: dict[str, float] = {}
        for rows in _micro_batches(index, batch["group_ids"], c.micro_batch, self.algo):
            share = float(sizes[rows].sum()) / total
            ids, mask = _pack([batch["completions"][i] for i in rows], self.tokenizer.pad_token_id)
            logprobs, hidden = _token_logprobs(self.model, ids, mask, c.temperature)
            ref = self._reference_logprobs(ids, mask)
            completion_mask = mask[:, 1:] & _completion_positions(batch, rows, ids.shape[1] - 1)
            sampled = _sampler_logprobs(batch, rows, completion_mask)
            gap = (logprobs.detach() - sampled)[completion_mask]
            advantages, extra = batch["advantages"][rows], dict[str, torch.Tensor]()
            if self.value_head is not None:  # PPO: per-token advantages from GAE on the critic
                advantages, extra = self._gae(batch["shaped"][rows], logprobs, ref, hidden,
                                              completion_mask)  # fmt: skip
            if c.tis_cap is not None:  # per-token weight min(π_learner / π_sampler, C)
                weight = torch.exp(logprobs.detach() - sampled).clamp(max=c.tis_cap)
                weight = torch.where(completion_mask, weight, 0.0)
                advantages = (advantages if advantages.dim() == 2 else advantages[:, None]) * weight
            loss, stats = self.algo.loss(
                logprobs, logprobs.detach(), advantages, completion_mask, ref,
                group_ids=batch["group_ids"][rows], **extra,
            )  # fmt: skip
            (loss * share).backward()
            stats = {"loss": loss.item(), **stats, "logprob_mismatch": gap.abs().mean().item()}
            for key, value in stats.items():
                totals[key] = totals.get(key, 0.0) + value * share
        totals["grad_norm"] = float(
            torch.nn.utils.clip_grad_norm_(
                self.optimizer.param_groups[0]["params"], c.max_grad_norm
            )
        )
        self.optimizer.step()
        self.scheduler.step()
        self.model.eval()
        return totals

    @torch.no_grad()
    def _reference_logprobs(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor | None:
        if not self.algo.needs_reference:
            return None
        if self.reference is not None:
            return _token_logprobs(self.reference, ids, mask, self.config.temperature)[0]
        with self.model.disable_adapter():  # LoRA: the frozen base is the reference
            return _token_logprobs(self.model, ids, mask, self.config.temperature)[0]

    def _gae(
        self, rewards: torch.Tensor, logprobs: torch.Tensor, ref: torch.Tensor | None,
        hidden: torch.Tensor, mask: torch.Tensor,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:  # fmt: skip
        """Per-token rewards (with the KL penalty), GAE advantages and returns, and the values.

        On-policy with one update per batch, the critic's values before the update are this
        forward's values, detached: GAE is per sequence, so a micro-batch holds all it needs."""
        algo: Any = self.algo
        assert self.value_head is not None
        values = self.value_head(hidden[:, :-1].float()).squeeze(-1)  # V(state before token t+1)
        old_logprobs = logprobs.detach()
        token_rewards = kl_penalized_rewards(
            rewards, old_logprobs, old_logprobs if ref is None else ref, mask, algo.reward_kl_coef
        )
        advantages, returns = gae(token_rewards, values.detach(), mask, algo.gamma, algo.lam)
        return advantages, {"values": values, "old_values": values.detach(), "returns": returns}

    # ---------------------------------------------------------------------------- logging
    def _metrics(self, batch: dict[str, Any], stats: dict[str, float]) -> dict[str, float]:
        rewards, groups = batch["rewards"], batch["group_ids"]
        spread = [rewards[groups == g].max() > rewards[groups == g].min() for g in groups.unique()]
        zero_var = 1.0 - float(torch.tensor(spread, dtype=torch.float32).mean())
        if zero_var == 1.0:
            warnings.warn(
                f"step {self.step_index}: every group has the same reward for all its samples, so "
                "every advantage is 0 and nothing is learned. Check that the prompt asks for the "
                "answer format the verifier extracts, and that max_new_tokens is long enough.",
                stacklevel=3,
            )
        lengths = batch["lengths"].float()
        return {
            "reward_mean": float(rewards.mean()), "reward_std": float(rewards.std()),
            "accuracy": float(batch["correct"].float().mean()), "zero_variance_groups": zero_var,
            "kept": float(batch["keep"].float().mean()),
            "response_len": float(lengths.mean()), "response_len_max": float(lengths.max()),
            "truncated": float(batch["truncated"].float().mean()),
            "response_tokens": float(lengths.sum()), "lr": float(self.scheduler.get_last_lr()[0]),
            "loss": stats.get("loss", 0.0), "kl": stats.get("kl_ref", 0.0),
            **{k: v for k, v in stats.items() if k not in ("loss", "kl_ref")},
        }  # fmt: skip

    def _log(self, metrics: dict[str, float], batch: dict[str, Any]) -> None:
        with (self.out / "metrics.jsonl").open("a") as f:
            f.write(json.dumps(metrics) + "\n")
        if self.tensorboard is not None:
            for key, value in metrics.items():
                self.tensorboard.add_scalar(key, value, self.step_index)
            self.tensorboard.flush()
        every = self.config.log_samples_every
        if every and (self.step_index == 1 or self.step_index % every == 0):
            with (self.out / "samples.jsonl").open("a") as f:
                for comp, verdict in list(zip(batch["completions"], batch["verdicts"]))[:4]:
                    row = {"step": self.step_index, "completion": comp.text, **verdict.to_dict()}
                    f.write(json.dumps(row, default=str) + "\n")

    def save(self) -> Path:
        """Write model, tokenizer and trainer state to ``out/checkpoint`` atomically."""

        def fill(staging: Path) -> None:
            self.model.save_pretrained(staging)
            self.tokenizer.save_pretrained(staging)
            state = {
                "step": self.step_index, "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "rng": torch.get_rng_state(),
                "env_rng": self.env.unwrapped.np_random.bit_generator.state,
                "value_head": None if self.value_head is None else self.value_head.state_dict(),
            }  # fmt: skip
            torch.save(state, staging / checkpoint.STATE_FILE)

        return checkpoint.write(self.out, self.step_index, fill)

    def _lr_factor(self, step: int) -> float:
        c = self.config
        if step < c.warmup_steps:
            return (step + 1) / c.warmup_steps
        if c.schedule == "cosine":
            progress = (step - c.warmup_steps) / max(1, c.steps - c.warmup_steps)
            return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        return 1.0


def _tensorboard(out: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ImportError("config.tensorboard needs the tensorboard package") from None
    return SummaryWriter(str(out / "tensorboard"))


# ------------------------------------------------------------------------------ tensor helpers
def _pack(completions: list[Completion], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ``prompt + completion`` ids and their attention mask."""
    rows = [c.prompt_token_ids + c.token_ids for c in completions]
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.bool)
    for k, row in enumerate(rows):
        ids[k, : len(row)] = torch.tensor(row)
        mask[k, : len(row)] = True
    return ids, mask


def _completion_positions(batch: dict[str, Any], rows: list[int], width: int) -> torch.Tensor:
    """For targets ``ids[:, 1:]``: True where the target is a completion token."""
    out = torch.zeros((len(rows), width), dtype=torch.bool)
    for k, i in enumerate(rows):
        comp = batch["completions"][i]
        start = len(comp.prompt_token_ids) - 1
        out[k, start : start + len(comp.token_ids)] = True
    return out


def _sampler_logprobs(batch: dict[str, Any], rows: list[int], where: torch.Tensor) -> torch.Tensor:
    """The sampler's log-probs of the completion tokens, laid out like the learner's."""
    out = torch.zeros(where.shape)
    out[where] = torch.tensor(
        [lp for i in rows for lp in batch["completions"][i].logprobs], dtype=torch.float32
    )
    return out


def _token_logprobs(
    model: Any, ids: torch.Tensor, mask: torch.Tensor, temperature: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """``log π(ids[:, t+1] | ids[:, :t+1])`` at the sampling temperature, ``[N, T-1]``, and the
    last hidden states ``[N, T, H]`` (for a value head)."""
    output = model(input_ids=ids, attention_mask=mask.long(), output_hidden_states=True)
    logprobs = torch.log_softmax(output.logits[:, :-1].float() / (temperature or 1.0), dim=-1)
    return logprobs.gather(-1, ids[:, 1:, None]).squeeze(-1), output.hidden_states[-1]


def _micro_batches(
    index: list[int], group_ids: torch.Tensor, size: int, algo: Any
) -> list[list[int]]:
    """Rows in chunks of ``size``; for algorithms that compare within groups, chunks of whole
    groups (as many as fit in ``size``, at least one)."""
    if not algo.whole_groups:
        return [index[k : k + size] for k in range(0, len(index), size)]
    chunks: list[list[int]] = []
    for g in dict.fromkeys(group_ids[index].tolist()):
        group = [i for i in index if group_ids[i] == g]
        if chunks and len(chunks[-1]) + len(group) <= size:
            chunks[-1] += group
        else:
            chunks.append(group)
    return chunks


def _concat(parts: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in parts[0]:
        values = [p[key] for p in parts]
        out[key] = (
            torch.cat(values)
            if isinstance(values[0], torch.Tensor)
            else [item for value in values for item in value]
        )
    return out
