"""The ``rlvr`` command line: ``rlvr verify`` scores completions against references."""

from __future__ import annotations

import argparse
import errno
import json
import math
import re
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from tqdm import tqdm

from rlvr.jsonl import read_objects
from rlvr.verifiers import Verdict, get_verifier, registered_verifiers, verify_batch

CHUNK = 256


class UsageError(Exception):
    """A mistake in the command's input; printed without a traceback."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_printable(message)} (see {self.prog} --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``rlvr``. A user's mistake (a bad value, a missing or unwritable file, a full disk)
    is one ``rlvr COMMAND: error:`` line on stderr naming what to fix, with exit code 2."""
    parser = _parser()
    args = parser.parse_args(argv)
    command = " ".join(filter(None, (args.command, getattr(args, "bench", None))))
    with warnings.catch_warnings():
        warnings.showwarning = _one_line_warnings(command, warnings.showwarning)
        try:
            return int(args.run(args) or 0)
        except UsageError as err:
            message = str(err)
        except OSError as err:  # the last resort for the file system: still one line
            message = _os_error(err)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
    print(f"rlvr {command}: error: {_one_line(message)}", file=sys.stderr)
    return 2


def _one_line_warnings(command: str, show: Callable[..., None]) -> Callable[..., None]:
    """Checkpoint warnings (a damaged checkpoint skipped) as one ``warning:`` line."""
    from rlvr.training.checkpoint import CheckpointWarning

    def showwarning(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, CheckpointWarning):
            print(f"rlvr {command}: warning: {_one_line(str(message))}", file=sys.stderr)
        else:
            show(message, category, *args, **kwargs)

    return showwarning


def _os_error(err: OSError, flag: str = "") -> str:
    """``[flag ]path: reason`` from an OSError, without Python's ``[Errno N]`` noise."""
    reason = err.strerror or str(err)
    where = f"{err.filename}: " if err.filename else ""
    hint = ""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "; free some space"
    elif err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = "; choose a path you can write to"
    return f"{flag + ' ' if flag else ''}{where}{reason}{hint}"


_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _printable(text: object, keep_newlines: bool = False) -> str:
    """``text`` with terminal control characters shown as escapes (``\\x1b``), so printing
    a completion cannot clear the screen, write the clipboard (OSC 52), retitle the window or
    reorder text (bidi overrides). Newlines survive only with ``keep_newlines``."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if keep_newlines and char == "\n":
            return char
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROL.sub(escape, str(text))


def _one_line(message: str) -> str:
    """An error message as one printable line (library messages may span several)."""
    return _printable(" ".join(str(message).split()))


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rlvr", description=__doc__)
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
    _check_count(args.show, "--show", minimum=0)
    if args.workers is not None:
        _check_count(args.workers, "--workers")
    if args.timeout is not None:
        _check_number(args.timeout, "--timeout", minimum=0.0, strict=True)
    if args.output is not None:
        _check_output(args.output)
    rows = _rows(args)
    kwargs = {"timeout_s": args.timeout} if args.timeout is not None else {}
    try:
        verifier = get_verifier(args.verifier, **kwargs)
    except (KeyError, ValueError, TypeError) as err:
        raise UsageError(f"--verifier {args.verifier}: {str(err).strip(chr(34))}") from None
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
        lines = [
            json.dumps({**row, "verdict": verdict.to_dict()}, ensure_ascii=False) + "\n"
            for row, verdict in zip(rows, verdicts)
        ]
        _write_output(args.output, "".join(lines))
        print(f"wrote {len(verdicts)} verdicts to {_printable(args.output)}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from rlvr.training import Trainer
    from rlvr.training.cli import config_from_args

    if args.config is not None:
        _check_yaml(args.config)
    config = None
    try:
        config = config_from_args(args)
        kept: list[str] = []
        if config.resume:
            config, kept = _resume_config(config, _explicit_fields(args))
        trainer = Trainer(config)
    except (ValueError, KeyError, TypeError, ImportError) as err:
        raise UsageError(str(err).strip('"')) from None
    except OSError as err:
        raise UsageError(_train_os_error(err, Path(config.out if config else "."))) from None
    try:
        return _run_training(trainer, kept)
    except OSError as err:  # a full disk or a read-only run directory, mid-run
        raise UsageError(_train_os_error(err, trainer.out)) from None
    finally:
        trainer.close()


def _run_training(trainer: Any, kept: list[str]) -> int:
    from rlvr.training import checkpoint

    config = trainer.config
    print(f"resolved config (also in {trainer.out / 'config.yaml'}):")
    print("  " + (trainer.out / "config.yaml").read_text().rstrip().replace("\n", "\n  "))
    if trainer.resumed_from is not None:
        print(f"resuming {trainer.resumed_from} at step {trainer.step_index} of {config.steps}")
        if trainer.resume_notes:
            print("  changed on resume, applied from the next step: "
                  + ", ".join(trainer.resume_notes))  # fmt: skip
        if kept:
            print("  kept from the checkpoint (not on this command line): " + ", ".join(kept))

    # The "before" figure survives a resume: it is the starting model's, not the checkpoint's,
    # so a resume never measures it again; if eval.json was lost, only the final figure is.
    record = trainer.out / "eval.json"
    before: dict[str, Any] | None = None
    if config.resume and config.eval_n:
        before = _read_eval_record(record, trainer.out)
    elif config.eval_n:
        before = dict(zip(("before", "rows"), trainer.held_out()))
        checkpoint.atomic_write_text(record, json.dumps(before))
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
    if config.eval_n:
        after, rows = trainer.held_out()
        label = f"held-out greedy accuracy ({rows} test rows of {config.env})"
        if before is not None:
            checkpoint.atomic_write_text(record, json.dumps({**before, "after": after}))
            print(f"{label}: {before['before']:.1%} -> {after:.1%}")
        else:
            note = "the starting model's figure was lost with a damaged eval.json"
            final = {"rows": rows, "final": after, "note": note}
            checkpoint.atomic_write_text(record, json.dumps(final))
            print(f"{label}: {after:.1%} ({note})")
    return 0


def _read_eval_record(record: Path, out: Path) -> dict[str, Any] | None:
    """eval.json's "before" figure, or None with a warning when it is missing or damaged
    (a run killed mid-write by an older rlvr): that must not block the resume."""
    problem = None
    try:
        held = json.loads(record.read_text(encoding="utf-8"))
        if not isinstance(held, dict) or not isinstance(held.get("before"), int | float):
            problem = "holds no before figure"
        else:
            return {"before": held["before"], "rows": held.get("rows")}
    except FileNotFoundError:
        problem = "is missing"
    except (OSError, ValueError) as err:
        problem = f"is unreadable ({err})"
    print(
        f"rlvr train: warning: {_printable(record)} {problem}; the starting model's held-out "
        "accuracy is lost, so only the final one is reported",
        file=sys.stderr,
    )
    return None


def _explicit_fields(args: argparse.Namespace) -> set[str]:
    """TrainConfig fields this command line sets: its flags (options it does not give are
    absent from ``args``) and the keys of its --config file."""
    import dataclasses

    import yaml

    from rlvr.training.config import TrainConfig

    names = {f.name for f in dataclasses.fields(TrainConfig)}
    given = {k for k in vars(args) if k in names}
    if args.config is not None:
        given |= set(yaml.safe_load(args.config.read_text(encoding="utf-8")) or {}) & names
    return given


def _resume_config(config: Any, explicit: set[str]) -> tuple[Any, list[str]]:
    """The config a resume runs with: the checkpoint's own, with this command line's options
    over it (the Trainer then refuses those a checkpoint fixes, and reports the rest); and
    ``"field: value"`` for each value kept from the checkpoint where this command line alone
    would have used another (e.g. the default algorithm)."""
    import dataclasses

    from rlvr.training import checkpoint
    from rlvr.training.config import TrainConfig

    found, _ = checkpoint.find_latest(Path(config.out))
    saved = checkpoint.saved_config(found) if found is not None else None
    if saved is None:  # none to resume (the Trainer says so), or one from an older rlvr
        return config, []
    old = saved["config"]
    values = {}
    kept = []
    for field in dataclasses.fields(TrainConfig):
        name = field.name
        if name in ("out", "resume") or name not in old:
            values[name] = getattr(config, name)
        elif name == "algo_kwargs":  # the options given override the checkpoint's one by one
            values[name] = {**old[name], **config.algo_kwargs} if name in explicit else old[name]
        elif name in explicit:
            values[name] = getattr(config, name)
        else:
            values[name] = old[name]
            if old[name] != getattr(config, name):
                kept.append(f"{name}: {old[name]!r}")
    if "algo_kwargs" not in explicit and old.get("algo_kwargs"):
        kept.append(f"algo_kwargs: the checkpoint's {len(old['algo_kwargs'])} values")
    return TrainConfig(**values), kept


def _train_os_error(err: OSError, out: Path) -> str:
    """An OSError during training as one line; one that writes the run names --out."""
    message = str(err) if err.errno is None else _os_error(err)
    if message.startswith("config."):
        return message
    in_run = err.filename is not None and _is_under(Path(str(err.filename)), out)
    writing = err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)
    if in_run or (err.filename is None and writing):
        return (
            f"config.out (--out {out}): cannot write the run: {message}. The last checkpoint "
            "is intact; fix this, then continue with --resume (or choose another --out)"
        )
    return message


def _is_under(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def _check_yaml(path: Path) -> None:
    """``--config`` is a readable UTF-8 YAML mapping of field names, or a one-line error
    with file:line (PyYAML's own errors span several lines)."""
    import yaml

    if not path.exists():
        raise UsageError(f"--config {path}: no such file")
    if not path.is_file():
        raise UsageError(f"--config {path} is not a file; give a YAML file of TrainConfig fields")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(
            f"--config {path}:{_bad_utf8_line(path)}: not valid UTF-8; save it as UTF-8"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise UsageError(f"--config {where}: YAML syntax error: {err.problem or err}") from None
    except yaml.YAMLError as err:
        raise UsageError(f"--config {path}: not YAML ({err})") from None
    if data is None:
        return
    if not isinstance(data, dict):
        raise UsageError(
            f"--config {path} must hold a mapping of TrainConfig fields (`field: value` lines), "
            f"not a {type(data).__name__}"
        )
    for key in data:
        if not isinstance(key, str):
            raise UsageError(f"--config {path}: field names are words, got {key!r}")


def _eval(args: argparse.Namespace) -> int:
    from rlvr.rollout import make_sampler
    from rlvr.training.config import DEFAULT_ENV, DEFAULT_ENV_KWARGS
    from rlvr.training.evaluate import evaluate
    from rlvr.training.models import load_model

    for flag in ("rows", "n", "max_new_tokens"):
        _check_count(getattr(args, flag), "--" + flag.replace("_", "-"))
    _check_number(args.temperature, "--temperature", minimum=0.0)
    try:
        ks = [int(k) for k in args.k.split(",")]
    except ValueError:
        raise UsageError(f"--k takes comma-separated integers, got {args.k!r}") from None
    if any(not 1 <= k <= args.n for k in ks):
        raise UsageError(f"--k: every k must be in 1..n={args.n} (--n), got {args.k}")
    if args.output is not None:
        _check_output(args.output)
    env_kwargs = args.env_kwargs
    if env_kwargs is None:
        env_kwargs = dict(DEFAULT_ENV_KWARGS) if args.env == DEFAULT_ENV else {}
    _check_task(args.env, args.split, env_kwargs)
    try:
        model, tokenizer = load_model(args.model)
    except (OSError, ImportError, ValueError) as err:
        raise UsageError(f"--model: {err}") from None
    try:
        sampler = make_sampler(args.sampler, model, tokenizer)
    except (ValueError, ImportError, RuntimeError) as err:
        raise UsageError(f"--sampler {args.sampler}: {err}") from None
    try:
        report = evaluate(
            sampler, args.env, rows=args.rows, n=args.n, ks=ks, temperature=args.temperature,
            max_new_tokens=args.max_new_tokens, split=args.split, progress=True, **env_kwargs,
        )  # fmt: skip
    except (ValueError, ImportError, RuntimeError) as err:
        raise UsageError(str(err)) from None
    print(f"{_printable(args.env)} ({int(report['rows'])} {_printable(args.split)} rows, "
          f"n={args.n}, temperature={args.temperature}, "
          f"max_new_tokens={args.max_new_tokens})")  # fmt: skip
    for key, value in report.items():
        if key not in ("rows", "n"):
            print(f"  {key:<8} {value:.1%}")
    if args.output:
        _write_output(args.output, json.dumps({"env": args.env, "model": args.model, **report}))
    return 0


def _check_task(env_id: str, split: str, kwargs: dict[str, Any]) -> None:
    """``--env`` is a registered rlvr task that builds with ``--env-kwargs`` and ``--split``:
    checked before a model is loaded, each error naming its option."""
    import gymnasium as gym

    import rlvr

    try:
        bare_id = rlvr.envs.import_env_module(env_id)
    except ValueError as err:
        raise UsageError(f"--env: {err}") from None
    tasks = [task.id for task in rlvr.registered_tasks()]
    if bare_id not in tasks:
        known = "is a Gymnasium environment, not an rlvr task" if bare_id in gym.registry else (
            "is not a registered environment")  # fmt: skip
        raise UsageError(f"--env {env_id} {known}; `rlvr envs` lists the tasks")
    try:
        gym.make(env_id, split=split, **kwargs).close()
    except (TypeError, ValueError, KeyError) as err:
        reason = str(err).split(" was raised from the environment creator")[0].strip('"')
        flag = "--split" if "split" in reason else f"--env-kwargs {json.dumps(kwargs)}"
        raise UsageError(f"{flag}: {reason}") from None


def _bench_verifier(args: argparse.Namespace) -> int:
    from rlvr import bench

    _check_output(args.output.with_suffix(".json"), stem=args.output)
    if args.cases.is_dir():
        raise UsageError(f"--cases {args.cases} is a directory; give a JSONL file")
    try:
        cases = bench.load_cases(args.cases)
    except FileNotFoundError as err:
        raise UsageError(f"--cases: {err}") from None
    except UnicodeDecodeError:
        raise UsageError(_not_utf8(args.cases)) from None
    except ValueError as err:
        raise UsageError(f"--cases: {err}") from None
    verifiers = {}
    for flag, spec in (("--verifier", args.verifier), ("--compare", args.compare)):
        if spec:
            try:
                verifiers[spec] = bench.resolve_verifier(spec)
            except (ValueError, KeyError, TypeError) as err:
                raise UsageError(f"{flag} {spec}: {str(err).strip(chr(34))}") from None
    reports = {}
    for name, verifier in verifiers.items():
        outcomes = bench.run(verifier, tqdm(cases, desc=name, unit="case", file=sys.stderr))
        reports[name] = bench.summarize(outcomes)
    table = _printable(bench.markdown(reports), keep_newlines=True)  # source/tag are input
    print(table, end="")
    if args.compare:
        ours, theirs = (reports[name]["all"] for name in verifiers)
        print(f"throughput ratio {args.verifier} / {args.compare}: "
              f"{ours['cases_per_s'] / theirs['cases_per_s']:.2f}x")  # fmt: skip
    _write_output(args.output.with_suffix(".json"), json.dumps(reports, indent=1))
    _write_output(args.output.with_suffix(".md"), table)
    print(f"wrote {args.output.with_suffix('.json')} and {args.output.with_suffix('.md')}")
    return 0


def _check_timing_args(args: argparse.Namespace) -> None:
    for flag in ("prompts", "n", "max_new_tokens", "repeats"):
        _check_count(getattr(args, flag), "--" + flag.replace("_", "-"))


def _bench_sampler(args: argparse.Namespace) -> int:
    from rlvr.bench import time_sampler

    _check_timing_args(args)
    try:
        figures = time_sampler(args.model, args.sampler, args.prompts, args.n,
                               args.max_new_tokens, args.repeats)  # fmt: skip
    except OSError as err:
        raise UsageError(f"--model: {str(err).removeprefix('config.model: ')}") from None
    except (ValueError, ImportError, RuntimeError) as err:
        raise UsageError(str(err)) from None
    print(json.dumps(figures, indent=1))
    return 0


def _bench_step(args: argparse.Namespace) -> int:
    from rlvr.algorithms import registered_algorithms
    from rlvr.bench import time_step

    _check_timing_args(args)
    if args.algo not in registered_algorithms():
        raise UsageError(
            f"--algo: unknown algorithm {args.algo!r} (known: {', '.join(registered_algorithms())})"
        )
    try:
        figures = time_step(args.model, args.sampler, args.algo, args.prompts, args.n,
                            args.max_new_tokens, args.repeats)  # fmt: skip
    except OSError as err:
        raise UsageError(f"--model: {str(err).removeprefix('config.model: ')}") from None
    except (ValueError, ImportError, RuntimeError, KeyError) as err:
        raise UsageError(str(err).strip('"')) from None
    print(json.dumps(figures, indent=1))
    return 0


def _plot(args: argparse.Namespace) -> int:
    from rlvr.training.plot import plot_run

    run_dir = args.run_dir
    if not run_dir.is_dir():
        what = "is a file" if run_dir.exists() else "does not exist"
        raise UsageError(f"run_dir {run_dir} {what}; give the --out directory of rlvr train")
    log = run_dir / "metrics.jsonl"
    if log.is_file():
        _check_jsonl(log)
    record = run_dir / "eval.json"
    if record.is_file():
        try:
            json.loads(record.read_text(encoding="utf-8"))
        except (ValueError, OSError) as err:
            raise UsageError(f"{record} is damaged ({err}); move it aside to plot") from None
    if args.output is not None:
        _check_output(args.output)
    try:
        print(f"wrote {plot_run(run_dir, args.output)}")
    except (FileNotFoundError, ValueError, ImportError) as err:
        raise UsageError(f"run_dir: {err}") from None
    return 0


def _check_jsonl(path: Path) -> None:
    """Every line of ``path`` parses, or an error naming ``path:line``."""
    try:
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    try:
                        json.loads(line)
                    except ValueError as err:
                        raise UsageError(f"{path}:{number}: not valid JSON ({err})") from None
    except UnicodeDecodeError:
        raise UsageError(_not_utf8(path)) from None


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


# ----------------------------------------------------------------------- shared checks
def _check_count(value: int, flag: str, minimum: int = 1) -> None:
    if value < minimum:
        raise UsageError(f"{flag} must be >= {minimum}, got {value}")


def _check_number(value: float, flag: str, minimum: float, strict: bool = False) -> None:
    if not math.isfinite(value) or value < minimum or (strict and value == minimum):
        relation = ">" if strict else ">="
        raise UsageError(f"{flag} must be a finite number {relation} {minimum:g}, got {value}")


def _check_output(path: Path, stem: Path | None = None) -> None:
    """``--output`` can be written: not a directory, and not under a file. Checked before the
    work, so a slow run does not end in an error it could have started with."""
    shown = stem if stem is not None else path
    if path.is_dir() or (stem is not None and stem.is_dir()):
        raise UsageError(f"--output {shown} is a directory; give a file path, e.g. {shown}/out")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"--output {shown}: {parent} is a file, not a directory")
            break


def _write_output(path: Path, text: str) -> None:
    """Write ``--output`` atomically; a failure (disk full) leaves any old file whole."""
    from rlvr.training.checkpoint import atomic_write_text

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
    except OSError as err:
        raise UsageError(_os_error(err, f"--output {path}: cannot write:")) from None


def _bad_utf8_line(path: Path) -> int:
    """The number of the first line of ``path`` that is not valid UTF-8."""
    with path.open("rb") as f:
        for number, line in enumerate(f, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1


def _not_utf8(path: Path) -> str:
    line = _bad_utf8_line(path)
    return f"{path}:{line}: not valid UTF-8; re-encode the file as UTF-8 (e.g. with iconv)"


def _rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.completion is not None or args.reference is not None:
        if args.completion is None or args.reference is None or args.input is not None:
            raise UsageError("give --completion and --reference together, without an input file")
        return [{args.completion_field: args.completion, args.reference_field: args.reference}]
    if args.input is None:
        example = resources.files("rlvr") / "data" / "math_examples.jsonl"
        print(f"no input given: scoring the bundled example {example}")
        return list(_read_jsonl(Path(str(example)), args))
    if args.input.is_dir():
        raise UsageError(f"input {args.input} is a directory; give a JSONL file")
    if not args.input.is_file():
        raise UsageError(f"no such file: {args.input}")
    return list(_read_jsonl(args.input, args))


def _read_jsonl(path: Path, args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    try:
        for number, row in read_objects(path):
            for flag, field in (("--completion-field", args.completion_field),
                                ("--reference-field", args.reference_field)):  # fmt: skip
                if field not in row:
                    raise UsageError(
                        f"{path}:{number}: no field {field!r} (fields: {', '.join(row) or 'none'});"
                        f" choose the field with {flag}"
                    )
            yield row
    except UnicodeDecodeError:  # a ValueError too, but without the line: find it
        raise UsageError(_not_utf8(path)) from None
    except ValueError as err:
        raise UsageError(str(err)) from None


def _short(text: object, width: int) -> str:
    flat = _printable(" ".join(str(text).split()))
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _print_table(verdicts: list[Verdict], references: list[Any], show: int) -> None:
    if show <= 0:
        return
    print(f"{'#':>4}  {'ok':2}  {'reason':18}  {'extracted':32}  reference")
    for k, (verdict, ref) in enumerate(zip(verdicts[:show], references)):
        mark = "✓" if verdict.correct else "✗"
        extracted = _short(verdict.extracted if verdict.extracted is not None else "—", 32)
        reason = _short(verdict.reason, 18)
        print(f"{k:>4}  {mark:2}  {reason:18}  {extracted:32}  {_short(ref, 40)}")
    if len(verdicts) > show:
        print(f"   … {len(verdicts) - show} more rows (--show N to print more)")


def _print_summary(verdicts: list[Verdict]) -> None:
    n = len(verdicts)
    correct = sum(v.correct for v in verdicts)
    print(f"\naccuracy: {correct}/{n} = {correct / n:.1%}" if n else "\nno rows")
    for reason, count in Counter(v.reason for v in verdicts).most_common():
        print(f"  {_short(reason, 60):20} {count}")


if __name__ == "__main__":
    raise SystemExit(main())
