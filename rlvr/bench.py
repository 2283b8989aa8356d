"""``rlvr bench``: measure a reward function, a sampler, or a training step.

``bench verifier`` scores a verifier on labelled cases (``completion``, ``reference``,
``expected``; optional ``source`` and ``tag`` columns split the report). A case counts as right
when the verdict's ``correct`` equals ``expected``; a false positive accepts a wrong answer, a
false negative rejects a right one. A verifier that raises is an error (and scores wrong); a
verdict whose reason names a timeout is a timeout. Latency is per case, one at a time, in this
process, so two verifiers compared in one run see the same machine.
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlvr.jsonl import read_objects
from rlvr.verifiers import Verdict, get_verifier

GROUP_COLUMNS = ("source", "tag")


@dataclass
class Outcome:
    group: dict[str, str]
    expected: bool
    correct: bool | None
    """The verdict's ``correct``; None when the verifier raised."""
    timeout: bool
    seconds: float


def load_cases(path: Path) -> list[dict[str, Any]]:
    """Labelled cases from JSONL, checked row by row so a bad line is named."""
    if not path.is_file():
        raise FileNotFoundError(f"no cases file at {path}")
    cases = []
    for number, row in read_objects(path):
        missing = [k for k in ("completion", "reference", "expected") if k not in row]
        if missing:
            raise ValueError(f"{path}:{number}: missing field(s) {', '.join(missing)}")
        if not isinstance(row["expected"], bool):
            raise ValueError(f"{path}:{number}: expected must be true or false")
        cases.append(row)
    if not cases:
        raise ValueError(f"{path} holds no cases")
    return cases


def resolve_verifier(spec: str) -> Callable[[str, Any], Verdict]:
    """A registered verifier name, ``math-verify`` (Hugging Face's, when installed), or
    ``module:function`` returning a Verdict, a bool or a number (> 0 counts as correct)."""
    if spec == "math-verify":
        return _math_verify()
    if ":" in spec:
        module, _, name = spec.partition(":")
        try:
            function = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as err:
            raise ValueError(f"cannot load verifier {spec!r}: {err}") from None
        return _as_verdict(function)
    return get_verifier(spec)


def run(verifier: Callable[[str, Any], Verdict], cases: list[dict[str, Any]]) -> list[Outcome]:
    outcomes = []
    for case in cases:
        start = time.perf_counter()
        try:
            verdict = verifier(str(case["completion"]), case["reference"])
            correct: bool | None = bool(verdict.correct)
            timeout = "timeout" in verdict.reason
        except Exception:  # a verifier that crashes is measured, not fatal
            correct, timeout = None, False
        seconds = time.perf_counter() - start
        group = {k: str(case[k]) for k in GROUP_COLUMNS if k in case}
        outcomes.append(Outcome(group, case["expected"], correct, timeout, seconds))
    return outcomes


def summarize(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """Figures overall and per value of each group column."""
    groups: dict[str, list[Outcome]] = {"all": outcomes}
    for outcome in outcomes:
        for column, value in outcome.group.items():
            groups.setdefault(f"{column}={value}", []).append(outcome)
    return {name: _figures(members) for name, members in groups.items()}


def _figures(outcomes: list[Outcome]) -> dict[str, float]:
    latencies = sorted(o.seconds for o in outcomes)
    n = len(outcomes)
    return {
        "cases": n,
        "accuracy": sum(o.correct == o.expected for o in outcomes) / n,
        "false_positives": sum(o.correct is True and not o.expected for o in outcomes),
        "false_negatives": sum(o.correct is False and o.expected for o in outcomes),
        "errors": sum(o.correct is None for o in outcomes),
        "timeouts": sum(o.timeout for o in outcomes),
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[min(n - 1, int(0.95 * n))],
        "max_ms": 1000 * latencies[-1],
        "cases_per_s": n / max(sum(latencies), 1e-9),
    }


def markdown(reports: dict[str, dict[str, dict[str, float]]]) -> str:
    """One table: a row per (verifier, group)."""
    columns = ("cases", "accuracy", "false_positives", "false_negatives", "errors", "timeouts",
               "p50_ms", "p95_ms", "max_ms", "cases_per_s")  # fmt: skip
    lines = [
        "| verifier | group | " + " | ".join(columns) + " |",
        "| --- | --- |" + " ---: |" * len(columns),
    ]
    for name, report in reports.items():
        for group, figures in report.items():
            cells = [_cell(key, figures[key]) for key in columns]
            lines.append(f"| {name} | {group} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(key: str, value: float) -> str:
    if key == "accuracy":
        return f"{value:.1%}"
    if key.endswith("_ms") or key == "cases_per_s":
        return f"{value:,.2f}" if value < 10 else f"{value:,.0f}"
    return str(int(value))


def _as_verdict(function: Callable[..., Any]) -> Callable[[str, Any], Verdict]:
    def verify(completion: str, reference: Any) -> Verdict:
        result = function(completion, reference)
        if isinstance(result, Verdict):
            return result
        score = float(result)
        return Verdict(score, score > 0, None, "custom")

    return verify


def _math_verify() -> Callable[[str, Any], Verdict]:
    try:
        from math_verify import parse, verify
    except ImportError:
        raise ValueError("math-verify is not installed: pip install 'rlvr[bench]'") from None

    def check(completion: str, reference: Any) -> Verdict:
        # math-verify reads LaTeX only inside math delimiters: bare references are wrapped in
        # $...$, and a completion it finds nothing in gets a second try wrapped the same way.
        reference = str(reference)
        bare = "\\boxed" not in reference and "####" not in reference
        gold = parse(f"${reference}$" if bare else reference)
        ok = bool(verify(gold, parse(completion) or parse(f"${completion}$")))
        return Verdict(float(ok), ok, None, "math-verify")

    return check


def groups_of(cases: Iterable[dict[str, Any]]) -> set[str]:
    return {k for case in cases for k in GROUP_COLUMNS if k in case}


# ------------------------------------------------------------------- sampler and step timing
def time_sampler(
    model: str | None, sampler: str, prompts: int, n: int, max_new_tokens: int, repeats: int
) -> dict[str, Any]:
    """Generated tokens/s at temperature 1 on Arithmetic prompts, after one warm-up call."""
    import gymnasium as gym

    from rlvr.rollout import SamplingParams, make_sampler
    from rlvr.training.models import load_model

    policy, tokenizer = load_model(model)
    engine = make_sampler(sampler, policy, tokenizer, batch_size=prompts)
    env = gym.make("rlvr/Arithmetic-v0").unwrapped
    env.reset(seed=0)
    messages = [info["messages"] for _, info in env.sample(prompts)]  # type: ignore[attr-defined]
    params = SamplingParams(max_new_tokens=max_new_tokens, temperature=1.0)
    engine.generate(messages[:1], 1, params)  # warm-up
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        groups = engine.generate(messages, n, params)
        tokens = sum(len(c.token_ids) for group in groups for c in group)
        rates.append(tokens / (time.perf_counter() - start))
    getattr(engine, "close", lambda: None)()
    return {
        "sampler": type(engine).__name__, "prompts": prompts, "n": n,
        "max_new_tokens": max_new_tokens, "tokens_per_s": statistics.median(rates),
        "runs": rates,
    }  # fmt: skip


def time_step(
    model: str | None, sampler: str, algo: str, prompts: int, n: int, max_new_tokens: int,
    repeats: int,
) -> dict[str, Any]:  # fmt: skip
    """Median seconds per training step and per phase, after one untimed step."""
    import tempfile
    import warnings

    from rlvr.training import TrainConfig, Trainer

    with tempfile.TemporaryDirectory() as out:
        config = TrainConfig(
            model=model, sampler=sampler, algo=algo, algo_kwargs={}, prompts_per_step=prompts,
            group_size=n, max_new_tokens=max_new_tokens, steps=repeats + 1, save_every=0,
            log_samples_every=0, out=out,
        )  # fmt: skip
        trainer = Trainer(config)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # all-equal groups are fine for timing
            steps = [trainer.step() for _ in range(repeats + 1)][1:]
        trainer.close()
    phases = ("seconds", "sample_s", "verify_s", "update_s")
    return {
        "sampler": type(trainer.sampler).__name__, "algo": algo, "prompts": prompts, "n": n,
        "max_new_tokens": max_new_tokens,
        **{key: statistics.median(s[key] for s in steps) for key in phases},
    }  # fmt: skip
