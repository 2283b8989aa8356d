"""The RLVR loop. One step reads top to bottom:

draw B prompts -> sample G completions each -> verify -> shape, select, advantages
-> π_old (once per batch) -> updates (epochs × mini-batches, each micro-batched) -> push weights
-> log -> checkpoint
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import time
import types
import typing
import warnings
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch
from torch import Tensor

from rlvr.algorithms import Algorithm, get_algorithm
from rlvr.envs import score_batch
from rlvr.rollout import Completion, Sampler, SamplingParams, make_sampler
from rlvr.training import checkpoint, lora
from rlvr.training.batch import Rollout, scatter
from rlvr.training.config import TRAINER_ALGO_DEFAULTS, TrainConfig
from rlvr.training.evaluate import greedy_accuracy
from rlvr.training.logprobs import (
    TokenValues,
    build_layout,
    exact_on,
    packed_logprobs,
    plain_logprobs,
)

TOP_LEVEL_STATS = {"loss": "loss", "kl_ref": "kl", "entropy": "entropy"}
"""Algorithm statistics logged under their own name; the rest go under ``algo/``."""


def build_algorithm(config: TrainConfig) -> Algorithm:
    """The run's algorithm: its paper defaults, then the trainer's (no KL term), then the user's
    ``algo_kwargs``; length-dependent fields left unset come from ``max_new_tokens``."""
    accepted = get_algorithm(config.algo).overrides()
    defaults = {k: v for k, v in TRAINER_ALGO_DEFAULTS.items() if k in accepted}
    _check_algo_kwargs(get_algorithm(config.algo), config.algo_kwargs)
    try:
        algo = get_algorithm(config.algo, **{**defaults, **config.algo_kwargs})
    except TypeError as err:  # an override the algorithm does not have
        raise ValueError(f"config.algo_kwargs: {err}") from None
    return algo.with_budget(config.max_new_tokens)


def _check_algo_kwargs(algo: Algorithm, overrides: dict[str, Any]) -> None:
    """Each override has its field's type (a number for a float, ...), so a typo such as
    ``{"kl_coef": "x"}`` fails here, named, not as a tensor error mid-step. Unknown names are
    left to ``get_algorithm``, which lists the known ones."""
    if not dataclasses.is_dataclass(algo):
        return
    try:
        hints = typing.get_type_hints(type(algo))
    except (NameError, TypeError):  # annotations this Python cannot evaluate: skip the check
        return
    for name, value in overrides.items():
        if name not in hints:
            continue
        kinds = _allowed(hints[name])
        if object in kinds or (value is None and type(None) in kinds):
            continue  # a type this check does not know (a tuple, ...): the algorithm's to judge
        if isinstance(value, float) and math.isnan(value):
            raise ValueError(f"config.algo_kwargs.{name} must be a number, got NaN")
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        ok = (
            (float in kinds and numeric)
            or (int in kinds and isinstance(value, int) and not isinstance(value, bool))
            or (bool in kinds and isinstance(value, bool))
            or (str in kinds and isinstance(value, str))
        )
        if not ok:
            wanted = " or ".join(sorted(k.__name__ for k in kinds if k is not type(None)))
            raise ValueError(f"config.algo_kwargs.{name} must be {wanted}, got {value!r}")


def _allowed(hint: Any) -> set[Any]:
    """The plain types a field's annotation admits (``float | None`` -> float, NoneType)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return {a for arg in typing.get_args(hint) for a in _allowed(arg)}
    if typing.get_origin(hint) is not None or not isinstance(hint, type):
        return {object}  # tuple[int, int], Literal[...], ...
    return {hint}


class Trainer:
    """The RLVR loop for any registered algorithm, env and sampler.

    Everything is built from ``config`` unless given: ``model``/``tokenizer`` (else
    ``load_model(config.model)``), ``sampler`` (else ``make_sampler(config.sampler, ...)``) and
    ``env`` (else ``gym.make(config.env)``; wrappers passed in shape the rewards exactly as in
    ``step``, see ``rlvr.envs.score_batch``). ``step()`` runs one step and returns its metrics;
    ``train()`` runs to ``config.steps``. The resolved config is written to ``out/config.yaml``.
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
        config.check_registered()
        self.out = Path(config.out)
        torch.manual_seed(config.seed)
        self.algo = build_algorithm(config)
        if config.tis_cap is not None and self.algo.whole_groups:
            raise ValueError(f"config.tis_cap weights advantages; {config.algo} ranks samples")
        self.resolved = resolved_config(config, self.algo)
        self.resume_notes: list[str] = []
        """On resume, each value that differs from the checkpoint's and applies from now on,
        as ``"lr: 0.003 -> 0.001"``."""
        self.resumed_from: Path | None = None
        self._saved: dict[str, Any] | None = None
        self._saved_step: int | None = None  # the step out/checkpoint holds, when known good
        self._keep: Path | None = None  # a fallback checkpoint the next save must keep
        self._fresh = not config.resume  # a checkpoint already in out is another run's
        if config.resume:  # before the model loads: a refused resume costs nothing
            self.resumed_from = self._find_checkpoint()
        _make_run_dir(self.out)
        if model is None:
            from rlvr.training.models import load_model

            try:
                model, tokenizer = load_model(config.model)
            except OSError as err:
                raise type(err)(f"config.model: {err}") from None
        self.tokenizer = tokenizer
        self._model_arch = _architecture(model.config)
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
        self.env = env if env is not None else _make_env(config)
        try:
            self.sample_tasks = self.env.get_wrapper_attr("sample")
        except AttributeError:
            raise TypeError(
                f"config.env: {config.env} is not an rlvr environment (no sample/score); "
                "`rlvr envs` lists those that are"
            ) from None
        score_batch(self.env, [], [])  # refuses, now, a wrapper whose rewards training can't see
        self.env.reset(seed=config.seed)
        self.critic = self.algo.critic(model.config.hidden_size)  # PPO's value head
        parameters = [p for p in self.model.parameters() if p.requires_grad]
        if self.critic is not None:
            parameters += list(self.critic.parameters())
        # The fused kernel: one pass over each tensor (5-10x faster than foreach on a CPU).
        fused = all(p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in parameters)
        self.optimizer = torch.optim.AdamW(
            parameters, lr=config.lr, weight_decay=config.weight_decay, fused=fused
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr_factor)
        self.step_index = 0
        self.packed: bool | None = None
        """Whether the update runs packed (``rlvr.training.logprobs``): decided on the first
        update by checking it against the plain forward pass on that batch."""
        self._update_tokens = 0
        if self.resumed_from is not None:
            self._check_architecture(self.resumed_from)
        checkpoint.atomic_write_text(self.out / "config.yaml", to_yaml(self.resolved))
        if self.resumed_from is not None:
            self._resume(self.resumed_from)
        else:  # a new run in an old directory starts its logs afresh
            for log in ("metrics.jsonl", "samples.jsonl"):
                checkpoint.truncate_log(self.out / log, 0)
        self.reporters = [_reporter(name, self.out, self.resolved) for name in config.reporters()]

    def _find_checkpoint(self) -> Path:
        """The newest intact checkpoint (damaged newer ones are skipped, with a warning), after
        checking that this config may continue it; fills ``resume_notes``."""
        found, notes = checkpoint.find_latest(self.out)
        for note in notes:
            warnings.warn(note, checkpoint.CheckpointWarning, stacklevel=3)
        if found is None:
            if notes:
                raise FileNotFoundError(
                    f"config.resume (--resume): no intact checkpoint in {self.out} "
                    f"({'; '.join(notes)}); drop --resume to start a new run"
                )
            raise FileNotFoundError(
                f"config.resume (--resume): nothing to resume: {self.out} has no checkpoint; "
                "drop --resume to start a new run there"
            )
        self._saved = checkpoint.saved_config(found)
        if self._saved is None:
            warnings.warn(
                f"{found} holds no run config (older rlvr): this run's values are used as "
                "given, without checking them against the checkpoint's",
                checkpoint.CheckpointWarning,
                stacklevel=3,
            )
        else:
            self.resume_notes = resume_changes(self._saved["config"], self.resolved, found)
        return found

    def _check_architecture(self, found: Path) -> None:
        """Refuse a checkpoint whose model has other shapes than this run's, before building
        anything from its config.json."""
        from rlvr.training.models import architecture_mismatch

        if self.config.lora_rank:  # adapters only: the base's shapes are in the run config
            theirs = (self._saved or {}).get("model_config")
            where = found / checkpoint.CONFIG_FILE
        else:
            where = found / "config.json"
            try:
                theirs = json.loads(where.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise ValueError(f"config.model: {where} is unreadable ({err})") from None
        differences = [] if theirs is None else architecture_mismatch(self._model_arch, theirs)
        if differences:
            raise ValueError(
                f"config.model: the checkpoint {found} holds another architecture than this "
                f"run's model ({'; '.join(differences)}, per {where.name}); refusing to load it. "
                "Resume with the --model the run was started from"
            )

    def _resume(self, found: Path) -> None:
        if self.config.lora_rank:
            lora.load_adapter(self.model, found)
        else:
            weights = type(self.model).from_pretrained(found, dtype=self.model.dtype).state_dict()
            self.model.load_state_dict(weights)
        self.push_weights()
        state = checkpoint.load_state(found)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self._apply_optimizer_config()
        torch.set_rng_state(state["rng"])
        self.env.unwrapped.np_random.bit_generator.state = state["env_rng"]  # data position
        self.step_index = state["step"]
        if found == self.out / "checkpoint":
            self._saved_step = self.step_index
        else:  # every newer checkpoint is damaged: the next save replaces them, keeping this
            self._keep = found
        if self.critic is not None:
            self.critic.load_state_dict(state["critic"])
        for log in ("metrics.jsonl", "samples.jsonl"):  # steps after the checkpoint are redone
            checkpoint.truncate_log(self.out / log, self.step_index)

    def _apply_optimizer_config(self) -> None:
        """The optimizer's saved state carries the old lr and weight decay; this run's apply
        (the same expression as LambdaLR's, so an unchanged lr resumes bit for bit)."""
        c = self.config
        groups = self.optimizer.param_groups
        for group in groups:
            group["initial_lr"] = c.lr
            group["weight_decay"] = c.weight_decay
        self.scheduler.base_lrs = [c.lr for _ in groups]
        factor = self._lr_factor(self.scheduler.last_epoch)
        for group in groups:
            group["lr"] = c.lr * factor
        self.scheduler._last_lr = [group["lr"] for group in groups]  # type: ignore[attr-defined]

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
        self._update_tokens = 0
        stats = self._update(batch) if batch.keep.any() else {}  # policy updates
        self.push_weights()
        self.step_index += 1
        metrics = {
            "step": self.step_index, **self._metrics(batch, stats), "draws": draws,
            "sample_s": seconds["sample"], "verify_s": seconds["verify"],
            "update_s": time.perf_counter() - t1, "seconds": time.perf_counter() - t0,
            "update_tokens": self._update_tokens,
        }  # fmt: skip
        metrics["tokens_per_s"] = metrics["response_tokens"] / max(seconds["sample"], 1e-9)
        if c.eval_every and self.step_index % c.eval_every == 0:
            metrics["eval_accuracy"] = self.held_out(progress=False)[0]
        self._log(metrics, batch)
        if c.save_every and self.step_index % c.save_every == 0:
            self.save()
        return metrics

    def close(self) -> None:
        """Free the sampler's engine (vLLM holds gigabytes until it is shut down) and close the
        metric reporters."""
        close = getattr(self.sampler, "close", None)
        if close is not None:
            close()
        for reporter in self.reporters:
            reporter.close()

    def held_out(self, progress: bool = True) -> tuple[float, int]:
        """Greedy accuracy on the first ``eval_n`` rows of the task's test split, and the rows."""
        c = self.config
        return greedy_accuracy(
            self.sampler, c.env, c.eval_n, c.max_new_tokens, progress=progress,
            **(c.env_kwargs or {}),
        )  # fmt: skip

    def push_weights(self) -> None:
        """Give the sampler the learner's current weights (merged, with LoRA)."""
        if self.shares_model:
            return
        if self.config.lora_rank:
            self.sampler.load_weights(lora.merged_weights(self.model))
        else:
            self.sampler.load_weights(self.model.state_dict())

    # ------------------------------------------------------------------------------ stages
    def _collect(self) -> tuple[Rollout, int, dict[str, float]]:
        """Draw prompt groups until B of them pass the algorithm's filter (or max_draws)."""
        c = self.config
        params = SamplingParams(max_new_tokens=c.max_new_tokens, temperature=c.temperature)
        parts: list[Rollout] = []
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
            rewards, infos = score_batch(self.env, [comp.text for comp in completions], references)
            seconds["verify"] += time.perf_counter() - start
            part = self._rollout(completions, rewards, infos, len(parts) * c.prompts_per_step)
            parts.append(part)
            kept_groups += int(torch.unique(part.group_ids[part.keep]).numel())
        return Rollout.concat(parts), draws, seconds

    def _rollout(
        self, completions: list[Completion], rewards: Any, infos: list[dict], offset: int
    ) -> Rollout:
        group_ids = torch.arange(len(completions)) // self.config.group_size + offset
        lengths = torch.tensor([len(comp.token_ids) for comp in completions])
        truncated = torch.tensor([comp.finish_reason == "length" for comp in completions])
        keys = torch.tensor([hash(tuple(comp.token_ids)) for comp in completions])  # equal texts
        raw = torch.as_tensor(rewards, dtype=torch.float32)
        shaped = self.algo.shape(raw, lengths)
        keep = self.algo.select(shaped, group_ids, lengths, truncated, keys) & (lengths > 0)
        return Rollout(
            completions=completions, verdicts=[i["verdict"] for i in infos], rewards=raw,
            shaped=shaped, advantages=self.algo.advantages(shaped, group_ids),
            group_ids=group_ids, lengths=lengths, truncated=truncated, keep=keep,
            correct=torch.tensor([bool(i["verdict"].correct) for i in infos]),
        )  # fmt: skip

    def _update(self, batch: Rollout) -> dict[str, float]:
        """``epochs`` passes over the kept samples in ``mini_batches`` optimizer steps each,
        all against the same π_old."""
        c = self.config
        rows = torch.nonzero(batch.keep).flatten().tolist()
        self.model.train()
        totals: dict[str, float] = {}
        updates = _mini_batches(rows, batch.group_ids, c.mini_batches, c.epochs,
                                seed=(c.seed, self.step_index))  # fmt: skip
        before = self._before_update(batch, updates[: len(updates) // c.epochs])
        for mini in updates:
            for key, value in self._optimizer_step(batch, mini, before).items():
                totals[key] = totals.get(key, 0.0) + value / len(updates)
        self.scheduler.step()
        self.model.eval()
        return totals

    @torch.no_grad()
    def _before_update(self, batch: Rollout, first_pass: list[list[int]]) -> _Before | None:
        """π_old (the learner's log-probs before any update, or the sampler's), the reference
        log-probs and the critic's values, once per batch. None for a single on-policy update,
        where the update's own forward pass gives them exactly. Computed on the micro-batches
        of the first pass, so the first update sees the same packing: its ratio is exactly 1."""
        c = self.config
        if c.epochs == 1 and c.mini_batches == 1 and c.old_logprobs == "learner":
            return None
        before = _Before({}, {}, {})
        for micro in (
            micro
            for mini in first_pass
            for micro in _micro_batches(mini, batch.group_ids, c.micro_batch, self.algo)
        ):
            completions = [batch.completions[i] for i in micro]
            now = self._token_values(self.model, completions, hidden=self.critic is not None)
            ref = self._reference_logprobs(completions)
            values = self._values(now.hidden)
            where = now.where
            for k, i in enumerate(micro):
                if c.old_logprobs == "sampler":
                    before.old[i] = torch.tensor(completions[k].logprobs)
                else:
                    before.old[i] = now.logprobs[k][where[k]]
                if ref is not None:
                    before.ref[i] = ref[k][where[k]]
                if values is not None:
                    before.values[i] = values[k][where[k]]
        return before

    def _optimizer_step(
        self, batch: Rollout, rows: list[int], before: _Before | None
    ) -> dict[str, float]:
        """One optimizer step over ``rows``, accumulated over micro-batches. Each micro-batch's
        mean is weighted by its share of the rows' weight (tokens for a token mean, else rows),
        so the accumulated gradient equals the whole mini-batch's."""
        c = self.config
        weights = self.algo.accumulation_weights(batch.lengths[rows])
        weight_of = dict(zip(rows, weights.tolist()))
        total = float(weights.sum())
        self.optimizer.zero_grad(set_to_none=True)
        totals: dict[str, float] = {}
        for micro in _micro_batches(rows, batch.group_ids, c.micro_batch, self.algo):
            share = sum(weight_of[i] for i in micro) / total
            loss, stats = self._loss(batch, micro, before)
            (loss * share).backward()
            for key, value in stats.items():
                totals[key] = totals.get(key, 0.0) + value * share
        totals["grad_norm"] = float(
            torch.nn.utils.clip_grad_norm_(
                self.optimizer.param_groups[0]["params"], c.max_grad_norm
            )
        )
        self.optimizer.step()
        return totals

    def _loss(
        self, batch: Rollout, rows: list[int], before: _Before | None
    ) -> tuple[Tensor, dict[str, float]]:
        """The algorithm's loss on one micro-batch, with π_old, the reference and the critic."""
        c = self.config
        completions = [batch.completions[i] for i in rows]
        now = self._token_values(self.model, completions, hidden=self.critic is not None,
                                 entropy=self.algo.needs_entropy)  # fmt: skip
        logprobs, where, entropy = now.logprobs, now.where, now.entropy
        values = self._values(now.hidden)
        if before is None:  # one on-policy update: π_old is this very forward pass
            old = logprobs.detach()
            ref = self._reference_logprobs(completions)
            old_values = None if values is None else values.detach()
        else:
            old = scatter([before.old[i] for i in rows], where)
            ref = scatter([before.ref[i] for i in rows], where) if before.ref else None
            old_values = scatter([before.values[i] for i in rows], where) if before.values else None
        sampled = scatter([torch.tensor(batch.completions[i].logprobs) for i in rows], where)
        advantages, extra = self.algo.token_advantages(
            batch.advantages[rows], old, ref, old_values, where
        )
        if values is not None:
            extra["values"] = values
        if c.tis_cap is not None:  # per-token weight min(π_old / π_sampler, C)
            weight = torch.where(where, torch.exp(old - sampled).clamp(max=c.tis_cap), 0.0)
            advantages = (advantages if advantages.dim() == 2 else advantages[:, None]) * weight
        loss, stats = self.algo.loss(
            logprobs, old, advantages, where, ref, group_ids=batch.group_ids[rows],
            entropy=entropy, **extra,
        )  # fmt: skip
        mismatch = (old - sampled)[where].abs().mean().item()
        return loss, {"loss": loss.item(), **stats, "logprob_mismatch": mismatch}

    @property
    def pad_id(self) -> int:
        return self.tokenizer.pad_token_id

    def _values(self, hidden: Tensor | None) -> Tensor | None:
        """The critic's value of the state before each completion token, ``[n, W]``."""
        if self.critic is None or hidden is None:
            return None
        return self.critic(hidden.float()).squeeze(-1)

    @torch.no_grad()
    def _reference_logprobs(self, completions: list[Completion]) -> Tensor | None:
        if not self.algo.needs_reference:
            return None
        if self.reference is not None:
            return self._token_values(self.reference, completions).logprobs
        with self.model.disable_adapter():  # LoRA: the frozen base is the reference
            return self._token_values(self.model, completions).logprobs

    def _token_values(
        self, model: Any, completions: list[Completion], hidden: bool = False,
        entropy: bool = False,
    ) -> TokenValues:  # fmt: skip
        """Per completion token: log-prob under ``model`` (and the critic's input state, the
        entropy), packed when that is exact for this model (see ``rlvr.training.logprobs``)."""
        c = self.config
        if self.packed is None:
            self.packed = exact_on(self.model, completions, self.pad_id, c.temperature)
            if not self.packed:
                attention = getattr(self.model.config, "_attn_implementation", "?")
                warnings.warn(
                    f"the packed update does not reproduce this model's forward pass "
                    f"(attention {attention!r}): using the padded one, which repeats each "
                    "prompt and computes logits at every position",
                    stacklevel=2,
                )
        if self.packed:
            layout = build_layout(completions, self.pad_id, c.share_prompts)
            self._update_tokens += layout.tokens
            return packed_logprobs(model, layout, c.temperature, hidden, entropy)
        width = max(len(x.prompt_token_ids) + len(x.token_ids) for x in completions)
        self._update_tokens += len(completions) * width
        return plain_logprobs(model, completions, self.pad_id, c.temperature, hidden, entropy)

    # ---------------------------------------------------------------------------- logging
    def _metrics(self, batch: Rollout, stats: dict[str, float]) -> dict[str, float]:
        rewards, groups = batch.rewards, batch.group_ids
        flat = [
            g for g in groups.unique() if rewards[groups == g].max() == rewards[groups == g].min()
        ]
        zero_var = len(flat) / max(1, len(groups.unique()))
        if zero_var == 1.0:
            self._warn_no_signal(batch, flat)
        lengths = batch.lengths.float()
        algo_stats = {TOP_LEVEL_STATS.get(k, f"algo/{k}"): v for k, v in stats.items()
                      if k not in ("grad_norm", "logprob_mismatch")}  # fmt: skip
        return {
            "reward_mean": float(rewards.mean()), "reward_std": float(rewards.std()),
            "accuracy": float(batch.correct.float().mean()), "zero_variance_groups": zero_var,
            "kept": float(batch.keep.float().mean()),
            "response_len": float(lengths.mean()), "response_len_max": float(lengths.max()),
            "truncated": float(batch.truncated.float().mean()),
            "response_tokens": float(lengths.sum()), "lr": float(self.scheduler.get_last_lr()[0]),
            "loss": 0.0, "kl": 0.0, **algo_stats,
            **{k: stats[k] for k in ("grad_norm", "logprob_mismatch") if k in stats},
        }  # fmt: skip

    def _warn_no_signal(self, batch: Rollout, groups: list[Tensor]) -> None:
        members = [batch.group_ids == g for g in groups]
        solved = sum(bool(batch.correct[m].all()) for m in members)
        failed = sum(not batch.correct[m].any() and bool(batch.rewards[m][0] <= 0) for m in members)
        advice = []
        if solved:
            advice.append(f"{solved} all right: the task is solved at this temperature, so make "
                          "it harder (or stop)")  # fmt: skip
        if failed:
            advice.append(f"{failed} all wrong: check that the prompt asks for the answer "
                          "format the verifier extracts, and that max_new_tokens is long "
                          "enough")  # fmt: skip
        other = len(groups) - solved - failed
        if other:
            advice.append(f"{other} with one equal partial reward each")
        warnings.warn(
            f"step {self.step_index}: every group has the same reward for all its samples, so "
            f"every advantage is 0 and nothing is learned. Of {len(groups)} groups, "
            + "; ".join(advice)
            + ".",
            stacklevel=4,
        )

    def _log(self, metrics: dict[str, float], batch: Rollout) -> None:
        with (self.out / "metrics.jsonl").open("a") as f:
            f.write(json.dumps(metrics) + "\n")
        for reporter in self.reporters:
            reporter.log(metrics, self.step_index)
        every = self.config.log_samples_every
        if every and (self.step_index == 1 or self.step_index % every == 0):
            with (self.out / "samples.jsonl").open("a") as f:
                for comp, verdict in list(zip(batch.completions, batch.verdicts))[:4]:
                    row = {"step": self.step_index, "completion": comp.text, **verdict.to_dict()}
                    f.write(json.dumps(row, default=str) + "\n")

    def save(self) -> Path:
        """Write model, tokenizer, trainer state and run config to ``out/checkpoint``
        atomically, with a manifest of checksums (see ``checkpoint.write``); a no-op when
        this step is saved already."""

        def fill(staging: Path) -> None:
            self.model.save_pretrained(staging)
            self.tokenizer.save_pretrained(staging)
            saved = {"config": self.resolved, "model_config": self._model_arch}
            checkpoint.atomic_write_text(
                staging / checkpoint.CONFIG_FILE, json.dumps(saved, indent=1, default=str)
            )
            state = {
                "step": self.step_index, "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "rng": torch.get_rng_state(),
                "env_rng": self.env.unwrapped.np_random.bit_generator.state,
                "critic": None if self.critic is None else self.critic.state_dict(),
            }  # fmt: skip
            torch.save(state, staging / checkpoint.STATE_FILE)

        if self._saved_step == self.step_index:  # written at this step already (save_every)
            return self.out / "checkpoint"
        path = checkpoint.write(
            self.out, self.step_index, fill, keep=self._keep, drop_old=self._fresh
        )
        self._saved_step, self._keep, self._fresh = self.step_index, None, False
        return path

    def _lr_factor(self, step: int) -> float:
        c = self.config
        if step < c.warmup_steps:
            return (step + 1) / c.warmup_steps
        if c.schedule == "cosine":
            progress = (step - c.warmup_steps) / max(1, c.steps - c.warmup_steps)
            return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        return 1.0


@dataclasses.dataclass
class _Before:
    """Per kept row, its completion tokens' values before the update."""

    old: dict[int, Tensor]
    ref: dict[int, Tensor]
    values: dict[int, Tensor]


# ---------------------------------------------------------------------------- resolved config
def resolved_config(config: TrainConfig, algo: Algorithm) -> dict[str, Any]:
    """Every TrainConfig field, with ``algo_kwargs`` holding every field of the built algorithm:
    ``rlvr train --config out/config.yaml`` runs the same thing again."""
    values = dataclasses.asdict(config)
    values["algo_kwargs"] = algo.overrides()
    values["resume"] = False
    return values


FIXED_ON_RESUME = ("model", "algo", "env", "env_kwargs", "lora_rank", "lora_alpha", "seed",
                   "eval_n")  # fmt: skip
"""Fields a resumed run keeps from its checkpoint. The weights, optimizer state and critic
belong to that model, algorithm and adapter shape; the restored data position to that env;
the restored RNG streams to that seed; the held-out "before" figure to that many rows. Every
other field may change on resume and applies from the next step (lr and weight decay too: the
optimizer's saved values are overwritten)."""


def resume_changes(saved: dict[str, Any], resolved: dict[str, Any], found: Path) -> list[str]:
    """``"field: old -> new"`` for each value of ``resolved`` that differs from the checkpoint's
    ``saved`` config; ``ValueError`` for one the checkpoint fixes (``FIXED_ON_RESUME``)."""
    current = json.loads(json.dumps(resolved, default=str))  # tuples -> lists, as saved
    changes = []
    for name, value in current.items():
        if name in ("out", "resume") or name not in saved or _same(name, saved[name], value):
            continue
        if name in FIXED_ON_RESUME:
            raise ValueError(
                f"config.{name} is {value!r} but the checkpoint {found} was trained with "
                f"{saved[name]!r}; a resumed run keeps its {', '.join(FIXED_ON_RESUME)}. Drop "
                f"the {name} option to continue, or start a new run with another --out"
            )
        if name == "algo_kwargs" and isinstance(saved[name], dict):
            for key in sorted(set(saved[name]) | set(value)):
                before, after = saved[name].get(key), value.get(key)
                if before != after:
                    changes.append(f"algo_kwargs.{key}: {before!r} -> {after!r}")
        else:
            changes.append(f"{name}: {saved[name]!r} -> {value!r}")
    return changes


def _same(name: str, saved: Any, value: Any) -> bool:
    """Equal, counting two spellings of one local model directory as the same model."""
    if saved == value:
        return True
    if name == "model" and isinstance(saved, str) and isinstance(value, str):
        a, b = Path(saved).expanduser(), Path(value).expanduser()
        return a.exists() and b.exists() and a.resolve() == b.resolve()
    return False


def _architecture(model_config: Any) -> dict[str, Any]:
    """The shape-defining fields of a model's config (saved with each checkpoint)."""
    from rlvr.training.models import ARCHITECTURE_KEYS

    values = model_config.to_dict()
    return {k: values[k] for k in ARCHITECTURE_KEYS if values.get(k) is not None}


def _make_run_dir(out: Path) -> None:
    """Create ``out``, failing with a message that names ``config.out`` (not a traceback of
    ``mkdir``) when it is a file, under a file, or cannot be created."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(
            f"config.out (--out): {out} is a file, not a directory; give a directory path"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise type(err)(
            f"config.out (--out): cannot create {out} ({err.strerror or err}); give a "
            "directory path you can write to"
        ) from None


def _make_env(config: TrainConfig) -> gym.Env:
    """``gym.make`` with its kwargs errors named ``config.env_kwargs``."""
    kwargs = config.env_kwargs or {}
    try:
        return gym.make(config.env, **kwargs)
    except (TypeError, ValueError) as err:
        reason = str(err).split(" was raised from the environment creator")[0]
        raise ValueError(f"config.env_kwargs {json.dumps(kwargs)}: {reason}") from None


def to_yaml(values: dict[str, Any]) -> str:
    import yaml

    def plain(x: Any) -> Any:
        if isinstance(x, tuple | list):
            return [plain(v) for v in x]
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        return x

    return yaml.safe_dump(plain(values), sort_keys=False)


# -------------------------------------------------------------------------------- reporters
class _TensorBoard:
    def __init__(self, out: Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ImportError(
                "--report-to tensorboard needs: pip install 'rlvr[tensorboard]'"
            ) from None
        self.writer = SummaryWriter(str(out / "tensorboard"))

    def log(self, metrics: dict[str, float], step: int) -> None:
        for key, value in metrics.items():
            self.writer.add_scalar(key, value, step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


class _WandB:
    """Weights & Biases: the same scalars; ``WANDB_MODE=offline`` needs no account."""

    def __init__(self, out: Path, config: dict[str, Any]) -> None:
        try:
            import wandb
        except ImportError:
            raise ImportError("--report-to wandb needs: pip install 'rlvr[wandb]'") from None
        self.run = wandb.init(project="rlvr", dir=str(out), config=config, name=out.name)

    def log(self, metrics: dict[str, float], step: int) -> None:
        self.run.log(metrics, step=step, commit=True)

    def close(self) -> None:
        self.run.finish()


def _reporter(name: str, out: Path, config: dict[str, Any]) -> Any:
    return _TensorBoard(out) if name == "tensorboard" else _WandB(out, config)


# ------------------------------------------------------------------------------ tensor helpers
def _micro_batches(
    index: list[int], group_ids: Tensor, size: int, algo: Algorithm
) -> list[list[int]]:
    """Rows in chunks of ``size``; for algorithms that compare within groups, chunks of whole
    groups (as many as fit in ``size``, at least one)."""
    if not algo.whole_groups:
        return [index[k : k + size] for k in range(0, len(index), size)]
    chunks: list[list[int]] = []
    for group in _groups(index, group_ids):
        if chunks and len(chunks[-1]) + len(group) <= size:
            chunks[-1] += group
        else:
            chunks.append(group)
    return chunks


def _mini_batches(
    index: list[int], group_ids: Tensor, count: int, epochs: int, seed: tuple[int, int]
) -> list[list[int]]:
    """The rows of each optimizer step: ``epochs`` passes, each over ``count`` mini-batches of
    whole groups. After the first pass the group order is shuffled (seeded by run and step, so a
    resumed run draws the same); one pass in one mini-batch keeps the rows' order."""
    groups = _groups(index, group_ids)
    count = min(count, len(groups))
    generator = torch.Generator().manual_seed(hash(seed) & 0x7FFF_FFFF)
    steps = []
    for epoch in range(epochs):
        order = (
            groups
            if epoch == 0
            else [groups[k] for k in torch.randperm(len(groups), generator=generator).tolist()]
        )
        for part in range(count):
            chosen = order[part * len(order) // count : (part + 1) * len(order) // count]
            steps.append([i for group in chosen for i in group])
    return steps


def _groups(index: list[int], group_ids: Tensor) -> list[list[int]]:
    members: dict[int, list[int]] = {}
    for i in index:
        members.setdefault(int(group_ids[i]), []).append(i)
    return list(members.values())
