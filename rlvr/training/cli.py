"""``rlvr train``: the command line is generated from ``TrainConfig``, so each option is
documented once, by the docstring under its field."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import json
import types
import typing
from pathlib import Path
from typing import Any

from rlvr.training.config import TrainConfig


def field_docs() -> dict[str, str]:
    """The docstring written under each field of TrainConfig."""
    tree = ast.parse(inspect.getsource(TrainConfig))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs = {}
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
        ):
            docs[node.target.id] = " ".join(str(after.value.value).split())
    return docs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="YAML file of TrainConfig fields")
    docs = field_docs()
    hints = typing.get_type_hints(TrainConfig)
    for field in dataclasses.fields(TrainConfig):
        kind = hints[field.name]
        default = getattr(TrainConfig(), field.name)
        flag: dict[str, Any] = {"nargs": "?", "const": True} if kind is bool else {}  # `--resume`
        parser.add_argument(
            "--" + field.name.replace("_", "-"),
            dest=field.name,
            type=_parser_for(kind),
            default=argparse.SUPPRESS,
            metavar=_metavar(kind),
            help=f"{docs.get(field.name, '')} (default: {default!r})".strip(),
            **flag,
        )


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    values: dict[str, Any] = {}
    if args.config is not None:
        values.update(_read_yaml(args.config))
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    values.update({k: v for k, v in vars(args).items() if k in names})
    unknown = set(values) - names
    if unknown:
        raise ValueError(
            f"unknown config field(s) {', '.join(sorted(unknown))}; see rlvr train --help"
        )
    try:
        return TrainConfig(**values)
    except TypeError as err:
        raise ValueError(str(err)) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise ValueError(f"no config file at {path}")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a mapping of TrainConfig fields")
    return data


def _parser_for(kind: Any) -> Any:
    base = _unwrap_optional(kind)
    if base is dict or typing.get_origin(base) is dict:
        return json_object
    return {int: int, float: float, str: str, bool: _bool}.get(base, str)


def _metavar(kind: Any) -> str:
    base = _unwrap_optional(kind)
    return "JSON" if base is dict or typing.get_origin(base) is dict else "VALUE"


def _unwrap_optional(kind: Any) -> Any:
    """``X | None`` -> ``X``."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return kind


def json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not JSON: {err.msg}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object, e.g. '{\"kl_coef\": 0.0}'")
    return value


def _bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes"):
        return True
    if text.lower() in ("0", "false", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
