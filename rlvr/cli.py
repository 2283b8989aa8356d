"""The ``rlvr`` command line: ``rlvr verify`` scores completions against references."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rlvr.jsonl import read_objects
from rlvr.verifiers import Verdict, get_verifier, registered_verifiers, verify_batch

CHUNK = 256


class UsageError(Exception):
    """A mistake in the command's input; printed without a traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except UsageError as err:
        print(f"rlvr {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rlvr", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    verify = commands.add_parser(
        "verify",
        help="score completions against references",
        description=(
            "Score completions from a JSONL file, or one --completion/--reference pair. "
            "With neither, scores the bundled example file."
        ),
    )
    verify.add_argument("input", nargs="?", type=Path, help="JSONL file, one object per line")
    verify.add_argument("--completion-field", default="completion", help="(default: completion)")
    verify.add_argument("--reference-field", default="reference", help="(default: reference)")
    verify.add_argument("--completion", help="score this one completion (with --reference)")
    verify.add_argument("--reference", help="the reference answer or solution for --completion")
    verify.add_argument(
        "--verifier",
        default="math",
        help=f"registered verifier (default: math; known: {', '.join(registered_verifiers())})",
    )
    verify.add_argument("--output", "-o", type=Path, help="write one verdict per line (JSONL)")
    verify.add_argument("--workers", type=int, default=None, help="processes for sympy cases")
    verify.add_argument("--timeout", type=float, default=None, help="seconds per case (math)")
    verify.add_argument("--show", type=int, default=20, help="rows to print in the table")
    verify.set_defaults(run=_verify)

    doctor = commands.add_parser(
        "doctor",
        help="check that the verifiers work and the code sandbox isolates on this machine",
    )
    doctor.set_defaults(run=_doctor)

    from rlvr.training.cli import add_arguments, json_object

    train = commands.add_parser(
        "train",
        help="train a policy with RL on a verifiable task",
        description="Train a policy on an environment; every TrainConfig field is an option.",
    )
    add_arguments(train)
    train.set_defaults(run=_train)

    evaluate = commands.add_parser(
        "eval",
        help="greedy accuracy, pass@k and maj@k of a model on an environment's test split",
        description=(
            "Evaluate a model on the first --rows rows of an environment's test split: greedy "
            "accuracy, then --n samples per prompt at --temperature for pass@k and maj@k."
        ),
    )
    evaluate.add_argument("--model", help="hub id or local path (default: SmolLM2-135M-Instruct)")
    evaluate.add_argument("--env", default="rlvr/Arithmetic-v0", help="(default: %(default)s)")
    evaluate.add_argument("--env-kwargs", type=json_object, default=None, metavar="JSON",
                          help="options for gym.make (default: as rlvr train)")  # fmt: skip
    evaluate.add_argument("--rows", type=int, default=100, help="(default: %(default)s)")
    evaluate.add_argument("--n", type=int, default=8, help="samples per prompt (default: 8)")
    evaluate.add_argument("--k", default="1,8", help="comma-separated k values (default: 1,8)")
    evaluate.add_argument("--temperature", type=float, default=1.0, help="(default: 1.0)")
    evaluate.add_argument("--max-new-tokens", type=int, default=256, help="(default: 256)")
    evaluate.add_argument("--sampler", default="auto", choices=("auto", "vllm", "hf"))
    evaluate.add_argument("--split", default="test", help="(default: test)")
    evaluate.add_argument("--output", "-o", type=Path, help="write the report as JSON")
    evaluate.set_defaults(run=_eval)

    bench = commands.add_parser("bench", help="measure a verifier, a sampler or a training step")
    kinds = bench.add_subparsers(dest="bench", required=True, metavar="WHAT")
    verifier = kinds.add_parser(
        "verifier",
        help="accuracy, errors, latency and throughput of a verifier on labelled cases",
        description=(
            "Score a verifier on JSONL cases with completion, reference and expected (true or "
            "false); source/tag columns split the report."
        ),
    )
    verifier.add_argument("--cases", type=Path, required=True, help="JSONL of labelled cases")
    verifier.add_argument(
        "--verifier", default="math", help="registered name, math-verify, or module:function"
    )
    verifier.add_argument("--compare", help="a second verifier, run on the same cases")
    verifier.add_argument("--output", "-o", type=Path, default=Path("bench"),
                          help="writes OUTPUT.json and OUTPUT.md (default: bench)")  # fmt: skip
    verifier.set_defaults(run=_bench_verifier)
    for name, helptext in (("sampler", "generated tokens/s of a sampler"),
                           ("step", "seconds per training step, by phase")):  # fmt: skip
        sub = kinds.add_parser(name, help=helptext)
        sub.add_argument("--model", help="hub id or local path (default: SmolLM2-135M-Instruct)")
        sub.add_argument("--sampler", default="auto", choices=("auto", "vllm", "hf"))
        sub.add_argument("--prompts", type=int, default=8, help="(default: 8)")
        sub.add_argument("--n", type=int, default=8, help="samples per prompt (default: 8)")
        sub.add_argument("--max-new-tokens", type=int, default=64, help="(default: 64)")
        sub.add_argument("--repeats", type=int, default=3, help="timed runs (default: 3)")
        sub.set_defaults(run=_bench_sampler if name == "sampler" else _bench_step)
    kinds.choices["step"].add_argument("--algo", default="grpo", help="(default: grpo)")

    plot = commands.add_parser("plot", help="draw a training run's curves as a PNG")
    plot.add_argument("run_dir", type=Path, help="the --out directory of rlvr train")
    plot.add_argument("--output", "-o", type=Path, help="(default: RUN_DIR/curves.png)")
    plot.set_defaults(run=_plot)

    envs = commands.add_parser("envs", help="list the registered environments")
    envs.set_defaults(run=_envs)
    return parser


def _verify(args: argparse.Namespace) -> int:
    rows = _rows(args)
    kwargs = {"timeout_s": args.timeout} if args.timeout is not None else {}
    try:
        verifier = get_verifier(args.verifier, **kwargs)
    except (KeyError, ValueError, TypeError) as err:
        raise UsageError(str(err).strip('"')) from None
    completions = [str(r[args.completion_field]) for r in rows]
    references = [r[args.reference_field] for r in rows]

    verdicts: list[Verdict] = []
    with tqdm(total=len(rows), unit="case", disable=len(rows) < CHUNK, file=sys.stderr) as bar:
        for start in range(0, len(rows), CHUNK):
            chunk = slice(start, start + CHUNK)
            try:
                verdicts += verify_batch(
                    verifier, completions[chunk], references[chunk], args.workers
                )
            except TypeError as err:
                raise UsageError(f"rows {start + 1}-{start + CHUNK}: {err}") from None
            bar.update(len(completions[chunk]))

    _print_table(verdicts, references, args.show)
    _print_summary(verdicts)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        with args.output.open("w") as f:
            for row, verdict in zip(rows, verdicts):
                f.write(
                    json.dumps({**row, "verdict": verdict.to_dict()}, ensure_ascii=False) + "\n"
                )
        print(f"wrote {len(verdicts)} verdicts to {args.output}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from rlvr.training import Trainer
    from rlvr.training.cli import config_from_args

    try:
        config = config_from_args(args)
        trainer = Trainer(config)
    except (ValueError, FileNotFoundError, KeyError, TypeError) as err:
        raise UsageError(str(err).strip('"')) from None
    print(f"resolved config (also in {trainer.out / 'config.yaml'}):")
    print("  " + (trainer.out / "config.yaml").read_text().rstrip().replace("\n", "\n  "))

    # The "before" figure survives a resume: it is the starting model's, not the checkpoint's.
    record = trainer.out / "eval.json"
    before = json.loads(record.read_text()) if config.resume and record.is_file() else None
    if before is None and config.eval_n:
        before = dict(zip(("before", "rows"), trainer.held_out()))
        record.write_text(json.dumps(before))
    with tqdm(total=config.steps, initial=trainer.step_index, unit="step", desc="train") as bar:
        while trainer.step_index < config.steps:
            m = trainer.step()
            bar.update(1)
            bar.set_postfix(
                reward=f"{m['reward_mean']:.2f}", acc=f"{m['accuracy']:.2f}", kl=f"{m['kl']:.3f}",
                len=f"{m['response_len']:.0f}", tok_s=f"{m['tokens_per_s']:.0f}",
            )  # fmt: skip
    path = trainer.save()
    print(f"checkpoint: {path}\nmetrics: {trainer.out / 'metrics.jsonl'}")
    if before is not None:
        after, rows = trainer.held_out()
        record.write_text(json.dumps({**before, "after": after}))
        print(
            f"held-out greedy accuracy ({rows} test rows of {config.env}): "
            f"{before['before']:.1%} -> {after:.1%}"
        )
    trainer.close()
    return 0


def _eval(args: argparse.Namespace) -> int:
    from rlvr.rollout import make_sampler
    from rlvr.training.config import DEFAULT_ENV, DEFAULT_ENV_KWARGS
    from rlvr.training.evaluate import evaluate
    from rlvr.training.models import load_model

    try:
        ks = [int(k) for k in args.k.split(",")]
    except ValueError:
        raise UsageError(f"--k takes comma-separated integers, got {args.k!r}") from None
    env_kwargs = args.env_kwargs
    if env_kwargs is None:
        env_kwargs = dict(DEFAULT_ENV_KWARGS) if args.env == DEFAULT_ENV else {}
    try:
        model, tokenizer = load_model(args.model)
        sampler = make_sampler(args.sampler, model, tokenizer)
        report = evaluate(
            sampler, args.env, rows=args.rows, n=args.n, ks=ks, temperature=args.temperature,
            max_new_tokens=args.max_new_tokens, split=args.split, progress=True, **env_kwargs,
        )  # fmt: skip
    except (ValueError, OSError, ImportError, RuntimeError) as err:
        raise UsageError(str(err)) from None
    print(f"{args.env} ({int(report['rows'])} {args.split} rows, n={args.n}, "
          f"temperature={args.temperature}, max_new_tokens={args.max_new_tokens})")  # fmt: skip
    for key, value in report.items():
        if key not in ("rows", "n"):
            print(f"  {key:<8} {value:.1%}")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps({"env": args.env, "model": args.model, **report}))
    return 0


def _bench_verifier(args: argparse.Namespace) -> int:
    from rlvr import bench

    try:
        cases = bench.load_cases(args.cases)
        verifiers = {args.verifier: bench.resolve_verifier(args.verifier)}
        if args.compare:
            verifiers[args.compare] = bench.resolve_verifier(args.compare)
    except (FileNotFoundError, ValueError, KeyError) as err:
        raise UsageError(str(err).strip('"')) from None
    reports = {}
    for name, verifier in verifiers.items():
        outcomes = bench.run(verifier, tqdm(cases, desc=name, unit="case", file=sys.stderr))
        reports[name] = bench.summarize(outcomes)
    table = bench.markdown(reports)
    print(table, end="")
    if args.compare:
        ours, theirs = (reports[name]["all"] for name in verifiers)
        print(f"throughput ratio {args.verifier} / {args.compare}: "
              f"{ours['cases_per_s'] / theirs['cases_per_s']:.2f}x")  # fmt: skip
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.with_suffix(".json").write_text(json.dumps(reports, indent=1))
    args.output.with_suffix(".md").write_text(table)
    print(f"wrote {args.output.with_suffix('.json')} and {args.output.with_suffix('.md')}")
    return 0


def _bench_sampler(args: argparse.Namespace) -> int:
    from rlvr.bench import time_sampler

    try:
        figures = time_sampler(args.model, args.sampler, args.prompts, args.n,
                               args.max_new_tokens, args.repeats)  # fmt: skip
    except (ValueError, OSError, ImportError, RuntimeError) as err:
        raise UsageError(str(err)) from None
    print(json.dumps(figures, indent=1))
    return 0


def _bench_step(args: argparse.Namespace) -> int:
    from rlvr.bench import time_step

    try:
        figures = time_step(args.model, args.sampler, args.algo, args.prompts, args.n,
                            args.max_new_tokens, args.repeats)  # fmt: skip
    except (ValueError, OSError, ImportError, RuntimeError, KeyError) as err:
        raise UsageError(str(err).strip('"')) from None
    print(json.dumps(figures, indent=1))
    return 0


def _plot(args: argparse.Namespace) -> int:
    from rlvr.training.plot import plot_run

    try:
        print(f"wrote {plot_run(args.run_dir, args.output)}")
    except (FileNotFoundError, ValueError, ImportError) as err:
        raise UsageError(str(err)) from None
    return 0


def _envs(args: argparse.Namespace) -> int:
    import rlvr

    tasks = rlvr.registered_tasks()
    rows = [(t.id, t.describe_verifier(), t.describe_source(), t.describe_size()) for t in tasks]
    header = ("id", "verifier", "data", "size")
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(4)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from rlvr.doctor import run

    return run()


def _rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.completion is not None or args.reference is not None:
        if args.completion is None or args.reference is None or args.input is not None:
            raise UsageError("give --completion and --reference together, without an input file")
        return [{args.completion_field: args.completion, args.reference_field: args.reference}]
    if args.input is None:
        example = resources.files("rlvr") / "data" / "math_examples.jsonl"
        print(f"no input given: scoring the bundled example {example}")
        return list(_read_jsonl(Path(str(example)), args))
    if not args.input.is_file():
        raise UsageError(f"no such file: {args.input}")
    return list(_read_jsonl(args.input, args))


def _read_jsonl(path: Path, args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    try:
        for number, row in read_objects(path):
            for field in (args.completion_field, args.reference_field):
                if field not in row:
                    raise UsageError(
                        f"{path}:{number}: no field {field!r} (fields: {', '.join(row) or 'none'});"
                        " choose others with --completion-field / --reference-field"
                    )
            yield row
    except ValueError as err:
        raise UsageError(str(err)) from None


def _short(text: object, width: int) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _print_table(verdicts: list[Verdict], references: list[Any], show: int) -> None:
    if show <= 0:
        return
    print(f"{'#':>4}  {'ok':2}  {'reason':18}  {'extracted':32}  reference")
    for k, (verdict, ref) in enumerate(zip(verdicts[:show], references)):
        mark = "✓" if verdict.correct else "✗"
        extracted = _short(verdict.extracted if verdict.extracted is not None else "—", 32)
        print(f"{k:>4}  {mark:2}  {verdict.reason:18}  {extracted:32}  {_short(ref, 40)}")
    if len(verdicts) > show:
        print(f"   … {len(verdicts) - show} more rows (--show N to print more)")


def _print_summary(verdicts: list[Verdict]) -> None:
    n = len(verdicts)
    correct = sum(v.correct for v in verdicts)
    print(f"\naccuracy: {correct}/{n} = {correct / n:.1%}" if n else "\nno rows")
    for reason, count in Counter(v.reason for v in verdicts).most_common():
        print(f"  {reason:20} {count}")


if __name__ == "__main__":
    raise SystemExit(main())
